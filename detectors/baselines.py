"""Baselines that every results table shows beside the detectors, so that a number
can be read against chance.

* :class:`NullDetector` never scores anything above 0: recall 0, no alarms.
* :class:`RandomDetector` gives each account, when first seen, a score drawn
  uniformly from [0, 1]: its AUPRC is the attacker share of active accounts in
  expectation, and at threshold ``t`` it alarms on a share ``1 − t`` of everyone.
* :class:`PeriodicDetector` raises, every ``every`` ticks, ``accounts`` random
  accounts among those seen so far to score 1: an analyst clicking at random.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from detectors.base import Constraint, Detector, Interval, scores_series
from simulator.traffic import RequestBatch

__all__ = ["NullDetector", "PeriodicDetector", "RandomDetector"]


class NullDetector(Detector):
    """Never suspects anyone."""

    signal = "none (baseline)"
    reference = "Baseline: no detection."
    emits_scores = False

    def __init__(self) -> None:
        pass

    def update(self, batch: RequestBatch) -> pd.Series | None:
        return None


class RandomDetector(Detector):
    """A uniform random score per account, drawn when the account is first seen."""

    signal = "none (baseline)"
    reference = "Baseline: chance."
    parameter_constraints: ClassVar[dict[str, Constraint]] = {"seed": Interval(int, 0, None)}

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "rng_"):
            self.rng_ = np.random.default_rng(self.seed)
            self.seen_: set[str] = set()
        # first-seen order is time order, so draws do not depend on hashing
        ids = pd.unique(batch.requests["account_id"].to_numpy())
        new = [a for a in ids if a not in self.seen_]
        if not new:
            return None
        self.seen_.update(new)
        return scores_series(new, self.rng_.random(len(new)))


class PeriodicDetector(Detector):
    """Every ``every`` ticks, flags ``accounts`` accounts chosen at random among those seen."""

    signal = "none (baseline)"
    reference = "Baseline: alarms at a fixed rate on random accounts."
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "every": Interval(int, 1, None),
        "accounts": Interval(int, 1, None),
        "seed": Interval(int, 0, None),
    }

    def __init__(self, every: int = 60, accounts: int = 1, seed: int = 0) -> None:
        self.every = every
        self.accounts = accounts
        self.seed = seed

    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "rng_"):
            self.rng_ = np.random.default_rng(self.seed)
            self.seen_: list[str] = []
            self.known_: set[str] = set()
            self.flagged_: set[str] = set()
        for account in pd.unique(batch.requests["account_id"].to_numpy()):
            if account not in self.known_:
                self.known_.add(account)
                self.seen_.append(account)
        if (batch.tick + 1) % self.every:
            return None
        candidates = [a for a in self.seen_ if a not in self.flagged_]
        if not candidates:
            return None
        chosen = self.rng_.choice(len(candidates), size=min(self.accounts, len(candidates)), replace=False)
        picked = [candidates[i] for i in sorted(chosen)]
        self.flagged_.update(picked)
        return scores_series(picked, np.ones(len(picked)))
