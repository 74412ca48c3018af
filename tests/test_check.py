"""`extractbench baseline` and `extractbench check`: regressions in each metric's good direction,
intervals and tolerances, exit codes 0 / 1 / 2, JUnit XML."""

from __future__ import annotations

import json
import math
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.metrics import CATALOGUE, DEPLOYMENT_METRICS, METRICS
from simulator.results.check import Tolerance, ToleranceError, judge, parse_tolerances

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def baseline_file(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("baseline") / "baseline.json"
    result = invoke("baseline", tiny_run, "-o", path)
    assert result.exit_code == 0, result.output
    assert f"wrote {path}: " in result.output and "seeds 0, 1" in result.output
    return path


def edited(baseline_file: Path, tmp_path: Path, change) -> Path:
    """A copy of the baseline with ``change(payload)`` applied."""
    payload = json.loads(baseline_file.read_text())
    change(payload)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(payload))
    return path


def figure(payload: dict[str, Any], detector: str, metric: str) -> dict[str, Any]:
    return next(f for f in payload["figures"] if f["detector"] == detector and f["metric"] == metric)


def test_the_same_results_pass_with_nothing_changed(tiny_run: Path, baseline_file: Path, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    result = invoke("check", tiny_run, "--baseline", baseline_file, "--junit", junit)
    assert result.exit_code == 0, result.output
    assert "✅ **No regression**" in result.output and "Every figure is unchanged." in result.output
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == "4" and suite.get("failures") == "0"  # quickstart · passive × 4 detectors
    assert {c.get("name") for c in suite.iter("testcase")} == {"null", "random", "periodic", "periodic-20"}


def test_a_baseline_better_than_the_results_beyond_the_tolerance_fails(
    tiny_run: Path, baseline_file: Path, tmp_path: Path
) -> None:
    def better_recall(payload: dict[str, Any]) -> None:
        row = figure(payload, "random", "recall")
        row["value"] += 0.3
        row["low"], row["high"] = row["value"] - 0.01, row["value"] + 0.01

    path = edited(baseline_file, tmp_path, better_recall)
    junit = tmp_path / "junit.xml"
    result = invoke("check", tiny_run, "--baseline", path, "--junit", junit)
    assert result.exit_code == 1, result.output
    assert "❌ **1 regression**" in result.output
    assert "| ❌ | quickstart | passive | random | recall |" in result.output and "| regressed |" in result.output
    failures = [c for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["random"]
    assert "recall: regressed" in failures[0].find("failure").get("message")
    # within the tolerance, absolute or relative to the baseline's value
    assert invoke("check", tiny_run, "--baseline", path, "--tolerance", "recall=0.31").exit_code == 0
    assert invoke("check", tiny_run, "--baseline", path, "--tolerance", "recall=25%").exit_code == 1
    assert invoke("check", tiny_run, "--baseline", path, "--tolerance", "recall=80%").exit_code == 0


def test_lower_is_better_metrics_regress_upwards(tiny_run: Path, baseline_file: Path, tmp_path: Path) -> None:
    def less_leakage(payload: dict[str, Any]) -> None:
        row = figure(payload, "random", "leakage_share")
        row["value"], row["low"], row["high"] = row["value"] - 0.2, row["value"] - 0.21, row["value"] - 0.19

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, less_leakage))
    assert result.exit_code == 1 and "| random | leakage_share |" in result.output

    def more_leakage(payload: dict[str, Any]) -> None:
        row = figure(payload, "random", "leakage_share")
        row["value"], row["low"], row["high"] = row["value"] + 0.2, row["value"] + 0.19, row["value"] + 0.21

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, more_leakage))
    assert result.exit_code == 0, result.output
    assert "1 improved" in result.output and "| ✅ | quickstart | passive | random | leakage_share |" in result.output


def test_a_change_inside_the_seeds_interval_fails_only_when_strict(
    tiny_run: Path, baseline_file: Path, tmp_path: Path
) -> None:
    def slightly_better(payload: dict[str, Any]) -> None:
        row = figure(payload, "random", "auprc")
        assert row["low"] < row["value"] < row["high"]
        row["value"] += (row["high"] - row["value"]) / 10

    path = edited(baseline_file, tmp_path, slightly_better)
    loose = invoke("check", tiny_run, "--baseline", path)
    assert loose.exit_code == 0 and "worse within interval" in loose.output
    assert invoke("check", tiny_run, "--baseline", path, "--strict").exit_code == 1


def test_a_detector_that_now_fails_is_a_regression(tiny_run: Path, baseline_file: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(tiny_run, results)
    failures = results / "failures.csv"
    failures.write_text(failures.read_text() + "quickstart,periodic,passive,1,42,ValueError: scores out of range\n")
    result = invoke("check", results, "--baseline", baseline_file)
    assert result.exit_code == 1
    assert "| periodic | – |" in result.output and "failed: seed 1, tick 42: ValueError" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"format": "something-else"}', "not an extractbench baseline"),
        ('{"format": "extractbench-baseline", "version": 7}', "baseline version 7 is not supported"),
    ],
)
def test_a_malformed_baseline_exits_2_with_a_message(tiny_run: Path, tmp_path: Path, content: str, message: str):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = invoke("check", tiny_run, "--baseline", path)
    assert result.exit_code == 2 and message in result.output


def test_a_baseline_with_a_wrong_field_names_it(tiny_run: Path, baseline_file: Path, tmp_path: Path) -> None:
    def wrong(payload: dict[str, Any]) -> None:
        payload["figures"][3]["value"] = "high"
        del payload["plan"]["seeds"]

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, wrong))
    assert result.exit_code == 2
    assert "malformed baseline" in result.output
    assert "plan.seeds: a required field is missing" in result.output
    assert "figures.3.value: Input should be a valid number, unable to parse string as a number, got 'high'" in (
        result.output
    )


def make_regression(payload: dict[str, Any]) -> None:
    """The random detector's recall 0.3 better in the baseline than in the results: exit 1 if compared."""
    row = figure(payload, "random", "recall")
    row["value"] += 0.3
    row["low"], row["high"] = row["value"] - 0.01, row["value"] + 0.01


@pytest.mark.parametrize(
    ("fool", "message"),
    [
        (lambda row: row.update(value=math.nan), "NaN is not a number a baseline may hold"),
        (lambda row: row.update(low=-math.inf, high=math.inf), "Infinity is not a number a baseline may hold"),
        (lambda row: row.update(low=row["value"] + 1, high=row["value"] - 1), "an interval with low"),
        (lambda row: row.update(n=row["seeds"] + 1), "no larger than seeds"),
    ],
    ids=["nan-value", "infinite-interval", "inverted-interval", "more-seeds-than-run"],
)
def test_a_baseline_that_would_hide_a_regression_is_refused(
    tiny_run: Path, baseline_file: Path, tmp_path: Path, fool, message: str
) -> None:
    regressed = edited(baseline_file, tmp_path, make_regression)
    assert invoke("check", tiny_run, "--baseline", regressed).exit_code == 1

    def fooled(payload: dict[str, Any]) -> None:
        make_regression(payload)
        fool(figure(payload, "random", "recall"))

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, fooled))
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_baseline_with_a_figure_twice_is_refused(tiny_run: Path, baseline_file: Path, tmp_path: Path) -> None:
    def twice(payload: dict[str, Any]) -> None:
        payload["figures"].append(dict(payload["figures"][0]))

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, twice))
    assert result.exit_code == 2 and "appears more than once" in result.output


def test_an_oversized_or_deeply_nested_baseline_is_refused(
    tiny_run: Path, baseline_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"format": "extractbench-baseline", "version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = invoke("check", tiny_run, "--baseline", deep)
    assert result.exit_code == 2 and "nested too deeply" in result.output
    import simulator.results.baseline as module

    monkeypatch.setattr(module, "MAX_BASELINE_BYTES", baseline_file.stat().st_size - 1)
    result = invoke("check", tiny_run, "--baseline", baseline_file)
    assert result.exit_code == 2 and "is larger than a baseline can be" in result.output


def test_input_errors_exit_2(tiny_run: Path, baseline_file: Path, tmp_path: Path) -> None:
    missing = invoke("check", tmp_path / "nowhere", "--baseline", baseline_file)
    assert missing.exit_code == 2 and "no such folder" in missing.output
    no_baseline = invoke("check", tiny_run, "--baseline", tmp_path / "none.json")
    assert no_baseline.exit_code == 2 and "no such baseline file" in no_baseline.output
    unknown = invoke("check", tiny_run, "--baseline", baseline_file, "--tolerance", "recal=0.1")
    assert unknown.exit_code == 2 and "unknown metric 'recal'" in unknown.output
    assert invoke("baseline", tmp_path, "-o", tmp_path / "b.json").exit_code == 2


def test_other_seeds_are_not_comparable(tiny_run: Path, baseline_file: Path, tmp_path: Path) -> None:
    path = edited(baseline_file, tmp_path, lambda payload: payload["plan"].update(seeds=[0, 1, 2]))
    result = invoke("check", tiny_run, "--baseline", path)
    assert result.exit_code == 2
    assert (
        "not comparable" in result.output and "seeds [0, 1, 2] in the baseline, [0, 1] in the results" in result.output
    )


def test_what_cannot_be_compared_is_listed_and_the_rest_checked(
    tiny_run: Path, baseline_file: Path, tmp_path: Path
) -> None:
    def other_config(payload: dict[str, Any]) -> None:
        detector = next(d for d in payload["plan"]["detectors"] if d["label"] == "periodic-20")
        detector["params"]["every"] = 30
        payload["plan"]["scenarios"][0]["fingerprint"] = "0" * 16

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, other_config))
    assert result.exit_code == 2 and "nothing to compare" in result.output and "definition changed" in result.output

    result = invoke(
        "check",
        tiny_run,
        "--baseline",
        edited(
            baseline_file, tmp_path, lambda p: other_config(p) or p["plan"]["scenarios"][0].update(fingerprint=None)
        ),
    )
    assert result.exit_code == 0, result.output
    assert "### Not compared" in result.output and "detector periodic-20: configured differently" in result.output


@pytest.mark.parametrize(
    ("metric", "baseline", "result", "verdict"),
    [
        ("recall", 0.5, 0.2, "regressed"),
        ("auprc", 0.5, 0.7, "improved"),
        ("fpr", 0.01, 0.05, "regressed"),
        ("alarms_per_day", 40.0, 10.0, "improved"),
        ("ttd_median_s", 600.0, 60.0, "improved"),
        ("ttd_median_s", math.nan, 600.0, "improved"),  # detected now, not before
        ("precision", 0.5, math.nan, "undefined"),
        ("precision", math.nan, math.nan, "unchanged"),
        ("budget_precision", 0.5, 0.2, "regressed"),
        ("calibrated_fpr", 0.001, 0.01, "regressed"),
        ("deployment_alarms_per_day", 4e4, 1e4, "improved"),
    ],
)
def test_each_metric_is_judged_in_its_good_direction(metric: str, baseline: float, result: float, verdict: str):
    nan = math.nan
    assert judge(metric, baseline, nan, nan, result, None, strict=False)[0] == verdict


def test_every_metric_has_a_direction() -> None:
    assert all(isinstance(info.higher_is_better, bool) for info in CATALOGUE.values())
    assert METRICS["recall"].higher_is_better and not METRICS["leakage_share"].higher_is_better
    assert DEPLOYMENT_METRICS["budget_recall"].higher_is_better
    assert parse_tolerances(["budget_recall=0.05"])["budget_recall"] == Tolerance(0.05)


def made_before_the_deployment_figures(payload: dict[str, Any]) -> None:
    """A baseline as extractbench wrote it before the harness computed deployment figures."""
    payload["figures"] = [f for f in payload["figures"] if f["metric"] in METRICS]
    payload["plan"].pop("operating")
    for scenario in payload["plan"]["scenarios"]:
        del scenario["warmup_s"], scenario["deployment"]


def test_a_baseline_made_before_the_deployment_figures_gates_the_rest_and_lists_them(
    tiny_run: Path, baseline_file: Path, tmp_path: Path
) -> None:
    path = edited(baseline_file, tmp_path, made_before_the_deployment_figures)
    result = invoke("check", tiny_run, "--baseline", path)
    assert result.exit_code == 0, result.output
    assert "metrics not in the baseline (regenerate it to gate them): deployment_precision, " in result.output

    def and_better_recall(payload: dict[str, Any]) -> None:
        made_before_the_deployment_figures(payload)
        row = figure(payload, "random", "recall")
        row["value"], row["low"], row["high"] = row["value"] + 0.3, row["value"] + 0.29, row["value"] + 0.31

    assert invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, and_better_recall)).exit_code == 1


def test_deployment_figures_are_gated_in_their_good_direction(
    tiny_run: Path, baseline_file: Path, tmp_path: Path
) -> None:
    def reviewed_better(payload: dict[str, Any]) -> None:
        row = figure(payload, "random", "budget_recall")
        row["value"], row["low"], row["high"] = row["value"] + 0.3, row["value"] + 0.29, row["value"] + 0.31

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, reviewed_better))
    assert result.exit_code == 1 and "| ❌ | quickstart | passive | random | budget_recall |" in result.output

    def fewer_alarms(payload: dict[str, Any]) -> None:
        row = figure(payload, "random", "deployment_alarms_per_day")
        row["value"], row["low"], row["high"] = row["value"] / 2, row["value"] / 2 - 1, row["value"] / 2 + 1

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, fewer_alarms))
    assert result.exit_code == 1 and "| random | deployment_alarms_per_day |" in result.output


def test_deployment_figures_read_at_other_conditions_are_not_compared(
    tiny_run: Path, baseline_file: Path, tmp_path: Path
) -> None:
    def other_budget(payload: dict[str, Any]) -> None:
        payload["plan"]["operating"]["reviews_per_day"] = 5.0
        row = figure(payload, "random", "budget_recall")
        row["value"], row["low"], row["high"] = row["value"] + 0.3, row["value"] + 0.29, row["value"] + 0.31

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, other_budget))
    assert result.exit_code == 0, result.output
    assert "budget figures read at other operating points (reviews_per_day 5.0 → 50.0): not compared" in result.output

    def other_customers(payload: dict[str, Any]) -> None:
        payload["plan"]["scenarios"][0]["deployment"] = {"customers": 1000, "groups": {}}
        row = figure(payload, "random", "deployment_precision")
        row["value"], row["low"], row["high"] = 0.99, 0.98, 1.0

    result = invoke("check", tiny_run, "--baseline", edited(baseline_file, tmp_path, other_customers))
    assert result.exit_code == 0, result.output
    assert "scenario quickstart: customer base {'customers': 1000, 'groups': {}} → None" in result.output


def test_tolerances_are_absolute_or_relative() -> None:
    tolerances = parse_tolerances(["recall=0.05", "leakage_share=10%", "ttd_median_s=1e3"])
    assert tolerances["recall"] == Tolerance(0.05)
    assert tolerances["leakage_share"].allowed(0.5) == pytest.approx(0.05)
    assert tolerances["ttd_median_s"].allowed(10.0) == 1000.0
    for bad in ("recall", "recall=-1", "recall=abc", "=0.1"):
        with pytest.raises(ToleranceError, match="expected METRIC=VALUE"):
            parse_tolerances([bad])
