"""Infrastructure tactics: proxies, exit rotation, client fingerprints and payment.

* **proxies**: exit addresses in residential, mobile or datacentre networks
  (weights over the three), optionally packed into a few /24 subnets and
  located in chosen countries; the pool spans many autonomous systems, so that
  rotating over it rotates ASNs too.
* **rotation**: a new exit per request, per account every ``rotate_every``, or
  one sticky exit per account.
* **clients** (``kind``): a few client installs ``shared`` by every account (one
  TLS/HTTP fingerprint across hundreds of accounts); ``spoofed``: every account
  presents its own install of a common SDK or browser, as customers do;
  ``rotating``: a pool of fingerprints drawn afresh for every request.
* **payment**: a few cards shared by all accounts.

Declared country (acquisition), exit country (here) and active hours (the load
rhythm) can disagree: that mismatch is itself a signal detectors use.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
traffic through proxy networks, shared payment methods, and IP and request
metadata correlations across accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, Field

from simulator.config import CountryWeights, StrictModel, normalised
from simulator.geography import country_codes
from simulator.hashing import splitmix64
from simulator.identity import payment_fingerprints
from simulator.network import AsnKind
from simulator.units import Count, Duration

if TYPE_CHECKING:
    from simulator.campaign.engine import CampaignActor

__all__ = ["Clients", "Exits", "Infrastructure", "RotatingClients", "SharedClients", "SpoofedClients"]

ProxyKind = Literal["residential", "datacenter", "mobile"]
_ASN_KIND = {"residential": AsnKind.RESIDENTIAL, "datacenter": AsnKind.DATACENTER, "mobile": AsnKind.MOBILE}


def _kind_weights(value: object) -> object:
    return {value: 1.0} if isinstance(value, str) else value


ProxyWeights = Annotated[
    dict[ProxyKind, Annotated[float, Field(ge=0)]],
    BeforeValidator(_kind_weights, json_schema_input_type=ProxyKind | dict[ProxyKind, Annotated[float, Field(ge=0)]]),
]


class SharedClients(StrictModel):
    """A few client installs shared across the pool: each account sticks to one."""

    kind: Literal["shared"] = Field(description="Client fingerprints shared across accounts.")
    count: int = Field(default=20, ge=1, description="Number of distinct client installs in the pool.")


class SpoofedClients(StrictModel):
    """Every account presents its own install of a common client, like a customer."""

    kind: Literal["spoofed"] = Field(description="A distinct, common-looking client per account.")
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts posing as a browser.")


class RotatingClients(StrictModel):
    """Fingerprint randomisation: every request draws a client from a pool."""

    kind: Literal["rotating"] = Field(description="A client drawn from a pool for every request.")
    count: int = Field(default=200, ge=1, description="Number of client fingerprints in the pool.")


Clients = Annotated[SharedClients | SpoofedClients | RotatingClients, Field(discriminator="kind")]
"""How client fingerprints are used, chosen by ``kind``."""


class Infrastructure(StrictModel):
    """Proxies, client fingerprints and payment instruments behind the accounts."""

    proxies: ProxyWeights = Field(
        default_factory=lambda: {"residential": 1.0},
        description="Kind of proxy network (residential, datacenter, mobile), or weights over kinds.",
    )
    proxy_pool: Count = Field(default=5000, description="Number of proxy exit addresses available.")
    proxy_subnets: int | None = Field(
        default=None, ge=1, description="Pack the exit addresses into this many /24 networks (default: spread out)."
    )
    proxy_countries: CountryWeights | None = Field(
        default=None, description="Weights over exit countries (default: anywhere)."
    )
    rotation: Literal["request", "interval", "account"] = Field(
        default="request",
        description="How often an account changes exit address: every request, every 'rotate_every', or never.",
    )
    rotate_every: Duration = Field(default=1800.0, gt=0, description="Exit lifetime with rotation 'interval'.")
    clients: Clients = Field(
        default_factory=lambda: SharedClients(kind="shared"), description="How client fingerprints are used."
    )
    payment_instruments: int = Field(default=50, ge=1, description="Payment cards shared by all accounts.")

    def scaled(self, factor: float) -> Infrastructure:
        """Pools multiplied by ``factor`` (never below one)."""
        update: dict[str, object] = {
            "proxy_pool": max(1, round(self.proxy_pool * factor)),
            "payment_instruments": max(1, round(self.payment_instruments * factor)),
        }
        if isinstance(self.clients, SharedClients | RotatingClients):
            update["clients"] = self.clients.model_copy(update={"count": max(1, round(self.clients.count * factor))})
        return self.model_copy(update=update)


def allocate_exits(actor: CampaignActor, n: int, subnets: int | None) -> np.ndarray:
    """IP codes of ``n`` new exit addresses, split over proxy kinds and exit countries
    by their weights; ``subnets`` /24 networks in all (shared out the same way)."""
    cfg: Infrastructure = actor.config.infrastructure
    kinds = sorted(cfg.proxies)
    kind_p = np.array([cfg.proxies[name] for name in kinds], dtype=np.float64)
    if cfg.proxy_countries:
        country_p = normalised(cfg.proxy_countries, country_codes())
        countries: list[np.ndarray | None] = [np.array([c]) for c in np.flatnonzero(country_p > 0)]
        country_p = country_p[country_p > 0]
    else:
        countries, country_p = [None], np.ones(1)
    p = np.outer(kind_p / kind_p.sum(), country_p / country_p.sum()).ravel()
    sizes = actor.rng.multinomial(n, p)
    parts = [np.empty(0, dtype=np.int64)]
    for cell in np.flatnonzero(sizes).tolist():
        kind, where = kinds[cell // len(countries)], countries[cell % len(countries)]
        packed = None if subnets is None else max(1, round(subnets * p[cell]))
        parts.append(actor.ctx.network.allocate(actor.rng, int(sizes[cell]), _ASN_KIND[kind], where, packed))
    return np.concatenate(parts)


@dataclass
class Exits:
    """A campaign's proxy pool, cards and client pool, and how requests use them."""

    config: Infrastructure
    proxies: np.ndarray
    """IP codes of the exit addresses."""
    cards: np.ndarray
    clients: np.ndarray
    """Client codes of the shared or rotating pool (empty for spoofed clients)."""
    key: int
    """Per-campaign constant mixed into interval rotation."""

    @classmethod
    def build(cls, actor: CampaignActor) -> Exits:
        cfg: Infrastructure = actor.config.infrastructure
        rng = actor.rng
        network = actor.ctx.network
        proxies = allocate_exits(actor, max(1, int(cfg.proxy_pool)), cfg.proxy_subnets)
        clients = np.empty(0, dtype=np.int64)
        if isinstance(cfg.clients, SharedClients | RotatingClients):
            clients = np.array([network.new_client(rng) for _ in range(cfg.clients.count)], dtype=np.int64)
        return cls(
            cfg,
            rng.permutation(proxies),
            payment_fingerprints(rng, cfg.payment_instruments),
            clients,
            int(rng.integers(0, 1 << 62)),
        )

    def assign(self, actor: CampaignActor, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(home exit, client, card) for ``n`` new accounts."""
        rng = actor.rng
        home = self.proxies[rng.integers(0, self.proxies.size, size=n)]
        card = self.cards[rng.integers(0, self.cards.size, size=n)]
        if isinstance(self.config.clients, SpoofedClients):
            browser = rng.random(n) < self.config.clients.browser_share
            client = np.array([actor.ctx.network.new_client(rng, browser=bool(b)) for b in browser], dtype=np.int64)
        else:
            client = self.clients[rng.integers(0, self.clients.size, size=n)]
        return home, client, card

    def fresh_identity(self, actor: CampaignActor, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(exit, client, card) never seen before: a new exit address, a new client
        install and a new card for each of ``n`` accounts (after a ban). The exit is
        the account's own only with ``rotation: account``; rotating accounts draw
        their exits from the pool whatever their identity."""
        rng = actor.rng
        home = allocate_exits(actor, n, None)
        client = np.array([actor.ctx.network.new_client(rng) for _ in range(n)], dtype=np.int64)
        return home, client, payment_fingerprints(rng, n)

    def exits(self, rng: np.random.Generator, codes: np.ndarray, home: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Exit address per request of accounts ``codes`` (home exits ``home``) at ``ts``."""
        rotation = self.config.rotation
        if rotation == "request":
            return self.proxies[rng.integers(0, self.proxies.size, size=ts.size)]
        if rotation == "interval":
            epoch = np.floor(ts / float(self.config.rotate_every)).astype(np.uint64)
            mix = splitmix64((codes.astype(np.uint64) << np.uint64(20)) ^ epoch ^ np.uint64(self.key))
            return self.proxies[(mix % np.uint64(self.proxies.size)).astype(np.int64)]
        return home

    def request_clients(self, rng: np.random.Generator, client: np.ndarray) -> np.ndarray:
        """Client per request of accounts whose own client is ``client``."""
        if isinstance(self.config.clients, RotatingClients):
            return self.clients[rng.integers(0, self.clients.size, size=client.size)]
        return client
