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

from detectors.accounts import AccountIndex
from detectors.base import Constraint, Detector, Interval
from detectors.view import view
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
            self.index_ = AccountIndex()
            self.index_.add_array("seen", bool)
        v = view(batch)
        codes = self.index_.codes_for(v)
        # first-seen order is time order, so draws do not depend on hashing
        new = ~self.index_["seen"][codes]
        if not new.any():
            return None
        self.index_["seen"][codes[new]] = True
        return self.index_.scores(codes[new], self.rng_.random(int(new.sum())))


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
            self.index_ = AccountIndex()
            self.index_.add_array("seen", bool)
            self.index_.add_array("flagged", bool)
            self.order_ = np.empty(16, dtype=np.int64)  # codes in the order first seen (the first seen_ of them)
            self.seen_ = 0
        v = view(batch)
        codes = self.index_.codes_for(v)
        new = codes[~self.index_["seen"][codes]]
        if new.size:
            self.index_["seen"][new] = True
            if self.seen_ + new.size > self.order_.size:
                self.order_ = np.resize(self.order_, 2 * (self.seen_ + new.size))
            self.order_[self.seen_ : self.seen_ + new.size] = new
            self.seen_ += new.size
        if (batch.tick + 1) % self.every:
            return None
        order = self.order_[: self.seen_]
        candidates = order[~self.index_["flagged"][order]]
        if not candidates.size:
            return None
        chosen = self.rng_.choice(candidates.size, size=min(self.accounts, candidates.size), replace=False)
        picked = candidates[np.sort(chosen)]
        self.index_["flagged"][picked] = True
        return self.index_.scores(picked, np.ones(picked.size))
