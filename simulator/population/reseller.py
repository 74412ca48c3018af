"""Resellers: one business serving many end customers through its own organisation(s).

A reseller (an API aggregator, a white-label assistant, a regional distributor)
signs its end customers up as accounts inside its organisation(s) and routes
their traffic through a handful of shared API keys (access pathway
``reseller``), from its own servers' addresses, with its own SDK. Seen from the
provider, hundreds of accounts share one organisation, one payment card, a few
keys, a few datacenter addresses and one client fingerprint, while each
account's traffic is an ordinary person's: the surface of a hydra cluster
without the extraction. It is the false positive an infrastructure-sharing
detector must survive, and the cover a campaign may buy
(:mod:`simulator.campaign` registers its own accounts into these organisations).

End customers are spread over ``resellers`` organisations with Zipf-like sizes
(the first reseller is the largest); each organisation has ``keys_per_org``
shared keys, registered to its first account (the reseller's service account),
``servers_per_org`` egress addresses in one /24 network, and one client install.
Traffic is session-based, like :class:`~simulator.population.interactive.ChatUsers`.
``org_size``, ``keys_per_account``, ``networks`` and ``browser_share`` do not apply:
the reseller's organisations, keys, servers and SDK replace them.

Contract with campaigns: :meth:`ResellerGroup.org_codes` and
:meth:`ResellerGroup.shared_keys` work as soon as :meth:`~ResellerGroup.setup` has run.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from simulator.actor import Actor
from simulator.config import PathwayWeights
from simulator.identity import ACCESS_PATHWAYS
from simulator.network import AsnKind
from simulator.population.base import Egress, EmailStyleWeights
from simulator.population.interactive import Interactive, InteractiveGroup
from simulator.population.sessions import SessionShape
from simulator.units import Duration, Rate

__all__ = ["ResellerGroup", "Resellers"]

DAY = 86400.0


def _reseller_session() -> SessionShape:
    return SessionShape(
        topics={
            "general_qa": 3,
            "coding": 2,
            "creative_writing": 1.5,
            "summarization": 1,
            "rewrite": 1,
            "chit_chat": 1,
            "translation": 1,
            "customer_support": 0.5,
            "reasoning": 0.5,
            "math": 0.5,
            "data_analysis": 0.5,
        },
        templated_share=0.15,
    )


class Resellers(Interactive):
    """A reseller's end customers: accounts in its organisations, behind its shared keys."""

    kind: Literal["reseller"] = Field(description="Resellers serving many end customers through one organisation.")
    resellers: int = Field(default=1, ge=1, description="Reseller organisations the end customers are spread over.")
    keys_per_org: int = Field(default=4, ge=1, description="Shared API keys per organisation (pathway 'reseller').")
    servers_per_org: int = Field(default=6, ge=1, description="Egress addresses per organisation (one /24 network).")
    egress: Egress = Field(
        default_factory=lambda: Egress(pool=0),
        description="None: end customers' requests leave from the reseller's servers only.",
    )
    sessions_per_day: Rate = Field(default=3.0 / DAY, description="Median sessions per end customer per day.")
    session: SessionShape = Field(default_factory=_reseller_session, description="Shape of one session.")
    volume_sigma: float = Field(default=1.6, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    peak_hour: float = Field(default=16.0, ge=0, lt=24, description="Local hour of peak activity (end customers).")
    peak_to_trough: float = Field(default=4.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.7, ge=0, description="Weekend activity relative to weekdays.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {"reseller": 1.0}, description="Weights over sign-up pathways."
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"freemail": 0.7, "corporate": 0.3}, description="Weights over e-mail styles."
    )
    adoption: Duration = Field(
        default=2 * 86400.0, gt=0, description="Mean delay before an end customer moves to a newly released model."
    )

    def build(self, name: str, index: int, ctx: Any) -> Actor:
        return ResellerGroup(self, name, index, ctx)


class ResellerGroup(InteractiveGroup):
    """The actor of a :class:`Resellers` group."""

    def __init__(self, config: Any, name: str, index: int, ctx: Any) -> None:
        super().__init__(config, name, index, ctx)
        self._orgs = np.empty(0, dtype=np.int64)
        self._keys: dict[int, np.ndarray] = {}

    # -- contract with campaigns ---------------------------------------------------------

    def org_codes(self) -> np.ndarray:
        """Registry codes of the reseller's organisations."""
        return self._orgs.copy()

    def shared_keys(self, org_code: int) -> np.ndarray:
        """Registry key codes of the shared API keys (pathway ``reseller``) that
        organisation ``org_code`` routes its end customers' traffic through."""
        try:
            return self._keys[int(org_code)].copy()
        except KeyError:
            raise KeyError(
                f"Organisation {org_code} is not one of reseller {self.name!r}'s; its organisations: "
                f"{self._orgs.tolist()}"
            ) from None

    # -- account creation ----------------------------------------------------------------

    @property
    def personal_orgs(self) -> bool:
        return False

    def org_layout(self, n: int) -> np.ndarray:
        """Zipf-like organisation sizes; every organisation gets at least one account."""
        k = min(self.config.resellers, n)
        weights = 1.0 / np.arange(1, k + 1)
        org_of = self.rng.choice(k, size=n, p=weights / weights.sum())
        org_of[:k] = np.arange(k)
        return org_of

    def account_keys(self, codes: np.ndarray, org_of: np.ndarray, orgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg: Resellers = self.config
        pathway = ACCESS_PATHWAYS.index("reseller")
        key0 = np.empty(codes.size, dtype=np.int64)
        key1 = np.empty(codes.size, dtype=np.int64)
        first_member = np.unique(org_of, return_index=True)[1]
        for org, owner in enumerate(first_member.tolist()):
            keys = self.new_keys(np.full(cfg.keys_per_org, codes[owner]), np.full(cfg.keys_per_org, pathway, np.int8))
            self._keys[int(orgs[org])] = keys
            rows = np.flatnonzero(org_of == org)
            key0[rows] = keys[self.rng.integers(0, keys.size, size=rows.size)]
            key1[rows] = keys[self.rng.integers(0, keys.size, size=rows.size)]
        self._orgs = np.concatenate([self._orgs, orgs.astype(np.int64)])
        return key0, key1

    def account_network(
        self, countries: np.ndarray, org_of: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The reseller's egress addresses and SDK install, shared by its end customers."""
        cfg: Resellers = self.config
        rng = self.rng
        n = countries.size
        ip0 = np.empty(n, dtype=np.int64)
        ip1 = np.empty(n, dtype=np.int64)
        client = np.empty(n, dtype=np.int64)
        for org in range(int(org_of.max()) + 1):
            rows = np.flatnonzero(org_of == org)
            servers = self.ctx.network.allocate(rng, cfg.servers_per_org, AsnKind.DATACENTER, subnets=1)
            ip0[rows] = servers[rng.integers(0, servers.size, size=rows.size)]
            ip1[rows] = servers[rng.integers(0, servers.size, size=rows.size)]
            client[rows] = self.ctx.network.new_client(rng)
        return ip0, ip1, client, client
