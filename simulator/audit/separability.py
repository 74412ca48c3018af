"""How well label-free features, and a supervised model over all of them, separate attackers.

**Lift over chance.** For scores ``x`` over ``n`` accounts of which a share
``π`` (the base rate) are attackers, the average precision (AUPRC) is
``AP = Σ_k (R_k − R_{k−1}) P_k`` over the thresholds ``k`` (scikit-learn's
``average_precision_score``; tied scores form one threshold). A score unrelated
to the label has ``AP ≈ π``, a perfect one ``AP = 1``, so

    lift = (AP − π) / (1 − π)

is 0 at chance and 1 for a perfect separator. A feature is taken in its better
direction: ``AP = max(AP(x), AP(−x))``, so a feature that is *lower* for
attackers counts as fully as one that is higher. Worked values: ``π = 0.1``,
``AP = 0.55`` ⇒ ``lift = 0.45/0.9 = 0.5``; a constant feature has
``AP = π`` ⇒ ``lift = 0``. Taking the better of two directions biases a noise
feature's lift slightly upwards (a few hundredths with tens of attackers).

**Supervised ceiling.** Stratified ``k``-fold cross-validation (shuffled, fixed
``random_state``) of a gradient-boosted tree model
(``HistGradientBoostingClassifier``: 100 iterations, 64 bins, leaves of at
least ``clip(n_train / 20, 2, 20)`` accounts so that small scenarios can still
split, fixed ``random_state``, no early stopping, one thread)
over every feature; the ceiling is the mean over folds of the held-out AP, and
its lift the mean of the folds' lifts (each against its fold's base rate). It
tells how far a model that knows the labels gets from these aggregates.

**The three-flag rule.** A reference rule that needs no model: flags (1)
``turn0_share ≥ 0.99`` (every request opens a conversation), (2)
``model_top_share ≥ 0.99`` (one model only), (3) ``exit_country_mismatch``
(the main exit country is not the declared one); score = flags + requests /
(max requests + 1), so ties between equal flag counts go to the busier account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MODEL_BINS",
    "MODEL_ITERATIONS",
    "THREE_FLAG_SIGNALS",
    "Ceiling",
    "Separation",
    "average_precision",
    "average_precisions",
    "feature_separations",
    "held_out_scores",
    "lift",
    "separation",
    "supervised_ceiling",
    "three_flag_score",
]

THREE_FLAG_SIGNALS: tuple[str, ...] = ("conversations", "models", "geography")
"""The signals the three-flag rule reads."""

MODEL_ITERATIONS = 100
"""Boosting iterations of the ceiling's model."""
MODEL_BINS = 64
"""Histogram bins per feature of the ceiling's model (scikit-learn's default is 255)."""


def lift(ap: float, base_rate: float) -> float:
    """``(AP − π) / (1 − π)``: 0 at chance, 1 for a perfect ranking.

    >>> round(lift(0.55, 0.1), 6)
    0.5
    """
    if not 0.0 < base_rate < 1.0:
        raise ValueError(f"The base rate must be in (0, 1). Got {base_rate} instead.")
    return (ap - base_rate) / (1.0 - base_rate)


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """AUPRC of ``scores`` (higher = attacker) against boolean ``labels``."""
    return float(average_precisions(np.asarray(scores, dtype=np.float64)[:, None], labels)[0])


def average_precisions(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """AUPRC of each column of ``scores`` (rows: accounts; higher = attacker) against boolean
    ``labels``, bit for bit scikit-learn's ``average_precision_score`` on each column.

    Per column, the accounts sorted by decreasing score give, at the last account of
    each run of tied scores (a threshold ``k``), the true positives ``TP_k`` (a running
    count of attackers), ``P_k = TP_k / (k + 1)`` and ``R_k = TP_k / TP_last`` (all 1
    when there is no attacker); ``AP = max(0, Σ_k (R_k − R_{k−1}) P_k)`` with ``R`` from
    the last threshold down, ``R = 0`` past the first, summed by ``numpy.sum`` over the
    same array as scikit-learn, hence the same float. The same arrays without its input
    validation, which costs milliseconds a column (a scenario's audit has hundreds).
    Raises ``ValueError`` for a non-finite score."""
    values = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError("Input contains NaN or infinity: average precision needs finite scores.")
    truth = np.asarray(labels, dtype=bool)
    aps = np.empty(values.shape[1], dtype=np.float64)
    last = truth.size - 1
    for column in range(values.shape[1]):
        order = np.argsort(-values[:, column], kind="stable")  # decreasing; ties: any order gives the same AP
        sorted_scores = values[order, column]
        ends = np.append(np.flatnonzero(np.diff(sorted_scores)), last)
        tps = np.cumsum(truth[order], dtype=np.float64)[ends]
        precision = tps / (1.0 + ends)  # tps + fps = ends + 1 > 0
        recall = tps / tps[-1] if tps[-1] != 0 else np.ones_like(tps)
        precision = np.append(precision[::-1], 1.0)
        recall = np.append(recall[::-1], 0.0)
        aps[column] = max(0.0, float(-np.sum(np.diff(recall) * precision[:-1])))
    return aps


@dataclass(frozen=True)
class Separation:
    """How one score separates attackers, in its better direction."""

    ap: float
    lift: float
    direction: int
    """+1: higher for attackers; −1: lower for attackers."""


def separation(values: np.ndarray, labels: np.ndarray) -> Separation:
    """AP and lift of ``values`` and of ``−values``; the better (ties: +1)."""
    labels = np.asarray(labels, dtype=bool)
    values = np.asarray(values, dtype=np.float64)
    base_rate = float(labels.mean())
    up, down = average_precision(values, labels), average_precision(-values, labels)
    ap, direction = (up, 1) if up >= down else (down, -1)
    return Separation(ap, lift(ap, base_rate), direction)


def feature_separations(features: pd.DataFrame, labels: np.ndarray, signals: dict[str, str]) -> pd.DataFrame:
    """One row per feature column: ``feature``, ``signal`` (from ``signals``), ``ap``,
    ``lift`` and ``direction`` as :func:`separation` gives them; best lift first, then
    by name. (Every column in both directions in one :func:`average_precisions` call.)"""
    y = np.asarray(labels, dtype=bool)
    base_rate = float(y.mean())
    lift(base_rate, base_rate)  # checks the base rate
    values = features.to_numpy(dtype=np.float64)
    k = values.shape[1]
    aps = average_precisions(np.hstack([values, -values]), y)
    up, down = aps[:k], aps[k:]
    direction = np.where(up >= down, 1, -1)
    best = np.where(direction > 0, up, down)
    table = pd.DataFrame(
        {
            "feature": list(features.columns),
            "signal": [signals[name] for name in features.columns],
            "ap": best,
            "lift": (best - base_rate) / (1.0 - base_rate),
            "direction": direction,
        }
    )
    return table.sort_values(["lift", "feature"], ascending=[False, True], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Ceiling:
    """The cross-validated supervised ceiling."""

    ap: float
    """Mean held-out AP over the folds."""
    lift: float
    """Mean of the folds' lifts."""
    folds: int
    fold_ap: tuple[float, ...]


def _folds(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Stratified, shuffled (train, test) splits: ``folds`` of them, fewer when either
    class has fewer accounts; None when either class has fewer than two."""
    from sklearn.model_selection import StratifiedKFold

    minority = int(min(y.sum(), (~y).sum()))
    if minority < 2:
        return None
    splitter = StratifiedKFold(n_splits=min(folds, minority), shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((y.size, 1)), y))


def _held_out(features: pd.DataFrame, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]], seed: int):
    """(test rows, held-out attacker probabilities) of each split's model."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    X = features.to_numpy(dtype=np.float64)
    X = X[:, np.ptp(X, axis=0) > 0] if X.size else X  # constant columns cannot split: dropping them only saves time
    # one thread: OpenMP threads on a shared machine cost far more than they save on a few thousand rows
    with threadpool_limits(limits=1):
        for train, test in splits:
            model = HistGradientBoostingClassifier(
                max_iter=MODEL_ITERATIONS,
                max_bins=MODEL_BINS,
                min_samples_leaf=int(np.clip(train.size // 20, 2, 20)),
                early_stopping=False,
                random_state=seed,
            )
            model.fit(X[train], y[train])
            yield test, model.predict_proba(X[test])[:, 1]


def supervised_ceiling(features: pd.DataFrame, labels: np.ndarray, *, folds: int = 5, seed: int = 0) -> Ceiling | None:
    """Stratified ``folds``-fold cross-validated gradient boosting over every column
    of ``features`` (fewer folds when there are fewer attackers or customers than
    ``folds``); None when either class has fewer than two accounts."""
    y = np.asarray(labels, dtype=bool)
    splits = _folds(y, folds, seed)
    if splits is None:
        return None
    aps, lifts = [], []
    for test, probability in _held_out(features, y, splits, seed):
        ap = average_precision(probability, y[test])
        aps.append(ap)
        lifts.append(lift(ap, float(y[test].mean())))
    return Ceiling(float(np.mean(aps)), float(np.mean(lifts)), len(splits), tuple(aps))


def held_out_scores(features: pd.DataFrame, labels: np.ndarray, *, folds: int = 5, seed: int = 0) -> np.ndarray | None:
    """Each account's attacker probability from the ceiling's model of the fold that
    held it out (the same folds and models as :func:`supervised_ceiling`); None when
    either class has fewer than two accounts."""
    y = np.asarray(labels, dtype=bool)
    splits = _folds(y, folds, seed)
    if splits is None:
        return None
    scores = np.zeros(y.size)
    for test, probability in _held_out(features, y, splits, seed):
        scores[test] = probability
    return scores


def three_flag_score(features: pd.DataFrame) -> np.ndarray:
    """The three-flag rule's score per row of ``features`` (see the module docstring)."""
    flags = (
        (features["turn0_share"].to_numpy() >= 0.99).astype(np.float64)
        + (features["model_top_share"].to_numpy() >= 0.99)
        + (features["exit_country_mismatch"].to_numpy() > 0)
    )
    requests = features["requests"].to_numpy(dtype=np.float64)
    return flags + requests / (requests.max(initial=0.0) + 1.0)
