"""Load-spreading tactics at work: when each account's requests of a planning step fall,
and how the campaign's activity follows the clock.

The specs and the rate formula are in :mod:`simulator.scenario.campaign.load`.
Two families vary by ``kind``, each through its own table:

* timing (:data:`TIMINGS`): a ``queue`` drained by each account's workers
  (bursts when work arrives, idle gaps after), ``synchronised`` accounts firing
  on one shared grid of moments (plus jitter), ``independent`` ones at
  independent uniform times;
* rhythm (:data:`RHYTHMS`): the weight (mean one over a week) of the rate at a
  moment: ``flat``, ``human`` or the operators' ``shift``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from simulator.campaign.tactic import behaviour
from simulator.rhythm import diurnal_weight, local_hour_and_weekday, weekly_weight
from simulator.scenario.campaign.load import FlatRhythm, HumanRhythm, Independent, Queue, ShiftRhythm, Synchronised

__all__ = ["RHYTHMS", "TIMINGS", "rhythm_weight", "schedule"]


def _synchronised(
    spec: Synchronised,
    rng: np.random.Generator,
    counts: np.ndarray,
    who: np.ndarray,
    t0: float,
    t1: float,
    response: np.ndarray | None,
) -> np.ndarray:
    """One shared grid of firing times in random (not time) order; account ``i`` takes
    the grid's first ``counts[i]`` slots, each moved by normal jitter. The first slot is
    shared by every account that fires at all: lockstep, at a uniformly random moment
    of the step (a sorted grid would put it at the earliest of many draws, and every
    attack request early in its tick)."""
    slots = rng.uniform(t0, t1, size=int(counts.max()))
    first = np.r_[0, np.cumsum(counts)[:-1]]
    position = np.arange(who.size) - np.repeat(first, counts)
    ts = slots[position] + rng.normal(0.0, spec.jitter, size=who.size)
    return np.clip(ts, t0, np.nextafter(t1, t0))


def _independent(
    spec: Independent,
    rng: np.random.Generator,
    counts: np.ndarray,
    who: np.ndarray,
    t0: float,
    t1: float,
    response: np.ndarray | None,
) -> np.ndarray:
    """Every request at an independent uniform time of the step."""
    return rng.uniform(t0, t1, size=who.size)


def _queue(
    spec: Queue,
    rng: np.random.Generator,
    counts: np.ndarray,
    who: np.ndarray,
    t0: float,
    t1: float,
    response: np.ndarray | None,
) -> np.ndarray:
    """A work queue per account. Account ``i``'s ``counts[i]`` jobs arrive together at
    ``a_i``; its ``w_i = max(workers, ⌈Σ response / step⌉)`` workers take them in
    turn (job ``j`` to worker ``j mod w_i``), each starting ``U(0, pickup)`` after the
    arrival and then sending its next job when the previous answer is back: job
    ``j`` starts at ``a_i + pickup_w + Σ response of the worker's earlier jobs``. The
    arrival is uniform over ``[t0, t1 − longest chain]`` (``t0`` if the longest
    chain fills the step; its tail then runs past ``t1``)."""
    n = who.size
    response = np.zeros(n) if response is None else np.asarray(response, dtype=np.float64)
    accounts = counts.size
    account = np.repeat(np.arange(accounts), counts)
    position = np.arange(n) - np.repeat(np.r_[0, np.cumsum(counts)[:-1]], counts)
    step = t1 - t0
    total = np.bincount(account, weights=response, minlength=accounts)
    workers = np.maximum(spec.workers, np.ceil(total / step)).astype(np.int64)
    worker = position % workers[account]
    chain = account * int(workers.max()) + worker
    order = np.lexsort((position, chain))
    done = np.cumsum(response[order])
    starts_at = np.r_[True, chain[order][1:] != chain[order][:-1]]
    before = done - response[order]
    group = np.cumsum(starts_at) - 1
    offset = np.empty(n)
    offset[order] = before - before[starts_at][group]
    pickup = np.empty(n)
    pickup[order] = rng.uniform(0.0, float(spec.pickup), size=int(starts_at.sum()))[group]
    longest = np.zeros(accounts)
    np.maximum.at(longest, account, pickup + offset + response)
    arrival = t0 + rng.random(accounts) * np.maximum(step - longest, 0.0)
    return arrival[account] + pickup + offset


TIMINGS: dict[str, Callable[..., np.ndarray]] = {
    "queue": _queue,
    "synchronised": _synchronised,
    "independent": _independent,
}
"""Start times of one planning step's jobs by ``timing.kind``:
``(spec, rng, counts, who, t0, t1, response) → times`` (``response``: each job's
response time in seconds, or None where unknown)."""


def schedule(
    timing: Any,
    rng: np.random.Generator,
    rows: np.ndarray,
    counts: np.ndarray,
    t0: float,
    t1: float,
    response: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(member row, start time) of every job (a conversation's opening) of one planning
    step: ``counts[i]`` jobs of ``rows[i]`` from ``t0`` on, placed as ``timing`` says
    (inside ``[t0, t1)``, except that a queue's last jobs may run past ``t1``);
    ``response`` is each job's response time (s), in that order."""
    who = np.repeat(rows, counts)
    if who.size == 0:
        return who, np.empty(0)
    ts = behaviour(TIMINGS, timing, rng, counts, who, t0, t1, response)
    return who, np.maximum(ts, t0)


def _flat(spec: FlatRhythm, origin: datetime, t: float, utc_offset: np.ndarray) -> np.ndarray:
    return np.ones(utc_offset.size)


def _human(spec: HumanRhythm, origin: datetime, t: float, utc_offset: np.ndarray) -> np.ndarray:
    offset = utc_offset if spec.clock == "declared" else np.full(utc_offset.size, spec.utc_offset)
    hour, weekday = local_hour_and_weekday(origin, t, offset)
    return diurnal_weight(hour, spec.peak_hour, spec.peak_to_trough) * weekly_weight(weekday, spec.weekend_factor)


def _shift(spec: ShiftRhythm, origin: datetime, t: float, utc_offset: np.ndarray) -> np.ndarray:
    hour, weekday = local_hour_and_weekday(origin, t, np.full(utc_offset.size, spec.utc_offset))
    start, end = spec.hours
    length = (end - start) % 24.0 or 24.0
    inside = ((hour - start) % 24.0) < length
    on = (1.0 - spec.off_share) * 24.0 / length
    off = spec.off_share * 24.0 / (24.0 - length) if length < 24.0 else on
    return np.where(inside, on, off) * weekly_weight(weekday, spec.weekend_factor)


RHYTHMS: dict[str, Callable[..., np.ndarray]] = {"flat": _flat, "human": _human, "shift": _shift}
"""Rate weight at a moment by ``rhythm.kind``: ``(spec, origin, t, utc offsets) → weights``."""


def rhythm_weight(rhythm: Any, origin: datetime, t: float, utc_offset: np.ndarray) -> np.ndarray:
    """The rhythm's weight at simulation time ``t`` (s) for accounts with ``utc_offset``
    (hours); ``origin`` is the scenario start."""
    return behaviour(RHYTHMS, rhythm, origin, t, utc_offset)
