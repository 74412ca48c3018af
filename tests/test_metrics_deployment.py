"""Figures at deployment conditions on tiny hand-made results with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.bench.ledger import TRAJECTORY_SCHEMA
from simulator.metrics import (
    BUDGET_METRICS,
    CALIBRATION_COLUMNS,
    CALIBRATION_METRICS,
    CATALOGUE,
    DEPLOYMENT_METRICS,
    DEPLOYMENT_RANKING_METRICS,
    EXTRACTION_SHARE_THRESHOLD,
    HARNESS_DEPLOYMENT_METRICS,
    METRICS,
    PREVALENCE_METRICS,
    REQUEST_METRICS,
    REQUEST_SPLIT_SCHEMA,
    Confusion,
    DeploymentFrame,
    RunFrame,
    account_weights,
    alarms_per_day,
    auprc,
    budget_outcome,
    customer_weight,
    deployment_alarms_per_day,
    deployment_recall_at_fpr,
    evaluate,
    evaluate_deployment,
    evaluate_deployment_ranking,
    extraction_truth,
    fpr_resolution,
    group_weights,
    population_weights,
    ranked_at_budget,
    recall_at_fpr,
    recall_at_zero_fp,
    request_outcome,
    review_schedule,
    threshold_outcome,
    warmup_threshold,
    window_max_score,
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
    # only active customers are counted; an inactive one takes its group's weight
    active = [True, False, True, True]
    w = group_weights(truth, ["dev", "dev", "corp", "dev"], {"dev": 1_000, "corp": 50}, active)
    assert w.tolist() == [1_000.0, 1_000.0, 50.0, 1.0]
    with pytest.raises(ValueError, match=r"Customer groups \['lab'\] have no active customer"):
        group_weights(truth, ["dev", "lab", "corp", "dev"], {"dev": 1, "corp": 1}, active)


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


# -- analyst budget ------------------------------------------------------------------------


def test_analysts_review_at_most_k_alarms_a_day_first_come_first_served_and_carry_the_rest() -> None:
    ts = [60.0, 120.0, 180.0, 90_000.0, 90_060.0, NAN]
    s = review_schedule(ts, 2, 2 * DAY)
    assert s.reviewed_ts.tolist()[:4] == [DAY, DAY, 2 * DAY, 2 * DAY]
    assert np.isnan(s.reviewed_ts[4:]).all() and s.reviewed.tolist() == [1, 1, 1, 1, 0, 0]


def test_an_alarm_at_the_end_of_a_days_last_tick_is_reviewed_that_day() -> None:
    assert review_schedule([DAY, DAY + 60.0], 1, 2 * DAY).reviewed_ts.tolist() == [DAY, 2 * DAY]


def test_score_order_reviews_the_highest_priority_in_the_queue_first() -> None:
    ts = [60.0, 120.0, 180.0, 90_000.0]
    s = review_schedule(ts, 1, 2 * DAY, order="score", priority=[0.6, 0.9, 0.7, 0.95])
    # day 0: 0.9; day 1: 0.95 (new) beats the queued 0.7 and 0.6
    assert s.reviewed.tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="order='score' needs a priority"):
        review_schedule(ts, 1, DAY, order="score")
    with pytest.raises(ValueError, match="'order' parameter must be 'arrival' or 'score'"):
        review_schedule(ts, 1, DAY, order="random")  # type: ignore[arg-type]


def test_a_short_final_day_has_a_prorated_capacity() -> None:
    s = review_schedule([60.0] * 5, 2, 1.5 * DAY)
    assert s.reviewed.tolist() == [1, 1, 1, 0, 0]


def test_precision_at_budget_is_the_attacker_share_of_the_reviewed_alarms() -> None:
    rows = outcomes(
        {"alarm_ts": 60.0},
        attacker("a", alarm_ts=120.0),
        attacker("a", alarm_ts=180.0),
        attacker("b", alarm_ts=240.0),
        attacker("b"),
        {},
    )
    b = budget_outcome(rows, 3, DAY)
    assert (b.reviewed, b.backlog) == (3.0, 1.0)
    assert b.precision == pytest.approx(2 / 3)
    assert b.recall == pytest.approx(2 / 4)
    # campaign b's only alarm is in the backlog
    assert b.detection_rate == 0.5


def test_a_budget_of_zero_reviews_nothing_and_leaves_every_alarm_in_the_backlog() -> None:
    rows = outcomes({"alarm_ts": 60.0}, attacker(alarm_ts=120.0))
    b = budget_outcome(rows, 0, DAY)
    assert b.reviewed == 0 and b.backlog == 2 and math.isnan(b.precision)
    assert b.recall == 0 and b.detection_rate == 0
    with pytest.raises(ValueError, match="'reviews_per_day' parameter must be a number in the range"):
        budget_outcome(rows, -1, DAY)


def test_without_alarms_nothing_is_reviewed_and_there_is_no_backlog() -> None:
    b = budget_outcome(outcomes(attacker(), {}), 10, DAY)
    assert b.reviewed == 0 and b.backlog == 0 and math.isnan(b.precision) and b.recall == 0
    assert math.isnan(budget_outcome(outcomes({"alarm_ts": 60.0}), 10, DAY).recall)  # no attackers


def test_a_weighted_customer_alarm_takes_w_reviews_and_its_remainder_stays_first_in_line() -> None:
    rows = outcomes({"alarm_ts": 60.0}, attacker(alarm_ts=120.0))
    s = review_schedule(rows["alarm_ts"], 4, 3 * DAY, weight=[10.0, 1.0])
    # 4 + 4 + 2 of the customer's 10, then the attacker on day 2
    assert s.reviewed_ts.tolist() == [3 * DAY, 3 * DAY]
    b = budget_outcome(rows, 4, 3 * DAY, weight=[10.0, 1.0])
    assert b.reviewed == 11 and b.precision == pytest.approx(1 / 11) and b.recall == 1
    partial = budget_outcome(rows, 4, 2 * DAY, weight=[10.0, 1.0])
    assert partial.reviewed == 8 and partial.backlog == 3 and partial.recall == 0


def test_ranked_precision_at_budget_reads_the_precision_recall_curve_at_k_times_days() -> None:
    truth = [True, False, True, True, False, False]
    scores = [0.9, 0.8, 0.7, 0.6, 0.2, 0.1]
    assert ranked_at_budget(truth, scores, 2) == (0.5, pytest.approx(1 / 3))
    assert ranked_at_budget(truth, scores, 4) == (0.75, 1.0)
    assert ranked_at_budget(truth, scores, 100) == (0.5, 1.0)  # beyond everyone: the attacker share
    assert ranked_at_budget(truth, scores, 1.5) == (pytest.approx(1 / 1.5), pytest.approx(1 / 3))
    precision, recall = ranked_at_budget(truth, scores, 0)
    assert math.isnan(precision) and recall == 0
    # customers weighing 10: the 0.8 customer takes the rest of a budget of 5
    assert ranked_at_budget(truth, scores, 5, account_weights(truth, 10.0)) == (0.2, pytest.approx(1 / 3))


@settings(max_examples=60, deadline=None)
@given(truth=st.lists(st.booleans(), min_size=1, max_size=40), data=st.data())
def test_ranked_precision_at_budget_is_the_precision_of_the_top_n_accounts(truth: list[bool], data) -> None:
    n = data.draw(st.integers(1, len(truth)))
    scores = np.linspace(1.0, 0.0, len(truth))  # distinct, already ranked
    precision, recall = ranked_at_budget(truth, scores, n)
    top = truth[:n]
    assert precision == pytest.approx(sum(top) / n)
    if any(truth):
        assert recall == pytest.approx(sum(top) / sum(truth))
    else:
        assert math.isnan(recall)


# -- warm-up thresholds --------------------------------------------------------------------


def test_the_warmup_threshold_flags_the_target_share_and_ties_at_the_cut_stay_below() -> None:
    c = warmup_threshold(np.arange(10) / 10, 0.2)
    assert 0.7 < c.threshold < 0.7 + 1e-12 and c.warmup_flagged == 2 and c.warmup_fpr == 0.2
    tied = warmup_threshold([0.1] * 5 + [0.5] * 5, 0.3)
    assert tied.threshold > 0.5 and tied.warmup_flagged == 0


@pytest.mark.parametrize("target", [0.05, 0.1, 0.25, 0.5, 0.9])
def test_the_warmup_threshold_is_just_above_the_inverted_cdf_quantile(target: float) -> None:
    scores = np.random.default_rng(7).random(40)
    cut = np.quantile(scores, 1 - target, method="inverted_cdf")
    assert warmup_threshold(scores, target).threshold == np.nextafter(cut, np.inf)


@settings(max_examples=80, deadline=None)
@given(scores=st.lists(st.integers(0, 10), min_size=1, max_size=50), target=st.floats(0.0, 0.99))
def test_the_warmup_threshold_is_the_lowest_that_flags_at_most_the_allowed_accounts(
    scores: list[int], target: float
) -> None:
    values = np.array(scores) / 10
    c = warmup_threshold(values, target)
    allowed = math.floor(target * len(scores) + 1e-9)
    assert c.warmup_flagged == (values >= c.threshold).sum() <= allowed
    below = values[values < c.threshold]
    assert below.size and (values >= below.max()).sum() > allowed  # any lower threshold flags too many


def test_a_target_below_one_over_n_sets_the_threshold_above_the_highest_warmup_score() -> None:
    c = warmup_threshold([0.2, 0.4, 0.9], 0.01)
    assert c.threshold > 0.9 and c.warmup_flagged == 0 and c.resolution_limited
    assert not warmup_threshold([0.2] * 100, 0.01).resolution_limited
    assert warmup_threshold([1.0, 0.5], 0.0).threshold > 1.0  # nothing in [0, 1] can reach it


def test_an_empty_warmup_gives_no_threshold() -> None:
    c = warmup_threshold([], 0.001)
    assert math.isnan(c.threshold) and c.resolution_limited and math.isnan(c.warmup_fpr)
    with pytest.raises(ValueError, match="the warm-up had no account"):
        threshold_outcome([True], [0.9], c.threshold)
    with pytest.raises(ValueError, match="'target_fpr' parameter must be a number in the range"):
        warmup_threshold([0.1], 1.0)


def test_the_warmup_threshold_achieves_a_known_precision_recall_and_fpr_afterwards() -> None:
    c = warmup_threshold(np.arange(100) / 100, 0.05)  # flags the top 5: above 0.94
    truth = np.r_[np.ones(4, bool), np.zeros(20, bool)]
    after = np.r_[[0.99, 0.97, 0.95, 0.5], [0.96, *np.linspace(0.0, 0.9, 19)]]
    outcome = threshold_outcome(truth, after, c.threshold)
    assert (outcome.tp, outcome.fp, outcome.fn, outcome.tn) == (3, 1, 1, 19)
    assert outcome.precision == 0.75 and outcome.recall == 0.75 and outcome.fpr == 0.05
    weighted = threshold_outcome(truth, after, c.threshold, account_weights(truth, 100.0))
    assert weighted.precision == pytest.approx(3 / 103) and weighted.fpr == 0.05


def test_attackers_active_during_the_warmup_push_the_threshold_up() -> None:
    customers = np.linspace(0.0, 0.5, 98)
    clean = warmup_threshold(customers, 0.01)
    contaminated = warmup_threshold(np.r_[customers, 0.95, 0.9], 0.01)
    assert clean.threshold < 0.9 < contaminated.threshold
    assert threshold_outcome([True], [0.9], clean.threshold).recall == 1
    assert threshold_outcome([True], [0.9], contaminated.threshold).recall == 0


def test_window_maxima_follow_tick_starts_and_carry_in_the_score_in_force() -> None:
    changes = pa.Table.from_pydict(
        {"tick": [0, 1, 2, 3, 4], "account_id": ["a", "b", "a", "b", "c"], "score": [0.9, 0.2, 0.3, 0.4, 1.0]},
        schema=TRAJECTORY_SCHEMA,
    )
    warmup = window_max_score(changes, 60.0, 0.0, 120.0)
    after = window_max_score(changes, 60.0, 120.0, 300.0)
    assert warmup.to_dict() == {"a": 0.9, "b": 0.2}
    assert after.to_dict() == {"a": 0.9, "b": 0.4, "c": 1.0}
    assert window_max_score(changes, 60.0, 120.0, 300.0, carry_in=False).to_dict() == {"a": 0.3, "b": 0.4, "c": 1.0}
    assert window_max_score(TRAJECTORY_SCHEMA.empty_table(), 60.0, 0.0, 60.0).empty
    with pytest.raises(ValueError, match="holds 2 detectors; select one"):
        window_max_score(changes.to_pandas().assign(detector=["x", "y"] * 2 + ["x"]), 60.0, 0.0, 60.0)


# -- request-level figures for mixed-traffic accounts ---------------------------------------


def splits(*rows: dict) -> pd.DataFrame:
    base = dict.fromkeys(REQUEST_SPLIT_SCHEMA.names[1:], 0)
    return pd.DataFrame([{**base, "account_id": f"a{i}", **row} for i, row in enumerate(rows)])


def test_request_level_figures_split_each_side_of_traffic_at_containment() -> None:
    table = splits(
        {  # a pool account contained midway, blocking some of the ordinary traffic it relays
            "extraction_requests": 80,
            "extraction_requests_contained": 60,
            "extraction_tokens": 8_000,
            "extraction_tokens_contained": 7_000,
            "legit_requests": 20,
            "legit_requests_contained": 10,
            "legit_tokens": 1_000,
            "legit_tokens_contained": 400,
        },
        {"extraction_requests": 20, "extraction_tokens": 2_000},  # a pool account never contained
        {"legit_requests": 80, "legit_tokens": 3_000},  # an ordinary customer
    )
    r = request_outcome(table)
    assert r.extraction_requests_stopped_share == 0.6 and r.extraction_tokens_stopped_share == 0.7
    assert r.legit_requests_blocked == 10 and r.legit_requests_blocked_share == 0.1
    assert r.legit_tokens_blocked == 400 and r.legit_tokens_blocked_share == 0.1


def test_without_containment_nothing_is_stopped_or_blocked_and_empty_sides_are_undefined() -> None:
    r = request_outcome(splits({"extraction_requests": 5, "extraction_tokens": 50}))
    assert r.extraction_requests_stopped_share == 0 and r.legit_requests_blocked == 0
    assert math.isnan(r.legit_requests_blocked_share) and math.isnan(r.legit_tokens_blocked_share)
    with pytest.raises(ValueError, match="lack the columns"):
        request_outcome(pd.DataFrame({"account_id": ["a"]}))


def test_an_account_is_an_attacker_when_at_least_half_of_its_requests_are_extraction() -> None:
    table = splits(
        {"extraction_requests": 50, "legit_requests": 50},
        {"extraction_requests": 49, "legit_requests": 51},
        {"extraction_requests": 1},
        {},
    )
    assert EXTRACTION_SHARE_THRESHOLD == 0.5
    assert extraction_truth(table).tolist() == [True, False, True, False]
    assert extraction_truth(table, threshold=0.9).tolist() == [False, False, True, False]
    with pytest.raises(ValueError, match="'threshold' parameter must be a number in the range"):
        extraction_truth(table, threshold=0.0)


# -- all together --------------------------------------------------------------------------


def run_rows() -> pd.DataFrame:
    return outcomes(
        attacker("a", max_score=0.9, alarm_ts=600.0),
        attacker("a", max_score=0.8, alarm_ts=1200.0),
        attacker("b", max_score=0.3),
        {"max_score": 0.7, "alarm_ts": 900.0},
        {"max_score": 0.2},
        {"max_score": 0.1},
        {"max_score": 0.05},
        {"requests": 0, "first_ts": NAN, "max_score": 0.6, "alarm_ts": 300.0},  # flagged at sign-up
    )


def test_deployment_figures_are_catalogued_apart_from_the_run_metrics() -> None:
    assert not set(DEPLOYMENT_METRICS) & set(METRICS)
    for info in DEPLOYMENT_METRICS.values():
        assert info.unit and info.description and isinstance(info.higher_is_better, bool)
        assert info.bounds == (0.0, 1.0) or info.unit != "share"
    values = evaluate(run_rows(), pd.DataFrame({"output_tokens": [1], "replacements": [0]}), RunFrame(DAY, "passive"))
    assert not set(values) & set(DEPLOYMENT_METRICS)


def test_each_group_of_deployment_figures_comes_with_its_inputs_in_catalogue_order() -> None:
    rows = run_rows()
    plain = evaluate_deployment(rows, DeploymentFrame(DAY))
    later = ("budget_", "ranked_", "calibrated_", "extraction_", "legit_", "resold_")
    assert list(plain) == [name for name in DEPLOYMENT_METRICS if not name.startswith(later)]
    calibration = pd.DataFrame({"account_id": rows["account_id"], "warmup_score": 0.1, "after_score": 0.5})
    everything = evaluate_deployment(
        rows,
        DeploymentFrame(DAY, reviews_per_day=2, warmup_end=DAY / 2),
        calibration=calibration,
        requests=splits({"extraction_requests": 1}),
        review_ts=rows["alarm_ts"],
    )
    assert list(everything) == list(DEPLOYMENT_METRICS)
    with pytest.raises(ValueError, match=r"set DeploymentFrame\.warmup_end"):
        evaluate_deployment(rows, DeploymentFrame(DAY), calibration=calibration)


def test_with_customers_as_simulated_the_deployment_figures_equal_the_run_figures() -> None:
    rows = run_rows()
    run = evaluate(rows, pd.DataFrame({"output_tokens": [1], "replacements": [0]}), RunFrame(DAY, "passive"))
    deployed = evaluate_deployment(rows, DeploymentFrame(DAY))
    for name in ("precision", "fpr", "auprc", "alarms_per_day", "legit_flagged"):
        assert deployed[f"deployment_{name}"] == pytest.approx(run[name]), name
    assert deployed["fpr_resolution"] == 0.25
    assert deployed["deployment_recall_at_fpr_0.001"] != deployed["deployment_recall_at_fpr_0.001"]  # NaN: 4 customers
    assert deployed["recall_at_zero_fp"] == pytest.approx(2 / 3) == run["recall_at_fpr_0.001"]


def test_a_large_represented_population_collapses_precision_and_multiplies_the_workload() -> None:
    rows = run_rows()
    deployed = evaluate_deployment(rows, DeploymentFrame(DAY, represented_customers=4_000))  # w = 1,000
    assert deployed["deployment_precision"] == pytest.approx(2 / (2 + 1_000))
    assert deployed["deployment_fpr"] == 0.25
    assert deployed["deployment_legit_flagged"] == 1_000
    assert deployed["deployment_alarms_per_day"] == 2 + 1_000 + 1_000  # the sign-up alarm stands for 1,000 too
    # the 1,000 customers scored 0.7 sit between the second attacker (0.8) and the third (0.3)
    assert deployed["deployment_auprc"] == pytest.approx(1 / 3 + 1 / 3 + 1 / 3 * 3 / (3 + 1_000))


def test_the_budget_at_deployment_is_spent_on_the_represented_customers() -> None:
    rows = run_rows()
    frame = DeploymentFrame(DAY, represented_customers=4_000, reviews_per_day=500)
    deployed = evaluate_deployment(rows, frame)
    # arrival order: the sign-up alarm (300 s, 1,000 customers) takes the whole day's 500 reviews
    assert deployed["budget_precision"] == 0 and deployed["budget_recall"] == 0
    assert deployed["budget_detection_rate"] == 0 and deployed["budget_backlog"] == 2 + 2_000 - 500
    # the final ranking reviews 500 accounts' worth: the two attackers, then 498 of the 0.7 customers
    assert deployed["ranked_precision_at_budget"] == pytest.approx(2 / 500)
    assert deployed["ranked_recall_at_budget"] == pytest.approx(2 / 3)


def test_the_calibrated_threshold_is_judged_after_the_warmup_at_deployment_weights() -> None:
    rows = run_rows()
    ids = rows["account_id"]
    calibration = pd.DataFrame(
        {
            "account_id": ids,
            # warm-up: every account active, the attacker at 0.6 among them (contamination)
            "warmup_score": [0.6, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1, NAN],
            "after_score": [0.9, 0.8, 0.15, 0.7, 0.2, 0.1, NAN, NAN],
        }
    )
    frame = DeploymentFrame(DAY, represented_customers=4_000, warmup_end=DAY / 2, target_fpr=0.2)
    deployed = evaluate_deployment(rows, frame, calibration=calibration)
    # 7 warm-up accounts, one may be flagged: threshold just above 0.2, so 0.9, 0.8 and 0.7 are flagged
    assert deployed["calibrated_recall"] == pytest.approx(2 / 3)
    assert deployed["calibrated_fpr"] == pytest.approx(1 / 3)
    assert deployed["calibrated_precision"] == pytest.approx(2 / (2 + 1_000))
    assert deployed["calibrated_alarms_per_day"] == pytest.approx((2 + 1_000) / 0.5)
    empty = calibration.assign(warmup_score=NAN)
    assert all(math.isnan(v) for k, v in evaluate_deployment(rows, frame, calibration=empty).items() if "calib" in k)


def test_no_attackers_and_no_alarms_leave_the_undefined_figures_nan() -> None:
    quiet = outcomes({}, {}, attacker())
    values = evaluate_deployment(quiet, DeploymentFrame(DAY, represented_customers=1_000, reviews_per_day=10))
    assert math.isnan(values["deployment_precision"]) and values["deployment_alarms_per_day"] == 0
    assert values["budget_backlog"] == 0 and math.isnan(values["budget_precision"]) and values["budget_recall"] == 0
    customers_only = evaluate_deployment(outcomes({"alarm_ts": 60.0}, {}), DeploymentFrame(DAY, reviews_per_day=10))
    assert customers_only["deployment_precision"] == 0 and math.isnan(customers_only["deployment_auprc"])
    assert math.isnan(customers_only["budget_recall"]) and math.isnan(customers_only["budget_detection_rate"])
    assert set(CALIBRATION_COLUMNS) == {"account_id", "warmup_score", "after_score"}


# -- a declared customer base, the review queue, rankings ------------------------------------


def test_a_declared_customer_base_weighs_each_group_over_its_active_customers() -> None:
    truth = [False, False, False, False, True, True]
    group = ["chat", "chat", "chat", "batch", "hydra", "hydra"]
    active = [True, True, False, True, True, False]
    w = population_weights(truth, group, active, 1_000, {"batch": 10}, attacker_weight=4.0)
    # the unlisted chat group shares 1,000 − 10 over its 2 active customers; the inactive one takes that weight
    assert w.tolist() == [495.0, 495.0, 495.0, 10.0, 4.0, 4.0]
    # the represented active customers add up to the declared base
    assert w[~np.array(truth) & np.array(active)].sum() == 1_000
    # a group without an active customer stands for nobody in this run
    quiet = population_weights(truth, group, [True, True, False, False, True, True], 1_000, {"batch": 10})
    assert quiet.tolist() == [495.0, 495.0, 495.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="more than the 100 customers"):
        population_weights(truth, group, active, 100, {"batch": 200})
    with pytest.raises(ValueError, match="'attacker_weight' parameter must be a number"):
        population_weights(truth, group, active, 100, attacker_weight=-1.0)


def test_the_budget_may_review_the_alarms_of_another_threshold_than_the_outcomes() -> None:
    rows = run_rows()
    frame = DeploymentFrame(DAY, reviews_per_day=2)
    # at the operating threshold only the two campaign-a attackers join the queue, late in the day
    review_ts = np.where(rows["campaign"].eq("a"), 7_200.0, NAN)
    queued = evaluate_deployment(rows, frame, review_ts=review_ts)
    assert queued["budget_precision"] == 1 and queued["budget_recall"] == pytest.approx(2 / 3)
    assert queued["budget_backlog"] == 0
    # the figures at the fixed threshold keep the outcomes' alarms
    plain = evaluate_deployment(rows, frame)
    for name in ("deployment_precision", "deployment_alarms_per_day", "deployment_legit_flagged"):
        assert queued[name] == plain[name]
    assert plain["budget_precision"] == pytest.approx(1 / 2)  # the sign-up alarm and the first attacker


def test_a_ranking_alone_gets_the_ranking_figures_of_the_full_evaluation() -> None:
    rows = run_rows()
    frame = DeploymentFrame(DAY, represented_customers=4_000, reviews_per_day=500)
    ranking = evaluate_deployment_ranking(rows, frame)
    assert list(ranking) == list(DEPLOYMENT_RANKING_METRICS)
    full = evaluate_deployment(rows, frame)
    for name, value in ranking.items():
        assert value == pytest.approx(full[name], nan_ok=True), name
    # alarm times are not read
    assert evaluate_deployment_ranking(rows.assign(alarm_ts=NAN), frame) == pytest.approx(ranking, nan_ok=True)
    without_budget = evaluate_deployment_ranking(rows, DeploymentFrame(DAY))
    assert "ranked_precision_at_budget" not in without_budget


def test_the_deployment_catalogue_is_split_into_its_groups() -> None:
    groups = (PREVALENCE_METRICS, BUDGET_METRICS, CALIBRATION_METRICS, REQUEST_METRICS)
    assert [name for group in groups for name in group] == list(DEPLOYMENT_METRICS)
    assert HARNESS_DEPLOYMENT_METRICS == PREVALENCE_METRICS + BUDGET_METRICS + CALIBRATION_METRICS
    assert set(DEPLOYMENT_RANKING_METRICS) <= set(HARNESS_DEPLOYMENT_METRICS)
    assert list(CATALOGUE) == [*METRICS, *DEPLOYMENT_METRICS]


def test_time_to_detection_at_the_warmup_threshold_reads_the_alarms_at_that_threshold() -> None:
    rows = run_rows()  # campaign a (two accounts, alarmed at 600 s at the fixed threshold) and b (never)
    calibration = pd.DataFrame(
        {
            "account_id": rows["account_id"],
            "warmup_score": [0.6, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1, NAN],
            "after_score": [0.9, 0.8, 0.15, 0.7, 0.2, 0.1, NAN, NAN],
        }
    )
    frame = DeploymentFrame(DAY, warmup_end=DAY / 2, target_fpr=0.2)
    # at the warm-up threshold, a's second account alarms at 50,000 s and b's at 60,000 s: both found
    review = np.array([NAN, 50_000.0, 60_000.0, DAY / 2, NAN, NAN, NAN, NAN])
    deployed = evaluate_deployment(rows, frame, calibration=calibration, review_ts=review)
    assert deployed["calibrated_ttd_median_s"] == pytest.approx(55_000.0)
    assert list(deployed).index("calibrated_ttd_median_s") == list(deployed).index("calibrated_alarms_per_day") + 1
    # without the alarm times there is nothing to read it from; without a warm-up threshold it is undefined
    assert "calibrated_ttd_median_s" not in evaluate_deployment(rows, frame, calibration=calibration)
    empty = calibration.assign(warmup_score=NAN)
    assert math.isnan(evaluate_deployment(rows, frame, calibration=empty, review_ts=review)["calibrated_ttd_median_s"])
    info = DEPLOYMENT_METRICS["calibrated_ttd_median_s"]
    assert info.censored and not info.higher_is_better and info.unit == "s"
