"""The leaderboard and report people can read: time to detection at a matched
false-positive budget, blank undefined cells, a collateral axis that shows its zeros,
titles in words, and CSVs that pandas reads back with every detector label."""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from failing_detectors import Fails

from simulator import bench
from simulator.bench import RunResults
from simulator.metrics.catalogue import CATALOGUE
from simulator.report import heatmaps, sweeps, write_report
from simulator.report.collateral import none_position
from simulator.report.frontier import plot_frontier
from simulator.report.sweeps import SWEEP_METRICS, Sweep
from simulator.results.aggregate import leaderboard
from simulator.results.leaderboard import format_cell, table_columns

DOCUMENTED = {"keep_default_na": False, "na_values": ["", "nan"]}
"""The call docs/reports.md gives for reading the CSVs with pandas."""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, quickstart_path: Path) -> RunResults:
    """Passive, two seeds, a 20-minute warm-up, the baselines and a detector labelled
    ``NA`` that fails (pandas' default reading makes NaN of both ``null`` and ``NA``)."""
    results = bench.run(
        [quickstart_path],
        out=tmp_path_factory.mktemp("readable") / "run",
        detectors=["null", "random", "periodic", ("NA", Fails())],
        seeds=2,
        mode="passive",
        scale=0.25,
        duration=4800.0,
        warmup="20m",
        jobs=1,
    )
    write_report(results.out)
    return results


def test_the_documented_pandas_call_reads_every_detector_label_back(run: RunResults) -> None:
    text = (Path(__file__).parents[1] / "docs" / "reports.md").read_text(encoding="utf-8")
    assert 'pd.read_csv(path, keep_default_na=False, na_values=["", "nan"])' in text
    for name in ("metrics.csv", "cost.csv", "failures.csv"):
        frame = pd.read_csv(run.out / name, **DOCUMENTED)
        labels = set(frame["detector"])
        expected = {"NA"} if name == "failures.csv" else {"null", "random", "periodic"}
        assert expected <= labels, name
        assert not frame["detector"].isna().any(), name
        # the default reading is what the documentation warns about
        assert pd.read_csv(run.out / name)["detector"].isna().any(), name
    metrics = pd.read_csv(run.out / "metrics.csv", **DOCUMENTED)
    assert metrics["value"].dtype == np.float64 and metrics["value"].isna().any()


def test_time_to_detection_is_read_at_the_warmup_threshold_beside_the_fixed_one(run: RunResults) -> None:
    metrics = pd.read_csv(run.out / "metrics.csv", **DOCUMENTED)
    assert set(metrics.query("metric == 'calibrated_ttd_median_s'")["detector"]) >= {"null", "random", "periodic"}
    info = CATALOGUE["calibrated_ttd_median_s"]
    assert info.censored and not info.higher_is_better
    board = leaderboard(run.summary)
    group = board[board["scenario"] == board["scenario"].iloc[0]]
    assert "calibrated_ttd_median_s" in table_columns(group, wide=False)
    assert "ttd_median_s" not in table_columns(group, wide=False)
    assert {"ttd_median_s", "calibrated_ttd_median_s"} <= set(table_columns(group, wide=True))
    # the heatmap at the warm-up threshold is drawn, and each heatmap's title says its threshold
    svg = (run.out / "plots" / "heatmap-ttd-warm-passive.svg").read_text(encoding="utf-8")
    assert "at the warm-up threshold" in svg
    fixed = (run.out / "plots" / "heatmap-ttd-passive.svg").read_text(encoding="utf-8")
    assert "at the fixed threshold 0.5" in fixed
    assert "heatmap-ttd-warm-passive" in (run.out / "report.html").read_text(encoding="utf-8")


def test_a_run_without_a_warmup_shows_the_time_to_detection_as_simulated() -> None:
    row = pd.Series(
        {
            "mode": "passive",
            "seeds": 2,
            "budget_recall": 0.5,
            "budget_recall_n": 2,
            "ttd_median_s": 600.0,
            "ttd_median_s_n": 2,
            "calibrated_recall": math.nan,
            "calibrated_recall_n": 0,
            "calibrated_ttd_median_s": math.nan,
            "calibrated_ttd_median_s_n": 0,
        }
    )
    group = pd.DataFrame([row])
    assert table_columns(group, wide=False) == ["budget_recall", "ttd_median_s"]
    assert format_cell(row, "calibrated_ttd_median_s") == "–"  # no threshold to read it at, not "not reached"
    assert format_cell(row.copy().set_axis(row.index), "ttd_median_s") == "10.0m 2/2"
    warm = row.copy()
    warm["calibrated_recall"] = 0.4
    assert format_cell(warm, "calibrated_ttd_median_s") == "– 0/2"  # not reached: no seed detected


def _svg_texts(path: Path) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", path.read_text("utf-8"))]


def test_an_undefined_f1_cell_is_blank(tmp_path: Path) -> None:
    # legit-only: no attacker, so a detector alarming on nobody has no F1 (NaN), one alarming has F1 = 0
    summary = pd.DataFrame(
        {
            "scenario": ["legit-only", "legit-only", "quickstart", "quickstart"],
            "mode": "passive",
            "detector": ["null", "random", "null", "random"],
            "metric": "f1",
            "value": [math.nan, 0.0, 0.0, 0.5],
            "n": [0, 2, 2, 2],
            "seeds": 2,
        }
    )
    (tmp_path / "plots").mkdir()
    data = SimpleNamespace(
        summary=summary,
        scenarios=["legit-only", "quickstart"],
        detectors=["random", "null"],
        threshold=0.5,
        folder=tmp_path,
    )
    heatmaps._f1(data, "passive")  # type: ignore[arg-type]
    texts = _svg_texts(tmp_path / "plots" / "heatmap-f1-passive.svg")
    cells = [t for t in texts if re.fullmatch(r"\d\.\d\d", t)]
    assert sorted(cells) == ["0.00", "0.00", "0.50"]  # three defined cells; the undefined one says nothing
    assert "–" not in texts
    assert "F1 at the fixed threshold 0.5 · passive" in texts


def test_the_collateral_axis_is_linear_for_small_counts_and_shows_none_on_a_log_axis() -> None:
    assert none_position(np.array([0.0, 2.0, 20.0])) is None
    assert none_position(np.array([0.0, 0.5, 30.0, 400.0])) == pytest.approx(0.125)
    assert none_position(np.array([])) is None


def test_plot_titles_are_in_words(run: RunResults) -> None:
    raw = [name for name in CATALOGUE if "_" in name]
    for svg in sorted((run.out / "plots").glob("*.svg")):
        texts = " ".join(_svg_texts(svg))
        assert not [name for name in raw if re.search(rf"\b{re.escape(name)}\b", texts)], svg.name


def test_sweep_and_frontier_panels_are_titled_with_the_catalogue_descriptions(tmp_path: Path) -> None:
    rows = [
        {"scenario": "quickstart", "mode": "passive", "detector": label, "metric": metric, "value": v, "low": v - 0.1,
         "high": v + 0.1, "n": 2, "seeds": 2}
        for label, v in (("w5", 0.3), ("w10", 0.5))
        for metric in SWEEP_METRICS
    ]  # fmt: skip
    data = SimpleNamespace(summary=pd.DataFrame(rows), scenarios=["quickstart"], folder=tmp_path)
    (tmp_path / "plots").mkdir()
    sweep = Sweep("m:Burst", "window", ((5, "w5"), (10, "w10")))
    sweeps._plot(data, sweep, "passive", "sweep-Burst-window-passive")  # type: ignore[arg-type]
    texts = " ".join(_svg_texts(tmp_path / "plots" / "sweep-Burst-window-passive.svg"))
    assert "leakage_share" not in texts and "legit_flagged" not in texts
    assert "Leakage as a share of what the campaigns got undefended" in texts
    evaluations = pd.DataFrame(
        {"detector": ["a", "a"], "x": [1.0, 2.0], "mean": [0.4, 0.2], "low": [0.3, 0.1], "high": [0.5, 0.3]}
    )
    breaking = pd.DataFrame({"detector": ["a"], "status": ["holds"], "point": [math.nan], "low": [0.0], "high": [0.0]})
    plot_frontier(evaluations, breaking, "leakage_share", 0.3, "scale", tmp_path)
    texts = " ".join(_svg_texts(tmp_path / "frontier.svg"))
    assert "leakage_share" not in texts and "leakage as a share" in texts


def test_intervals_of_counts_never_run_below_zero() -> None:
    """Three seeds of alarms per day at 0, 0 and 3,000: the t-interval's low end is far
    below zero; a count cannot be, so the interval is clipped at 0 and shown as one."""
    from simulator.results.aggregate import summarize

    metrics = pd.DataFrame(
        {
            "scenario": "s",
            "mode": "passive",
            "detector": "d",
            "metric": "calibrated_alarms_per_day",
            "seed": [0, 1, 2],
            "value": [0.0, 0.0, 3000.0],
        }
    )
    row = summarize(metrics).iloc[0]
    assert row["low"] == 0.0 and row["high"] > 3000.0
    assert all(
        CATALOGUE[m].bounds is not None for m in CATALOGUE if not m.endswith("_s") and m != "legit_output_lost_share"
    )
    cell = pd.Series(
        {
            "calibrated_alarms_per_day": row["value"],
            "calibrated_alarms_per_day_low": row["low"],
            "calibrated_alarms_per_day_high": row["high"],
            "seeds": 3,
        }
    )
    assert re.fullmatch(r"1,000\[0,\d+(\.\d+)?k\]", format_cell(cell, "calibrated_alarms_per_day"))
