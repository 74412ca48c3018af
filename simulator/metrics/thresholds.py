"""Warm-up thresholds: the operating point a provider can choose without labels.

Precision and recall at a fixed 0.5 say little when scores are not calibrated. A
provider instead runs the detector for a warm-up window, **assumes every account
active then is legitimate** (its own assumption, not the benchmark's: attacker
accounts active during the warm-up contaminate it and push the threshold up), and
sets the threshold that would have flagged a target share ``f`` of them.

With the n warm-up accounts' maximum scores over the window, sorted from the
highest, s₍₁₎ ≥ s₍₂₎ ≥ … ≥ s₍ₙ₎, and m = ⌊f·n⌋ accounts allowed to be flagged:

    threshold = the smallest float above s₍ₘ₊₁₎

so that ``score ≥ threshold`` ⇔ ``score > s₍ₘ₊₁₎``. s₍ₘ₊₁₎ is the ⌈(1 − f)·n⌉-th
lowest score, the (1 − f) quantile by inverted CDF (Hyndman and Fan's type 1,
``numpy.quantile(method="inverted_cdf")``). Ties at s₍ₘ₊₁₎ stay below the
threshold, so the warm-up FPR is at most f, and less than f when ties straddle
the cut. When f < 1/n (m = 0) the threshold is just above the highest warm-up
score: nothing the warm-up showed would be flagged, but the warm-up cannot tell
that FPR from f, so :attr:`WarmupCalibration.resolution_limited` is set. An empty
warm-up gives no threshold (NaN).

After the warm-up, the threshold is applied to each account's maximum score over the
rest of the run (:func:`threshold_outcome`), giving the precision, recall and FPR it
achieves (weighted for deployment if asked, :mod:`simulator.metrics.weights`).

Per-window maxima come from a detector's score trajectory (:func:`window_max_score`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import ArrayLike

from simulator.metrics.accounts import Confusion

__all__ = ["WarmupCalibration", "threshold_outcome", "warmup_threshold", "window_max_score"]


@dataclass(frozen=True)
class WarmupCalibration:
    """A threshold chosen on a warm-up window for a target FPR."""

    threshold: float
    """Flag accounts scored at or above it; NaN when the warm-up had no account."""
    target_fpr: float
    """The share f of warm-up accounts the threshold may flag, in [0, 1)."""
    warmup_accounts: int
    """Accounts in the warm-up (n)."""
    warmup_flagged: int
    """Warm-up accounts at or above the threshold, at most ⌊f·n⌋."""

    @property
    def resolution_limited(self) -> bool:
        """True when f < 1/n: the warm-up is too small to tell the target from 0 (or empty)."""
        return self.warmup_accounts == 0 or self.target_fpr * self.warmup_accounts < 1 - 1e-9

    @property
    def warmup_fpr(self) -> float:
        """warmup_flagged / n: the FPR the threshold has on the warm-up itself (NaN if empty)."""
        return self.warmup_flagged / self.warmup_accounts if self.warmup_accounts else math.nan


def warmup_threshold(warmup_scores: ArrayLike, target_fpr: float) -> WarmupCalibration:
    """The threshold that flags at most ⌊f·n⌋ of the n warm-up accounts (module docstring).

    Ten warm-up customers scored 0.0, 0.1, …, 0.9 and f = 20%: two may be flagged,
    so the threshold sits just above 0.7, the third highest.

    >>> c = warmup_threshold(np.arange(10) / 10, 0.2)
    >>> c.threshold > 0.7, c.warmup_flagged, c.resolution_limited
    (True, 2, False)
    >>> warmup_threshold(np.arange(10) / 10, 0.01).warmup_flagged  # f < 1/n: above the maximum
    0
    """
    if not (0 <= target_fpr < 1):
        raise ValueError(
            f"The 'target_fpr' parameter must be a number in the range [0, 1). Got {target_fpr!r} instead."
        )
    scores = np.sort(np.asarray(warmup_scores, dtype=np.float64).ravel())
    if np.isnan(scores).any():
        raise ValueError("Warm-up scores must not be NaN: leave out accounts without a score, or give them 0.")
    n = scores.size
    if n == 0:
        return WarmupCalibration(math.nan, target_fpr, 0, 0)
    allowed = math.floor(target_fpr * n + 1e-9)
    cut = scores[n - allowed - 1]
    threshold = float(np.nextafter(cut, np.inf))
    return WarmupCalibration(threshold, target_fpr, n, int((scores >= threshold).sum()))


def threshold_outcome(
    is_attacker: ArrayLike, after_scores: ArrayLike, threshold: float, weight: ArrayLike | None = None
) -> Confusion:
    """Accounts by truth and by ``after_score ≥ threshold``, over the accounts active
    after the warm-up with their maximum score after it (weighted with ``weight``):
    its precision, recall and FPR are what the warm-up threshold achieves.

    >>> threshold_outcome([True, True, False, False], [0.9, 0.4, 0.8, 0.1], 0.5)
    Confusion(tp=1, fp=1, fn=1, tn=1)
    """
    if math.isnan(threshold):
        raise ValueError("No threshold to apply: the warm-up had no account (calibrate on a non-empty warm-up).")
    scores = np.asarray(after_scores, dtype=np.float64)
    return Confusion.of(is_attacker, scores >= threshold, weight)


def window_max_score(
    trajectory: pd.DataFrame | pa.Table, tick_seconds: float, start: float, end: float, *, carry_in: bool = True
) -> pd.Series:
    """Each account's maximum score over the window [``start``, ``end``) seconds, from
    a detector's score changes (columns ``tick``, ``account_id``, ``score`` of
    :data:`simulator.bench.ledger.TRAJECTORY_SCHEMA`, as in ``scores.parquet``, one
    detector at a time).

    Tick k covers [k·``tick_seconds``, (k+1)·``tick_seconds``) and its scores are
    computed on its requests, so a change recorded at tick k belongs to the window
    holding the tick's start, k·``tick_seconds``. With ``carry_in`` (default) the score
    an account held when the window opened (its last change at an earlier tick) counts
    too: a score stays in force until it changes. The result is indexed by
    ``account_id`` (sorted) and holds the accounts with a score in force in the window;
    the others had 0 there (scores start at 0 and only changes are recorded).

    Ticks of 60 s; the window [120, 240) holds ticks 2 and 3:

    >>> changes = pd.DataFrame({"tick": [0, 1, 2, 3, 4], "account_id": ["a", "b", "a", "b", "a"],
    ...                         "score": [0.9, 0.2, 0.3, 0.4, 1.0]})
    >>> window_max_score(changes, 60.0, 120.0, 240.0).to_dict()
    {'a': 0.9, 'b': 0.4}
    >>> window_max_score(changes, 60.0, 120.0, 240.0, carry_in=False).to_dict()
    {'a': 0.3, 'b': 0.4}
    """
    if not tick_seconds > 0:
        raise ValueError(f"The 'tick_seconds' parameter must be a number in the range (0, inf). Got {tick_seconds!r}.")
    table = trajectory.to_pandas() if isinstance(trajectory, pa.Table) else trajectory
    if "detector" in table.columns and table["detector"].nunique() > 1:
        raise ValueError(
            f"The trajectory holds {table['detector'].nunique()} detectors; select one (rows of one 'detector')."
        )
    tick_start = table["tick"].to_numpy(dtype=np.float64) * tick_seconds
    inside = table[(tick_start >= start) & (tick_start < end)]
    peaks = inside.groupby("account_id", sort=False)["score"].max()
    if carry_in:
        earlier = table[tick_start < start]
        held = earlier.sort_values("tick", kind="stable").groupby("account_id", sort=False)["score"].last()
        peaks = pd.concat([peaks, held]).groupby(level=0).max()
    return peaks.sort_index().rename("max_score").rename_axis("account_id").astype(np.float64)
