"""Defence policies a provider can stack on top of its detector and alarm policy.

Each defence is a frozen spec with a ``kind``; a :class:`DefenceStack` is a named
list of them. In a suite (``defences:``) a run compares several stacks; on the
command line ``--stack`` takes one stack as text (:func:`parse_stack`)::

    none                                    the detector and alarm policy alone
    step-up:tier=1                          verify identities at promotion to tier 1
    step-up:requests=300+takedown           step-up at 300 requests, and linked-account takedowns
    review-queue:per_day=20,delay=2h+watermark:strength=2

The defences act only on what a provider sees: alarms, the registry's sign-up
rows (``verified``, payment fingerprint, e-mail domain), tiers, and the traffic's
addresses and client fingerprints. What each one costs customers and campaigns
is measured per stack (:mod:`simulator.bench.defences.loop`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError, model_validator

from simulator.scenario.base import StrictModel
from simulator.units import DAY, Duration

__all__ = [
    "Audit",
    "Defence",
    "DefenceStack",
    "ReviewQueue",
    "StepUp",
    "Takedown",
    "Watermark",
    "parse_stack",
]

LinkKind = Literal["payment", "email_domain", "ip", "subnet", "client"]


class StepUp(StrictModel):
    """Step-up verification: an account that crosses a threshold must verify its identity
    (403 until it does). Accounts verified at sign-up (registry ``verified``) are never asked;
    an account is asked once."""

    kind: Literal["step-up"] = Field(description="Step-up identity verification.")
    tier: int | None = Field(
        default=None, ge=0, description="Ask at promotion to this rate-limit tier (index, 0 = first) or above."
    )
    requests: int | None = Field(default=None, ge=1, description="Ask once an account has sent this many requests.")
    score: float | None = Field(
        default=None, gt=0, le=1, description="Ask once the detector's score reaches this (below the alarm threshold)."
    )
    delay: Duration = Field(
        default=6 * 3600.0, gt=0, description="Median time a person takes to verify (log-normal, sigma 1), e.g. '6h'."
    )
    abandon: float = Field(default=0.1, ge=0, le=1, description="Share of customers who give up instead (churn).")

    @model_validator(mode="after")
    def _triggered(self) -> StepUp:
        if self.tier is None and self.requests is None and self.score is None:
            raise ValueError("at least one trigger (tier, requests or score), got none")
        return self


class Takedown(StrictModel):
    """Linked-account takedown: a confirmed alarm bans the accounts that share a payment
    instrument, an e-mail domain, an address, a /24 subnet or a client fingerprint with it."""

    kind: Literal["takedown"] = Field(description="Ban accounts linked to a confirmed alarm.")
    links: list[LinkKind] = Field(
        default_factory=lambda: ["payment", "client"],
        min_length=1,
        description="What links two accounts: payment, email_domain, ip, subnet, client.",
    )
    max_group: int = Field(
        default=25,
        ge=2,
        description="A value shared by more accounts than this is too common to be evidence (a webmail domain, "
        "a carrier's CGNAT address, a popular SDK) and links nobody.",
    )
    per_account: int = Field(
        default=16, ge=1, description="Addresses and clients remembered per account (the first seen; bounded memory)."
    )


class Audit(StrictModel):
    """Audits of commercial organisations: organisations with at least ``min_accounts`` accounts
    are drawn at ``rate`` per day each, up to ``capacity`` audits open at once; an audit takes
    ``duration`` and finds extraction with probability ``sensitivity · (1 − conceal)`` (conceal:
    what the campaign hides), or a violation in a clean organisation with ``false_finding``.
    A finding closes the organisation: every account in it is banned."""

    kind: Literal["audit"] = Field(description="Audit large organisations.")
    min_accounts: int = Field(default=10, ge=1, description="Organisations with this many accounts can be audited.")
    rate: float = Field(default=0.1, gt=0, le=1, description="Chance per day that an eligible organisation is drawn.")
    capacity: int = Field(default=5, ge=1, description="Audits open at once (the review team's capacity).")
    duration: Duration = Field(default=2 * DAY, gt=0, description="Time from the start of an audit to its finding.")
    sensitivity: float = Field(
        default=0.7, ge=0, le=1, description="Chance an audit finds extraction an organisation does not hide."
    )
    false_finding: float = Field(
        default=0.0, ge=0, le=1, description="Chance an audit wrongly finds a violation in a clean organisation."
    )


class Watermark(StrictModel):
    """Output watermarking (green list, Kirchenbauer et al. 2023) and the provenance test of a
    student trained on the outputs (radioactivity, Sander et al. 2024); see
    :mod:`simulator.metrics.provenance` for the model. It changes no traffic: it is read after the run."""

    kind: Literal["watermark"] = Field(description="Watermark outputs; test students for provenance.")
    strength: float = Field(default=2.0, gt=0, le=10, description="Green-list logit bias delta.")
    gamma: float = Field(default=0.25, gt=0, lt=1, description="Share of the vocabulary in the green list.")
    entropy: float = Field(
        default=0.6, gt=0, le=1, description="Share of tokens with enough entropy for the bias to act."
    )
    transfer: float = Field(
        default=0.02,
        gt=0,
        le=1,
        description="Share of the bias a student trained only on watermarked text shows (radioactivity).",
    )
    scored: float = Field(
        default=0.5, gt=0, le=1, description="Share of the harvested tokens the test can score (deduplicated n-grams)."
    )
    alpha: float = Field(default=1e-6, gt=0, lt=0.5, description="Significance level of the provenance test.")


class ReviewQueue(StrictModel):
    """Analysts review alarms first come, first served, ``per_day`` a day; the action follows
    ``delay`` after the review. Only reviewed (confirmed) alarms are acted on and trigger takedowns."""

    kind: Literal["review-queue"] = Field(description="Analyst review queue.")
    per_day: float = Field(default=50.0, gt=0, description="Alarms reviewed per day.")
    delay: Duration = Field(default=3600.0, ge=0, description="Time from a review to the action, e.g. '1h'.")


Defence = Annotated[StepUp | Takedown | Audit | Watermark | ReviewQueue, Field(discriminator="kind")]
_DEFENCE: TypeAdapter[Any] = TypeAdapter(Defence)


class DefenceStack(StrictModel):
    """A named combination of defences (each kind at most once); empty: the detector alone."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_+-]*$", description="Name in the results, e.g. 'step-up'.")
    defences: list[Defence] = Field(default_factory=list, description="The defences, each kind at most once.")

    @model_validator(mode="after")
    def _once_each(self) -> DefenceStack:
        kinds = [d.kind for d in self.defences]
        repeated = sorted({k for k in kinds if kinds.count(k) > 1})
        if repeated:
            raise ValueError(f"each defence kind once per stack, got {repeated} more than once")
        return self

    def get(self, kind: str) -> Any:
        """The defence of ``kind`` in this stack, or None."""
        return next((d for d in self.defences if d.kind == kind), None)

    @property
    def empty(self) -> bool:
        return not self.defences


_PART = re.compile(r"^\s*([a-z-]+)\s*(?::(.*))?$")


def _value(text: str) -> Any:
    text = text.strip()
    if "|" in text:
        return [part.strip() for part in text.split("|") if part.strip()]
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_stack(text: str) -> DefenceStack:
    """A stack from ``kind[:key=value,…][+kind…]`` (lists with ``|``: ``links=payment|client``),
    or ``none``; named after its kinds joined by ``+``. Raises ``ValueError`` saying what is wrong.

    >>> parse_stack("step-up:tier=1+takedown").name
    'step-up+takedown'
    """
    text = text.strip()
    if text in ("", "none"):
        return DefenceStack(name="none")
    defences, kinds = [], []
    for part in text.split("+"):
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"{part!r}: expected kind[:key=value,...], e.g. 'step-up:tier=1'")
        kind, params = match.group(1), match.group(2) or ""
        fields: dict[str, Any] = {"kind": kind}
        for item in filter(None, (p.strip() for p in params.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"{part!r}: expected key=value, got {item!r}")
            key = key.strip()
            fields[key] = _value(value)
            if key == "links" and not isinstance(fields[key], list):
                fields[key] = [fields[key]]
        try:
            defences.append(_DEFENCE.validate_python(fields))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'][1:]) or 'kind'}: {e['msg']}" for e in exc.errors()
            )
            raise ValueError(f"{part.strip()!r}: {problems}") from None
        kinds.append(kind)
    return DefenceStack(name="+".join(kinds), defences=defences)
