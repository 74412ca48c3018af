"""Access tactics at work: the organisations, keys and sign-up paths of a campaign's accounts.

The specs are in :mod:`simulator.scenario.campaign.access`. :data:`ROUTES` maps
each ``kind`` to its route, built from the spec and the campaign's state:

* :class:`DirectRoute`: the campaign registers its own organisations and keys
  and pays list prices;
* :class:`ResellerRoute`: accounts join the reseller's organisations, send
  through its shared keys, sign up the way its end customers did, and pay its
  discounted price. The reseller is a population group of ``kind: reseller``
  whose actor offers :class:`ResellerOrgs`.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from simulator.campaign.state import CampaignState
from simulator.scenario.campaign.access import DirectAccess, ResellerAccess
from simulator.vocabulary import SIGNUP_PATHWAYS

__all__ = ["ROUTES", "DirectRoute", "ResellerOrgs", "ResellerRoute", "Route"]


class ResellerOrgs(Protocol):
    """What a campaign needs from the reseller group it hides behind."""

    def org_codes(self) -> np.ndarray:
        """Registry codes of the reseller's organisations."""

    def shared_keys(self, org_code: int) -> np.ndarray:
        """Key codes of the keys the reseller routes end-customer traffic of ``org_code`` through."""


class Route(Protocol):
    """How new accounts of one campaign are placed: organisations, creation times,
    sign-up paths and keys, and the share of the list price it pays."""

    price_factor: float

    def orgs(self, created_ts: np.ndarray) -> np.ndarray:
        """Organisation codes for accounts created at ``created_ts``."""

    def created(self, created_ts: np.ndarray, orgs: np.ndarray) -> np.ndarray:
        """Creation times, no earlier than the organisations the accounts join."""

    def signup_pathways(self, n: int) -> np.ndarray:
        """Sign-up pathway codes of ``n`` new accounts."""

    def keys(self, codes: np.ndarray, orgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first, second) API key of each new account (requests pick one of the two)."""


class DirectRoute:
    """The campaign's own organisations (``acquisition.org_size`` accounts each) and keys."""

    price_factor = 1.0

    def __init__(self, spec: DirectAccess, state: CampaignState) -> None:
        self.spec = spec
        self.state = state

    def orgs(self, created_ts: np.ndarray) -> np.ndarray:
        state = self.state
        size = state.spec.acquisition.org_size
        n = created_ts.size
        n_orgs = -(-n // size)
        org_of = np.repeat(np.arange(n_orgs), size)[:n]
        org_created = np.full(n_orgs, np.inf)
        np.minimum.at(org_created, org_of, created_ts)
        if size == 1:
            names = np.full(n_orgs, "Personal", dtype=object)
        else:
            names = state.world.profiles.companies(state.rng, state.declared_countries(n_orgs))
        return state.registrar.new_orgs(org_created, names)[org_of]

    def created(self, created_ts: np.ndarray, orgs: np.ndarray) -> np.ndarray:
        return created_ts

    def signup_pathways(self, n: int) -> np.ndarray:
        weights = self.state.spec.acquisition.signup_pathways
        p = np.array([weights.get(name, 0.0) for name in SIGNUP_PATHWAYS])
        return self.state.rng.choice(len(SIGNUP_PATHWAYS), size=n, p=p / p.sum()).astype(np.int8)

    def keys(self, codes: np.ndarray, orgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        registrar = self.state.registrar
        key = registrar.new_keys(codes, registrar.pathway_codes(self.spec.pathways, codes.size))
        return key, key


class ResellerRoute:
    """Accounts in the reseller's organisations, sending through its shared keys."""

    def __init__(self, spec: ResellerAccess, state: CampaignState) -> None:
        reseller: Any = state.world.actors.get(spec.reseller)
        if reseller is None or not all(hasattr(reseller, m) for m in ("org_codes", "shared_keys")):
            raise ValueError(
                f"campaign {state.spec.name!r} routes through {spec.reseller!r}, which is not a reseller group"
            )
        self.spec = spec
        self.state = state
        self.reseller: ResellerOrgs = reseller
        self.price_factor = 1.0 - spec.discount

    def _org_codes(self) -> np.ndarray:
        return np.asarray(self.reseller.org_codes(), dtype=np.int64)

    def orgs(self, created_ts: np.ndarray) -> np.ndarray:
        orgs = self._org_codes()
        return orgs[self.state.rng.integers(0, orgs.size, size=created_ts.size)]

    def created(self, created_ts: np.ndarray, orgs: np.ndarray) -> np.ndarray:
        org_created = self.state.world.registry.orgs.column("created_ts")[orgs]
        return np.maximum(created_ts, org_created)

    def signup_pathways(self, n: int) -> np.ndarray:
        """The sign-up paths of the reseller's own accounts (as they are in the
        registry now), so that the campaign's accounts join the way its end
        customers do; ``reseller`` when it has none."""
        visible = self.state.world.registry.visible
        theirs = np.isin(visible.column("org"), self._org_codes())
        counts = np.bincount(visible.column("signup_pathway")[theirs], minlength=len(SIGNUP_PATHWAYS)).astype(float)
        if counts.sum() == 0:
            counts[SIGNUP_PATHWAYS.index("reseller")] = 1.0
        return self.state.rng.choice(len(SIGNUP_PATHWAYS), size=n, p=counts / counts.sum()).astype(np.int8)

    def keys(self, codes: np.ndarray, orgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = self.state.rng
        key0 = np.empty(codes.size, dtype=np.int64)
        key1 = np.empty(codes.size, dtype=np.int64)
        for org in np.unique(orgs).tolist():
            rows = np.flatnonzero(orgs == org)
            shared = np.asarray(self.reseller.shared_keys(org), dtype=np.int64)
            if shared.size == 0:
                raise ValueError(f"reseller {self.spec.reseller!r} has no shared keys in org {org}")
            key0[rows] = shared[rng.integers(0, shared.size, size=rows.size)]
            key1[rows] = shared[rng.integers(0, shared.size, size=rows.size)]
        return key0, key1


ROUTES: dict[str, type[DirectRoute] | type[ResellerRoute]] = {"direct": DirectRoute, "reseller": ResellerRoute}
"""The route of each access ``kind``."""
