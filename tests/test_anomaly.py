"""The isolation forest grown without scikit-learn's per-tree overhead is scikit-learn's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.ensemble._iforest import _average_path_length

from detectors.anomaly import _builds_directly, _Forest, average_path_length, isolation_scores

TREE_ARRAYS = (
    "children_left",
    "children_right",
    "feature",
    "threshold",
    "n_node_samples",
    "weighted_n_node_samples",
    "impurity",
    "value",
    "missing_go_to_left",
)


class _Reference(_Forest):
    """The same estimator fit by scikit-learn's own ``IsolationForest.fit``."""

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> _Reference:  # noqa: N803 (scikit-learn's names)
        return IsolationForest.fit(self, X, y, sample_weight)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "tree_"):
        return (
            type(a) is type(b)
            and vars(a).keys() == vars(b).keys()
            and all(_same(v, vars(b)[k]) for k, v in vars(a).items() if k != "tree_")
            and all(np.array_equal(getattr(a.tree_, k), getattr(b.tree_, k)) for k in TREE_ARRAYS)
        )
    if hasattr(a, "get_params"):
        return type(a) is type(b) and a.get_params() == b.get_params()
    return type(a) is type(b) and a == b


# rows drawn as a permutation's head (3000, 300, 11), by reservoir sampling (40: every row;
# 258: 256 of them, ratio above 0.99) and by tracking selection (26,000: ratio below 0.01)
@pytest.mark.parametrize(
    ("n", "width", "max_samples"),
    [(3000, 22, 256), (300, 22, 256), (40, 3, 40), (11, 5, 2), (258, 5, 256), (26_000, 3, 256)],
)
def test_the_forest_is_scikit_learns_attribute_for_attribute(n: int, width: int, max_samples: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, width))
    x[::3, 0] = 0.0  # ties and constant stretches, as rolling features have
    x[:, -1] = 1.0
    expected = _Reference(n_estimators=40, max_samples=max_samples, random_state=3).fit(x)
    grown = _Forest(n_estimators=40, max_samples=max_samples, random_state=3)
    assert _builds_directly(grown, x, None)
    grown.fit(x)
    assert vars(grown).keys() == vars(expected).keys()
    assert [k for k, v in vars(expected).items() if not _same(v, vars(grown)[k])] == []
    assert isolation_scores(grown, x).tobytes() == isolation_scores(expected, x).tobytes()


def test_a_forest_outside_the_direct_build_is_fit_by_scikit_learn() -> None:
    x = np.random.default_rng(0).normal(size=(100, 4))
    expected = _Reference(n_estimators=5, max_samples=0.5, random_state=1).fit(x)
    grown = _Forest(n_estimators=5, max_samples=0.5, random_state=1).fit(x)
    assert [k for k, v in vars(expected).items() if not _same(v, vars(grown)[k])] == []


def test_average_path_length_is_scikit_learns() -> None:
    n = np.arange(5000)
    assert average_path_length(n).tobytes() == _average_path_length(n).tobytes()


def test_internals_that_do_not_fit_fall_back_to_scikit_learns_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    import detectors.anomaly

    def moved(*_: object) -> None:
        raise TypeError("__init__() takes exactly 7 positional arguments (6 given)")

    monkeypatch.setattr(detectors.anomaly, "_grow", moved)
    x = np.random.default_rng(2).normal(size=(300, 6))
    expected = _Reference(n_estimators=10, max_samples=64, random_state=4).fit(x)
    grown = _Forest(n_estimators=10, max_samples=64, random_state=4)
    assert _builds_directly(grown, x, None)
    grown.fit(x)
    assert [k for k, v in vars(expected).items() if not _same(v, vars(grown)[k])] == []


def test_isolation_scores_are_the_negated_score_samples_bit_for_bit_after_every_fit() -> None:
    rng = np.random.default_rng(9)
    forest = _Forest(n_estimators=30, max_samples=64, random_state=2)
    for n in (500, 80):  # the same forest fit twice: the path lengths follow its new trees
        x = rng.normal(size=(n, 7))
        x[::4, 2] = 0.0
        forest.fit(x)
        probe = np.vstack([x, rng.normal(scale=3.0, size=(50, 7))])
        assert isolation_scores(forest, probe).tobytes() == (-forest.score_samples(probe)).tobytes()
