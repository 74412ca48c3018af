"""`extractbench report`: rebuilds the report from a results folder; `run --no-report`; bad input exits 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def test_report_rebuilds_the_plots_and_pages_and_drops_stale_plots(tiny_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(tiny_run, folder)
    (folder / "plots").mkdir(exist_ok=True)
    (folder / "plots" / "pr-gone-passive.png").write_bytes(b"old")
    result = invoke("report", folder)
    assert result.exit_code == 0, result.output
    assert f"wrote {folder / 'report.html'} and summary.md: 7 plots in {folder / 'plots'}" in result.output
    assert not (folder / "plots" / "pr-gone-passive.png").exists()
    assert len(list((folder / "plots").glob("*.png"))) == len(list((folder / "plots").glob("*.svg"))) == 7


def test_run_without_report_then_report_alone(
    tmp_path: Path, quickstart_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    small = ["--duration", "90m", "--scale", "0.25", "--seeds", "1", "--jobs", "1", "--detectors", "null,random"]
    result = invoke("run", quickstart_path, *small, "--no-report", "--out", out)
    assert result.exit_code == 0, result.output
    assert "report:" not in result.output and not (out / "report.html").exists() and not (out / "plots").exists()

    def broken(folder: Path, jobs: int = 1) -> None:
        raise RuntimeError("no fonts")

    monkeypatch.setattr("simulator.report.write_report", broken)
    result = invoke("run", quickstart_path, *small, "--out", out)  # every cell reused
    assert result.exit_code == 1
    assert f"the report could not be written (RuntimeError: no fonts); the results in {out} are complete" in (
        result.output
    )
    monkeypatch.undo()
    result = invoke("report", out)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and (out / "summary.md").is_file()


def test_bad_input_exits_2_with_a_message(tiny_run: Path, tmp_path: Path) -> None:
    missing = invoke("report", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "no such folder" in missing.output
    (tmp_path / "notes.txt").write_text("hello")
    other = invoke("report", tmp_path)
    assert other.exit_code == 2 and "not an extractbench results folder (no run.json)" in other.output
    unfinished = tmp_path / "unfinished"
    shutil.copytree(tiny_run, unfinished)
    run = json.loads((unfinished / "run.json").read_text())
    (unfinished / "run.json").write_text(json.dumps({**run, "status": "running"}))
    result = invoke("report", unfinished)
    assert result.exit_code == 2 and "the run is not complete (status 'running')" in result.output
    (unfinished / "run.json").write_text("{")
    assert invoke("report", unfinished).exit_code == 2
