"""The analysts' review queue at work: alarms wait for a reviewer, then for the action.

Alarms (accounts contained by the alarm policy) join the queue in order. Each tick
adds ``per_day · tick / day`` reviews to the analysts' capacity (the fraction
carries over); that many alarms, first come first served, are reviewed at the end
of the tick, and each is acted on ``ceil(delay / tick)`` ticks later. Reviews
confirm every alarm (the analysts' own errors are not modelled): what the queue
changes is when an alarm becomes an action, and how many are left waiting.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from simulator.bench.defences.specs import ReviewQueue
from simulator.units import DAY

__all__ = ["AlarmQueue"]


class AlarmQueue:
    """Alarms waiting for review, and reviewed alarms waiting for their action."""

    def __init__(self, spec: ReviewQueue, tick_seconds: float) -> None:
        self.per_tick = spec.per_day * tick_seconds / DAY
        self.lag = math.ceil(float(spec.delay) / tick_seconds - 1e-9)
        self.capacity = 0.0
        self.waiting: deque[int] = deque()
        self.acting: dict[int, list[int]] = {}
        self.reviewed = 0

    def add(self, codes: np.ndarray) -> None:
        """Queue new alarms."""
        self.waiting.extend(codes.tolist())

    def due(self, tick: int) -> np.ndarray:
        """Review what the capacity allows at ``tick``; returns the alarms to act on now."""
        self.capacity += self.per_tick
        n = min(int(self.capacity), len(self.waiting))
        self.capacity -= n
        if not self.waiting:
            self.capacity = min(self.capacity, 1.0)  # idle analysts do not bank reviews
        if n:
            self.acting.setdefault(tick + self.lag, []).extend(self.waiting.popleft() for _ in range(n))
            self.reviewed += n
        return np.array(sorted(set(self.acting.pop(tick, []))), dtype=np.int64)
