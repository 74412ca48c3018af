"""``extractbench calibrate``: the report files, and clear errors for missing or bad traces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SCENARIOS, TRACES
from typer.testing import CliRunner

from simulator.cli import app

needs_traces = pytest.mark.skipif(not TRACES.is_dir(), reason="public traces not available")


def invoke(*args: str):
    return CliRunner().invoke(app, ["calibrate", *args])


def test_without_a_folder_and_without_the_default_it_exits_2(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke()
    assert result.exit_code == 2
    assert "shared/data/traces" in result.output
    assert "Traceback" not in result.output


def test_a_folder_missing_trace_kinds_is_named(tmp_path: Path) -> None:
    result = invoke(str(tmp_path), "--scenario", str(SCENARIOS / "quickstart.yaml"))
    assert result.exit_code == 2
    assert "no azure_conv file" in result.output and "no servegen_hourly file" in result.output


@needs_traces
def test_a_malformed_trace_is_located_without_a_traceback(tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    shutil.copytree(TRACES, traces)
    conv = next(traces.glob("azure*conv*.csv"))
    lines = conv.read_text().splitlines()
    lines[3] = "2023-11-16 18:15:51.2,not-a-number,55"
    conv.write_text("\n".join(lines) + "\n")
    result = invoke(str(traces), "--scenario", str(SCENARIOS / "quickstart.yaml"))
    assert result.exit_code == 2
    assert f"{conv.name}:4: column 'ContextTokens' expected a whole number" in result.output
    assert "Traceback" not in result.output


@needs_traces
def test_a_short_run_writes_the_table_the_figure_and_the_fit(tmp_path: Path) -> None:
    out = tmp_path / "calibration"
    result = invoke(
        str(TRACES), "--scenario", str(SCENARIOS / "quickstart.yaml"), "--duration", "2h", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    table = (out / "calibration.md").read_text()
    assert "| chat | output tokens KS |" in table
    assert "| population | per-client volume Gini |" in table
    assert "| burst_scaling |" in table
    assert (out / "calibration.png").read_bytes()[:4] == b"\x89PNG"
    assert '"arrival_cv"' in (out / "fit.json").read_text()
    assert "output-token KS chat" in result.output
