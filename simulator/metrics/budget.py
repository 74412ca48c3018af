"""Analyst budget: what a team reviewing ``k`` alarms a day gets out of a detector.

An alarm is worth something only once an analyst has looked at it. The queue model:

* **days** are consecutive 86,400 s spans from the scenario start; the last one ends
  with the run and is shorter when the duration is not a whole number of days;
* an alarm joins the queue of the day in which its tick ended (alarm times are tick
  ends, so an alarm at exactly 86,400 s is day 0's);
* at the end of each day the analysts review up to ``k × (day length / 86,400)``
  alarms from the queue (``k`` for a full day), the unreviewed ones stay queued for
  the next days, and an alarm's review time is the end of the day its review completed;
* the queue is served in one of two orders (:data:`ReviewOrder`): ``"arrival"``
  (first come, first served: earlier alarm first, then higher priority score) or
  ``"score"`` (highest priority score first, then earlier alarm); remaining ties go
  by row order, so pass rows in a fixed, label-free order (account id).

``"arrival"`` needs only the alarm times. ``"score"`` needs a priority known when the
alarm was raised (its score at the alarm): an account's maximum score over the run
would let the queue look ahead.

**Weights.** With deployment weights (:mod:`simulator.metrics.weights`) an alarm on a
customer standing for w customers is w alarms with the same time and score. Capacity
is then counted in represented alarms and an alarm can be partly reviewed at a day's
end; its remainder stays first in line. Counts below are weight sums; with unit
weights every review is whole except, at most, the last one of a short final day.

From the schedule (:func:`review_schedule`, summarised by :func:`budget_outcome`):

* reviewed = Σ reviewed weight (alarms) and backlog = Σ alarmed weight never
  reviewed by the end of the run (alarms);
* precision at budget = attacker weight reviewed / weight reviewed (NaN when nothing
  was reviewed);
* recall within budget = reviewed weight of active attacker accounts / weight of
  active attacker accounts (NaN without attackers);
* campaigns detected within budget = campaigns with an account whose review
  completed / campaigns that sent a request (the campaign-level detection of
  :mod:`simulator.metrics.campaigns` with review times in place of alarm times).

The same budget on the final ranking (:func:`ranked_at_budget`) reviews the
``k × days`` highest maximum scores of the active accounts, whatever their time: the
point of the (weighted) precision–recall curve that budget reaches, which is what the
AUPRC implies and what a retrospective hunt over the run's scores would get.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from simulator.metrics.campaigns import campaign_detection, detection_rate
from simulator.units import DAY

__all__ = ["BudgetOutcome", "ReviewOrder", "ReviewSchedule", "budget_outcome", "ranked_at_budget", "review_schedule"]

ReviewOrder = Literal["arrival", "score"]

_EPS = 1e-9


@dataclass(frozen=True)
class ReviewSchedule:
    """When each alarm was reviewed, row-aligned with the input."""

    reviewed_ts: np.ndarray
    """End of the day the review completed (s); NaN if never alarmed or not completed by the end."""
    reviewed: np.ndarray
    """Share of the alarm's weight reviewed by the end of the run, in [0, 1] (0 if never alarmed)."""
    left: np.ndarray
    """Weight of the alarm not reviewed by the end of the run (0 if never alarmed): its part of the backlog."""


def _check_budget(reviews_per_day: float, duration: float) -> None:
    if not (reviews_per_day >= 0 and math.isfinite(reviews_per_day)):
        raise ValueError(
            f"The 'reviews_per_day' parameter must be a number in the range [0, inf). Got {reviews_per_day!r} instead."
        )
    if not (duration > 0 and math.isfinite(duration)):
        raise ValueError(f"The 'duration' parameter must be a number in the range (0, inf). Got {duration!r} instead.")


def review_schedule(
    alarm_ts: ArrayLike,
    reviews_per_day: float,
    duration: float,
    *,
    order: ReviewOrder = "arrival",
    priority: ArrayLike | None = None,
    weight: ArrayLike | None = None,
) -> ReviewSchedule:
    """The review of each alarm by analysts with ``reviews_per_day`` reviews a day
    over a run of ``duration`` seconds (the queue model of this module).

    ``alarm_ts`` is NaN for accounts never alarmed; ``priority`` (required for
    ``order="score"``) is the score the queue ranks by; ``weight`` the alarms each
    row stands for (default 1).

    Two reviews a day, three alarms on day 0 and two on day 1: the third alarm of
    day 0 waits for day 1 and the last one is left in the backlog.

    >>> s = review_schedule([60.0, 120.0, 180.0, 90000.0, 90060.0, np.nan], 2, 2 * 86400.0)
    >>> s.reviewed_ts.tolist()
    [86400.0, 86400.0, 172800.0, 172800.0, nan, nan]
    >>> s.reviewed.tolist()
    [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    >>> review_schedule([60.0, 120.0, 180.0], 2, 86400.0, order="score", priority=[0.5, 0.9, 0.7]).reviewed.tolist()
    [0.0, 1.0, 1.0]
    """
    _check_budget(reviews_per_day, duration)
    ts = np.asarray(alarm_ts, dtype=np.float64)
    n = ts.size
    if order == "score":
        if priority is None:
            raise ValueError("order='score' needs a priority per alarm (its score when raised).")
        key = np.asarray(priority, dtype=np.float64)
        ranks = np.lexsort((np.arange(n), ts, -key))
    elif order == "arrival":
        key = np.zeros(n) if priority is None else np.asarray(priority, dtype=np.float64)
        ranks = np.lexsort((np.arange(n), -key, ts))
    else:
        raise ValueError(f"The 'order' parameter must be 'arrival' or 'score'. Got {order!r} instead.")
    rank = np.empty(n, dtype=np.int64)
    rank[ranks] = np.arange(n)
    mass = np.ones(n) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), (n,)).copy()

    days = max(1, math.ceil(duration / DAY - _EPS))
    alarmed = np.flatnonzero(np.isfinite(ts))
    day_of = np.clip(np.ceil(ts[alarmed] / DAY - _EPS).astype(np.int64) - 1, 0, days - 1)
    arrivals = [alarmed[day_of == d] for d in range(days)]

    remaining = np.where(np.isfinite(ts), mass, 0.0)
    reviewed_ts = np.full(n, np.nan)
    queue: list[tuple[int, int]] = []
    for d in range(days):
        for i in arrivals[d].tolist():
            heapq.heappush(queue, (int(rank[i]), i))
        end = min((d + 1) * DAY, duration)
        capacity = reviews_per_day * (end - d * DAY) / DAY
        while queue:
            _, i = queue[0]
            take = min(capacity, remaining[i])
            remaining[i] -= take
            capacity -= take
            if remaining[i] > _EPS * max(1.0, mass[i]):
                break
            remaining[i] = 0.0
            reviewed_ts[i] = end
            heapq.heappop(queue)
    share = np.zeros(n)
    positive = np.isfinite(ts) & (mass > 0)
    share[positive] = 1.0 - remaining[positive] / mass[positive]
    share[np.isfinite(ts) & (mass <= 0)] = 1.0
    return ReviewSchedule(reviewed_ts=reviewed_ts, reviewed=share, left=remaining)


@dataclass(frozen=True)
class BudgetOutcome:
    """What the analysts' budget made of one detector's alarms (weight sums; accounts with unit weights)."""

    reviewed: float
    """Alarms reviewed by the end of the run."""
    backlog: float
    """Alarms raised but not reviewed by the end of the run."""
    precision: float
    """Attacker alarms reviewed / alarms reviewed, in [0, 1]; NaN if none was reviewed."""
    recall: float
    """Active attacker accounts reviewed / active attacker accounts, in [0, 1]; NaN without attackers."""
    detection_rate: float
    """Campaigns with an account whose review completed / campaigns that sent a request; NaN without any."""


def budget_outcome(
    outcomes: pd.DataFrame,
    reviews_per_day: float,
    duration: float,
    *,
    order: ReviewOrder = "arrival",
    priority: ArrayLike | None = None,
    weight: ArrayLike | None = None,
) -> BudgetOutcome:
    """The budget figures of this module from per-account outcomes (columns of
    :data:`~simulator.metrics.outcomes.OUTCOME_SCHEMA`: ``is_attacker``, ``campaign``,
    ``requests``, ``first_ts``, ``alarm_ts``), every row (active or not) being a
    possible alarm; ``priority`` and ``weight`` are row-aligned (see :func:`review_schedule`).

    One review a day over two days, an attacker alarmed on day 0 behind a customer,
    another on day 1: the customer and the first attacker are reviewed, the second
    attacker is left in the backlog.

    >>> rows = pd.DataFrame({"is_attacker": [False, True, True, False], "campaign": [None, "a", "a", None],
    ...                      "requests": [5, 5, 5, 5], "first_ts": [0.0, 0.0, 0.0, 0.0],
    ...                      "alarm_ts": [60.0, 120.0, 90000.0, np.nan]})
    >>> budget_outcome(rows, 1, 2 * 86400.0)
    BudgetOutcome(reviewed=2.0, backlog=1.0, precision=0.5, recall=0.5, detection_rate=1.0)
    """
    ts = outcomes["alarm_ts"].to_numpy(dtype=np.float64)
    n = ts.size
    mass = np.ones(n) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), (n,))
    schedule = review_schedule(ts, reviews_per_day, duration, order=order, priority=priority, weight=mass)
    truth = outcomes["is_attacker"].to_numpy(dtype=bool)
    done = np.where(np.isfinite(ts), mass - schedule.left, 0.0)
    reviewed = float(done.sum())
    attackers = truth & (outcomes["requests"].to_numpy() > 0)
    attacker_mass = float(mass[attackers].sum())
    table = campaign_detection(outcomes.assign(alarm_ts=schedule.reviewed_ts), duration)
    return BudgetOutcome(
        reviewed=reviewed,
        backlog=float(schedule.left.sum()),
        precision=float(done[truth].sum()) / reviewed if reviewed > 0 else math.nan,
        recall=float(done[attackers].sum()) / attacker_mass if attacker_mass > 0 else math.nan,
        detection_rate=detection_rate(table),
    )


def ranked_at_budget(
    is_attacker: ArrayLike, max_score: ArrayLike, reviews: float, weight: ArrayLike | None = None
) -> tuple[float, float]:
    """(precision, recall) of reviewing the ``reviews`` highest-scored accounts of the
    final ranking (pass active accounts and their maximum scores; ``reviews`` is
    ``k × duration / 86,400``, weight units).

    Accounts are taken by decreasing score; a tie group straddling the budget is
    taken in proportion (the expectation of a random order within it), and so is a
    weighted account. Precision = attacker weight taken / weight taken (NaN when
    ``reviews`` is 0); recall = attacker weight taken / attacker weight (NaN without
    attackers). Past the total weight, everything is taken.

    Budget 3 over scores 0.9 (attacker), 0.8 (customer), then 0.5 for one attacker and
    one customer: half of the tie is taken.

    >>> ranked_at_budget([True, False, True, False], [0.9, 0.8, 0.5, 0.5], 3)
    (0.5, 0.75)
    """
    truth = np.asarray(is_attacker, dtype=bool)
    score = np.asarray(max_score, dtype=np.float64)
    if not (reviews >= 0 and math.isfinite(reviews)):
        raise ValueError(f"The 'reviews' parameter must be a number in the range [0, inf). Got {reviews!r} instead.")
    w = np.ones(truth.size) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), truth.shape)
    positives = float(w[truth].sum())
    recall_of = (lambda taken: taken / positives) if positives > 0 else (lambda taken: math.nan)
    if reviews == 0 or truth.size == 0:
        return math.nan, recall_of(0.0)
    values, group = np.unique(-score, return_inverse=True)
    group_mass = np.bincount(group, weights=w, minlength=values.size)
    group_attackers = np.bincount(group, weights=np.where(truth, w, 0.0), minlength=values.size)
    before = np.r_[0.0, np.cumsum(group_mass)[:-1]]
    share = np.clip((reviews - before) / np.where(group_mass > 0, group_mass, 1.0), 0.0, 1.0)
    share[group_mass <= 0] = (before[group_mass <= 0] < reviews).astype(np.float64)
    taken = float((share * group_mass).sum())
    attackers_taken = float((share * group_attackers).sum())
    precision = attackers_taken / taken if taken > 0 else math.nan
    return precision, recall_of(attackers_taken)
