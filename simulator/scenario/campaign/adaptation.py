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
* **on verify** (``kind``), a step-up identity verification
  (:mod:`simulator.bench.defences`): ``buy`` a verified identity (bought or
  farmed: passes at a ``success`` rate and a ``cost`` each, after the same delay
  a customer takes; a failure loses the account), or ``abandon`` the account.
* **on takedown** (``kind``), bans of accounts linked to a banned one: replace
  them as bans say (``same``), or sign every later replacement up with ``fresh``
  cards, exits and clients at an extra ``cost`` per account.
* **on audit** (``kind``), an audit that closed one of the campaign's
  organisations: ``stay`` on the same route, or move later sign-ups behind a
  ``reseller``; both say how much of the evidence an audit looks for the
  campaign ``conceal``s.
* **on watermark** (``kind``), what the campaign does with the outputs before
  training its student (invisible to the provider): ``none``, ``paraphrase``
  them (the watermark signal kept, the usefulness left, a price per million
  tokens) or ``filter`` out a share; with the ``student_share`` of the
  student's training data that comes from this provider.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
banned accounts replaced immediately by the proxy networks; DESIGN.md
(adaptation: slowing down on throttling). The reactions to defences follow the
same reports (verified identities bought or farmed, fresh payment and networks
after takedowns, access moved to resellers) and the watermarking literature
(Kirchenbauer et al. 2023 on paraphrase attacks; Sander et al. 2024 on
radioactivity and the student's data share).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulator.scenario.base import StrictModel
from simulator.units import Duration

__all__ = [
    "AbandonChallenge",
    "AbandonVerification",
    "Adaptation",
    "BuyIdentities",
    "FilterOutputs",
    "FreshAfterTakedown",
    "IgnoreThrottle",
    "KeepBanned",
    "MoveToReseller",
    "NoLaundering",
    "OnAudit",
    "OnBan",
    "OnChallenge",
    "OnTakedown",
    "OnThrottle",
    "OnVerify",
    "OnWatermark",
    "Paraphrase",
    "ReplaceBanned",
    "SameAfterTakedown",
    "SlowDown",
    "SolveChallenge",
    "SpreadWider",
    "StayAfterAudit",
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


class BuyIdentities(StrictModel):
    """Pass a step-up verification with a bought or farmed verified identity."""

    kind: Literal["buy"] = Field(description="Buy (or farm) verified identities.")
    success: float = Field(
        default=0.8, ge=0, le=1, description="Share of verifications an identity passes (the rest lose the account)."
    )
    cost: float = Field(default=30.0, ge=0, description="USD per identity tried (budget category 'verification').")


class AbandonVerification(StrictModel):
    """Drop an account asked to verify its identity; replace it as the 'on_ban' policy says."""

    kind: Literal["abandon"] = Field(description="Abandon accounts asked to verify.")
    replace: bool = Field(default=True, description="Whether abandoned accounts are replaced.")


OnVerify = Annotated[BuyIdentities | AbandonVerification, Field(discriminator="kind")]


class SameAfterTakedown(StrictModel):
    """Replace accounts lost in a takedown as any banned account ('on_ban')."""

    kind: Literal["same"] = Field(description="No change after a takedown.")


class FreshAfterTakedown(StrictModel):
    """After the first takedown, sign every replacement up with fresh cards, exits and clients."""

    kind: Literal["fresh"] = Field(description="Fresh cards and networks after a takedown.")
    cost: float = Field(
        default=5.0, ge=0, description="Extra USD per fresh identity (a new card, new exits; category 'accounts')."
    )


OnTakedown = Annotated[SameAfterTakedown | FreshAfterTakedown, Field(discriminator="kind")]


class StayAfterAudit(StrictModel):
    """Keep the same route after an audit closed an organisation."""

    kind: Literal["stay"] = Field(description="Stay on the same route.")
    conceal: float = Field(
        default=0.0, ge=0, le=1, description="Share of the evidence an audit looks for that the campaign hides."
    )


class MoveToReseller(StrictModel):
    """After an audit closed one of its organisations, sign later accounts up behind a reseller."""

    kind: Literal["reseller"] = Field(description="Move behind a reseller after an audit.")
    reseller: str = Field(description="Population group (kind: reseller) to move behind.")
    discount: float = Field(default=0.3, ge=0, lt=1, description="The reseller's discount on list token prices.")
    conceal: float = Field(
        default=0.0, ge=0, le=1, description="Share of the evidence an audit looks for that the campaign hides."
    )


OnAudit = Annotated[StayAfterAudit | MoveToReseller, Field(discriminator="kind")]


class NoLaundering(StrictModel):
    """Train the student on the outputs as served."""

    kind: Literal["none"] = Field(description="No paraphrasing or filtering.")
    student_share: float = Field(
        default=0.5, gt=0, le=1, description="Share of the student's training tokens that come from this provider."
    )


class Paraphrase(StrictModel):
    """Paraphrase outputs with another model before training on them."""

    kind: Literal["paraphrase"] = Field(description="Paraphrase outputs.")
    retention: float = Field(
        default=0.3, ge=0, le=1, description="Share of the watermark's green-list bias that survives the paraphrase."
    )
    usefulness: float = Field(
        default=0.85, gt=0, le=1, description="Share of an output's value for training that survives the paraphrase."
    )
    cost_per_mtok: float = Field(
        default=1.0, ge=0, description="USD per million output tokens paraphrased (budget category 'laundering')."
    )
    student_share: float = Field(
        default=0.5, gt=0, le=1, description="Share of the student's training tokens that come from this provider."
    )


class FilterOutputs(StrictModel):
    """Drop the outputs that score highest on a watermark test of the attacker's own."""

    kind: Literal["filter"] = Field(description="Filter outputs.")
    drop: float = Field(default=0.3, ge=0, lt=1, description="Share of output tokens dropped.")
    retention: float = Field(
        default=0.7, ge=0, le=1, description="Share of the green-list bias left in the outputs kept."
    )
    student_share: float = Field(
        default=0.5, gt=0, le=1, description="Share of the student's training tokens that come from this provider."
    )


OnWatermark = Annotated[NoLaundering | Paraphrase | FilterOutputs, Field(discriminator="kind")]


class Adaptation(StrictModel):
    """The campaign's reactions to enforcement and defences."""

    on_ban: OnBan = Field(default_factory=lambda: ReplaceBanned(kind="replace"), description="Reaction to bans.")
    on_throttle: OnThrottle = Field(
        default_factory=lambda: SlowDown(kind="slow_down"), description="Reaction to throttles."
    )
    on_challenge: OnChallenge = Field(
        default_factory=lambda: SolveChallenge(kind="solve"), description="Reaction to challenges."
    )
    on_verify: OnVerify = Field(
        default_factory=lambda: BuyIdentities(kind="buy"),
        description="Reaction to a step-up identity verification (default: buy identities that pass at 80%).",
    )
    on_takedown: OnTakedown = Field(
        default_factory=lambda: SameAfterTakedown(kind="same"), description="Reaction to linked-account takedowns."
    )
    on_audit: OnAudit = Field(
        default_factory=lambda: StayAfterAudit(kind="stay"), description="Reaction to an audit closing an organisation."
    )
    on_watermark: OnWatermark = Field(
        default_factory=lambda: NoLaundering(kind="none"),
        description="What is done to the outputs before training the student (against output watermarks).",
    )
