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
  and whether they are to be replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.campaign.state import CampaignState
from simulator.gateway import Enforcement
from simulator.scenario.campaign.adaptation import (
    AbandonChallenge,
    IgnoreThrottle,
    KeepBanned,
    ReplaceBanned,
    SlowDown,
    SolveChallenge,
    SpreadWider,
)

__all__ = [
    "ON_BAN",
    "ON_CHALLENGE",
    "ON_THROTTLE",
    "ChallengeReaction",
    "Enlistment",
    "Replacement",
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
