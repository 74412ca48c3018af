"""Unsupervised per-account anomaly: an isolation forest over the behaviour features.

Isolation forests (Liu, Ting and Zhou, ICDM 2008) isolate a point with random
axis-parallel cuts; points that few cuts isolate are anomalies. Here the points
are accounts, described by the rolling features of
:class:`~detectors.features.AccountFeatures` (volume, tokens, 429 share,
inter-arrival statistics, hour-of-day profile, topic entropy and concentration,
chain-of-thought share, fingerprint, IP, /24 and ASN diversity, model mix,
account age). It is :class:`~detectors.adapters.EstimatorAdapter` with
scikit-learn's ``IsolationForest`` built in: refit every ``refit_every`` ticks on
up to ``max_train`` accounts with ``min_requests`` requests or more, scores the
negated ``score_samples`` as an ECDF among the training accounts.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn import config_context
from sklearn.ensemble import IsolationForest
from sklearn.tree import ExtraTreeRegressor

from detectors.adapters import EstimatorAdapter
from detectors.base import Constraint, Interval
from detectors.features import DAY

__all__ = ["IsolationForestDetector", "isolation_scores"]


class _Tree(ExtraTreeRegressor):
    """scikit-learn's extra tree, reading its parameter names once per process instead of
    from its signature at every ``get_params`` (four per tree a fit: the clone and
    the seeding of each tree; a third of a forest's fit on a few thousand accounts)."""

    _names: ClassVar[tuple[str, ...]] = tuple(ExtraTreeRegressor._get_param_names())

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return list(cls._names)


class _Forest(IsolationForest):
    """scikit-learn's isolation forest growing :class:`_Tree` trees: the very trees it
    would grow (the same parameters, which it chooses, and the same random draws),
    with less per-tree overhead; fit without re-validating the parameters of every
    tree it builds, nor checking that the sample weights it gives each tree (counts
    of drawn rows) are finite."""

    _names: ClassVar[tuple[str, ...]] = tuple(IsolationForest._get_param_names())

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return list(cls._names)

    def _get_estimator(self) -> ExtraTreeRegressor:
        return _Tree(**super()._get_estimator().get_params(deep=False))

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> _Forest:  # noqa: N803 (scikit-learn's names)
        with config_context(skip_parameter_validation=True, assume_finite=True):
            return super().fit(X, y, sample_weight)


def isolation_scores(model: IsolationForest, x: np.ndarray) -> np.ndarray | None:
    """``-model.score_samples(x)`` of a fitted ``IsolationForest``, computed with the very
    same floating-point operations in the same order, without its per-tree overhead
    (a joblib task, a configuration context and input checks per tree: most of a
    tick's scoring time for a hundred trees and a few hundred accounts); None where
    the model is not one whose internals this knows (then call ``score_samples``).

    Per account, ``h = Σ_trees (depth(leaf) + c(n_leaf) − 1)`` summed tree by tree, and
    the score ``2^(−h / (trees · c(max_samples)))``, with ``c(n)`` the average path
    length of an unsuccessful search in a binary search tree of ``n`` nodes
    (Liu, Ting and Zhou 2008).
    """
    try:
        from sklearn.ensemble._iforest import _average_path_length

        trees = model.estimators_
        lengths = model._decision_path_lengths
        averages = model._average_path_length_per_tree
        max_samples = model._max_samples
        every_feature = model._max_features == x.shape[1]
    except (ImportError, AttributeError):
        return None
    if not every_feature or len(lengths) != len(trees) or len(averages) != len(trees):
        return None
    data = np.asarray(x, dtype=np.float32)  # what score_samples' input check makes of it
    depths = np.zeros(data.shape[0], order="f")
    for tree, length, average in zip(trees, lengths, averages, strict=True):
        leaves = tree.tree_.apply(data)
        depths += length[leaves] + average[leaves] - 1.0
    denominator = len(trees) * _average_path_length([max_samples])
    return 2 ** (-np.divide(depths, denominator, out=np.ones_like(depths), where=denominator != 0))


class IsolationForestDetector(EstimatorAdapter):
    """Accounts whose behaviour features are easy to isolate (isolation forest)."""

    signal = "per-account behaviour features"
    reference = "Isolation forest (Liu, Ting and Zhou, ICDM 2008) over rolling per-account features"
    checking_params: ClassVar[dict[str, Any]] = {"n_estimators": 20, "refit_every": 30}
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        **EstimatorAdapter.parameter_constraints,
        "n_estimators": Interval(int, 1, None),
        "max_samples": Interval(int, 2, None),
    }
    score_method = "-score_samples"
    scale = False  # trees are invariant to monotone rescaling

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int = 256,
        features: tuple[str, ...] | None = None,
        half_life: float = DAY,
        refit_every: int = 60,
        score_every: int = 15,
        min_requests: int = 5,
        max_train: int = 20_000,
        seed: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.features = features
        self.half_life = half_life
        self.refit_every = refit_every
        self.score_every = score_every
        self.min_requests = min_requests
        self.max_train = max_train
        self.seed = seed

    def make_estimator(self, n_samples: int) -> Any:
        return _Forest(
            n_estimators=self.n_estimators, max_samples=min(self.max_samples, n_samples), random_state=self.seed
        )

    def _score(self, x: np.ndarray) -> np.ndarray:
        raw = isolation_scores(self.model_, x)
        if raw is None:
            return super()._score(x)
        return np.nan_to_num(raw, nan=0.0, posinf=np.finfo(np.float64).max, neginf=-np.finfo(np.float64).max)
