"""`extractbench perf`: it runs and prints every figure (timings are not checked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli.perf import _text
from simulator.perf import PerfConfig, PerfReport, measure, numpy_reference, peak_memory, simpy_reference
from simulator.scenario import load_scenario

runner = CliRunner()
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def report() -> PerfReport:
    config = PerfConfig(
        scenario=load_scenario(SCENARIOS / "quickstart.yaml"),
        scale=0.05,
        duration=1800.0,
        detectors=("null", "rate", "ensemble"),
        overhead_ticks=100,
    )
    return measure(config, memory=False)


def test_the_report_has_every_figure(report: PerfReport) -> None:
    data = report.as_dict()
    assert set(data["references"]) == {"simpy_events_per_s", "numpy_elements_per_s"}
    assert data["simulation"]["scenario"] == "quickstart"
    assert data["simulation"]["requests"] > 0
    assert data["simulation"]["requests_per_s"] > 0 and data["simulation"]["vs_simpy"] > 0
    assert data["tick_overhead_ms"] > 0 and data["pandas_frame_ms_per_tick"] > 0
    assert [d["name"] for d in data["detectors"]] == ["null", "rate", "ensemble"]
    assert all(d["events"] == data["simulation"]["requests"] for d in data["detectors"])
    assert {"events_per_s", "vs_null", "seconds"} <= set(data["detectors"][1])
    assert data["zoo"]["name"] == "zoo" and "vs_simulation" in data["zoo"]
    cell = data["cell"]
    assert cell["seconds"] > 0 and cell["detector_seconds"] > 0  # CPU and wall clock: not comparable under load
    # from the unrounded times: the JSON's seconds are rounded to milliseconds, a few percent of this tiny run
    assert cell["vs_simulation"] == pytest.approx(report.cell.seconds / report.simulation_seconds)
    assert cell["seconds_without_references"] > 0
    assert cell["vs_simulation_without_references"] == pytest.approx(
        report.cell.without_references / report.simulation_seconds
    )
    assert data["memory"] == []
    json.dumps(data)


def test_the_table_names_every_figure(report: PerfReport) -> None:
    text = "\n".join(_text(report))
    for words in (
        "bare SimPy",
        "numpy sort",
        "per-tick overhead",
        "requests/s",
        "rate",
        "ensemble",
        "zoo",
        "benchmark cell",
        "without the reference rows",
    ):
        assert words in text


def test_the_command_prints_json() -> None:
    result = runner.invoke(
        app, ["perf", "--scale", "0.002", "--duration", "10m", "--detectors", "null", "--no-memory", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["detectors"][0]["name"] == "null"


def test_an_unknown_detector_is_an_input_error() -> None:
    result = runner.invoke(app, ["perf", "--detectors", "rat", "--no-memory"])
    assert result.exit_code == 2
    assert "Did you mean 'rate'" in result.output


def test_references_are_positive_rates() -> None:
    assert simpy_reference(processes=100, steps=3) > 0
    assert numpy_reference(size=10_000, repeats=1) > 0


def test_peak_memory_runs_each_size_in_a_fresh_process() -> None:
    config = PerfConfig(
        scenario=load_scenario(SCENARIOS / "quickstart.yaml"), memory_durations=(1800.0, 3600.0), memory_scale=0.05
    )
    first, second = peak_memory(config, ["null"])
    assert (first.duration, second.duration) == (1800.0, 3600.0)
    assert 0 < first.requests <= second.requests
    assert first.peak_rss_mb >= first.baseline_rss_mb > 0


@pytest.mark.parametrize(
    ("spans", "message"),
    [("5d,11h", "shorter span first"), ("11h", "two durations"), ("11h,5x", "expected")],
)
def test_memory_spans_must_be_two_increasing_durations(spans: str, message: str) -> None:
    result = runner.invoke(app, ["perf", "--memory-spans", spans, "--no-memory"])
    assert result.exit_code == 2
    assert message in result.output


def test_memory_spans_set_the_two_peak_memory_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import simulator.perf

    seen: list[tuple[float, float]] = []

    def fake_measure(config: PerfConfig, **_: object) -> PerfReport:
        seen.append(config.memory_durations)
        raise SystemExit(0)

    monkeypatch.setattr(simulator.perf, "measure", fake_measure)
    result = runner.invoke(app, ["perf", "--memory-spans", "11h,5d", "--json"])
    assert result.exit_code == 0, result.output
    assert seen == [(11 * 3600.0, 5 * 86400.0)]
