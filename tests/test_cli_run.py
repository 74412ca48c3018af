"""`extractbench run`: the leaderboard, the bundled suite, and bad input (exit code 2)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SCENARIOS
from failing_detectors import environment
from typer.testing import CliRunner

from detectors.registry import names
from simulator.bench import bundled_suite, load_suite, plan_run
from simulator.cli import app

runner = CliRunner()
SMALL = ["--scale", "0.25", "--duration", "80m", "--jobs", "1"]


def invoke(*args: str):
    return runner.invoke(app, ["run", *args])


def test_run_prints_where_it_wrote_and_a_leaderboard(tmp_path: Path, quickstart_path: Path) -> None:
    args = [str(quickstart_path), "--detectors", "null,random", "--seeds", "2", *SMALL, "--out", str(tmp_path)]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path}: 2 cells (0 reused)" in result.output
    assert "quickstart · passive · 2 seeds" in result.output
    assert "AUPRC" in result.output and "random" in result.output and "null" in result.output
    assert (tmp_path / "metrics.csv").is_file() and (tmp_path / "summary.json").is_file()
    assert f"report: {tmp_path / 'report.html'}" in result.output and (tmp_path / "summary.md").is_file()
    # the report was checked above: the rerun is about the reused cells
    again = invoke(*args, "--no-report")
    assert again.exit_code == 0 and "2 cells (2 reused)" in again.output


def test_policy_options_reach_the_run(tmp_path: Path, quickstart_path: Path) -> None:
    result = invoke(
        str(quickstart_path),
        *("--detectors", "random", "--seeds", "1", "--mode", "active", "--action", "throttle"),
        *("--threshold", "0.9", "--review-delay", "5m", "--throttle-factor", "0.2", "--no-scores"),
        *SMALL,
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert "quickstart · active · 1 seed" in result.output
    assert not (tmp_path / "scores.parquet").exists()
    plan = json.loads((tmp_path / "run.json").read_text())["plan"]
    assert plan["policy"] | {"action": "throttle", "threshold": 0.9, "review_delay": "5m"} == plan["policy"]
    assert plan["policy"]["throttle_factor"] == 0.2


def test_detectors_take_parameters_on_the_command_line(tmp_path: Path, quickstart_path: Path) -> None:
    specs = "random(seed=5), periodic(every=2, accounts=3),periodic(every=4, accounts=3)"
    result = invoke(str(quickstart_path), "--detectors", specs, "--seeds", "1", *SMALL, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    described = {d["label"]: d for d in json.loads((tmp_path / "run.json").read_text())["plan"]["detectors"]}
    assert set(described) == {"random(seed=5)", "periodic(every=2, accounts=3)", "periodic(every=4, accounts=3)"}
    assert described["random(seed=5)"]["params"]["seed"] == 5  # given, so not replaced by the run's seed
    periodic = described["periodic(every=4, accounts=3)"]["params"]
    assert periodic | {"every": 4, "accounts": 3} == periodic
    bad = invoke(str(quickstart_path), "--detectors", "periodic(evry=2)", *SMALL, "--out", str(tmp_path / "bad"))
    assert bad.exit_code == 2 and "Did you mean 'every'?" in bad.output and "Traceback" not in bad.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--detectors", "nul"], "Unknown detector 'nul'. Did you mean 'null'?"),
        (["--detectors", "periodic", "--threshold", "1.5"], "threshold: input should be less than or equal to 1"),
        (["--detectors", "periodic", "--threshold", "0"], "threshold: input should be greater than 0"),
        (["--detectors", "periodic", "--threshold", "high"], "Invalid value for '--threshold'"),
        (["--detectors", "periodic", "--seeds", "0"], "seeds: expected a positive count"),
        (["--detectors", "periodic", "--mode", "sideways"], "'sideways' is not one of"),
        (["--detectors", "periodic", "--scale", "-1"], "Invalid value for '--scale': expected a finite number > 0"),
        (["--detectors", "periodic", "--review-delay", "soon"], "--review-delay"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message(quickstart_path: Path, args: list[str], message: str) -> None:
    result = invoke(str(quickstart_path), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_unknown_scenario_file_exits_2(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "missing.yaml"), "--detectors", "null")
    assert result.exit_code == 2
    assert "missing.yaml: expected an existing scenario file; got no such file" in result.output


def test_a_bad_suite_is_located(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text("version: 1\nname: mine\nscenarios:\n  - path: ../x.yaml\n    scael: 2\n")
    result = invoke("--suite", str(suite))
    assert result.exit_code == 2
    assert f"{suite}:5:5: scenarios[0].scael: expected a known field; got unknown field 'scael'" in result.output
    assert "did you mean 'scale'?" in result.output


def test_a_folder_with_another_run_is_refused(tmp_path: Path, quickstart_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke(str(quickstart_path), "--detectors", "null", *SMALL, "--out", str(tmp_path))
    assert result.exit_code == 2 and "is not an extractbench results folder" in result.output


def test_a_second_run_into_a_folder_in_use_is_refused_at_once(tmp_path: Path, quickstart_path: Path) -> None:
    from simulator.bench.store import ResultsStore

    out = tmp_path / "out"
    argv = [sys.executable, "-c", "from simulator.cli import main; main()", "run", str(quickstart_path)]
    argv += ["--detectors", "failing_detectors:Slow", "--seeds", "1", "--duration", "2h"]
    argv += ["--out", str(out), "--no-report"]
    first = subprocess.Popen(argv, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out / "run.json").exists():
            time.sleep(0.1)
        assert (out / "run.json").exists(), "the first run did not start"
        result = invoke(str(quickstart_path), "--detectors", "null", *SMALL, "--out", str(out))
        assert result.exit_code == 2 and "is being written by another run" in result.output
    finally:
        first.kill()
        first.wait()
    with ResultsStore(out).held():  # the kernel let go of the killed run's hold
        pass


def test_the_quick_suite_lists_every_bundled_scenario() -> None:
    path = bundled_suite()
    assert path is not None
    suite = load_suite(path)
    listed = {(path.parent / entry.path).resolve() for entry in suite.scenarios}
    bundled = {p.resolve() for p in SCENARIOS.glob("*.yaml")}
    missing = sorted(p.name for p in bundled - listed)
    assert not missing, f"add {missing} to scenarios/suites/quick.yaml with a scale and duration that keep it quick"


def test_with_no_scenario_run_plans_the_quick_suite_with_every_detector() -> None:
    plan = plan_run()
    assert plan.name == "quick" and plan.seeds == (0, 1, 2) and plan.modes == ("passive",)
    assert [d.label for d in plan.detectors] == names()
    assert len(plan.cells) == len(plan.scenarios) * 3
