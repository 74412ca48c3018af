"""Infrastructure tactics: proxies, exit rotation, client fingerprints and payment.

* **proxies**: exit addresses in residential, mobile or datacentre networks
  (weights over the three), optionally packed into a few /24 subnets; the pool
  spans many autonomous systems, so that rotating over it rotates ASNs too.
* **geography** (``kind``): where the exits are. ``declared`` (default):
  residential and mobile proxy services sell exits by country, so each
  account's exits lie in the country it declared, except for a share
  ``abroad`` of accounts (and ``abroad_requests`` of requests) exiting
  elsewhere; datacentre proxies exit from cloud regions (``cloud_regions``: the
  declared country if it is one, else a region drawn by weight). ``fixed``:
  exits in chosen ``countries`` whatever the accounts claim (what
  ``proxy_countries`` says, which is kept as its shorthand).
* **rotation**: a new exit per request, per account every ``rotate_every``, or
  one sticky exit per account; rotation stays within the account's proxy kind
  and exit country.
* **clients** (``kind``): a few client installs ``shared`` by every account (one
  TLS/HTTP fingerprint across hundreds of accounts); ``spoofed``: every account
  presents its own install of a common SDK or browser, as customers do;
  ``rotating``: a pool of fingerprints drawn afresh for every request.
* **payment**: a few cards shared by all accounts.

Declared country (acquisition), exit country (here) and active hours (the load
rhythm) can disagree: that mismatch is itself a signal detectors use, which a
scenario chooses with ``geography: {kind: fixed}`` or ``abroad`` (and declares,
``signals: [geography]``).

Sources: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
traffic through proxy networks, shared payment methods, and IP and request
metadata correlations across accounts. Residential and mobile proxy services
sell country-level (and finer) geo-targeting of their exits; datacentre
addresses are those of cloud providers, whose regions are in a few countries.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from simulator.scenario.base import CountryWeights, StrictModel
from simulator.units import Count, Duration

__all__ = [
    "CLOUD_REGIONS",
    "Clients",
    "DeclaredExits",
    "ExitGeography",
    "FixedExits",
    "Infrastructure",
    "RotatingClients",
    "SharedClients",
    "SpoofedClients",
]

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


CLOUD_REGIONS: dict[str, float] = {
    "US": 0.40,
    "DE": 0.12,
    "GB": 0.08,
    "NL": 0.08,
    "JP": 0.08,
    "SG": 0.08,
    "IN": 0.06,
    "AU": 0.05,
    "CA": 0.05,
}
"""Countries with major cloud regions (AWS, Google Cloud, Azure all run regions in each),
weighted roughly by their number of regions; US-heavy."""


class DeclaredExits(StrictModel):
    """Exits in each account's declared country, as proxy services sell them by country."""

    kind: Literal["declared"] = Field(description="Exits in the declared country (cloud regions for datacentres).")
    abroad: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Share of accounts whose exits lie in another country (a proxy plan for another market, "
        "a mis-geolocated range).",
    )
    abroad_requests: float = Field(
        default=0.0, ge=0, le=1, description="Share of every account's requests leaving from another country."
    )
    cloud_regions: CountryWeights = Field(
        default_factory=lambda: dict(CLOUD_REGIONS),
        description="Countries datacentre exits are in, with weights: an account declared in one of them exits "
        "there, the others from a region drawn by weight.",
    )


class FixedExits(StrictModel):
    """Exits in chosen countries, whatever the accounts claim."""

    kind: Literal["fixed"] = Field(description="Exits in the given countries, independent of the declaration.")
    countries: CountryWeights = Field(description="Weights over exit countries, e.g. {US: 0.4, SG: 0.6}.")


ExitGeography = Annotated[DeclaredExits | FixedExits, Field(discriminator="kind")]
"""Where the proxy exits are, chosen by ``kind``."""


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
        default=None,
        description="Weights over exit countries whatever the accounts declare: shorthand for "
        "geography: {kind: fixed, countries: ...} (default: none, exits follow 'geography').",
    )
    geography: ExitGeography = Field(
        default_factory=lambda: DeclaredExits(kind="declared"),
        description="Where exits are: in each account's declared country ('declared', default) or in fixed "
        "countries ('fixed').",
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

    @model_validator(mode="before")
    @classmethod
    def _proxy_countries_are_fixed_exits(cls, data: object) -> object:
        """``proxy_countries: W`` means ``geography: {kind: fixed, countries: W}``."""
        if isinstance(data, dict) and data.get("proxy_countries") is not None:
            fixed = {"kind": "fixed", "countries": data["proxy_countries"]}
            given = data.get("geography")
            if given is None:
                return {**data, "geography": fixed}
            as_dict = given.model_dump() if isinstance(given, StrictModel) else given
            if as_dict != fixed:
                raise ValueError("either proxy_countries or a geography, got both")
        return data

    def scaled(self, factor: float) -> Infrastructure:
        """Pools multiplied by ``factor`` (never below one)."""
        update: dict[str, object] = {
            "proxy_pool": max(1, round(self.proxy_pool * factor)),
            "payment_instruments": max(1, round(self.payment_instruments * factor)),
        }
        if isinstance(self.clients, SharedClients | RotatingClients):
            update["clients"] = self.clients.model_copy(update={"count": max(1, round(self.clients.count * factor))})
        return self.model_copy(update=update)
