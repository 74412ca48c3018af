"""Closed-loop adaptation: how a campaign reacts to bans, throttles and challenges.

The gateway announces every enforcement to the actor owning the accounts
(:class:`~simulator.gateway.Enforcement`); a campaign reacts as its scenario says:

* **on ban** (``kind``): ``replace`` each banned account, at once or after a
  ``delay``, from the dormant reserve first and then by new sign-ups whose
  exit, client and card come from the campaign's pools, are ``fresh`` (never
  seen) or ``matching`` (the banned account's own: cheap, and linkable); or
  ``none``: the pool shrinks.
* **on throttle** (``kind``): ``ignore`` (keep sending, take the 429s);
  ``slow_down`` the throttled accounts by a factor until the throttle ends
  plus a cool-off; ``spread`` the lost capacity over new accounts.
* **on challenge** (``kind``): ``solve`` it after a delay at a cost (CAPTCHA
  farms, borrowed identities), or ``abandon`` the account, replacing it as a
  banned one.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
banned accounts replaced immediately by the proxy networks; DESIGN.md
(adaptation: slowing down on throttling).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulator.scenario.base import StrictModel
from simulator.units import Duration

__all__ = [
    "AbandonChallenge",
    "Adaptation",
    "IgnoreThrottle",
    "KeepBanned",
    "OnBan",
    "OnChallenge",
    "OnThrottle",
    "ReplaceBanned",
    "SlowDown",
    "SolveChallenge",
    "SpreadWider",
]


class ReplaceBanned(StrictModel):
    """Replace every banned account."""

    kind: Literal["replace"] = Field(description="Replace banned accounts.")
    delay: Duration = Field(default=0.0, description="Time from a ban to the replacement, e.g. '0s' or '6h'.")
    identity: Literal["pool", "fresh", "matching"] = Field(
        default="pool",
        description="Exit, client and card of new sign-ups: from the campaign's pools ('pool'), never seen "
        "before ('fresh'), or the banned account's own ('matching').",
    )


class KeepBanned(StrictModel):
    """Do not replace banned accounts: the pool shrinks."""

    kind: Literal["none"] = Field(description="No replacement.")


OnBan = Annotated[ReplaceBanned | KeepBanned, Field(discriminator="kind")]


class IgnoreThrottle(StrictModel):
    """Keep the planned rate; a throttled account gets 429s above its new limit."""

    kind: Literal["ignore"] = Field(description="Ignore throttles.")


class SlowDown(StrictModel):
    """Scale a throttled account's rate down until the throttle ends plus ``cool_off``."""

    kind: Literal["slow_down"] = Field(description="Slow throttled accounts down.")
    factor: float | None = Field(
        default=None, gt=0, le=1, description="Rate multiplier while throttled (default: the throttle's own factor)."
    )
    cool_off: Duration = Field(default=3600.0, description="How long after the throttle ends the slow-down lasts.")


class SpreadWider(StrictModel):
    """Keep throughput by enlisting new accounts for the throttled capacity."""

    kind: Literal["spread"] = Field(description="Spread the load over more accounts.")
    extra: float = Field(
        default=1.0, ge=0, description="New accounts per throttled account, times the capacity lost (1 − factor)."
    )
    max_growth: float = Field(
        default=0.5, ge=0, description="At most this share of 'accounts' is added in all by spreading."
    )


OnThrottle = Annotated[IgnoreThrottle | SlowDown | SpreadWider, Field(discriminator="kind")]


class SolveChallenge(StrictModel):
    """Pass challenges after a delay, paying for each (budget category 'challenges')."""

    kind: Literal["solve"] = Field(description="Solve challenges.")
    delay: Duration = Field(default=900.0, description="Time to pass a challenge, e.g. '15m'.")
    cost: float = Field(default=0.5, ge=0, description="USD per challenge passed.")


class AbandonChallenge(StrictModel):
    """Drop a challenged account; replace it as the 'on_ban' policy says."""

    kind: Literal["abandon"] = Field(description="Abandon challenged accounts.")
    replace: bool = Field(default=True, description="Whether abandoned accounts are replaced.")


OnChallenge = Annotated[SolveChallenge | AbandonChallenge, Field(discriminator="kind")]


class Adaptation(StrictModel):
    """The campaign's reactions to enforcement."""

    on_ban: OnBan = Field(default_factory=lambda: ReplaceBanned(kind="replace"), description="Reaction to bans.")
    on_throttle: OnThrottle = Field(
        default_factory=lambda: SlowDown(kind="slow_down"), description="Reaction to throttles."
    )
    on_challenge: OnChallenge = Field(
        default_factory=lambda: SolveChallenge(kind="solve"), description="Reaction to challenges."
    )
