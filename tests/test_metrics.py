"""Every metric on tiny hand-made results with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulator.metrics import (
    METRICS,
    Confusion,
    RunFrame,
    accounts_caught,
    alarms_per_day,
    auprc,
    campaign_detection,
    detection_rate,
    evaluate,
    leakage_share,
    leakage_tokens,
    legit_denied_share,
    legit_flagged,
    legit_flagged_token_share,
    legit_output_lost_share,
    recall_at_fpr,
    served_before_alarm,
    ttd_quantile,
)

NAN = math.nan


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


def campaigns(**totals: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"campaign": list(totals), "accounts": 1, "replacements": 0, "output_tokens": list(totals.values())}
    )


# -- account level -----------------------------------------------------------------------


def test_precision_recall_f1_and_fpr_count_each_account_once() -> None:
    c = Confusion.of([True, True, True, False, False, False, False], [True, True, False, True, False, False, False])
    assert (c.tp, c.fp, c.fn, c.tn) == (2, 1, 1, 3)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(2 / 3)
    assert c.f1 == pytest.approx(2 / 3)
    assert c.fpr == pytest.approx(1 / 4)


def test_precision_is_undefined_without_alarms_and_recall_without_attackers() -> None:
    quiet = Confusion.of([True, False], [False, False])
    assert math.isnan(quiet.precision) and quiet.recall == 0 and quiet.f1 == 0 and quiet.fpr == 0
    assert math.isnan(Confusion.of([False, False], [True, False]).recall)


def test_auprc_is_one_for_a_perfect_ranking_and_the_attacker_share_for_none() -> None:
    truth = [True, True, False, False, False]
    assert auprc(truth, [0.9, 0.8, 0.3, 0.2, 0.1]) == 1.0
    assert auprc(truth, [0.0] * 5) == pytest.approx(0.4)
    # attackers ranked 1st and 3rd: AP = 0.5·1 + 0.5·(2/3)
    assert auprc(truth, [0.9, 0.7, 0.8, 0.2, 0.1]) == pytest.approx(5 / 6)
    assert math.isnan(auprc([False, False], [0.1, 0.2]))


def test_recall_at_fpr_stops_at_the_first_customer_above_the_budget() -> None:
    truth = np.r_[np.ones(4, bool), np.zeros(1000, bool)]
    scores = np.r_[[0.99, 0.95, 0.5, 0.2], np.linspace(0.0, 0.9, 1000)]
    # threshold 0.95 flags two attackers and no customer; 0.9 flags one customer (0.1% ≤ 0.1%)
    assert recall_at_fpr(truth, scores, 0.001) == 0.5
    assert recall_at_fpr(truth, scores, 0.0) == 0.5
    assert recall_at_fpr(truth, scores, 1.0) == 1.0


# -- campaign level ----------------------------------------------------------------------


def test_time_to_detection_runs_from_the_campaigns_first_request_to_its_first_alarm() -> None:
    rows = outcomes(
        attacker("a", first_ts=100.0, alarm_ts=NAN),
        attacker("a", first_ts=300.0, alarm_ts=600.0),
        attacker("a", first_ts=200.0, alarm_ts=900.0),
        attacker("b", first_ts=50.0, alarm_ts=110.0),
    )
    table = campaign_detection(rows, end=3600.0).set_index("campaign")
    assert table.loc["a", "ttd"] == 500.0 and table.loc["b", "ttd"] == 60.0
    assert table.loc["a", "caught"] == 2 and table.loc["a", "active"] == 3
    assert detection_rate(table) == 1.0
    assert accounts_caught(table) == pytest.approx((2 / 3 + 1) / 2)


def test_an_undetected_campaign_is_censored_at_the_end_not_averaged_into_the_ttd() -> None:
    rows = outcomes(
        attacker("found", first_ts=0.0, alarm_ts=120.0),
        attacker("missed", first_ts=1000.0),
        attacker("late", first_ts=0.0, alarm_ts=3000.0),
    )
    table = campaign_detection(rows, end=7200.0).set_index("campaign")
    assert not table.loc["missed", "detected"]
    assert math.isnan(table.loc["missed", "ttd"]) and table.loc["missed", "censored_at"] == 6200.0
    assert detection_rate(table) == pytest.approx(2 / 3)
    # quantiles of the detected (120 s and 3000 s); the miss shows in the detection rate, not as a number
    assert ttd_quantile(table, 0.5) == pytest.approx(1560.0)
    assert ttd_quantile(table, 0.9) == pytest.approx(120 + 0.9 * 2880)


def test_nothing_detected_gives_no_ttd_and_rate_zero() -> None:
    table = campaign_detection(outcomes(attacker(), attacker()), end=600.0)
    assert detection_rate(table) == 0.0 and math.isnan(ttd_quantile(table, 0.5))


def test_an_alarm_before_the_first_request_counts_as_immediate_detection() -> None:
    rows = outcomes(attacker(first_ts=500.0, alarm_ts=60.0), attacker(requests=0, first_ts=NAN, alarm_ts=30.0))
    table = campaign_detection(rows, end=600.0)
    assert table["ttd"].tolist() == [0.0] and table["active"].tolist() == [1]


def test_campaigns_that_never_sent_a_request_are_left_out() -> None:
    rows = outcomes(attacker("idle", requests=0, first_ts=NAN), {})
    assert campaign_detection(rows, end=600.0).empty
    assert math.isnan(detection_rate(campaign_detection(rows, end=600.0)))


def test_requests_served_before_the_alarm_count_everything_for_unalarmed_accounts() -> None:
    rows = outcomes(
        attacker(served=40, served_before_alarm=4, alarm_ts=60.0),
        attacker(served=20, served_before_alarm=20),
        {"served_before_alarm": 1000},
    )
    assert served_before_alarm(rows) == 12.0


def test_passive_leakage_is_what_containment_at_the_alarm_would_have_left() -> None:
    rows = outcomes(
        attacker(output_tokens=1000, output_before_containment=100, alarm_ts=60.0),
        attacker(output_tokens=3000, output_before_containment=3000),
        {"output_tokens": 5000, "output_before_containment": 5000},
    )
    leaked = leakage_tokens(rows, campaigns(hydra=4000), "passive")
    assert leaked == 3100.0
    assert leakage_share(leaked, 4000.0) == pytest.approx(0.775)


def test_active_leakage_is_what_the_campaign_got_against_what_it_got_undefended() -> None:
    rows = outcomes(attacker(output_tokens=500, output_before_containment=500))
    assert leakage_tokens(rows, campaigns(hydra=1500), "active") == 1500.0
    assert leakage_share(1500.0, 6000.0) == 0.25
    assert math.isnan(leakage_share(0.0, 0.0))


# -- collateral ----------------------------------------------------------------------------


def test_collateral_counts_flagged_customers_their_tokens_and_the_workload() -> None:
    rows = outcomes(
        {"output_tokens": 100, "alarm_ts": 60.0},
        {"output_tokens": 300},
        {"output_tokens": 600, "requests": 0, "alarm_ts": 120.0},  # inactive: not in the customer figures
        attacker(alarm_ts=60.0),
    )
    assert legit_flagged(rows) == 1.0
    assert legit_flagged_token_share(rows) == 0.25
    assert alarms_per_day(rows, duration=86400.0 / 2) == 6.0


def test_denied_share_is_the_customers_refused_requests() -> None:
    rows = outcomes({"requests": 30, "forbidden": 3}, {"requests": 10, "forbidden": 1}, attacker(forbidden=10))
    assert legit_denied_share(rows) == 0.1


def test_output_lost_compares_customers_with_their_undefended_run() -> None:
    rows = outcomes({"output_tokens": 600}, {"output_tokens": 300}, attacker(output_tokens=5000))
    assert legit_output_lost_share(rows, undefended=1000.0) == pytest.approx(0.1)
    assert math.isnan(legit_output_lost_share(rows, undefended=None))


# -- all together --------------------------------------------------------------------------


def test_the_null_detector_has_recall_zero_and_no_alarm() -> None:
    rows = outcomes(attacker(), attacker(), {}, {}, {})
    values = evaluate(rows, campaigns(hydra=2000), RunFrame(3600.0, "passive"))
    assert values["recall"] == 0 and values["alarms_per_day"] == 0 and values["legit_flagged"] == 0
    assert math.isnan(values["precision"]) and values["detection_rate"] == 0
    assert values["leakage_share"] == 1.0
    assert values["auprc"] == pytest.approx(2 / 5)


def test_alarming_on_everyone_at_once_gives_recall_one_and_precision_the_attacker_share() -> None:
    everyone = {"max_score": 1.0, "alarm_ts": 60.0, "served_before_alarm": 1, "output_before_containment": 100}
    rows = outcomes(
        attacker(**everyone),
        {**everyone},
        {**everyone},
        {**everyone},
        {**everyone, "requests": 0, "first_ts": NAN},  # never sent a request: not active
    )
    values = evaluate(rows, campaigns(hydra=1000), RunFrame(3600.0, "passive"))
    assert values["recall"] == 1.0 and values["precision"] == 0.25 and values["fpr"] == 1.0
    assert values["leakage_share"] == 0.1 and values["detection_rate"] == 1.0
    assert values["alarms_per_day"] == 5 * 24


def test_evaluate_reports_the_catalogue_in_order_with_active_only_metrics_in_active_mode() -> None:
    rows = outcomes(attacker(), {})
    passive = evaluate(rows, campaigns(hydra=1000), RunFrame(60.0, "passive"))
    active = evaluate(rows, campaigns(hydra=1000), RunFrame(60.0, "active", 4000.0, 2000.0))
    assert list(active) == list(METRICS)
    assert list(passive) == [name for name, info in METRICS.items() if not info.active_only]
    assert active["leakage_share"] == 0.25 and active["legit_output_lost_share"] == 0.5
    assert math.isnan(evaluate(rows, campaigns(hydra=1000), RunFrame(60.0, "active"))["leakage_share"])
