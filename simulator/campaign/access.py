"""Access tactics at work: the organisations, keys and sign-up paths of a campaign's accounts.

The specs are in :mod:`simulator.scenario.campaign.access`. :data:`ROUTES` maps
each ``kind`` to its route, built from the spec and the campaign's state:

* :class:`DirectRoute`: the campaign registers its own organisations and keys,
  sends from its own infrastructure (:class:`~simulator.campaign.infrastructure.Exits`)
  and pays list prices;
* :class:`ResellerRoute`: accounts join the reseller's organisations, send
  through its shared keys, sign up the way its end customers did, and pay its
  discounted price; unless the spec keeps ``own_infrastructure``, they send from
  the reseller's servers with its SDK and bill to its organisation's card
  (:class:`ResellerEgress`). The reseller is a population group of ``kind:
  reseller`` whose actor offers :class:`ResellerOrgs`.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from simulator.campaign.infrastructure import Egress, Exits, Identity
from simulator.campaign.state import CampaignState
from simulator.hashing import hashed_uniform
from simulator.scenario.campaign.access import DirectAccess, ResellerAccess
from simulator.vocabulary import SIGNUP_PATHWAYS

__all__ = ["ROUTES", "DirectRoute", "ResellerEgress", "ResellerOrgs", "ResellerRoute", "Route"]

SECOND_SERVER_SHARE = 0.2
"""Share of conversations leaving from an account's second server, as the reseller's
end customers' sessions do (:meth:`simulator.population.base.CustomerGroup.member_ips`)."""


class ResellerOrgs(Protocol):
    """What a campaign needs from the reseller group it hides behind."""

    def org_codes(self) -> np.ndarray:
        """Registry codes of the reseller's organisations."""

    def shared_keys(self, org_code: int) -> np.ndarray:
        """Key codes of the keys the reseller routes end-customer traffic of ``org_code`` through."""

    def servers(self, org_code: int) -> np.ndarray:
        """IP codes of the reseller's servers the end customers of ``org_code`` send from."""

    def client(self, org_code: int) -> int:
        """Client code of the reseller's SDK install in ``org_code``."""

    def card(self, org_code: int) -> str:
        """Payment fingerprint of ``org_code``."""


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

    def egress(self) -> Egress:
        """What the accounts send from, run on and pay with."""


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
        key = registrar.new_keys(codes, registrar.pathway_codes(self.spec.pathways or {"direct_api": 1.0}, codes.size))
        return key, key

    def egress(self) -> Egress:
        return Exits.build(self.state)


class ResellerRoute:
    """Accounts in the reseller's organisations, sending through its shared keys."""

    def __init__(self, spec: ResellerAccess, state: CampaignState) -> None:
        reseller: Any = state.world.actors.get(spec.reseller)
        needed = ("org_codes", "shared_keys", "servers", "client", "card")
        if reseller is None or not all(hasattr(reseller, m) for m in needed):
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

    def egress(self) -> Egress:
        if self.spec.own_infrastructure:
            return Exits.build(self.state)
        return ResellerEgress(self.reseller, self.state)


class ResellerEgress:
    """The reseller's servers, SDK and card, as its end customers have them: each new
    account sends from two of its organisation's servers (the second for
    :data:`SECOND_SERVER_SHARE` of its conversations), runs the organisation's SDK
    install and pays with the organisation's card. A ``fresh`` identity is the same
    (behind a reseller there is no other); the campaign buys no proxies."""

    pool_size = 0

    def __init__(self, reseller: ResellerOrgs, state: CampaignState) -> None:
        self.reseller = reseller
        self.state = state

    def assign(self, declared: np.ndarray, orgs: np.ndarray) -> Identity:
        rng = self.state.rng
        n = orgs.size
        ip0 = np.empty(n, dtype=np.int64)
        ip1 = np.empty(n, dtype=np.int64)
        client = np.empty(n, dtype=np.int64)
        card = np.empty(n, dtype=object)
        for org in np.unique(orgs).tolist():
            rows = np.flatnonzero(orgs == org)
            servers = np.asarray(self.reseller.servers(org), dtype=np.int64)
            ip0[rows] = servers[rng.integers(0, servers.size, size=rows.size)]
            ip1[rows] = servers[rng.integers(0, servers.size, size=rows.size)]
            client[rows] = self.reseller.client(org)
            card[rows] = self.reseller.card(org)
        return Identity(np.full(n, -1, dtype=np.int64), ip0, ip1, client, client, card)

    def fresh(self, declared: np.ndarray, orgs: np.ndarray) -> Identity:
        return self.assign(declared, orgs)

    def ips(
        self,
        codes: np.ndarray,
        ip0: np.ndarray,
        ip1: np.ndarray,
        cell: np.ndarray,
        ts: np.ndarray,
        conversation: np.ndarray,
    ) -> np.ndarray:
        second = hashed_uniform(conversation, _SERVER_SALT) < SECOND_SERVER_SHARE
        return np.where(second, ip1, ip0)

    def request_clients(self, client0: np.ndarray, client1: np.ndarray, conversation: np.ndarray) -> np.ndarray:
        return client0


_SERVER_SALT = 0x53455256


ROUTES: dict[str, type[DirectRoute] | type[ResellerRoute]] = {"direct": DirectRoute, "reseller": ResellerRoute}
"""The route of each access ``kind``."""
