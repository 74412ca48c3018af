"""Figures at deployment conditions through the harness: weights of a declared customer base,
the collapse of precision at a realistic prevalence, the warm-up threshold and the analysts'
budget end to end, and the settings reaching the run."""

from __future__ import annotations

import json
import math
import shutil
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import tiny_scenario
from typer.testing import CliRunner

from detectors.base import Detector, scores_series
from simulator import bench
from simulator.bench.plan import BenchInputError, plan_run
from simulator.cli import app
from simulator.metrics import (
    DEPLOYMENT_RANKING_METRICS,
    HARNESS_DEPLOYMENT_METRICS,
    RANKING_METRICS,
    review_schedule,
    threshold_outcome,
    warmup_threshold,
)
from simulator.results import RunResults
from simulator.results.leaderboard import table_columns
from simulator.scenario.schema import Scenario

TICK = 300.0


def share_of(account_id: str) -> float:
    """A fixed number in [0, 1) per account id, the same in every process."""
    return (zlib.crc32(account_id.encode()) % 1000) / 1000


class FixedShare(Detector):
    """Alarms (score 1) every account whose id hashes into the lowest ``share``, at the
    first tick it sends a request; 0 for the others: a fixed share of customers and of
    attackers alike, whatever the labels."""

    def __init__(self, share: float = 0.3) -> None:
        self.share = share

    def update(self, batch):
        ids = pd.unique(batch.requests["account_id"])
        if not hasattr(self, "seen_"):
            self.seen_: set[str] = set()
        fresh = [a for a in ids if a not in self.seen_]
        self.seen_.update(fresh)
        if not fresh:
            return None
        return scores_series(fresh, [1.0 if share_of(a) < self.share else 0.0 for a in fresh])


class Rising(Detector):
    """Scores each account of the batch ``share_of(id) / 2 + tick / 10⁶``: a fixed level per
    account plus a slow rise, so that every active tick records a change (the trajectory
    then shows when each account was active) and the level decides who crosses a threshold."""

    def __init__(self) -> None:
        pass

    def update(self, batch):
        ids = pd.unique(batch.requests["account_id"])
        if not len(ids):
            return None
        return scores_series(ids, [share_of(a) / 2 + batch.tick / 1e6 for a in ids])


def scenario(name: str = "tiny-deployed", deployment: dict | None = None, **overrides) -> Scenario:
    """Six hours in five-minute ticks: 80 chat customers, a batch group, 20 hydra accounts from 2 h."""
    return tiny_scenario(
        name=name,
        duration="6h",
        tick="5m",
        population=[{"kind": "chat", "accounts": 80}, {"kind": "batch", "name": "pipelines", "accounts": 4}],
        campaigns=[{"kind": "hydra", "name": "h", "accounts": 20, "start": "2h"}],
        deployment=deployment,
        **overrides,
    )


def run(tmp_path: Path, scenarios: list[Scenario], detectors: list, **options) -> RunResults:
    settings = {"seeds": 1, "jobs": 1, "warmup": 0.0, **options}
    return bench.run(scenarios, detectors=detectors, out=tmp_path / "run", **settings)


def figures(results: RunResults, scenario: str, detector: str) -> pd.Series:
    m = results.metrics
    return m[(m["scenario"] == scenario) & (m["detector"] == detector) & (m["mode"] == "passive")].set_index("metric")[
        "value"
    ]


@pytest.fixture(scope="module")
def collapse(tmp_path_factory: pytest.TempPathFactory) -> RunResults:
    """FixedShare on the same world read as simulated, at 10,000 and at 1,000,000 customers."""
    worlds = [
        scenario("as-simulated"),
        scenario("ten-thousand", {"customers": 10_000}),
        scenario("a-million", {"customers": 1_000_000}),
    ]
    return run(tmp_path_factory.mktemp("collapse"), worlds, [("fixed", FixedShare(0.3)), "null"])


def test_the_declared_customer_base_sets_each_accounts_weight(collapse: RunResults) -> None:
    prevalence = collapse.prevalence().set_index("scenario")
    simulated = prevalence.loc["as-simulated"]
    assert math.isnan(simulated["represented_customers"]) and simulated["customer_weight"] == 1
    assert simulated["attacker_share"] == simulated["deployment_attacker_share"]
    million = prevalence.loc["a-million"]
    n, p = million["active_customers"], million["active_attackers"]
    assert n == simulated["active_customers"] and p == simulated["active_attackers"] > 0  # the very same traffic
    assert million["customer_weight"] == pytest.approx(1_000_000 / n)
    assert million["represented_active_customers"] == pytest.approx(1_000_000)
    assert million["attacker_weight"] == 1 and million["deployment_attacker_share"] == pytest.approx(p / (p + 1e6))
    assert million["fpr_resolution"] == pytest.approx(1 / n)


def test_precision_at_a_fixed_fpr_collapses_as_rP_over_rP_plus_fwN(collapse: RunResults) -> None:
    outcomes = collapse.outcomes()
    fixed = outcomes[(outcomes["detector"] == "fixed") & (outcomes["scenario"] == "as-simulated")]
    active = fixed[fixed["requests"] > 0]
    truth = active["is_attacker"].to_numpy()
    alarmed = active["alarm_ts"].notna().to_numpy()
    p, n = truth.sum(), (~truth).sum()
    r, f = (truth & alarmed).sum() / p, (~truth & alarmed).sum() / n
    assert 0 < r < 1 and 0 < f < 1  # the hash alarms a share of each side
    precisions = []
    for name, customers in (("as-simulated", n), ("ten-thousand", 10_000), ("a-million", 1_000_000)):
        got = figures(collapse, name, "fixed")
        w = customers / n
        assert got["deployment_precision"] == pytest.approx(r * p / (r * p + f * w * n)), name
        assert got["deployment_fpr"] == pytest.approx(f) and got["recall"] == pytest.approx(r)
        assert got["deployment_legit_flagged"] == pytest.approx(f * customers)
        precisions.append(got["deployment_precision"])
    assert precisions[0] == pytest.approx(figures(collapse, "as-simulated", "fixed")["precision"])
    assert precisions[0] > precisions[1] > precisions[2] and precisions[2] < 0.01


def test_every_passive_detector_gets_the_deployment_rows_and_the_reference_rows_the_ranking_ones(
    collapse: RunResults,
) -> None:
    m = collapse.metrics
    for detector in ("fixed", "null"):
        assert set(HARNESS_DEPLOYMENT_METRICS) <= set(m[m["detector"] == detector]["metric"])
    references = m[m["detector"].isin(["artefacts", "supervised-ceiling"])]
    assert set(references["metric"]) == set(RANKING_METRICS) | set(DEPLOYMENT_RANKING_METRICS)
    # the rows follow the catalogue: the figures as simulated first, unchanged
    rows = m[(m["scenario"] == "a-million") & (m["detector"] == "fixed")]["metric"].tolist()
    assert rows.index("alarms_per_day") < rows.index("deployment_precision")


def test_the_leaderboard_leads_with_the_deployment_figures_and_says_what_they_assume(collapse: RunResults) -> None:
    board = collapse.leaderboard()
    passive = board[board["scenario"] == "a-million"]
    assert table_columns(passive)[:4] == [
        "deployment_auprc",
        "deployment_recall_at_fpr_0.001",
        "budget_precision",
        "budget_recall",
    ]
    # ranked by recall within the analysts' budget, then deployment AUPRC (undefined last)
    keys = list(zip(passive["budget_recall"].fillna(-1), passive["deployment_auprc"].fillna(-1), strict=True))
    assert keys == sorted(keys, reverse=True)
    result = CliRunner().invoke(app, ["report", str(collapse.out)])
    assert result.exit_code == 0, result.output
    summary = (collapse.out / "summary.md").read_text()
    assert "k = 50 reviews/day, first come first served" in summary
    assert "at 1,000,000 customers: attackers" in summary and "customers as simulated" in summary
    page = (collapse.out / "report.html").read_text()
    assert "at 10,000 customers: attackers" in page


# -- the warm-up threshold ------------------------------------------------------------------


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> RunResults:
    """Rising on a world whose campaign starts when a 2 h warm-up ends, at 100,000 customers."""
    world = scenario("warm", {"customers": 100_000})
    return run(tmp_path_factory.mktemp("warm"), [world], [("rising", Rising())], warmup=7200.0, target_fpr=0.05)


def test_the_warmup_threshold_is_chosen_on_the_warmup_alone_and_judged_after_it(warm: RunResults) -> None:
    trajectory = warm.scores()
    outcomes = warm.outcomes().query("detector == 'rising'").set_index("account_id")
    warmup_ticks = int(7200 / TICK)
    # every active tick of an account records a change: the trajectory says who was active when
    before = trajectory[trajectory["tick"] < warmup_ticks].groupby("account_id")["score"].max()
    after = trajectory[trajectory["tick"] >= warmup_ticks].groupby("account_id")["score"].max()
    chosen = warmup_threshold(before.to_numpy(), 0.05)
    [row] = warm.thresholds().to_dict("records")
    assert row["threshold"] == chosen.threshold and row["warmup_flagged"] == math.floor(0.05 * len(before))
    assert row["warmup_accounts"] == len(before) and row["warmup_attackers"] == 0  # the campaign starts at 2 h
    assert not row["resolution_limited"] and row["warmup_end_s"] == 7200
    # judged on the accounts active after the warm-up, customers weighted to the declared base
    prevalence = warm.prevalence().iloc[0]
    truth = outcomes.loc[after.index, "is_attacker"].to_numpy()
    w = np.where(truth, 1.0, prevalence["customer_weight"])
    expected = threshold_outcome(truth, after.to_numpy(), chosen.threshold, w)
    got = figures(warm, "warm", "rising")
    assert got["calibrated_recall"] == pytest.approx(expected.recall)
    assert got["calibrated_fpr"] == pytest.approx(expected.fpr)
    assert got["calibrated_precision"] == pytest.approx(expected.precision)
    assert got["calibrated_alarms_per_day"] == pytest.approx((expected.tp + expected.fp) / (4 / 24))


def test_the_review_queue_takes_the_alarms_of_the_warmup_threshold(warm: RunResults) -> None:
    windows = pq.read_table(next((warm.out / "cells").glob("*/windows.parquet"))).to_pandas()
    threshold = warm.thresholds()["threshold"].iloc[0]
    queued = windows.dropna(subset=["queue_ts"])
    # nothing joins the queue before the warm-up ends; everyone who crossed the threshold after it does
    assert len(queued) and (queued["queue_ts"] >= 7200).all()
    assert (queued["queue_score"] >= threshold).all()
    crossed = windows[windows["after_score"] >= threshold]["account_id"]
    assert set(crossed) <= set(queued["account_id"])


def test_a_warmup_covering_the_run_gives_no_warmup_figures(tmp_path: Path) -> None:
    results = run(tmp_path, [scenario("short", {"customers": 10_000})], ["null"], warmup=6 * 3600.0)
    got = figures(results, "short", "null")
    assert all(math.isnan(got[name]) for name in ("calibrated_precision", "calibrated_recall", "calibrated_fpr"))
    assert results.config["plan"]["scenarios"][0]["warmup_s"] == 6 * 3600.0
    assert math.isnan(results.thresholds()["threshold"].iloc[0])


# -- the analysts' budget -------------------------------------------------------------------


def test_the_budget_reviews_k_alarms_a_day_of_the_operating_threshold(collapse: RunResults, tmp_path: Path) -> None:
    # without a warm-up the queue holds the alarm policy's alarms: check k a day against the schedule
    outcomes = collapse.outcomes()
    fixed = outcomes[(outcomes["detector"] == "fixed") & (outcomes["scenario"] == "ten-thousand")]
    truth = fixed["is_attacker"].to_numpy()
    w = np.where(truth, 1.0, collapse.prevalence().set_index("scenario").loc["ten-thousand", "customer_weight"])
    schedule = review_schedule(fixed["alarm_ts"], 50, 6 * 3600.0, weight=w)
    done = np.where(fixed["alarm_ts"].notna(), w - schedule.left, 0.0)
    got = figures(collapse, "ten-thousand", "fixed")
    assert got["budget_precision"] == pytest.approx(done[truth].sum() / done.sum())
    assert got["budget_backlog"] == pytest.approx(schedule.left.sum())
    # a budget larger than every alarm reviews them all: the figures at the fixed threshold
    ample = run(
        tmp_path,
        [scenario("ten-thousand", {"customers": 10_000})],
        [("fixed", FixedShare(0.3))],
        **{"reviews_per_day": 1e9},
    )
    every = figures(ample, "ten-thousand", "fixed")
    assert every["budget_precision"] == pytest.approx(every["deployment_precision"])
    assert every["budget_recall"] == pytest.approx(every["recall"]) and every["budget_backlog"] == 0


# -- settings ---------------------------------------------------------------------------------


def test_operating_points_reach_the_plan_and_bad_ones_are_refused() -> None:
    plan = plan_run([scenario()], detectors=["null"], seeds=1, reviews_per_day=7, review_order="score", warmup=1800.0)
    assert plan.operating.reviews_per_day == 7 and plan.operating.review_order == "score"
    assert plan.scenarios[0].warmup == 1800.0 and plan.describe()["operating"]["target_fpr"] == 0.001
    [cell] = plan.cells
    assert cell.warmup_ticks == 6 and cell.target_fpr == 0.001
    with pytest.raises(BenchInputError, match="target_fpr: input should be less than 1"):
        plan_run([scenario()], detectors=["null"], target_fpr=1.0)
    with pytest.raises(BenchInputError, match="review_order: input should be 'arrival' or 'score'"):
        plan_run([scenario()], detectors=["null"], review_order="random")


def test_the_suite_sets_the_operating_points_and_each_scenario_may_have_its_own_warmup(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(json.dumps(scenario("world").model_dump(mode="json")))
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "version: 1\nname: s\noperating: {reviews_per_day: 5, warmup: 2h, target_fpr: 0.01}\n"
        "scenarios:\n  - path: world.yaml\n  - path: world.yaml\n    label: early\n    warmup: 1h\n"
    )
    plan = plan_run(suite=suite, detectors=["null"])
    assert plan.operating.reviews_per_day == 5 and plan.operating.target_fpr == 0.01
    assert [s.warmup for s in plan.scenarios] == [7200.0, 3600.0]
    # a warm-up given to the run replaces every scenario's
    assert {s.warmup for s in plan_run(suite=suite, detectors=["null"], warmup=600.0).scenarios} == {600.0}


def test_command_line_options_reach_the_run(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(json.dumps(scenario("world", {"customers": 50_000}).model_dump(mode="json")))
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(path),
            *("--detectors", "null,random", "--seeds", "1", "--jobs", "1", "--no-report", "--out", str(out)),
            *("--reviews-per-day", "7", "--review-order", "score", "--warmup", "90m", "--target-fpr", "0.01"),
            *("--extraction-share", "0.7"),
            "--wide",  # a log 200 columns wide: the caption's operating note on one line
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "run.json").read_text())["plan"]
    assert plan["operating"] == {
        "reviews_per_day": 7.0,
        "review_order": "score",
        "warmup": "90m",
        "target_fpr": 0.01,
        "extraction_share": 0.7,
    }
    assert plan["scenarios"][0]["warmup_s"] == 5400.0
    assert plan["scenarios"][0]["deployment"] == {"customers": 50_000, "groups": {}}
    assert "at 50,000 customers: attackers" in result.output and "warm-up 1.5h" in result.output
    assert "k = 7 reviews/day, highest score first · warm-up threshold for FPR ≤ 1%" in result.output
    for bad, message in (
        (["--reviews-per-day", "-1"], "Invalid value for '--reviews-per-day'"),
        (["--warmup", "soon"], "Invalid value for '--warmup'"),
        (["--review-order", "loudest"], "Invalid value for '--review-order'"),
        (["--extraction-share", "0"], "extraction_share: input should be greater than 0, got 0.0"),
    ):
        refused = CliRunner().invoke(app, ["run", str(path), "--detectors", "null", *bad])
        assert refused.exit_code == 2 and message in refused.output, refused.output


def test_the_warmup_figures_do_not_need_the_score_trajectories(warm: RunResults, tmp_path: Path) -> None:
    world = scenario("warm", {"customers": 100_000})
    lean = run(tmp_path, [world], [("rising", Rising())], warmup=7200.0, target_fpr=0.05, record_scores=False)
    assert not (lean.out / "scores.parquet").exists()
    pd.testing.assert_frame_equal(lean.metrics, warm.metrics)
    pd.testing.assert_frame_equal(lean.thresholds(), warm.thresholds())


def test_other_budgets_reread_the_stored_cells_and_a_score_ordered_queue_reviews_high_scores_first(
    warm: RunResults, tmp_path: Path
) -> None:
    copy = tmp_path / "run"
    shutil.copytree(warm.out, copy)
    world = scenario("warm", {"customers": 100_000})
    options = {"warmup": 7200.0, "target_fpr": 0.05, "reviews_per_day": 3.0, "review_order": "score"}
    again = bench.run([world], detectors=[("rising", Rising())], seeds=1, jobs=1, out=copy, **options)
    assert again.config["cells_reused"] == again.config["cells"] == 1
    windows = pq.read_table(next((copy / "cells").glob("*/windows.parquet"))).to_pandas()
    outcomes = again.outcomes().query("detector == 'rising'")
    truth = outcomes["is_attacker"].to_numpy()
    w = np.where(truth, 1.0, again.prevalence()["customer_weight"].iloc[0])
    schedule = review_schedule(
        windows["queue_ts"], 3.0, 6 * 3600.0, order="score", priority=windows["queue_score"].fillna(0.0), weight=w
    )
    done = np.where(windows["queue_ts"].notna(), w - schedule.left, 0.0)
    got = figures(again, "warm", "rising")
    assert got["budget_precision"] == pytest.approx(done[truth].sum() / done.sum())
    assert got["budget_backlog"] == pytest.approx(schedule.left.sum())
    assert again.config["plan"]["operating"]["review_order"] == "score"
