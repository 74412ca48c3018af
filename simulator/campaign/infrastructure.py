"""Infrastructure tactics at work: a campaign's proxy exits, client fingerprints and cards.

The specs are in :mod:`simulator.scenario.campaign.infrastructure`.
:class:`Exits` holds the campaign's pools and decides, per request, which exit
address and client it leaves with. Two families vary by ``kind``, each through
its own table:

* clients (:data:`CLIENTS`): ``shared`` installs, a ``spoofed`` install per
  account, or a ``rotating`` pool drawn per request;
* rotation (:data:`ROTATIONS`): a new exit per ``request``, per account every
  ``interval``, or one sticky exit per ``account``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.campaign.state import CampaignState
from simulator.campaign.tactic import behaviour
from simulator.geography import country_codes
from simulator.hashing import splitmix64
from simulator.identity import payment_fingerprints
from simulator.network import AsnKind
from simulator.scenario.base import normalised
from simulator.scenario.campaign.infrastructure import Infrastructure, RotatingClients, SharedClients, SpoofedClients

__all__ = ["CLIENTS", "ROTATIONS", "ClientPool", "Exits", "RotatingPool", "SharedPool", "SpoofedInstalls"]

_ASN_KIND = {"residential": AsnKind.RESIDENTIAL, "datacenter": AsnKind.DATACENTER, "mobile": AsnKind.MOBILE}


def allocate_exits(state: CampaignState, n: int, subnets: int | None) -> np.ndarray:
    """IP codes of ``n`` new exit addresses, split over proxy kinds and exit countries
    by their weights; ``subnets`` /24 networks in all (shared out the same way)."""
    cfg: Infrastructure = state.spec.infrastructure
    kinds = sorted(cfg.proxies)
    kind_p = np.array([cfg.proxies[name] for name in kinds], dtype=np.float64)
    if cfg.proxy_countries:
        country_p = normalised(cfg.proxy_countries, country_codes())
        countries: list[np.ndarray | None] = [np.array([c]) for c in np.flatnonzero(country_p > 0)]
        country_p = country_p[country_p > 0]
    else:
        countries, country_p = [None], np.ones(1)
    p = np.outer(kind_p / kind_p.sum(), country_p / country_p.sum()).ravel()
    sizes = state.rng.multinomial(n, p)
    parts = [np.empty(0, dtype=np.int64)]
    for cell in np.flatnonzero(sizes).tolist():
        kind, where = kinds[cell // len(countries)], countries[cell % len(countries)]
        packed = None if subnets is None else max(1, round(subnets * p[cell]))
        parts.append(state.world.network.allocate(state.rng, int(sizes[cell]), _ASN_KIND[kind], where, packed))
    return np.concatenate(parts)


class ClientPool:
    """How a campaign's accounts present client fingerprints: which client each new
    account gets (:meth:`assign`) and which one each request shows (:meth:`per_request`)."""

    def __init__(self, state: CampaignState, pool_size: int) -> None:
        network = state.world.network
        self.state = state
        self.pool = np.array([network.new_client(state.rng) for _ in range(pool_size)], dtype=np.int64)

    def assign(self, n: int) -> np.ndarray:
        """Client codes of ``n`` new accounts: one of the pool's."""
        return self.pool[self.state.rng.integers(0, self.pool.size, size=n)]

    def per_request(self, client: np.ndarray) -> np.ndarray:
        """Client code per request of accounts whose own client is ``client``."""
        return client


class SharedPool(ClientPool):
    """A few installs shared across the pool: each account sticks to one."""

    def __init__(self, spec: SharedClients, state: CampaignState) -> None:
        super().__init__(state, spec.count)


class RotatingPool(ClientPool):
    """Fingerprint randomisation: every request draws a client from the pool."""

    def __init__(self, spec: RotatingClients, state: CampaignState) -> None:
        super().__init__(state, spec.count)

    def per_request(self, client: np.ndarray) -> np.ndarray:
        return self.pool[self.state.rng.integers(0, self.pool.size, size=client.size)]


class SpoofedInstalls(ClientPool):
    """Every account its own install of a common SDK or browser, as customers have."""

    def __init__(self, spec: SpoofedClients, state: CampaignState) -> None:
        super().__init__(state, 0)
        self.browser_share = spec.browser_share

    def assign(self, n: int) -> np.ndarray:
        rng = self.state.rng
        network = self.state.world.network
        browser = rng.random(n) < self.browser_share
        return np.array([network.new_client(rng, browser=bool(b)) for b in browser], dtype=np.int64)


CLIENTS: dict[str, Callable[..., ClientPool]] = {
    "shared": SharedPool,
    "spoofed": SpoofedInstalls,
    "rotating": RotatingPool,
}
"""The client behaviour of each ``clients.kind``."""


def _per_request(exits: Exits, codes: np.ndarray, home: np.ndarray, ts: np.ndarray) -> np.ndarray:
    return exits.proxies[exits.rng.integers(0, exits.proxies.size, size=ts.size)]


def _per_interval(exits: Exits, codes: np.ndarray, home: np.ndarray, ts: np.ndarray) -> np.ndarray:
    epoch = np.floor(ts / float(exits.config.rotate_every)).astype(np.uint64)
    mix = splitmix64((codes.astype(np.uint64) << np.uint64(20)) ^ epoch ^ np.uint64(exits.key))
    return exits.proxies[(mix % np.uint64(exits.proxies.size)).astype(np.int64)]


def _sticky(exits: Exits, codes: np.ndarray, home: np.ndarray, ts: np.ndarray) -> np.ndarray:
    return home


ROTATIONS: dict[str, Callable[[Exits, np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "request": _per_request,
    "interval": _per_interval,
    "account": _sticky,
}
"""Exit address per request, by ``rotation``: ``(exits, account codes, home exits, times) → IP codes``."""


@dataclass
class Exits:
    """A campaign's proxy pool, cards and clients, and how requests use them."""

    config: Infrastructure
    rng: np.random.Generator
    proxies: np.ndarray
    """IP codes of the exit addresses."""
    cards: np.ndarray
    clients: ClientPool
    key: int
    """Per-campaign constant mixed into interval rotation."""

    @classmethod
    def build(cls, state: CampaignState) -> Exits:
        cfg: Infrastructure = state.spec.infrastructure
        rng = state.rng
        proxies = allocate_exits(state, max(1, int(cfg.proxy_pool)), cfg.proxy_subnets)
        clients = behaviour(CLIENTS, cfg.clients, state)
        return cls(
            cfg,
            rng,
            rng.permutation(proxies),
            payment_fingerprints(rng, cfg.payment_instruments),
            clients,
            int(rng.integers(0, 1 << 62)),
        )

    def assign(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(home exit, client, card) for ``n`` new accounts."""
        rng = self.rng
        home = self.proxies[rng.integers(0, self.proxies.size, size=n)]
        card = self.cards[rng.integers(0, self.cards.size, size=n)]
        return home, self.clients.assign(n), card

    def fresh_identity(self, state: CampaignState, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(exit, client, card) never seen before: a new exit address, a new client
        install and a new card for each of ``n`` accounts (after a ban). The exit is
        the account's own only with ``rotation: account``; rotating accounts draw
        their exits from the pool whatever their identity."""
        rng = self.rng
        home = allocate_exits(state, n, None)
        client = np.array([state.world.network.new_client(rng) for _ in range(n)], dtype=np.int64)
        return home, client, payment_fingerprints(rng, n)

    def exits(self, codes: np.ndarray, home: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Exit address per request of accounts ``codes`` (home exits ``home``) at ``ts``."""
        return ROTATIONS[self.config.rotation](self, codes, home, ts)

    def request_clients(self, client: np.ndarray) -> np.ndarray:
        """Client per request of accounts whose own client is ``client``."""
        return self.clients.per_request(client)
