"""The size guard: a plan past the limits of simulator.bench.estimate is refused before
anything runs (exit 2, the estimate and how to shrink it), unless forced."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator import bench
from simulator.bench import estimate
from simulator.bench.estimate import SizeLimitError, cell_size, check_size, size_problems
from simulator.bench.plan import BenchInputError, plan_run
from simulator.cli import app
from simulator.scenario.bundled import resolve_scenario_path
from simulator.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
SMALL = ["--scale", "0.05", "--duration", "1h", "--seeds", "1", "--detectors", "null"]

runner = CliRunner()


@pytest.mark.parametrize("command", ["run", "simulate", "frontier", "red-team"])
@pytest.mark.parametrize("scale", ["inf", "nan", "0", "-1"])
def test_a_scale_that_is_not_a_finite_positive_number_is_a_bad_option(command: str, scale: str) -> None:
    extra = {
        "run": [],
        "simulate": [],
        "frontier": ["--param", "campaigns[0].accounts", "--range", "10:20", "--target", "recall=0.5"],
        "red-team": ["--detector", "rate"],
    }[command]
    result = runner.invoke(app, [command, "quickstart", *extra, "--scale", scale])
    assert result.exit_code == 2, result.output
    assert "--scale" in result.output
    assert "expected a finite number > 0" in result.output


def test_the_python_call_refuses_a_non_finite_scale() -> None:
    for scale in (float("inf"), float("nan"), 0.0):
        with pytest.raises(BenchInputError, match=r"scale: expected a finite number > 0"):
            plan_run(["quickstart"], scale=scale)


def test_a_scale_too_large_is_refused_with_the_estimate_and_how_to_shrink_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "quickstart", "--scale", "1e5", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "quickstart: one simulation is estimated at 2,284,1" in result.output
    assert "simulated requests (limit 200,000,000)" in result.output
    assert "of memory (limit 16.0 GiB)" in result.output
    assert "49,200,000 accounts" in result.output
    assert "a smaller --scale" in result.output and "--duration" in result.output
    assert "--force" in result.output and "docs/hardening.md" in result.output
    assert not (tmp_path / "out").exists()


def test_a_scenario_of_a_hundred_million_accounts_is_refused(tmp_path: Path) -> None:
    text = QUICKSTART.read_text(encoding="utf-8").replace("    accounts: 300\n", "    accounts: 100000000\n", 1)
    huge = tmp_path / "huge.yaml"
    huge.write_text(text, encoding="utf-8")
    for command in (["run", str(huge), "--detectors", "null"], ["simulate", str(huge)]):
        result = runner.invoke(app, [*command, "--out", str(tmp_path / "out")])
        assert result.exit_code == 2, result.output
        assert "100,000,192 accounts" in result.output
        assert "GiB of memory (limit 16.0 GiB)" in result.output
    assert not (tmp_path / "out").exists()


def test_too_many_seeds_are_refused() -> None:
    result = runner.invoke(app, ["run", "quickstart", "--seeds", "100000", "--detectors", "null"])
    assert result.exit_code == 2, result.output
    assert "the run has 100,000 cells (limit 2,000); fewer --seeds or scenarios shrink it" in result.output


def test_every_bundled_suite_and_scenario_at_full_size_pass_but_the_report_sized_ones() -> None:
    """The bundled suites, and the bundled scenarios at their own size, run; the two at the size of
    the public reports (about 22 and 30 GiB estimated) are refused with the estimate, and forced."""
    for suite in ("quick", "defences"):
        check_size(plan_run(suite=suite))
    big = {"report-scale-2026", "qwen-scale"}
    names = sorted(path.stem for path in (ROOT / "scenarios").glob("*.yaml"))
    check_size(plan_run([name for name in names if name not in big], detectors=["null"], seeds=3))
    for name in sorted(big):
        plan = plan_run([name], detectors=["null"], seeds=3)
        with pytest.raises(SizeLimitError) as refused:
            check_size(plan)
        assert f"{name}: one simulation is estimated at" in refused.value.problems[0]
        assert "GiB of memory (limit 16.0 GiB)" in refused.value.problems[0]
        assert "--force" in refused.value.problems[-1] and "--memory-budget" in refused.value.problems[-1]
        check_size(plan, force=True)
    report = cell_size(load_scenario(resolve_scenario_path(Path("report-scale-2026"))))
    assert report.requests < estimate.MAX_REQUESTS_PER_CELL
    assert 20 * estimate.GIB < report.memory_bytes < 25 * estimate.GIB


def test_every_bundled_scenario_simulates_at_full_size_without_force() -> None:
    """A bare simulation streams its requests to disk: the two report-size scenarios a benchmark
    run refuses are simulated (extractbench simulate) without --force."""
    for name in ("report-scale-2026", "qwen-scale"):
        scenario = load_scenario(resolve_scenario_path(Path(name)))
        assert size_problems([(name, scenario)], 1, streamed=True) == []
        assert size_problems([(name, scenario)], 1) != []
        streamed = cell_size(scenario, streamed=True)
        assert streamed.memory_bytes < cell_size(scenario).memory_bytes


@pytest.fixture
def low_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits a small quickstart run is past, so that forcing it stays cheap."""
    monkeypatch.setattr(estimate, "MAX_REQUESTS_PER_CELL", 10.0)
    monkeypatch.setattr(estimate, "MAX_MEMORY_BYTES_PER_CELL", 1.0)


@pytest.mark.usefixtures("low_limits")
def test_force_lets_an_over_limit_plan_through(tmp_path: Path) -> None:
    refused = runner.invoke(app, ["run", "quickstart", *SMALL, "--out", str(tmp_path / "a"), "-q", "--no-report"])
    assert refused.exit_code == 2, refused.output
    assert "(limit 10)" in refused.output
    forced = runner.invoke(
        app, ["run", "quickstart", *SMALL, "--out", str(tmp_path / "b"), "-q", "--no-report", "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "b" / "metrics.csv").is_file()


@pytest.mark.usefixtures("low_limits")
def test_the_python_call_raises_a_size_limit_error_unless_forced(tmp_path: Path) -> None:
    options = {"detectors": ["null"], "seeds": 1, "scale": 0.05, "duration": "1h"}
    assert bench.SizeLimitError is SizeLimitError and issubclass(SizeLimitError, BenchInputError)
    with pytest.raises(SizeLimitError, match=r"quickstart: one simulation is estimated at .* \(limit 10\)"):
        bench.run(["quickstart"], out=tmp_path / "a", **options)
    assert not (tmp_path / "a").exists()
    results = bench.run(["quickstart"], out=tmp_path / "b", force=True, **options)
    assert len(results.metrics)


@pytest.mark.usefixtures("low_limits")
@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "quickstart", "--scale", "0.05", "--duration", "1h"],
        ["frontier", "quickstart", "--param", "campaigns[0].accounts", "--range", "10:20", "--target", "recall=0.5"],
        ["red-team", "quickstart", "--detector", "rate", "--trials", "2"],
    ],
)
def test_the_other_commands_that_build_worlds_are_guarded(command: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, [*command, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "one simulation is estimated at" in result.output and "--force" in result.output
    assert not list((tmp_path / "out").rglob("*.parquet"))
