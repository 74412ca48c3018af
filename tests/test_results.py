"""Finished runs apart from the harness: a results folder reads back, summarises and is
checked without loading the simulator (no world, no gateway, no SimPy, no Faker)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import simulator
from simulator.results import ResultsFolderError, RunResults, load_results
from simulator.results.leaderboard import leaderboard_tables

FORBIDDEN = (
    "simpy",
    "faker",
    "simulator.world",
    "simulator.bench",
    "simulator.gateway",
    "simulator.campaign",
    "simulator.population",
)
"""What a reader of finished results must not load: the world and the harness that made them."""

CLI = Path(simulator.__file__).parent / "cli"


def loaded_after(code: str) -> set[str]:
    """The names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    program = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f"{f}.") for f in FORBIDDEN))


def imports_of(path: Path) -> list[str]:
    """Every absolute import in a module's source, at the top or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            names.append(str(node.module))
    return names


def test_the_report_and_the_results_load_no_world_and_no_harness() -> None:
    loaded = loaded_after("import simulator.report, simulator.results")
    assert {"simulator.report", "simulator.results"} <= loaded
    assert forbidden(loaded) == []


@pytest.mark.parametrize("command", ["check", "report", "baseline"])
def test_the_modules_behind_a_command_on_finished_results_load_no_world(command: str) -> None:
    modules = imports_of(CLI / f"{command}.py")
    assert any(m.startswith(("simulator.results", "simulator.report")) for m in modules)
    loaded = loaded_after("".join(f"import {m}\n" for m in modules))
    assert forbidden(loaded) == []


def test_the_package_reads_results_without_the_harness() -> None:
    loaded = loaded_after("import simulator\nassert simulator.load_results.__module__ == 'simulator.results.folder'")
    assert forbidden(loaded) == []


def test_the_harness_and_the_package_hand_out_the_same_reader() -> None:
    from simulator import bench

    assert bench.load_results is simulator.load_results is load_results
    assert bench.RunResults is simulator.RunResults is RunResults
    assert bench.ResultsFolderError is ResultsFolderError


def write_folder(out: Path, status: str = "complete") -> Path:
    """A results folder written by hand: two detectors, two seeds, one scenario, passive."""
    out.mkdir()
    plan = {"scenarios": [{"label": "tiny"}], "detectors": [{"label": "random"}, {"label": "mine"}]}
    (out / "run.json").write_text(json.dumps({"run_id": "by-hand", "status": status, "plan": plan}))
    rows = [
        ("tiny", detector, "passive", seed, metric, value)
        for detector, auprcs in (("random", (0.1, 0.2)), ("mine", (0.6, 0.8)))
        for seed, auprc in enumerate(auprcs)
        for metric, value in (("auprc", auprc), ("recall", auprc / 2))
    ]
    metrics = pd.DataFrame(rows, columns=["scenario", "detector", "mode", "seed", "metric", "value"])
    metrics.to_parquet(out / "metrics.parquet")
    cost = metrics[["scenario", "detector", "mode", "seed"]].drop_duplicates().assign(events_per_s=1000.0)
    cost.to_csv(out / "cost.csv", index=False)
    (out / "failures.csv").write_text("scenario,detector,mode,seed,tick,reason\n")
    return out


def test_a_folder_written_by_hand_reads_back_with_its_summary_and_leaderboard(tmp_path: Path) -> None:
    results = load_results(write_folder(tmp_path / "run"))
    assert results.run_id == "by-hand" and results.failures.empty
    summary = results.summary.set_index(["detector", "metric"])
    assert summary.loc[("mine", "auprc"), "value"] == pytest.approx(0.7)
    assert summary.loc[("mine", "auprc"), "seeds"] == 2
    board = results.leaderboard()
    assert board["detector"].tolist() == ["mine", "random"]
    assert board["events_per_s"].tolist() == [1000.0, 1000.0]
    [paired] = results.comparisons().query("metric == 'auprc'").itertuples()
    assert (paired.detector, paired.reference, paired.n) == ("mine", "random", 2)
    assert paired.mean == pytest.approx(0.55)
    [table] = leaderboard_tables(board)
    assert table.row_count == 2


def test_an_unfinished_or_incomplete_folder_says_what_to_do(tmp_path: Path) -> None:
    unfinished = write_folder(tmp_path / "unfinished", status="running")
    with pytest.raises(ResultsFolderError, match=r"not complete \(status 'running'\); finish it with `extractbench"):
        load_results(unfinished)
    incomplete = write_folder(tmp_path / "incomplete")
    (incomplete / "cost.csv").unlink()
    with pytest.raises(ResultsFolderError, match=r"incomplete results folder, missing cost\.csv"):
        load_results(incomplete)
    with pytest.raises(ResultsFolderError, match="no such folder"):
        load_results(tmp_path / "nowhere")


def test_a_detector_named_null_reads_back_as_a_name(tmp_path: Path) -> None:
    out = write_folder(tmp_path / "run")
    (out / "cost.csv").write_text("scenario,detector,mode,seed,events_per_s\ntiny,null,passive,0,nan\n")
    (out / "failures.csv").write_text("scenario,detector,mode,seed,tick,reason\ntiny,null,passive,0,3,boom\n")
    results = load_results(out)
    assert results.cost["detector"].tolist() == ["null"] and results.cost["events_per_s"].isna().all()
    assert results.failures["detector"].tolist() == ["null"]
