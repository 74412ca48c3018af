"""Closed-loop adaptation at work: how a campaign reacts to bans, throttles and challenges.

The specs are in :mod:`simulator.scenario.campaign.adaptation`. Each reaction
family maps its ``kind`` to a behaviour with one verb, and none of them
registers accounts itself: a reaction that wants more accounts returns an
:class:`Enlistment`, which the campaign carries out.

* on ban (:data:`ON_BAN`): :meth:`Replacement.replace` — ``replace`` banned
  accounts after a delay with a chosen identity, or ``none``;
* on throttle (:data:`ON_THROTTLE`): :meth:`ThrottleReaction.react` —
  ``ignore``, ``slow_down`` the throttled accounts, or ``spread`` the lost
  capacity over new accounts;
* on challenge (:data:`ON_CHALLENGE`): :meth:`ChallengeReaction.react` —
  ``solve`` (pay, wait, pass) or ``abandon``; it returns the accounts given up
  and whether they are to be replaced;
* on verify (:data:`ON_VERIFY`): :meth:`ChallengeReaction.react` too — ``buy``
  an identity (pay, wait the time a person takes, pass at a rate) or ``abandon``;
* on takedown (:data:`ON_TAKEDOWN`): :meth:`TakedownReaction.identity` — the
  identity later replacements get (``same``: as on ban; ``fresh`` after a takedown);
* on audit (:data:`ON_AUDIT`): :meth:`AuditReaction.route_after` — the access
  route of later sign-ups (``stay``, or behind a ``reseller``);
* on watermark (:data:`ON_WATERMARK`): a :class:`Laundering` — what the campaign
  does to outputs before training on them (``none``, ``paraphrase``, ``filter``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.actor import verification_delays
from simulator.campaign.state import CampaignState
from simulator.gateway import Enforcement
from simulator.scenario.campaign.access import ResellerAccess
from simulator.scenario.campaign.adaptation import (
    AbandonChallenge,
    AbandonVerification,
    BuyIdentities,
    FilterOutputs,
    FreshAfterTakedown,
    IgnoreThrottle,
    KeepBanned,
    MoveToReseller,
    NoLaundering,
    Paraphrase,
    ReplaceBanned,
    SameAfterTakedown,
    SlowDown,
    SolveChallenge,
    SpreadWider,
    StayAfterAudit,
)

__all__ = [
    "ON_AUDIT",
    "ON_BAN",
    "ON_CHALLENGE",
    "ON_TAKEDOWN",
    "ON_THROTTLE",
    "ON_VERIFY",
    "ON_WATERMARK",
    "AuditReaction",
    "ChallengeReaction",
    "Enlistment",
    "Laundering",
    "Replacement",
    "TakedownReaction",
    "ThrottleReaction",
]


@dataclass(frozen=True)
class Enlistment:
    """Accounts a reaction wants: ``n`` of them at time ``at`` (s), woken from the
    reserve first, then signed up with an identity from the campaign's pools
    (``pool``), never seen (``fresh``) or the one of the member ``rows`` they replace
    (``matching``); ``replacement`` says whether they count as replacements."""

    at: float
    n: int
    rows: np.ndarray | None
    identity: str
    replacement: bool = True


class Replacement:
    """What happens to accounts the campaign lost (banned, or abandoned after a challenge)."""

    def replace(self, rows: np.ndarray, now: float, abandoned: bool = False) -> Enlistment | None:
        """The accounts that replace members ``rows`` lost at ``now``, if any. Accounts
        ``abandoned`` after a challenge the campaign chose to replace are replaced
        even when bans are not, at once from the pools."""
        raise NotImplementedError


class ReplaceLost(Replacement):
    """Replace every lost account, ``delay`` later, with the chosen identity."""

    def __init__(self, spec: ReplaceBanned, state: CampaignState) -> None:
        self.spec = spec

    def replace(self, rows: np.ndarray, now: float, abandoned: bool = False) -> Enlistment | None:
        return Enlistment(now + float(self.spec.delay), rows.size, rows, self.spec.identity)


class KeepLost(Replacement):
    """Banned accounts are not replaced: the pool shrinks."""

    def __init__(self, spec: KeepBanned, state: CampaignState) -> None:
        pass

    def replace(self, rows: np.ndarray, now: float, abandoned: bool = False) -> Enlistment | None:
        return Enlistment(now, rows.size, rows, "pool") if abandoned else None


ON_BAN: dict[str, Callable[..., Replacement]] = {"replace": ReplaceLost, "none": KeepLost}
"""The replacement behaviour of each ``on_ban.kind``."""


class ThrottleReaction:
    """What the campaign does when accounts are throttled."""

    def react(self, rows: np.ndarray, event: Enforcement) -> Enlistment | None:
        """React to the throttle ``event`` on members ``rows``; new accounts wanted, if any."""
        return None


class Ignore(ThrottleReaction):
    """Keep the planned rate; a throttled account gets 429s above its new limit."""

    def __init__(self, spec: IgnoreThrottle, state: CampaignState) -> None:
        pass


class Slow(ThrottleReaction):
    """Scale the throttled accounts' rate by the spec's factor (default: the throttle's)
    until the throttle ends plus ``cool_off``."""

    def __init__(self, spec: SlowDown, state: CampaignState) -> None:
        self.spec = spec
        self.state = state

    def react(self, rows: np.ndarray, event: Enforcement) -> Enlistment | None:
        m = self.state.members
        m.column("slow")[rows] = self.spec.factor if self.spec.factor is not None else event.factor
        m.column("slow_until")[rows] = event.until + float(self.spec.cool_off)
        return None


class Spread(ThrottleReaction):
    """New accounts for the capacity lost: ``ceil(throttled · (1 − factor) · extra)``,
    at most ``max_growth · accounts`` over the run."""

    def __init__(self, spec: SpreadWider, state: CampaignState) -> None:
        self.spec = spec
        self.state = state
        self.added = 0

    def react(self, rows: np.ndarray, event: Enforcement) -> Enlistment | None:
        room = int(self.spec.max_growth * self.state.spec.accounts) - self.added
        extra = min(int(np.ceil(rows.size * (1 - event.factor) * self.spec.extra)), max(room, 0))
        if extra <= 0:
            return None
        self.added += extra
        return Enlistment(float(self.state.world.env.now), extra, None, "pool", replacement=False)


ON_THROTTLE: dict[str, Callable[..., ThrottleReaction]] = {"ignore": Ignore, "slow_down": Slow, "spread": Spread}
"""The throttle reaction of each ``on_throttle.kind``."""


class ChallengeReaction:
    """What the campaign does when accounts are challenged."""

    def react(self, rows: np.ndarray, event: Enforcement) -> tuple[np.ndarray, bool]:
        """React to the challenge ``event`` on members ``rows``: the rows given up, and
        whether they are to be replaced."""
        raise NotImplementedError


class Solve(ChallengeReaction):
    """Pass challenges ``delay`` later at ``cost`` each while the budget lasts; the
    accounts it cannot pay for are given up and replaced."""

    def __init__(self, spec: SolveChallenge, state: CampaignState) -> None:
        self.spec = spec
        self.state = state

    def react(self, rows: np.ndarray, event: Enforcement) -> tuple[np.ndarray, bool]:
        state = self.state
        m = state.members
        solved = rows[: state.ledger.affordable(self.spec.cost, rows.size)]
        done = float(state.world.env.now) + float(self.spec.delay)
        m.column("paused_until")[solved] = done
        state.world.gateway.pass_challenge(m.column("code")[solved], at=done)
        state.ledger.charge("challenges", self.spec.cost * solved.size)
        return rows[solved.size :], True


class Abandon(ChallengeReaction):
    """Give the challenged accounts up; replace them if the spec says so."""

    def __init__(self, spec: AbandonChallenge, state: CampaignState) -> None:
        self.spec = spec

    def react(self, rows: np.ndarray, event: Enforcement) -> tuple[np.ndarray, bool]:
        return rows, self.spec.replace


ON_CHALLENGE: dict[str, Callable[..., ChallengeReaction]] = {"solve": Solve, "abandon": Abandon}
"""The challenge reaction of each ``on_challenge.kind``."""


class BuyIdentity(ChallengeReaction):
    """Pass a step-up verification with a bought or farmed identity: each account asked
    costs ``cost`` (while the budget lasts) and passes with probability ``success``,
    after a delay drawn like a customer's (:func:`~simulator.actor.verification_delays`);
    the rest are given up and replaced."""

    def __init__(self, spec: BuyIdentities, state: CampaignState) -> None:
        self.spec = spec
        self.state = state
        self.bought = 0
        """Identities paid for so far."""

    def react(self, rows: np.ndarray, event: Enforcement) -> tuple[np.ndarray, bool]:
        state = self.state
        m = state.members
        tried = rows[: state.ledger.affordable(self.spec.cost, rows.size)]
        passed = tried[state.rng.random(tried.size) < self.spec.success]
        done = event.time + verification_delays(state.rng, passed.size, event.median_delay)
        m.column("paused_until")[passed] = done
        state.world.gateway.pass_challenge(m.column("code")[passed], at=done)
        state.ledger.charge("verification", self.spec.cost * tried.size)
        self.bought += tried.size
        return np.setdiff1d(rows, passed), True


class AbandonVerify(ChallengeReaction):
    """Give accounts asked to verify up, as a customer who churns; replace them if the spec says so."""

    def __init__(self, spec: AbandonVerification, state: CampaignState) -> None:
        self.spec = spec

    def react(self, rows: np.ndarray, event: Enforcement) -> tuple[np.ndarray, bool]:
        return rows, self.spec.replace


ON_VERIFY: dict[str, Callable[..., ChallengeReaction]] = {"buy": BuyIdentity, "abandon": AbandonVerify}
"""The step-up verification reaction of each ``on_verify.kind``."""


class TakedownReaction:
    """The identity replacements get, before and after the campaign's first takedown."""

    def __init__(self, spec: SameAfterTakedown | FreshAfterTakedown, state: CampaignState) -> None:
        self.spec = spec
        self.state = state
        self.taken_down = False
        """Whether the campaign has lost accounts to a takedown."""

    def hear(self, event: Enforcement) -> None:
        """Note a ban: a ban for a link to another account is a takedown."""
        self.taken_down = self.taken_down or (event.action == "ban" and event.reason == "linked")

    def identity(self, enlistment: Enlistment) -> Enlistment:
        """``enlistment`` with the identity this reaction wants (unchanged by default)."""
        return enlistment


class FreshIdentity(TakedownReaction):
    """Once taken down, every replacement gets a fresh card, exits and clients, at ``cost`` extra each."""

    def identity(self, enlistment: Enlistment) -> Enlistment:
        if not self.taken_down:
            return enlistment
        self.state.ledger.charge("accounts", self.spec.cost * enlistment.n)  # type: ignore[union-attr]
        return Enlistment(enlistment.at, enlistment.n, enlistment.rows, "fresh", enlistment.replacement)


ON_TAKEDOWN: dict[str, Callable[..., TakedownReaction]] = {"same": TakedownReaction, "fresh": FreshIdentity}
"""The takedown reaction of each ``on_takedown.kind``."""


class AuditReaction:
    """Where the campaign signs up after an audit closed one of its organisations."""

    def __init__(self, spec: StayAfterAudit | MoveToReseller, state: CampaignState) -> None:
        self.spec = spec
        self.conceal = spec.conceal
        """Share of the evidence an audit looks for that the campaign hides."""

    def route_after(self) -> ResellerAccess | None:
        """The access spec of sign-ups after an audit (None: the same route)."""
        return None


class MoveBehindReseller(AuditReaction):
    """After an audit, later sign-ups go behind the named reseller (its organisations, keys
    and discount), still sending from the campaign's own proxies."""

    def route_after(self) -> ResellerAccess | None:
        spec = self.spec
        assert isinstance(spec, MoveToReseller)
        return ResellerAccess(kind="reseller", reseller=spec.reseller, discount=spec.discount, own_infrastructure=True)


ON_AUDIT: dict[str, Callable[..., AuditReaction]] = {"stay": AuditReaction, "reseller": MoveBehindReseller}
"""The audit reaction of each ``on_audit.kind``."""


@dataclass(frozen=True)
class Laundering:
    """What the campaign does to outputs before training its student.

    ``retention``: share of the watermark's green-list bias left in the training data;
    ``kept``: share of the output tokens trained on; ``usefulness``: value for training
    per token kept (the goal counts ``output · kept · usefulness``); ``cost_per_mtok``:
    USD per million output tokens processed; ``student_share``: share of the student's
    training tokens from this provider (:mod:`simulator.metrics.provenance` reads all four)."""

    retention: float = 1.0
    kept: float = 1.0
    usefulness: float = 1.0
    cost_per_mtok: float = 0.0
    student_share: float = 0.5

    @property
    def value(self) -> float:
        """Share of a served token's value that reaches the student: ``kept · usefulness``."""
        return self.kept * self.usefulness


def _no_laundering(spec: NoLaundering, state: CampaignState) -> Laundering:
    return Laundering(student_share=spec.student_share)


def _paraphrase(spec: Paraphrase, state: CampaignState) -> Laundering:
    return Laundering(spec.retention, 1.0, spec.usefulness, spec.cost_per_mtok, spec.student_share)


def _filter(spec: FilterOutputs, state: CampaignState) -> Laundering:
    return Laundering(spec.retention, 1 - spec.drop, 1.0, 0.0, spec.student_share)


ON_WATERMARK: dict[str, Callable[..., Laundering]] = {
    "none": _no_laundering,
    "paraphrase": _paraphrase,
    "filter": _filter,
}
"""The output laundering of each ``on_watermark.kind``."""
