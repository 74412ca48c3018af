"""Figures at deployment conditions on tiny hand-made results with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.metrics import (
    Confusion,
    account_weights,
    alarms_per_day,
    auprc,
    customer_weight,
    deployment_alarms_per_day,
    deployment_recall_at_fpr,
    fpr_resolution,
    group_weights,
    recall_at_fpr,
    recall_at_zero_fp,
)

NAN = math.nan
DAY = 86400.0


def outcomes(*rows: dict) -> pd.DataFrame:
    """Outcome rows with defaults: an active customer, never scored or alarmed."""
    base = {
        "account_id": "",
        "is_attacker": False,
        "campaign": None,
        "requests": 10,
        "served": 10,
        "forbidden": 0,
        "output_tokens": 1000,
        "first_ts": 0.0,
        "max_score": 0.0,
        "alarm_ts": NAN,
        "served_before_alarm": 10,
        "output_before_containment": 1000,
    }
    frame = pd.DataFrame([{**base, "account_id": f"a{i}", **row} for i, row in enumerate(rows)])
    frame["is_attacker"] = frame["campaign"].notna()
    return frame


def attacker(campaign: str = "hydra", **row: object) -> dict:
    return {"campaign": campaign, **row}


def labelled(caught: int, attackers: int, flagged: int, customers: int) -> tuple[np.ndarray, np.ndarray]:
    """Truth and alarms: ``caught`` of ``attackers`` and ``flagged`` of ``customers`` alarmed."""
    truth = np.r_[np.ones(attackers, bool), np.zeros(customers, bool)]
    alarmed = np.r_[np.arange(attackers) < caught, np.arange(customers) < flagged]
    return truth, alarmed


# -- prevalence weights --------------------------------------------------------------------


def test_a_simulated_customer_stands_for_the_represented_population_over_the_simulated_one() -> None:
    assert customer_weight(2_000_000, 4_000) == 500.0
    assert account_weights([True, False], 500.0).tolist() == [1.0, 500.0]
    with pytest.raises(ValueError, match="'represented_customers' parameter must be a number in the range"):
        customer_weight(0, 10)
    with pytest.raises(ValueError, match="No simulated active customer"):
        customer_weight(1_000, 0)
    with pytest.raises(ValueError, match="Got 3 weights for 2 accounts"):
        account_weights([True, False], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="finite and non-negative"):
        account_weights([True, False], [1.0, -2.0])


def test_each_flagged_customer_counts_as_the_customers_it_stands_for() -> None:
    truth, alarmed = labelled(caught=2, attackers=3, flagged=1, customers=5)
    c = Confusion.of(truth, alarmed, account_weights(truth, 100.0))
    assert (c.tp, c.fp, c.fn, c.tn) == (2.0, 100.0, 1.0, 400.0)
    assert c.precision == pytest.approx(2 / 102)
    assert c.recall == pytest.approx(2 / 3) and c.fpr == pytest.approx(1 / 5)


def test_precision_collapses_to_rP_over_rP_plus_fwN_at_deployment_prevalence() -> None:
    # the worked example of simulator.metrics.weights: r = 0.8, f = 1%, P = 500, N = 3,000, 2M represented
    truth, alarmed = labelled(caught=400, attackers=500, flagged=30, customers=3_000)
    w = account_weights(truth, customer_weight(2_000_000, 3_000))
    assert Confusion.of(truth, alarmed).precision == pytest.approx(400 / 430)
    assert Confusion.of(truth, alarmed, w).precision == pytest.approx(400 / 20_400)


@settings(max_examples=60, deadline=None)
@given(
    attackers=st.integers(1, 200),
    customers=st.integers(1, 2_000),
    recall=st.floats(0.01, 1.0),
    fpr=st.floats(0.0, 1.0),
    w=st.floats(0.01, 1e5),
)
def test_a_fixed_fpr_and_recall_give_precision_rP_over_rP_plus_fwN(
    attackers: int, customers: int, recall: float, fpr: float, w: float
) -> None:
    caught, flagged = max(1, round(recall * attackers)), round(fpr * customers)
    truth, alarmed = labelled(caught, attackers, flagged, customers)
    r, f = caught / attackers, flagged / customers
    c = Confusion.of(truth, alarmed, account_weights(truth, w))
    assert c.precision == pytest.approx(r * attackers / (r * attackers + f * w * customers))
    assert c.recall == pytest.approx(r) and c.fpr == pytest.approx(f)


accounts_strategy = st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(rows=accounts_strategy)
def test_unit_weights_give_the_unweighted_confusion(rows: list[tuple[bool, bool]]) -> None:
    truth, alarmed = (np.array(column, dtype=bool) for column in zip(*rows, strict=True))
    plain = Confusion.of(truth, alarmed)
    weighted = Confusion.of(truth, alarmed, account_weights(truth, 1.0))
    for name in ("precision", "recall", "f1", "fpr"):
        assert getattr(weighted, name) == pytest.approx(getattr(plain, name), nan_ok=True)


@settings(max_examples=60, deadline=None)
@given(rows=accounts_strategy, low=st.floats(0.0, 1e4), factor=st.floats(1.0, 1e3))
def test_weighted_precision_never_rises_with_the_customer_weight(
    rows: list[tuple[bool, bool]], low: float, factor: float
) -> None:
    truth, alarmed = (np.array(column, dtype=bool) for column in zip(*rows, strict=True))
    light = Confusion.of(truth, alarmed, account_weights(truth, low)).precision
    heavy = Confusion.of(truth, alarmed, account_weights(truth, low * factor)).precision
    assert math.isnan(light) == math.isnan(heavy)
    if not math.isnan(light):
        assert heavy <= light + 1e-12


def test_weighted_auprc_counts_each_customer_as_w_copies_and_chance_is_the_weighted_share() -> None:
    truth = np.array([True, False, True, False, False])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.1])
    copies = np.r_[truth, np.zeros(2 * 3, bool)]  # each customer twice more: weight 3
    copied_scores = np.r_[scores, np.repeat(scores[~truth], 2)]
    assert auprc(truth, scores, account_weights(truth, 3.0)) == pytest.approx(auprc(copies, copied_scores))
    # thresholds 0.9 (P 1, R ½) and 0.7 (P 2/5, R 1) with the 0.8 customer weighing 3
    assert auprc(truth, scores, account_weights(truth, 3.0)) == pytest.approx(0.5 * 1 + 0.5 * 2 / 5)
    assert auprc(truth, np.zeros(5), account_weights(truth, 100.0)) == pytest.approx(2 / (2 + 300))


def test_group_weights_scale_each_archetype_to_its_own_population() -> None:
    truth = [False, False, False, True]
    w = group_weights(truth, ["dev", "dev", "corp", "dev"], {"dev": 1_000, "corp": 50})
    assert w.tolist() == [500.0, 500.0, 50.0, 1.0]
    # the FPR is then that of the represented population: the flagged corp customer is 50 of 1,050
    assert Confusion.of(truth, [False, False, True, True], w).fpr == pytest.approx(50 / 1_050)
    with pytest.raises(ValueError, match=r"Customer groups \['corp'\] have no represented population"):
        group_weights(truth, ["dev", "dev", "corp", "dev"], {"dev": 1_000})
    with pytest.raises(ValueError, match=r"Groups \['lab'\] have a represented population but no simulated"):
        group_weights(truth, ["dev", "dev", "corp", "dev"], {"dev": 1, "corp": 1, "lab": 9})


def test_recall_at_an_fpr_below_one_simulated_customer_is_nan_and_zero_fp_recall_bounds_it() -> None:
    truth = np.r_[np.ones(4, bool), np.zeros(1000, bool)]
    scores = np.r_[[0.99, 0.95, 0.5, 0.2], np.linspace(0.0, 0.9, 1000)]
    assert fpr_resolution(truth) == 0.001
    assert deployment_recall_at_fpr(truth, scores, 1e-3) == 0.5  # one customer allowed: 0.9 flags it
    assert math.isnan(deployment_recall_at_fpr(truth, scores, 1e-4))
    assert recall_at_zero_fp(truth, scores) == 0.5
    # weighting customers leaves the resolution at one simulated customer
    assert fpr_resolution(truth, account_weights(truth, 2_000.0)) == pytest.approx(0.001)
    assert math.isnan(deployment_recall_at_fpr([True, True], [0.5, 0.6], 0.1))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=40),
    max_fpr=st.sampled_from([0.05, 0.1, 0.25, 0.5, 1.0]),
)
def test_with_unit_weights_resolved_recall_at_fpr_equals_the_run_figure(
    rows: list[tuple[bool, int]], max_fpr: float
) -> None:
    truth = np.array([t for t, _ in rows], dtype=bool)
    scores = np.array([s / 5 for _, s in rows])
    resolved = deployment_recall_at_fpr(truth, scores, max_fpr)
    if not truth.any() or truth.all() or max_fpr < 1 / (~truth).sum():
        assert math.isnan(resolved)
    else:
        assert resolved == pytest.approx(recall_at_fpr(truth, scores, max_fpr))


def test_alarms_per_day_at_deployment_count_each_customer_alarm_w_times() -> None:
    truth, alarmed = labelled(caught=3, attackers=4, flagged=2, customers=10)
    w = account_weights(truth, 250.0)
    assert deployment_alarms_per_day(alarmed, w, duration=2 * DAY) == (3 + 2 * 250) / 2
    rows = pd.DataFrame({"alarm_ts": np.where(alarmed, 60.0, NAN)})
    assert deployment_alarms_per_day(alarmed, np.ones(truth.size), DAY / 2) == alarms_per_day(rows, DAY / 2)
