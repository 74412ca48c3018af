"""Adapters: scikit-learn, PyOD and River models plugged in as detectors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest

from detectors.adapters import EstimatorAdapter, EventAdapter, RiverAdapter, RunningZScore
from detectors.base import ParameterError
from detectors.registry import configure
from detectors.testing import make_batch
from simulator.conformance import run_checks

needs_pyod = pytest.mark.skipif(importlib.util.find_spec("pyod") is None, reason="PyOD (optional) is not installed")
needs_river = pytest.mark.skipif(importlib.util.find_spec("river") is None, reason="River (optional) is not installed")

NORMAL = [f"acct_n{i:02d}" for i in range(40)]
ODD = ["acct_x1", "acct_x2", "acct_x3"]


def stream(ticks: int = 30, seed: int = 0, odd_requests: int = 8) -> list:
    """40 accounts sending one short chat request a tick from their own address, and
    3 sending ``odd_requests`` long chain-of-thought reasoning requests a tick from
    rotating ones."""
    rng = np.random.default_rng(seed)
    batches = []
    for tick in range(ticks):
        accounts = NORMAL + [a for a in ODD for _ in range(odd_requests)]
        n, odd = len(accounts), np.array([a in ODD for a in accounts])
        batches.append(
            make_batch(
                tick,
                account_id=accounts,
                ts=np.sort(tick * 60.0 + rng.uniform(0, 60, size=n)),
                input_tokens=np.where(odd, 900, rng.integers(50, 200, size=n)).astype(np.int32),
                output_tokens=np.where(odd, 2000, rng.integers(20, 300, size=n)).astype(np.int32),
                topic=np.where(odd, "reasoning", "chit_chat"),
                cot_requested=odd,
                ip=[f"10.{tick}.{i}.1" if o else f"10.0.{i}.1" for i, o in enumerate(odd)],
            )
        )
    return batches


def max_scores(detector, batches) -> pd.Series:
    best: dict[str, float] = {}
    for batch in batches:
        scores = detector.update(batch)
        if scores is not None:
            for account, value in scores.items():
                best[account] = max(best.get(account, 0.0), value)
    return pd.Series(best)


def assert_odd_accounts_rank_first(scores: pd.Series) -> None:
    assert set(scores.nlargest(len(ODD)).index) == set(ODD), scores.sort_values().tail(6)


def test_an_isolation_forest_plugs_in() -> None:
    detector = EstimatorAdapter(IsolationForest(n_estimators=50), refit_every=10, score_every=1, seed=1)
    assert_odd_accounts_rank_first(max_scores(detector, stream()))


def test_an_estimator_can_be_named_by_its_import_path_and_scored_by_decision_function() -> None:
    detector = EstimatorAdapter(
        "sklearn.ensemble:IsolationForest", refit_every=10, score_every=1, score_method="-decision_function"
    )
    assert_odd_accounts_rank_first(max_scores(detector, stream()))


@needs_pyod
def test_a_pyod_model_plugs_in_with_its_own_score_direction() -> None:
    from pyod.models.ecod import ECOD

    detector = EstimatorAdapter(ECOD(), refit_every=10, score_every=1)
    assert_odd_accounts_rank_first(max_scores(detector, stream()))


@needs_river
def test_a_river_model_plugs_in_over_account_features() -> None:
    assert_odd_accounts_rank_first(max_scores(RiverAdapter(seed=3), stream()))


@needs_river
def test_a_river_model_plugs_in_per_event() -> None:
    from river import anomaly, preprocessing

    model = preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees(seed=2)
    detector = EventAdapter(model, columns=("input_tokens", "output_tokens", "cot_requested"))
    assert_odd_accounts_rank_first(max_scores(detector, stream(odd_requests=1)))


def test_the_built_in_event_model_flags_unusual_requests() -> None:
    assert_odd_accounts_rank_first(max_scores(EventAdapter(), stream(odd_requests=1)))


def test_scores_are_the_ecdf_among_the_training_accounts() -> None:
    detector = EstimatorAdapter(IsolationForest(n_estimators=20), refit_every=30, score_every=30, seed=0)
    scores = max_scores(detector, stream())
    assert scores.between(0, 1).all() and scores.max() == pytest.approx(1 - 0.5 / 43)


def test_a_refit_tick_scores_the_training_accounts_as_a_fresh_scoring_would() -> None:
    from detectors.scoring import ecdf

    detector = EstimatorAdapter(IsolationForest(n_estimators=10), refit_every=5, score_every=5, seed=0)
    for batch in stream(ticks=10):
        scores = detector.update(batch)
        if (batch.tick + 1) % 5 == 0:
            codes = detector.features_.index.lookup(scores.index)
            fresh = ecdf(detector.reference_, detector._raw(detector._vectors(codes)))
            assert scores.to_numpy().tobytes() == fresh.tobytes()
            assert not hasattr(detector, "fitted_")


def test_features_are_checked_by_name() -> None:
    with pytest.raises(ValueError, match="Unknown features \\['volume'\\]; valid features: requests, "):
        EstimatorAdapter(features=("volume",)).update(stream(1)[0])


def test_a_parameter_outside_its_constraint_is_rejected() -> None:
    with pytest.raises(ParameterError, match="The 'score_method' parameter of EstimatorAdapter must be one of"):
        configure(EstimatorAdapter, score_method="predict")


def test_cloning_an_adapter_clones_its_model_unfitted() -> None:
    detector = EstimatorAdapter(IsolationForest(n_estimators=5), refit_every=5, score_every=1)
    max_scores(detector, stream(6))
    twin = detector.clone()
    assert twin.estimator is not detector.estimator and not hasattr(twin.estimator, "estimators_")
    event = EventAdapter(RunningZScore())
    event.update(stream(1)[0])
    assert event.clone().model.n == 0


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: EstimatorAdapter(IsolationForest(n_estimators=10), refit_every=30), id="sklearn"),
        pytest.param(lambda: EventAdapter(), id="events"),
        pytest.param(lambda: RiverAdapter(), id="river", marks=needs_river),
        pytest.param(lambda: _pyod_adapter(), id="pyod", marks=needs_pyod),
    ],
)
def test_adapters_pass_the_conformance_suite(make) -> None:
    run_checks(make())


def _pyod_adapter() -> EstimatorAdapter:
    from pyod.models.hbos import HBOS

    return EstimatorAdapter(HBOS(), refit_every=30)
