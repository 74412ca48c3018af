"""The curves behind the plots: pure functions of per-account and per-campaign results.

* :func:`precision_recall`: precision against recall over every threshold on the
  accounts' maximum scores;
* :func:`threshold_sweep`: attacker recall and customers flagged over every
  threshold in (0, 1] (the collateral a threshold costs);
* :func:`kaplan_meier`: the share still undetected against time, with censoring.

Accounts with no request are left out by the callers (as in the metrics).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import precision_recall_curve

__all__ = ["Sweep", "kaplan_meier", "precision_recall", "threshold_sweep"]


def precision_recall(is_attacker: ArrayLike, score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) at every distinct threshold on ``score``, lowest threshold
    first (recall decreasing), ending at recall 0 / precision 1: scikit-learn's
    convention, drawn as steps ("steps-post") so that the area under the steps is
    the average precision. Empty arrays without an attacker or without a customer.

    An account is flagged at threshold ``t`` when its score is at or above ``t``:

    >>> recall, precision = precision_recall([True, False, True, False], [0.9, 0.8, 0.7, 0.1])
    >>> recall.tolist(), precision.round(3).tolist()
    ([1.0, 1.0, 0.5, 0.5, 0.0], [0.5, 0.667, 0.5, 1.0, 1.0])
    """
    truth = np.asarray(is_attacker, dtype=bool)
    if not truth.any() or truth.all():
        return np.empty(0), np.empty(0)
    precision, recall, _ = precision_recall_curve(truth, np.asarray(score, dtype=np.float64))
    return recall, precision


@dataclass(frozen=True)
class Sweep:
    """Figures at every threshold in (0, 1] where something changes, threshold decreasing."""

    threshold: np.ndarray
    recall: np.ndarray
    """Attacker accounts with a score at or above the threshold / attacker accounts."""
    flagged: np.ndarray
    """Customer accounts with a score at or above the threshold, divided by ``runs``."""


def threshold_sweep(is_attacker: ArrayLike, score: ArrayLike, runs: int = 1) -> Sweep:
    """Attacker recall and customers flagged per run at each distinct positive score
    used as the threshold (accounts pooled over ``runs`` runs: flagged counts are
    divided by ``runs``, recall is pooled). An account never scored above 0 is never
    flagged: the alarm policy's threshold is in (0, 1].

    >>> sweep = threshold_sweep([True, True, False, False], [0.9, 0.4, 0.6, 0.0])
    >>> sweep.threshold.tolist(), sweep.recall.tolist(), sweep.flagged.tolist()
    ([0.9, 0.6, 0.4], [0.5, 0.5, 1.0], [0.0, 1.0, 1.0])
    """
    truth = np.asarray(is_attacker, dtype=bool)
    values = np.asarray(score, dtype=np.float64)
    thresholds = np.unique(values[values > 0])[::-1]
    # counts of scores at or above each threshold, by binary search on the sorted scores
    attackers = np.sort(values[truth])
    customers = np.sort(values[~truth])
    caught = attackers.size - np.searchsorted(attackers, thresholds, side="left")
    flagged = customers.size - np.searchsorted(customers, thresholds, side="left")
    recall = caught / attackers.size if attackers.size else np.full(thresholds.size, math.nan)
    return Sweep(thresholds, recall.astype(np.float64), flagged / max(runs, 1))


def kaplan_meier(duration: ArrayLike, observed: ArrayLike, min_at_risk: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan–Meier estimate of the share not yet detected, as a step function:
    (times, share) with ``share[i]`` holding from ``times[i]`` on, starting at (0, 1).

    ``duration`` is each subject's time to detection if ``observed``, else the time
    at which it was censored (the end of the run). At each detection time ``t``,
    ``S(t) = S(t⁻) · (1 − d / n)`` with ``d`` detections at ``t`` and ``n`` subjects
    still at risk (neither detected nor censored before ``t``). The estimate stops
    before the first detection with fewer than ``min_at_risk`` subjects at risk (its
    tail, where one subject moves the curve to 0, says little). Empty input gives (0, 1).

    >>> times, share = kaplan_meier([10, 20, 30, 40], [True, False, True, False])
    >>> times.tolist(), share.round(3).tolist()
    ([0.0, 10.0, 30.0], [1.0, 0.75, 0.375])
    >>> kaplan_meier([10, 20, 30, 40], [True, False, True, False], min_at_risk=3)[0].tolist()
    [0.0, 10.0]
    """
    t = np.asarray(duration, dtype=np.float64)
    seen = np.asarray(observed, dtype=bool)
    moments, detected = np.unique(t[seen], return_counts=True)
    at_risk = t.size - np.searchsorted(np.sort(t), moments, side="left")
    kept = at_risk >= max(min_at_risk, 1)
    if not kept.all():
        cut = int(np.argmin(kept))
        moments, detected, at_risk = moments[:cut], detected[:cut], at_risk[:cut]
    share = np.cumprod(1.0 - detected / at_risk)
    return np.r_[0.0, moments], np.r_[1.0, share]
