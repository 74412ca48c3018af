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

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from simulator.scenario.base import CountryWeights, StrictModel
from simulator.units import Count, Duration

__all__ = ["Clients", "Infrastructure", "RotatingClients", "SharedClients", "SpoofedClients"]

ProxyKind = Literal["residential", "datacenter", "mobile"]


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
