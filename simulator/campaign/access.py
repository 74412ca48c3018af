"""Access tactics: which organisations, keys and pathway a campaign's traffic uses.

* ``kind: direct``: the campaign registers its own organisations and API keys
  and calls the API directly or through a cloud marketplace.
* ``kind: reseller``: a hydra pool behind a reseller. The campaign's accounts
  are registered into the reseller's organisation(s) and send through the
  reseller's shared API keys (pathway ``reseller``), interleaved with the
  reseller's legitimate end customers; tokens cost the reseller's discounted
  price. The reseller is a population group of ``kind: reseller`` named in the
  scenario; its actor exposes ``org_codes()`` and ``shared_keys(org_code)``.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
commercial proxy services resell access to frontier models through "hydra
cluster" architectures; one network ran more than 20,000 fraudulent accounts
at once and mixed distillation traffic with unrelated customers' requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal, Protocol

import numpy as np
from pydantic import Field

from simulator.config import StrictModel
from simulator.identity import SIGNUP_PATHWAYS

if TYPE_CHECKING:
    from simulator.campaign.engine import CampaignActor

__all__ = ["Access", "AccessRoute", "DirectAccess", "ResellerAccess", "ResellerActor"]

PathwayWeights = dict[Literal["cloud_marketplace", "direct_api"], Annotated[float, Field(ge=0)]]


class ResellerActor(Protocol):
    """What a campaign needs from the reseller group it hides behind."""

    def org_codes(self) -> np.ndarray:
        """Registry codes of the reseller's organisations."""

    def shared_keys(self, org_code: int) -> np.ndarray:
        """Key codes of the keys the reseller routes end-customer traffic of ``org_code`` through."""


@dataclass
class AccessRoute:
    """Organisations, keys and sign-up paths for new accounts of one campaign."""

    actor: CampaignActor
    price_factor: float
    """Share of the list price the campaign pays per token on this route."""

    def orgs(self, created_ts: np.ndarray) -> np.ndarray:
        """Organisation codes for accounts created at ``created_ts``."""
        cfg = self.actor.config.acquisition
        n = created_ts.size
        size = cfg.org_size
        n_orgs = -(-n // size)
        org_of = np.repeat(np.arange(n_orgs), size)[:n]
        org_created = np.full(n_orgs, np.inf)
        np.minimum.at(org_created, org_of, created_ts)
        if size == 1:
            names = np.full(n_orgs, "Personal", dtype=object)
        else:
            countries = self.actor.draw_countries(n_orgs)
            names = self.actor.profiles.companies(self.actor.rng, countries)
        return self.actor.new_orgs(org_created, names)[org_of]

    def created(self, created_ts: np.ndarray, orgs: np.ndarray) -> np.ndarray:
        """Creation times, no earlier than the organisations they join."""
        return created_ts

    def signup_pathways(self, n: int) -> np.ndarray:
        """Sign-up pathway codes of ``n`` new accounts."""
        weights = self.actor.config.acquisition.signup_pathways
        p = np.array([weights.get(name, 0.0) for name in SIGNUP_PATHWAYS])
        return self.actor.rng.choice(len(SIGNUP_PATHWAYS), size=n, p=p / p.sum()).astype(np.int8)

    def keys(self, codes: np.ndarray, orgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two API keys per new account (requests pick one of the two)."""
        access: DirectAccess = self.actor.config.access
        key = self.actor.new_keys(codes, self.actor.pathway_codes(access.pathways, codes.size))
        return key, key


@dataclass
class ResellerRoute(AccessRoute):
    """Accounts in the reseller's organisations, sending through its shared keys."""

    reseller: ResellerActor | None = None

    def _org_codes(self) -> np.ndarray:
        return np.asarray(self.reseller.org_codes(), dtype=np.int64)

    def orgs(self, created_ts: np.ndarray) -> np.ndarray:
        orgs = self._org_codes()
        return orgs[self.actor.rng.integers(0, orgs.size, size=created_ts.size)]

    def created(self, created_ts: np.ndarray, orgs: np.ndarray) -> np.ndarray:
        org_created = self.actor.ctx.registry.orgs.column("created_ts")[orgs]
        return np.maximum(created_ts, org_created)

    def signup_pathways(self, n: int) -> np.ndarray:
        """The sign-up paths of the reseller's own accounts (as they are in the
        registry when the campaign starts), so that the campaign's accounts join
        the way its end customers do; ``reseller`` when it has none."""
        visible = self.actor.ctx.registry.visible
        theirs = np.isin(visible.column("org"), self._org_codes())
        counts = np.bincount(visible.column("signup_pathway")[theirs], minlength=len(SIGNUP_PATHWAYS)).astype(float)
        if counts.sum() == 0:
            counts[SIGNUP_PATHWAYS.index("reseller")] = 1.0
        return self.actor.rng.choice(len(SIGNUP_PATHWAYS), size=n, p=counts / counts.sum()).astype(np.int8)

    def keys(self, codes: np.ndarray, orgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = self.actor.rng
        key0 = np.empty(codes.size, dtype=np.int64)
        key1 = np.empty(codes.size, dtype=np.int64)
        for org in np.unique(orgs).tolist():
            rows = np.flatnonzero(orgs == org)
            shared = np.asarray(self.reseller.shared_keys(org), dtype=np.int64)
            if shared.size == 0:
                raise ValueError(f"reseller {self.actor.config.access.reseller!r} has no shared keys in org {org}")
            key0[rows] = shared[rng.integers(0, shared.size, size=rows.size)]
            key1[rows] = shared[rng.integers(0, shared.size, size=rows.size)]
        return key0, key1


class DirectAccess(StrictModel):
    """The campaign's own organisations and keys, straight to the API or via a cloud marketplace."""

    kind: Literal["direct"] = Field(description="Own organisations and API keys.")
    pathways: PathwayWeights = Field(
        default_factory=lambda: {"direct_api": 1.0},
        description="Weights over how requests reach the API: direct_api or cloud_marketplace.",
    )

    def reseller_name(self) -> str | None:
        return None

    def route(self, actor: CampaignActor) -> AccessRoute:
        return AccessRoute(actor, price_factor=1.0)


class ResellerAccess(StrictModel):
    """A hydra pool behind a reseller that also serves legitimate customers."""

    kind: Literal["reseller"] = Field(description="Through a reseller's organisations and shared keys.")
    reseller: str = Field(description="Name of the population group (kind: reseller) the campaign buys access from.")
    discount: float = Field(
        default=0.3, ge=0, lt=1, description="Reseller's discount on list token prices (0.3: pays 70%)."
    )

    def reseller_name(self) -> str | None:
        return self.reseller

    def route(self, actor: CampaignActor) -> AccessRoute:
        reseller = actor.ctx.actors.get(self.reseller)
        if reseller is None or not all(hasattr(reseller, m) for m in ("org_codes", "shared_keys")):
            raise ValueError(
                f"campaign {actor.config.name!r} routes through {self.reseller!r}, which is not a reseller group"
            )
        return ResellerRoute(actor, price_factor=1.0 - self.discount, reseller=reseller)


Access = Annotated[DirectAccess | ResellerAccess, Field(discriminator="kind")]
"""How the campaign's traffic reaches the API, chosen by ``kind``."""
