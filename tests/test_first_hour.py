"""A newcomer's first hour: bundled scenarios by name, progress without a terminal,
detectors from the current folder, --version and --json, schema --out, the Python
API in a plain script, durations refused with a reason, and big runs announced."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from simulator import __version__
from simulator.bench import plan_run
from simulator.bench.estimate import estimate_run
from simulator.cli import app
from simulator.cli.progress import CellProgress
from simulator.scenario.bundled import bundled_scenarios, resolve_scenario_path
from simulator.units import parse_option_duration

runner = CliRunner()


def test_a_bare_name_is_the_bundled_scenario_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario_path("quickstart") == ROOT / "scenarios" / "quickstart.yaml"
    assert set(bundled_scenarios()) == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    plan = plan_run(["quickstart"], detectors=["null"], seeds=1)
    assert [s.label for s in plan.scenarios] == ["quickstart"]
    assert plan_run(None, detectors=["null"], seeds=1).name == "quick"


def test_a_file_in_the_current_folder_wins_over_a_bundled_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "quickstart").write_text("not yaml: [", encoding="utf-8")
    assert resolve_scenario_path("quickstart") == Path("quickstart")


def test_scenarios_lists_the_bundled_ones() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0, result.output
    assert "quickstart" in result.output and "hydra-cluster" in result.output and "quick" in result.output
    listed = json.loads(runner.invoke(app, ["scenarios", "--json"]).stdout)
    assert [s["name"] for s in listed["scenarios"]] == sorted(bundled_scenarios())


def test_a_missing_scenario_names_the_folder_and_the_bundled_names(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "no-such-scenario"])
    assert result.exit_code == 2
    assert "no-such-scenario: expected an existing scenario file; got no such file (looked in" in result.output
    assert "usable by name: burst-harvest" in result.output


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"extractbench {__version__}"


def test_validate_json_reads_back_with_each_file_ok_or_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--json", "quickstart", str(bad)])
    assert result.exit_code == 2
    documents = json.loads(result.stdout)
    assert documents[0]["ok"] and documents[0]["name"] == "quickstart" and documents[0]["campaigns"] == 1
    assert not documents[1]["ok"] and any("start" in p for p in documents[1]["problems"])


def test_detectors_json_reads_back_with_parameters_and_defaults() -> None:
    result = runner.invoke(app, ["detectors", "--json"])
    assert result.exit_code == 0, result.output
    documents = {d["name"]: d for d in json.loads(result.stdout)}
    assert documents["periodic"]["parameters"]["every"] == 60
    assert documents["null"]["source"] == "built-in"
    one = json.loads(runner.invoke(app, ["detectors", "--json", "random"]).stdout)
    assert [d["name"] for d in one] == ["random"]


def test_check_json_reads_back_a_run_against_its_own_baseline(tiny_run: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert runner.invoke(app, ["baseline", str(tiny_run), "-o", str(baseline)]).exit_code == 0
    result = runner.invoke(app, ["check", str(tiny_run), "--baseline", str(baseline), "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["ok"] is True and outcome["regressions"] == 0 and outcome["changed"] == []
    assert outcome["compared"] > 0


def test_schema_out_creates_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "fresh" / ".vscode" / "extractbench-scenario.schema.json"
    result = runner.invoke(app, ["schema", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "Scenario"


def test_progress_without_a_terminal_is_one_line_per_cell_with_time_left() -> None:
    stream = io.StringIO()
    with CellProgress("lines", stream) as progress:
        for done in range(4):
            progress(done, 3)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("cell 1/3 done (33%), 0:00 elapsed, about 0:00 left")
    assert lines[-1].startswith("cell 3/3 done (100%)")


def test_progress_counts_reused_cells_as_done_but_not_in_the_rate() -> None:
    stream = io.StringIO()
    with CellProgress("lines", stream) as progress:
        progress(2, 4)
        progress(3, 4)
    assert stream.getvalue().splitlines()[0] == "2 of 4 cells reused from an earlier attempt"


def test_run_without_a_terminal_prints_a_line_per_cell_and_quiet_prints_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator.cli import run as run_module

    monkeypatch.setattr(run_module, "WARN_CELLS", 1)  # so that this two-cell run counts as big
    args = ["run", "quickstart", "--detectors", "null", "--duration", "30m", "--scale", "0.25"]
    args += ["--jobs", "1", "--no-report", "--no-scores"]
    result = runner.invoke(app, [*args, "--seeds", "2", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "warning: a big run: 2 cells (1 scenarios × 2 seeds, passive, 1 detectors)" in result.stderr
    assert "cell 1/2 done (50%)" in result.stderr and "cell 2/2 done (100%)" in result.stderr
    quiet = runner.invoke(app, [*args, "--seeds", "1", "-q", "--out", str(tmp_path / "b")])
    assert quiet.exit_code == 0 and quiet.stderr == "" and "wrote" not in quiet.stdout
    assert "quickstart · passive" in quiet.stdout
    assert all(len(line) <= 80 for line in quiet.stdout.splitlines())


def test_a_detector_module_in_the_current_folder_is_found(tmp_path: Path) -> None:
    (tmp_path / "mymodule.py").write_text(
        textwrap.dedent(
            '''
            from detectors import Detector

            class BusyAccounts(Detector):
                """Flags nothing, from the current folder."""

                def update(self, batch):
                    return {}
            '''
        ),
        encoding="utf-8",
    )
    code = "from simulator.cli import main; main()"
    found = subprocess.run(
        [sys.executable, "-c", code, "detectors", "--json", "mymodule:BusyAccounts"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[0]["summary"] == "Flags nothing, from the current folder."
    missing = subprocess.run(
        [sys.executable, "-c", code, "detectors", "nomodule:Nothing"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode == 2
    assert f"looked in the current folder ({tmp_path})" in missing.stderr and "PYTHONPATH" in missing.stderr


def test_the_python_api_runs_in_a_script_without_a_main_guard(tmp_path: Path) -> None:
    script = tmp_path / "experiment.py"
    script.write_text(
        textwrap.dedent(
            """
            import simulator
            from simulator import bench

            sim = simulator.simulate("quickstart", seed=1, duration="90m", scale=0.25)
            print("requests", len(sim.requests))
            print("attackers", int(sim.labels["is_attacker"].sum()))
            print("columns", sorted(set(sim.accounts.columns) & {"account_id"}))
            results = bench.run(["quickstart"], detectors=["null"], seeds=1, duration="30m", scale=0.25,
                                record_scores=False, out="run", report=True)
            print("leaderboard", list(results.leaderboard()["detector"]))
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert int(lines["requests"]) > 0 and int(lines["attackers"]) > 0
    assert lines["columns"] == "['account_id']"
    assert "null" in lines["leaderboard"]
    assert (tmp_path / "run" / "report.html").is_file() and (tmp_path / "run" / "summary.md").is_file()


def test_the_api_reads_durations_as_strings_or_seconds(tmp_path: Path) -> None:
    import simulator

    by_text = simulator.simulate("quickstart", seed=2, duration="30m", scale=0.25)
    by_seconds = simulator.simulate("quickstart", seed=2, duration=1800, scale=0.25)
    assert by_text.scenario.duration == by_seconds.scenario.duration == 1800.0
    assert by_text.requests.equals(by_seconds.requests)
    chunks = list(by_text.iter_requests(rows=100))
    assert sum(len(c) for c in chunks) == len(by_text.requests)


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("2days", "a number glued to one unit"),
        ("2 d", "a number glued to one unit"),
        ("1y", "years are not a unit"),
        ("10000d", "at most 365d"),
    ],
)
def test_ambiguous_or_huge_durations_are_refused_with_a_reason(given: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_option_duration(given)
    result = runner.invoke(app, ["run", "quickstart", "--duration", given])
    assert result.exit_code == 2 and "Invalid value for '--duration'" in result.output


def test_the_active_default_suite_is_estimated_as_a_big_run() -> None:
    from simulator.cli.run import WARN_CELLS

    big = plan_run(None, mode="active", seeds=3)
    estimate = estimate_run(big, jobs=2)
    assert estimate.cells == len(big.cells) > WARN_CELLS
    small = estimate_run(plan_run(["quickstart"], detectors=["null"], seeds=1, duration=1800.0), jobs=2)
    assert small.workers == 1 and 0 < small.seconds < estimate.seconds


def test_the_time_estimate_grows_with_requests_ticks_and_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    import simulator.bench.estimate as estimate

    for name, value in {
        "CELL_SECONDS": 2.0,
        "REQUEST_SECONDS": 1e-5,
        "TICK_SECONDS": 1e-2,
        "DETECTOR_COST": 0.5,
    }.items():
        monkeypatch.setattr(estimate, name, value)
    assert estimate.cell_seconds(100_000, 200, 2) == pytest.approx(2.0 + (1.0 + 2.0) * 2.0)
    alone = plan_run(["quickstart"], detectors=["null"], seeds=1, duration=3600.0)
    with_rate = plan_run(["quickstart"], detectors=["null", "rate"], seeds=1, duration=3600.0)
    assert alone.cells[0].scenario.scenario.n_ticks == 60
    requests = estimate.cell_size(alone.scenarios[0].scenario).requests
    assert estimate_run(alone, jobs=1).seconds == pytest.approx(2.0 + (requests * 1e-5 + 0.6) * 1.5)
    assert estimate_run(with_rate, jobs=1).seconds == pytest.approx(2.0 + (requests * 1e-5 + 0.6) * 2.0)
