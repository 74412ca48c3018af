"""Capability concentration: accounts that sweep the high-value capabilities and
ask for the model's reasoning.

Follows the 2026 provider disclosures on distillation campaigns: extraction
traffic is "concentrated in a few high-value areas" (agentic reasoning and tool
use, coding, computer use, rubric grading, rewrites, vision, data analysis) and
"often elicits chain-of-thought", while
sweeping the capability taxonomy systematically. Ordinary customers spread
over many topics (chat), stay in one (a coding assistant), or rarely ask for
step-by-step reasoning.

Per account, over exponentially decayed counts (``half_life`` seconds), three
shares, each shrunk towards the whole traffic's share with the weight of
``prior_requests`` pseudo-requests (so one request is not a 100% share):

* ``focus`` — share of requests whose (classifier) topic is in ``capabilities``;
* ``cot`` — share of requests asking for chain-of-thought;
* ``sweep`` — entropy of the account's topic mix *within* ``capabilities``,
  divided by ``log |capabilities|`` (1: all of them evenly; 0: a single one).

Score: the weighted geometric mean ``focus^a · cot^b · sweep^c`` with
``(a, b, c) = weights / sum(weights)``: high only when all three are.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from detectors.accounts import DecayedSums
from detectors.base import Constraint, Detector, Interval
from detectors.features import DAY, entropy
from detectors.sharing import shares_scores
from detectors.view import BatchView, view
from simulator.prompts import TOPICS
from simulator.traffic import RequestBatch

__all__ = ["HIGH_VALUE_CAPABILITIES", "CapabilityConcentration"]

HIGH_VALUE_CAPABILITIES: tuple[str, ...] = (
    "agentic_tool_use",
    "coding",
    "computer_use",
    "data_analysis",
    "reasoning",
    "rewrite",
    "rubric_grading",
    "vision",
)
"""What a defender knows: the capabilities the 2026 provider disclosure names as the
targets of distillation (agentic reasoning and tool use, coding, computer use,
rubric-based grading, censorship-safe rewrites, vision, data analysis, reasoning
traces). Defender knowledge, not the simulator's campaign defaults: a campaign may
target other capabilities, and the scenarios vary them."""


class CapabilityConcentration(Detector):
    """Accounts concentrated on high-value capabilities that elicit chain-of-thought."""

    signal = "topic mix and chain-of-thought share"
    reference = (
        "Provider disclosures on distillation campaigns (2026): concentration on reasoning, coding and agentic "
        "capabilities, chain-of-thought elicitation, systematic sweeps of the capability taxonomy"
    )
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "capabilities": tuple,
        "weights": tuple,
        "half_life": Interval(float, 0.0, None, closed="neither"),
        "prior_requests": Interval(float, 0.0, None),
    }

    def __init__(
        self,
        capabilities: tuple[str, ...] = HIGH_VALUE_CAPABILITIES,
        weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
        half_life: float = DAY,
        prior_requests: float = 20.0,
    ) -> None:
        self.capabilities = capabilities
        self.weights = weights
        self.half_life = half_life
        self.prior_requests = prior_requests

    def _start(self) -> None:
        self.check_params()
        unknown = [c for c in self.capabilities if c not in TOPICS]
        if unknown or not self.capabilities:
            raise ValueError(f"Unknown capabilities {unknown}; valid topics: {', '.join(TOPICS)}")
        if len(self.weights) != 3 or min(self.weights) < 0 or sum(self.weights) <= 0:
            raise ValueError(f"weights must be three non-negative numbers, not all 0; got {self.weights!r}")
        self.columns_ = np.array(sorted(TOPICS.index(c) for c in self.capabilities))
        self.shares_ = np.asarray(self.weights, dtype=np.float64) / sum(self.weights)
        width = len(TOPICS) + 1
        self.sums_ = DecayedSums(self.half_life, {"requests": 1, "cot": 1, "topics": width})
        self.focus_slots_ = self.sums_.slot("topics").start + self.columns_  # where they sit in a row of sums_
        # the whole traffic, decayed alike: requests, chain-of-thought requests, then the topic histogram
        self.population_ = np.zeros(2 + width)
        self.population_at_ = -np.inf

    def _counts(self, v: BatchView) -> np.ndarray:
        """Per account of the batch, one row of :attr:`sums_` (float64): requests,
        chain-of-thought requests, then requests per topic (:attr:`BatchView.topic`).

        One weighted ``bincount`` over the flat cells ``account · width + column`` fills
        all of them (each cell summed in row order, as the view's per-account sums are)."""
        width = self.population_.size
        cell = v.account_of_row * width
        cells = np.concatenate((cell, cell + 1, cell + 2 + v.topic))
        ones = np.ones(v.n)
        weights = np.concatenate((ones, v.row_value("cot"), ones))
        return np.bincount(cells, weights=weights, minlength=v.accounts * width).reshape(v.accounts, width)

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "sums_"):
            self._start()
        v = view(batch)
        if v.n == 0:
            return None
        codes = self.sums_.index.codes_for(v)  # one per account of the batch
        counts = self._counts(v)
        row = self.sums_.add_rows(batch.end, codes, counts)
        self.population_ *= np.exp2(-(batch.end - self.population_at_) / self.half_life)
        # the batch's totals of the columns of counts, counted over its rows: exact integers,
        # the very floats summing counts over its accounts gives, without a pass per account
        self.population_[0] += v.n
        self.population_[1] += np.count_nonzero(v.row_value("cot"))
        self.population_[2:] += np.bincount(v.topic, minlength=self.population_.size - 2)
        self.population_at_ = batch.end
        n = row[:, 0]  # the columns of sums_: requests, cot, then the topics
        in_focus = row[:, self.focus_slots_]
        pop_n, pop_cot = self.population_[0], self.population_[1] / self.population_[0]
        pop_focus = self.population_[2 + self.columns_]
        pop_focus_total = pop_focus.sum()
        strength = self.prior_requests
        pseudo_n = n + strength
        focus = (in_focus.sum(axis=1) + strength * pop_focus_total / pop_n) / pseudo_n
        cot_share = (row[:, 1] + strength * pop_cot) / pseudo_n
        prior_mix = pop_focus / max(pop_focus_total, 1e-12)
        smoothed = in_focus + strength * prior_mix
        sweep = _entropy(smoothed) / np.log(self.columns_.size) if self.columns_.size > 1 else np.ones(codes.size)
        w = self.shares_
        with np.errstate(divide="ignore"):
            log_score = w[0] * np.log(focus) + w[1] * np.log(cot_share) + w[2] * np.log(np.clip(sweep, 0.0, 1.0))
        return self.sums_.index.scores(codes, np.exp(log_score))


def _entropy(counts: np.ndarray) -> np.ndarray:
    """:func:`~detectors.features.entropy`, the same floats, with fewer passes when every
    share is positive (as the smoothed topic mixes are, while the whole traffic has
    asked for every capability): no share then needs a guard against 0."""
    total = counts.sum(axis=1, keepdims=True)
    if counts.size == 0 or not total.min() > 0:
        return entropy(counts)
    shares = counts / total
    if not shares.min() > 0:
        return entropy(counts)
    terms = -shares
    terms *= np.log(shares)
    return terms.sum(axis=1)
