"""Infrastructure tactics at work: a campaign's proxy exits, client fingerprints and cards.

The specs are in :mod:`simulator.scenario.campaign.infrastructure`.
:class:`Exits` holds the campaign's pools and decides, for each new account, its
:class:`Identity` (proxy kind and exit country, home exit, client, card) and,
per request, which exit address and client it leaves with. Three families vary
by ``kind``, each through its own table:

* geography (:data:`GEOGRAPHIES`): how the pool is split over (proxy kind,
  country) cells and which cell each account exits from: its ``declared``
  country (cloud regions for datacentres), or ``fixed`` countries;
* clients (:data:`CLIENTS`): ``shared`` installs, a ``spoofed`` install per
  account, or a ``rotating`` pool drawn per request;
* rotation (:data:`ROTATIONS`): a new exit per ``request``, per account every
  ``interval``, or one sticky exit per ``account``; always within the account's cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simulator.campaign.state import CampaignState
from simulator.campaign.tactic import behaviour
from simulator.geography import country_codes
from simulator.hashing import splitmix64
from simulator.identity import payment_fingerprints
from simulator.network import AsnKind
from simulator.scenario.base import normalised
from simulator.scenario.campaign.infrastructure import (
    DeclaredExits,
    FixedExits,
    Infrastructure,
    RotatingClients,
    SharedClients,
    SpoofedClients,
)

__all__ = [
    "CLIENTS",
    "GEOGRAPHIES",
    "ROTATIONS",
    "ClientPool",
    "DeclaredGeography",
    "Egress",
    "Exits",
    "FixedGeography",
    "Geography",
    "Identity",
    "RotatingPool",
    "SharedPool",
    "SpoofedInstalls",
]

_ASN_KIND = {"residential": AsnKind.RESIDENTIAL, "datacenter": AsnKind.DATACENTER, "mobile": AsnKind.MOBILE}


def draw_countries(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """``n`` country codes drawn from probabilities ``p`` over :func:`country_codes`."""
    return rng.choice(p.size, size=n, p=p).astype(np.int64)


def draw_elsewhere(rng: np.random.Generator, p: np.ndarray, own: np.ndarray) -> np.ndarray:
    """One country per entry of ``own``, drawn from ``p`` without ``own`` (renormalised),
    or uniformly among the other countries where ``p`` has nothing else."""
    weights = np.broadcast_to(p, (own.size, p.size)).copy()
    weights[np.arange(own.size), own] = 0.0
    empty = weights.sum(axis=1) <= 0
    weights[empty] = 1.0
    weights[empty, own[empty]] = 0.0
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(own.size) * cdf[:, -1]
    return np.minimum((cdf <= u[:, None]).sum(axis=1), p.size - 1).astype(np.int64)


class Geography:
    """Where a campaign's exits are (see the module docstring)."""

    abroad_requests: float = 0.0
    """Share of requests leaving from another country than the account's exits."""

    def pool(self, kind: str) -> np.ndarray:
        """Weights over countries of the pool's exits of proxy ``kind``."""
        raise NotImplementedError

    def exit_countries(self, rng: np.random.Generator, kind: str, declared: np.ndarray) -> np.ndarray:
        """The exit country of each new account of proxy ``kind`` declared in ``declared``."""
        raise NotImplementedError


class DeclaredGeography(Geography):
    """Exits in each account's declared country: residential and mobile proxies sell
    exits in every country; datacentre exits are in cloud regions (the declared
    country if it is one, else a region drawn by weight). A share ``abroad`` of
    accounts exits from another country, drawn like the pool's."""

    def __init__(self, spec: DeclaredExits, state: CampaignState) -> None:
        codes = country_codes()
        self.spec = spec
        self.abroad_requests = spec.abroad_requests
        declared = state.spec.acquisition.declared_countries or {}
        self.declared = normalised(declared, codes) if declared else np.full(len(codes), 1.0 / len(codes))
        self.cloud = normalised(spec.cloud_regions, codes)
        self.in_cloud = self.cloud > 0

    def pool(self, kind: str) -> np.ndarray:
        """Residential, mobile: the declared countries' weights ``d``; datacentre:
        ``d(c)·[c a region] + r(c)·Σ_{c' not a region} d(c')`` with ``r`` the region weights."""
        if kind != "datacenter":
            return self.declared
        return self.declared * self.in_cloud + self.cloud * self.declared[~self.in_cloud].sum()

    def exit_countries(self, rng: np.random.Generator, kind: str, declared: np.ndarray) -> np.ndarray:
        country = np.asarray(declared, dtype=np.int64).copy()
        if kind == "datacenter":
            away = ~self.in_cloud[country]
            country[away] = draw_countries(rng, self.cloud, int(away.sum()))
        abroad = rng.random(country.size) < self.spec.abroad
        country[abroad] = draw_elsewhere(rng, self.pool(kind), country[abroad])
        return country


class FixedGeography(Geography):
    """Exits in the given countries, whatever the accounts declare."""

    def __init__(self, spec: FixedExits, state: CampaignState) -> None:
        self.countries = normalised(spec.countries, country_codes())

    def pool(self, kind: str) -> np.ndarray:
        return self.countries

    def exit_countries(self, rng: np.random.Generator, kind: str, declared: np.ndarray) -> np.ndarray:
        return draw_countries(rng, self.countries, np.size(declared))


GEOGRAPHIES: dict[str, Callable[..., Geography]] = {"declared": DeclaredGeography, "fixed": FixedGeography}
"""The exit geography of each ``geography.kind``."""


@dataclass(frozen=True)
class Identity:
    """What new accounts send from and pay with, one entry per account."""

    cell: np.ndarray
    """The account's (proxy kind, exit country) cell of the pool (−1: not the campaign's proxies)."""
    ip0: np.ndarray
    ip1: np.ndarray
    """Home and second exit (a campaign's own proxies: the same)."""
    client0: np.ndarray
    client1: np.ndarray
    card: np.ndarray
    """Payment fingerprint."""


class Egress(Protocol):
    """What a campaign's accounts send from, run on and pay with: its own
    infrastructure (:class:`Exits`), or a reseller's
    (:class:`~simulator.campaign.access.ResellerEgress`)."""

    @property
    def pool_size(self) -> int:
        """Exit addresses the campaign pays for (USD ``per_proxy_ip`` a day each)."""

    def assign(self, declared: np.ndarray, orgs: np.ndarray) -> Identity:
        """The identity of new accounts declared in ``declared`` in organisations ``orgs``."""

    def fresh(self, declared: np.ndarray, orgs: np.ndarray) -> Identity:
        """An identity never seen before, as far as the infrastructure allows."""

    def ips(
        self,
        codes: np.ndarray,
        ip0: np.ndarray,
        ip1: np.ndarray,
        cell: np.ndarray,
        ts: np.ndarray,
        conversation: np.ndarray,
    ) -> np.ndarray:
        """Exit address per request."""

    def request_clients(self, client0: np.ndarray, client1: np.ndarray, conversation: np.ndarray) -> np.ndarray:
        """Client per request."""


class ClientPool:
    """How a campaign's accounts present client fingerprints: which client each new
    account gets (:meth:`assign`) and which one each request shows (:meth:`per_request`)."""

    def __init__(self, state: CampaignState, pool_size: int) -> None:
        network = state.world.network
        self.state = state
        self.pool = network.new_clients(state.rng, np.zeros(pool_size, dtype=bool))

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
        return network.new_clients(rng, browser)


CLIENTS: dict[str, Callable[..., ClientPool]] = {
    "shared": SharedPool,
    "spoofed": SpoofedInstalls,
    "rotating": RotatingPool,
}
"""The client behaviour of each ``clients.kind``."""


def _per_request(exits: Exits, codes: np.ndarray, home: np.ndarray, cell: np.ndarray, ts: np.ndarray) -> np.ndarray:
    cell = exits.elsewhere(cell)
    pick = np.floor(exits.rng.random(ts.size) * exits.cell_size[cell]).astype(np.int64)
    return exits.proxies[exits.cell_start[cell] + pick]


def _per_interval(exits: Exits, codes: np.ndarray, home: np.ndarray, cell: np.ndarray, ts: np.ndarray) -> np.ndarray:
    cell = exits.elsewhere(cell)
    epoch = np.floor(ts / float(exits.config.rotate_every)).astype(np.uint64)
    mix = splitmix64((codes.astype(np.uint64) << np.uint64(20)) ^ epoch ^ np.uint64(exits.key))
    pick = (mix % exits.cell_size[cell].astype(np.uint64)).astype(np.int64)
    return exits.proxies[exits.cell_start[cell] + pick]


def _sticky(exits: Exits, codes: np.ndarray, home: np.ndarray, cell: np.ndarray, ts: np.ndarray) -> np.ndarray:
    moved = exits.elsewhere(cell)
    away = np.flatnonzero(moved != cell)
    if away.size == 0:
        return home
    out = home.copy()
    pick = np.floor(exits.rng.random(away.size) * exits.cell_size[moved[away]]).astype(np.int64)
    out[away] = exits.proxies[exits.cell_start[moved[away]] + pick]
    return out


ROTATIONS: dict[str, Callable[[Exits, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "request": _per_request,
    "interval": _per_interval,
    "account": _sticky,
}
"""Exit address per request, by ``rotation``: ``(exits, account codes, home exits, cells, times) → IP codes``,
within each account's cell (another cell of its kind for ``abroad_requests`` of requests)."""


def _largest_remainder(total: int, p: np.ndarray) -> np.ndarray:
    """Whole sizes adding up to ``total`` in proportion to ``p`` (Hamilton's method)."""
    exact = total * p / p.sum()
    sizes = np.floor(exact).astype(np.int64)
    short = total - int(sizes.sum())
    if short > 0:
        sizes[np.argsort(-(exact - sizes), kind="stable")[:short]] += 1
    return sizes


@dataclass
class Exits:
    """A campaign's proxy pool, cards and clients, and how accounts and requests use them.

    The pool is split over cells, one per (proxy kind, country), in proportion to
    the kind's weight times the geography's country weights (largest remainders);
    ``proxies`` holds the addresses cell by cell."""

    config: Infrastructure
    rng: np.random.Generator
    state: CampaignState
    geography: Geography
    kinds: list[str]
    kind_p: np.ndarray
    proxies: np.ndarray
    """IP codes of the exit addresses, cell by cell."""
    cell_start: np.ndarray
    cell_size: np.ndarray
    """Per cell ``kind · countries + country``: its first row in ``proxies`` and its size."""
    cards: np.ndarray
    clients: ClientPool
    key: int
    """Per-campaign constant mixed into interval rotation."""

    @classmethod
    def build(cls, state: CampaignState) -> Exits:
        cfg: Infrastructure = state.spec.infrastructure
        rng = state.rng
        geography = behaviour(GEOGRAPHIES, cfg.geography, state)
        kinds = sorted(cfg.proxies)
        kind_p = np.array([cfg.proxies[name] for name in kinds], dtype=np.float64)
        kind_p /= kind_p.sum()
        p = np.concatenate([kind_p[k] * geography.pool(kind) for k, kind in enumerate(kinds)])
        sizes = _largest_remainder(max(1, int(cfg.proxy_pool)), p)
        n_countries = len(country_codes())
        parts = [np.empty(0, dtype=np.int64)]
        for cell in np.flatnonzero(sizes).tolist():
            kind, country = kinds[cell // n_countries], cell % n_countries
            packed = None if cfg.proxy_subnets is None else max(1, round(cfg.proxy_subnets * p[cell]))
            addresses = state.world.network.allocate(
                rng, int(sizes[cell]), _ASN_KIND[kind], np.array([country]), packed
            )
            parts.append(rng.permutation(addresses))
        clients = behaviour(CLIENTS, cfg.clients, state)
        return cls(
            cfg,
            rng,
            state,
            geography,
            kinds,
            kind_p,
            np.concatenate(parts),
            np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64),
            sizes,
            payment_fingerprints(rng, cfg.payment_instruments),
            clients,
            int(rng.integers(0, 1 << 62)),
        )

    @property
    def pool_size(self) -> int:
        """Exit addresses the campaign pays for."""
        return int(self.proxies.size)

    def cells(self, declared: np.ndarray) -> np.ndarray:
        """The cell of each new account declared in ``declared``: a proxy kind by the
        kinds' weights, an exit country by the geography; an empty cell is replaced by
        a cell of the same kind (else any) drawn by size."""
        rng = self.rng
        n_countries = len(country_codes())
        kind = rng.choice(len(self.kinds), size=np.size(declared), p=self.kind_p)
        cell = np.empty(kind.size, dtype=np.int64)
        for k, name in enumerate(self.kinds):
            rows = np.flatnonzero(kind == k)
            if rows.size:
                cell[rows] = k * n_countries + self.geography.exit_countries(rng, name, np.asarray(declared)[rows])
        empty = np.flatnonzero(self.cell_size[cell] == 0)
        if empty.size:
            cell[empty] = self._another(cell[empty])
        return cell

    def _another(self, cell: np.ndarray) -> np.ndarray:
        """A non-empty cell of the same proxy kind per entry (any kind if the kind has
        none), drawn by size; other than ``cell`` itself unless it is the only one."""
        n_countries = len(country_codes())
        out = cell.copy()
        for k in np.unique(cell // n_countries).tolist():
            rows = np.flatnonzero(cell // n_countries == k)
            sizes = np.zeros_like(self.cell_size)
            sizes[k * n_countries : (k + 1) * n_countries] = self.cell_size[k * n_countries : (k + 1) * n_countries]
            if sizes.sum() == 0:
                sizes = self.cell_size.copy()
            weights = np.broadcast_to(sizes.astype(np.float64), (rows.size, sizes.size)).copy()
            others = weights.copy()
            others[np.arange(rows.size), cell[rows]] = 0.0
            keep = others.sum(axis=1) > 0
            weights[keep] = others[keep]
            cdf = np.cumsum(weights, axis=1)
            u = self.rng.random(rows.size) * cdf[:, -1]
            out[rows] = np.minimum((cdf <= u[:, None]).sum(axis=1), sizes.size - 1)
        return out

    def elsewhere(self, cell: np.ndarray) -> np.ndarray:
        """Each request's cell: its account's, or another of its kind for ``abroad_requests`` of them."""
        share = self.geography.abroad_requests
        if share <= 0 or cell.size == 0:
            return cell
        away = np.flatnonzero(self.rng.random(cell.size) < share)
        if away.size == 0:
            return cell
        out = cell.copy()
        out[away] = self._another(cell[away])
        return out

    def _home(self, cell: np.ndarray) -> np.ndarray:
        pick = np.floor(self.rng.random(cell.size) * self.cell_size[cell]).astype(np.int64)
        return self.proxies[self.cell_start[cell] + pick]

    def assign(self, declared: np.ndarray, orgs: np.ndarray) -> Identity:
        """The identity of new accounts declared in ``declared`` from the pools: a cell,
        a home exit in it, a client and a card."""
        cell = self.cells(declared)
        home = self._home(cell)
        client = self.clients.assign(cell.size)
        card = self.cards[self.rng.integers(0, self.cards.size, size=cell.size)]
        return Identity(cell, home, home, client, client, card)

    def fresh(self, declared: np.ndarray, orgs: np.ndarray) -> Identity:
        """An identity never seen before for new accounts declared in ``declared`` (after
        a ban): a new exit address in the account's cell (its own only with
        ``rotation: account``; rotating accounts draw from the pool whatever their
        identity), a new client install and a new card."""
        rng = self.rng
        network = self.state.world.network
        cell = self.cells(declared)
        n_countries = len(country_codes())
        home = np.empty(cell.size, dtype=np.int64)
        for k, name in enumerate(self.kinds):
            rows = np.flatnonzero(cell // n_countries == k)
            if rows.size:
                home[rows] = network.allocate(rng, rows.size, _ASN_KIND[name], cell[rows] % n_countries)
        client = network.new_clients(rng, np.zeros(cell.size, dtype=bool))
        return Identity(cell, home, home, client, client, payment_fingerprints(rng, cell.size))

    def ips(
        self,
        codes: np.ndarray,
        ip0: np.ndarray,
        ip1: np.ndarray,
        cell: np.ndarray,
        ts: np.ndarray,
        conversation: np.ndarray,
    ) -> np.ndarray:
        """Exit address per request of accounts ``codes`` (home exits ``ip0``, cells ``cell``) at ``ts``."""
        return ROTATIONS[self.config.rotation](self, codes, ip0, cell, ts)

    def request_clients(self, client0: np.ndarray, client1: np.ndarray, conversation: np.ndarray) -> np.ndarray:
        """Client per request of accounts whose own clients are ``client0``, ``client1``."""
        return self.clients.per_request(client0)
