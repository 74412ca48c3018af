"""Acquisition tactics: how a campaign gets its accounts and makes them worth using.

* **creation** (``kind: aged`` or ``kind: waves``): accounts bought or registered
  long before use, at log-uniform ages; or registered in sign-up waves (a burst
  of registrations every few days, each spread over a few hours).
* **sign-up pathways**, e-mail styles, claimed countries, verification and
  account ages: left unset (``null``), each is drawn like the scenario's
  customers' (the account-weighted mix of its population groups' settings, or
  of the reseller group's behind a reseller), so that a campaign on defaults is
  not told apart by one registry column. Scenarios that model the reported
  sign-ups through the weakest verification paths (education, research and
  start-up programmes, throwaway or edu e-mail) set them and declare
  ``signals: [signup, identity]``.
* **ageing and spend seeding**: accounts climb rate-limit tiers by age and
  cumulative spend; a campaign may hold accounts idle until they are old enough
  (``ageing``) and reach a ``target_tier`` before harvesting, paying the spend
  up front (``kind: prepaid``) or by benign warm-up traffic (``kind: warmup``).
* **reserve**: spare accounts registered with the pool and left dormant, so
  that banned accounts can be replaced at once by aged ones.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
fraudulent accounts created through education, research and start-up
programmes, account waves, and accounts aged to pass rate-limit tiers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulator.scenario.base import AgeRange, CountryWeights, EmailStyleWeights, LogNormal, PathwayWeights, StrictModel
from simulator.units import DAY, Duration, Rate, SignedDuration

__all__ = [
    "AccountCreation",
    "AccountWaves",
    "Acquisition",
    "AgedAccounts",
    "NoSeeding",
    "PrepaidSeeding",
    "Seeding",
    "WarmupSeeding",
]


class AgedAccounts(StrictModel):
    """Accounts that exist long before the campaign uses them (bought or farmed)."""

    kind: Literal["aged"] = Field(description="Accounts created at log-uniform ages before the campaign starts.")
    age: AgeRange | None = Field(
        default=None,
        description="Age of each account when the campaign starts, drawn log-uniformly between min and max "
        "(default: like the customers' ages, an account-weighted mix of their groups' ranges).",
    )


class AccountWaves(StrictModel):
    """Accounts registered in bursts: ``waves`` sign-up waves, ``every`` apart."""

    kind: Literal["waves"] = Field(description="Accounts registered in sign-up waves.")
    waves: int = Field(default=3, ge=1, description="Number of sign-up waves; accounts are split evenly among them.")
    first: SignedDuration = Field(
        default=-14 * DAY,
        description="When the first wave signs up, relative to the campaign start ('-14d': two weeks before).",
    )
    every: Duration = Field(default=7 * DAY, description="Time between the starts of two waves, e.g. '7d'.")
    spread: Duration = Field(default=7200.0, description="How long one wave's sign-ups take (uniformly), e.g. '2h'.")


AccountCreation = Annotated[AgedAccounts | AccountWaves, Field(discriminator="kind")]
"""How accounts come to exist, chosen by ``kind``."""


class NoSeeding(StrictModel):
    """No spend before harvesting: accounts harvest in whatever tier they are."""

    kind: Literal["none"] = Field(description="No spend seeding.")


class PrepaidSeeding(StrictModel):
    """Credit bought at sign-up counts as spend, so an account starts in a higher tier
    once old enough (the cost is charged to the campaign's budget)."""

    kind: Literal["prepaid"] = Field(description="Spend prepaid at sign-up.")
    spend: float | None = Field(
        default=None, ge=0, description="USD prepaid per account (default: the target tier's minimum spend)."
    )


class WarmupSeeding(StrictModel):
    """Accounts send benign-looking warm-up traffic (the campaign's filler prompts,
    with long answers) until their spend reaches the target, then harvest."""

    kind: Literal["warmup"] = Field(description="Spend seeded by warm-up traffic.")
    spend: float | None = Field(
        default=None, ge=0, description="USD each account spends on warm-up (default: the target tier's minimum)."
    )
    requests_per_account: Rate = Field(
        default=400 / DAY, gt=0, description="Warm-up requests per account while seeding, e.g. '400/day'."
    )
    output_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=1500, sigma=0.6, min=50, max=16_000),
        description="Output tokens of warm-up requests (long answers spend faster).",
    )


Seeding = Annotated[NoSeeding | PrepaidSeeding | WarmupSeeding, Field(discriminator="kind")]
"""How accounts reach their spend requirement, chosen by ``kind``."""


class Acquisition(StrictModel):
    """How the campaign's accounts are obtained and readied."""

    creation: AccountCreation = Field(
        default_factory=lambda: AgedAccounts(kind="aged"),
        description="When the accounts are created: aged before the campaign, or in sign-up waves.",
    )
    reserve: float = Field(
        default=0.0,
        ge=0,
        le=5,
        description="Spare accounts, as a share of 'accounts', created with the pool and kept dormant to replace "
        "banned ones at once.",
    )
    signup_pathways: PathwayWeights | None = Field(
        default=None,
        description="Weights over sign-up pathways (default: like the customers'; the reported campaigns used "
        "education, research and startup programmes). Ignored behind a reseller, whose own sign-up path is used.",
    )
    email_styles: EmailStyleWeights | None = Field(
        default=None, description="Weights over e-mail styles of the identities (default: like the customers')."
    )
    declared_countries: CountryWeights | None = Field(
        default=None,
        description="Weights over the countries the accounts claim (default: like the customers'; compare the "
        "proxies' exit countries and the load rhythm's active hours).",
    )
    verified_share: float | None = Field(
        default=None, ge=0, le=1, description="Share of accounts passing verification (default: like the customers')."
    )
    org_size: int = Field(
        default=1, ge=1, description="Accounts per organisation the campaign registers (1: personal accounts)."
    )
    ageing: Duration = Field(
        default=0.0, description="Minimum account age before it harvests, e.g. '7d' (idle until then)."
    )
    target_tier: str | None = Field(
        default=None,
        description="Harvest only once an account has reached this rate-limit tier (by age and spend); "
        "default: harvest in any tier.",
    )
    seeding: Seeding = Field(
        default_factory=lambda: NoSeeding(kind="none"),
        description="How accounts reach the target tier's spend: none, prepaid or warm-up traffic.",
    )
