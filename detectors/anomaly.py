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

import numbers
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
    with less per-tree overhead. The usual fit (dense rows, every feature, an integer
    ``max_samples``) calls scikit-learn's tree builder directly (:func:`_grow`);
    any other is scikit-learn's, without re-validating the parameters of every
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
            if _builds_directly(self, X, sample_weight):
                try:
                    return _grow(self, X)
                except (ImportError, TypeError, AttributeError):
                    pass  # another scikit-learn's internals (the project allows >= 1.4): its own fit
            return super().fit(X, y, sample_weight)


def _builds_directly(forest: IsolationForest, x: Any, sample_weight: Any) -> bool:
    """Whether :func:`_grow` knows how scikit-learn fits ``forest`` on ``x``: a dense
    array, no sample weights, an integer ``max_samples`` within the rows, every
    feature for every tree, no bootstrap, no warm start, the default contamination."""
    if _GROWING is None or not isinstance(x, np.ndarray) or x.ndim != 2 or sample_weight is not None:
        return False
    return (
        isinstance(forest.max_samples, numbers.Integral)
        and 1 <= forest.max_samples <= x.shape[0]
        and isinstance(forest.max_features, float)
        and forest.max_features == 1.0
        and not forest.bootstrap
        and not forest.warm_start
        and isinstance(forest.contamination, str)
        and forest.contamination == "auto"
        and isinstance(forest.random_state, numbers.Integral)
    )


def _grow(forest: _Forest, x: np.ndarray) -> _Forest:
    """Fit ``forest`` as ``IsolationForest.fit`` does, with the same random draws in
    the same order and the same tree builder, so the trees are the very same; only
    scikit-learn's per-tree Python (a clone, parameter checks, a fresh random
    generator seeded from the operating system's entropy before its legacy
    seeding, three per tree) is left out.

    The draws, all from the legacy Mersenne Twister seeded with ``random_state``:
    the (unused) regression targets ``uniform(size=n)``; from a fresh generator, one
    seed per tree ``randint(2³¹ − 1)``; per tree, from a generator seeded with its
    seed, the tree's own seed ``randint(2³¹ − 1)``, then (from its seed again) the
    bagging draws of the features and of ``max_samples`` rows without replacement,
    which become sample weights (the count of each row). Where scikit-learn draws
    the rows as the head of ``permutation(n)`` (``max_samples / n`` strictly between
    0.01 and 0.99; every feature is then drawn with no random number), that draw is
    made directly.

    Each tree is built on its drawn rows alone, in increasing row order, unweighted:
    the samples the builder keeps from the weighted rows (those of weight 1, in row
    order), with the same targets, hence the same splits, node sizes, impurities and
    values, without a pass over the rows it would skip.
    """
    (bagging_indices, max_int, criteria, splitters, builder, tree_class) = _GROWING
    from sklearn.utils.validation import validate_data

    x = validate_data(forest, x, accept_sparse=False, dtype=np.float32, ensure_all_finite=False)
    n_samples, n_features = x.shape
    generator = np.random.RandomState(forest.random_state)
    targets = np.ascontiguousarray(generator.uniform(size=n_samples).reshape(-1, 1))
    max_samples = int(forest.max_samples)
    max_depth = int(np.ceil(np.log2(max(max_samples, 2))))
    forest.max_samples_ = max_samples
    forest._n_samples = n_samples
    forest._validate_estimator(forest._get_estimator())
    forest.estimator_.max_depth = max_depth
    forest._max_samples = max_samples
    forest._max_features = n_features
    forest._sample_weight = None
    generator.seed(forest.random_state)
    seeds = generator.randint(max_int, size=forest.n_estimators)
    forest._seeds = seeds
    params = forest.estimator_.get_params(deep=False)
    fitted = {"n_features_in_": n_features, "n_outputs_": 1, "max_features_": 1}
    outputs = np.array([1], dtype=np.intp)
    permuted = 0.01 < max_samples / n_samples < 0.99  # scikit-learn's sample_without_replacement
    trees, features_drawn = [], []
    for seed in seeds:
        generator.seed(seed)
        tree_seed = generator.randint(np.iinfo(np.int32).max)
        generator.seed(seed)
        if permuted:
            features, rows = np.arange(n_features, dtype=np.intp), generator.permutation(n_samples)[:max_samples]
        else:
            features, rows = bagging_indices(
                generator, False, False, n_features, n_samples, n_features, max_samples, None
            )
        rows = np.sort(rows)
        generator.seed(tree_seed)
        splitter = splitters["random"](criteria["squared_error"](1, rows.size), 1, 1, 0.0, generator, None)
        structure = tree_class(n_features, outputs, 1)
        builder(splitter, 2, 1, 0.0, max_depth, 0.0).build(structure, x[rows], targets[rows], None, None)
        tree = _Tree(**{**params, "random_state": tree_seed})
        tree.__dict__.update(fitted, tree_=structure)
        trees.append(tree)
        features_drawn.append(features)
    forest.estimators_ = trees
    forest.estimators_features_ = features_drawn
    # c(n) of every node, looked up: the same values (one operation per entry, whatever
    # the entries beside it), computed once for every n a node can hold
    lengths = average_path_length(np.arange(max_samples + 1))
    forest._average_path_length_per_tree = tuple(lengths[t.tree_.n_node_samples] for t in trees)
    forest._decision_path_lengths = tuple(t.tree_.compute_node_depths() for t in trees)
    forest.offset_ = -0.5
    return forest


def _growing() -> tuple[Any, ...] | None:
    """The scikit-learn internals :func:`_grow` calls, or None where they moved."""
    try:
        from sklearn.ensemble._bagging import MAX_INT, _generate_bagging_indices
        from sklearn.tree._classes import CRITERIA_REG, DENSE_SPLITTERS
        from sklearn.tree._tree import DepthFirstTreeBuilder, Tree
    except ImportError:
        return None
    return _generate_bagging_indices, MAX_INT, CRITERIA_REG, DENSE_SPLITTERS, DepthFirstTreeBuilder, Tree


_GROWING = _growing()


def average_path_length(n: np.ndarray) -> np.ndarray:
    """``c(n)``, the average path length of an unsuccessful search in a binary search
    tree of ``n`` nodes, per entry of ``n``: 0 for ``n ≤ 1``, 1 for ``n = 2``, else
    ``2 (ln(n − 1) + γ) − 2 (n − 1) / n`` (Liu, Ting and Zhou 2008); scikit-learn's
    ``_average_path_length`` with the same floating-point operations, without its
    input check (most of its cost on a tree's few hundred nodes)."""
    n = np.asarray(n)
    shape = n.shape
    n = n.reshape((1, -1))
    lengths = np.zeros(n.shape)
    one, two = n <= 1, n == 2
    rest = ~np.logical_or(one, two)
    lengths[two] = 1.0
    lengths[rest] = 2.0 * (np.log(n[rest] - 1.0) + np.euler_gamma) - 2.0 * (n[rest] - 1.0) / n[rest]
    return lengths.reshape(shape)


_PATHS = "node_path_lengths_"
"""Where a fitted forest keeps :func:`_node_path_lengths` (in its instance dictionary)."""


def _node_path_lengths(model: IsolationForest) -> tuple[np.ndarray, ...] | None:
    """Per tree of a fitted forest, per node: ``depth(node) + c(n_node) − 1``, the path
    length of a point whose leaf is that node (float64), as ``score_samples`` computes
    it per point (the same operations on the same operands, done once per node
    instead of once per point); None where the forest's attributes do not match its
    trees. Kept on the forest for as long as its trees are the same."""
    trees = model.estimators_
    cached = model.__dict__.get(_PATHS)
    if cached is not None and cached[0] is trees:
        return cached[1]
    lengths = model._decision_path_lengths
    averages = model._average_path_length_per_tree
    if len(lengths) != len(trees) or len(averages) != len(trees):
        return None
    paths = tuple(length + average - 1.0 for length, average in zip(lengths, averages, strict=True))
    model.__dict__[_PATHS] = (trees, paths)
    return paths


def isolation_scores(model: IsolationForest, x: np.ndarray) -> np.ndarray | None:
    """``-model.score_samples(x)`` of a fitted ``IsolationForest``, computed with the very
    same floating-point operations in the same order, without its per-tree overhead
    (a joblib task, a configuration context and input checks per tree: most of a
    tick's scoring time for a hundred trees and a few hundred accounts); None where
    the model is not one whose internals this knows (then call ``score_samples``).

    Per account, ``h = Σ_trees (depth(leaf) + c(n_leaf) − 1)`` summed tree by tree (the
    term per node computed once per fit, :func:`_node_path_lengths`), and
    the score ``2^(−h / (trees · c(max_samples)))``, with ``c(n)`` the average path
    length of an unsuccessful search in a binary search tree of ``n`` nodes
    (Liu, Ting and Zhou 2008).
    """
    try:
        trees = model.estimators_
        max_samples = model._max_samples
        every_feature = model._max_features == x.shape[1]
        paths = _node_path_lengths(model)
    except (ImportError, AttributeError):
        return None
    if not every_feature or paths is None:
        return None
    data = np.asarray(x, dtype=np.float32)  # what score_samples' input check makes of it
    depths = np.zeros(data.shape[0], order="f")
    for tree, path in zip(trees, paths, strict=True):
        depths += path[tree.tree_.apply(data)]
    denominator = len(trees) * average_path_length(np.array([max_samples]))
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
