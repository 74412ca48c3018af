"""Account-level metrics: is each attacker account flagged, is each customer left alone?

Computed over **active** accounts (at least one request sent). An account is
*alarmed* if the detector's score for it reached the operating threshold at any
tick of the run, so each account counts once, whatever the number of ticks.

With ``TP`` attacker accounts alarmed, ``FP`` legitimate accounts alarmed, ``FN``
attacker accounts never alarmed and ``TN`` legitimate accounts never alarmed:

* precision = TP / (TP + FP), undefined (NaN) without alarms;
* recall = TP / (TP + FN), undefined without attackers;
* F1 = 2·TP / (2·TP + FP + FN) (the harmonic mean of the two; 0 when nothing is caught);
* false-positive rate (FPR) = FP / (FP + TN).

Threshold-free figures use each account's **maximum** score over the run:

* AUPRC, the average precision ``Σₙ (Rₙ − Rₙ₋₁)·Pₙ`` over the distinct score
  thresholds (scikit-learn's ``average_precision_score``); chance level is the
  attacker share of active accounts;
* recall at FPR ≤ 0.1%: the highest recall of any threshold that flags at most
  0.1% of legitimate accounts.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, roc_curve

__all__ = ["Confusion", "auprc", "recall_at_fpr"]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


@dataclass(frozen=True)
class Confusion:
    """Counts of accounts by truth and alarm.

    >>> c = Confusion.of([True, True, False, False, False], [True, False, True, False, False])
    >>> c
    Confusion(tp=1, fp=1, fn=1, tn=2)
    >>> c.precision, c.recall, c.f1, round(c.fpr, 4)
    (0.5, 0.5, 0.5, 0.3333)
    >>> Confusion.of([True, False], [False, False]).precision  # no alarm: undefined
    nan
    """

    tp: float
    fp: float
    fn: float
    tn: float

    @classmethod
    def of(cls, is_attacker: ArrayLike, alarmed: ArrayLike, weight: ArrayLike | None = None) -> Confusion:
        """Counts from row-aligned truth and alarm flags (one entry per active account).

        With ``weight`` (one non-negative entry per account, see
        :mod:`simulator.metrics.weights`) each account counts as the accounts it
        stands for and the counts are sums of weights (floats); without, they are
        integers.
        """
        truth = np.asarray(is_attacker, dtype=bool)
        flag = np.asarray(alarmed, dtype=bool)
        if weight is None:
            return cls(
                tp=int(np.sum(truth & flag)),
                fp=int(np.sum(~truth & flag)),
                fn=int(np.sum(truth & ~flag)),
                tn=int(np.sum(~truth & ~flag)),
            )
        w = np.broadcast_to(np.asarray(weight, dtype=np.float64), truth.shape)
        return cls(
            tp=float(w[truth & flag].sum()),
            fp=float(w[~truth & flag].sum()),
            fn=float(w[truth & ~flag].sum()),
            tn=float(w[~truth & ~flag].sum()),
        )

    @property
    def precision(self) -> float:
        """TP / (TP + FP): share of alarmed accounts that are attackers (NaN without alarms)."""
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """TP / (TP + FN): share of attacker accounts alarmed (NaN without attackers)."""
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        """2·TP / (2·TP + FP + FN) (NaN with neither attackers nor alarms)."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def fpr(self) -> float:
        """FP / (FP + TN): share of legitimate accounts alarmed (NaN without customers)."""
        return _ratio(self.fp, self.fp + self.tn)


def _both_classes(truth: np.ndarray) -> bool:
    return bool(truth.any() and not truth.all())


def auprc(is_attacker: ArrayLike, max_score: ArrayLike, weight: ArrayLike | None = None) -> float:
    """Area under the precision–recall curve from each account's maximum score, as
    average precision ``Σₙ (Rₙ − Rₙ₋₁)·Pₙ`` over distinct thresholds, in [0, 1].
    NaN when the accounts are all attackers or all legitimate.

    With ``weight`` (one entry per account) Pₙ and Rₙ are ratios of weight sums
    (scikit-learn's ``sample_weight``): see :mod:`simulator.metrics.weights`.

    Attackers scored 0.9 and 0.7, customers 0.8 and 0.1: the thresholds 0.9 and 0.7
    reach recall 0.5 at precision 1 and recall 1 at precision 2/3:

    >>> round(auprc([True, False, True, False], [0.9, 0.8, 0.7, 0.1]), 4)
    0.8333
    >>> auprc([True, False, False, False], [0.0, 0.0, 0.0, 0.0])  # no ranking: the attacker share
    0.25
    """
    truth = np.asarray(is_attacker, dtype=bool)
    if not _both_classes(truth):
        return math.nan
    sample_weight = None if weight is None else np.asarray(weight, dtype=np.float64)
    return float(average_precision_score(truth, np.asarray(max_score, dtype=np.float64), sample_weight=sample_weight))


def recall_at_fpr(is_attacker: ArrayLike, max_score: ArrayLike, max_fpr: float = 0.001) -> float:
    """The highest recall of a threshold on the maximum score whose false-positive
    rate is at most ``max_fpr`` (default 0.1%), in [0, 1]; NaN without both classes.

    Ties count together: a threshold flags every account scored at or above it.

    >>> truth = [True, True, False, False, False]
    >>> recall_at_fpr(truth, [0.9, 0.5, 0.6, 0.1, 0.1])  # flagging the 0.5 attacker flags a customer
    0.5
    >>> recall_at_fpr(truth, [0.9, 0.5, 0.6, 0.1, 0.1], max_fpr=0.34)
    1.0
    >>> recall_at_fpr(truth, [0.6, 0.9, 0.9, 0.1, 0.1])  # tied with a customer: nothing at FPR 0
    0.0
    """
    truth = np.asarray(is_attacker, dtype=bool)
    if not _both_classes(truth):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fpr, tpr, _ = roc_curve(truth, np.asarray(max_score, dtype=np.float64), drop_intermediate=False)
    return float(tpr[fpr <= max_fpr + 1e-12].max())
