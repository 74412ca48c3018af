"""Malformed results folders: `report`, `check` and `baseline` say which file, column and value
is wrong (exit 2), never an internal error; a detector labelled ``null`` reads back as a name."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.bench.assemble import COST_COLUMNS, FAILURE_COLUMNS, METRIC_COLUMNS
from simulator.bench.deployment import PREVALENCE_COLUMNS, THRESHOLD_COLUMNS
from simulator.cli import app
from simulator.results.files import TABLES, read_table
from simulator.results.folder import load_results

runner = CliRunner()


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smallest real run: quickstart at 5% for one hour, one seed, the null baseline and rate."""
    out = tmp_path_factory.mktemp("run") / "small"
    args = ["run", "quickstart", "--scale", "0.05", "--duration", "1h", "--seeds", "1"]
    result = runner.invoke(app, [*args, "--detectors", "null,rate", "--out", str(out), "-q", "--no-report"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def folder(finished: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(finished, copy)
    return copy


def _edit_csv(name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def corrupt(folder: Path) -> None:
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        change(frame).to_csv(folder / name, index=False)

    return corrupt


def _edit_parquet(name: str, change: Callable[[pa.Table], pa.Table]) -> Callable[[Path], None]:
    def corrupt(folder: Path) -> None:
        pq.write_table(change(pq.read_table(folder / name)), folder / name)

    return corrupt


def _truncate(name: str) -> Callable[[Path], None]:
    def corrupt(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])

    return corrupt


def _write(name: str, text: str) -> Callable[[Path], None]:
    def corrupt(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return corrupt


def _run_json_without_plan(folder: Path) -> None:
    text = (folder / "run.json").read_text(encoding="utf-8")
    start = text.index('"plan"')
    end = text.index('"platform"')
    (folder / "run.json").write_text(text[:start] + text[end:], encoding="utf-8")


def _text_in(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame.assign(**{column: "lots"})


def _set_column(column: str, array: pa.Array) -> Callable[[pa.Table], pa.Table]:
    return lambda table: table.set_column(table.schema.get_field_index(column), column, array)


FAULTS = {
    "cost.csv missing a column": (
        _edit_csv("cost.csv", lambda f: f.drop(columns="events_per_s")),
        ["cost.csv: column 'events_per_s': expected it", "found the columns 'scenario'"],
    ),
    "cost.csv text in a number column": (
        _edit_csv("cost.csv", _text_in("peak_memory_mb")),
        ["cost.csv:2: column 'peak_memory_mb': expected a number (or nan), found 'lots'"],
    ),
    "cost.csv text in an integer column": (
        _edit_csv("cost.csv", _text_in("seed")),
        ["cost.csv:2: column 'seed': expected an integer, found 'lots'"],
    ),
    "failures.csv missing a column": (
        _write("failures.csv", "scenario,detector,mode,seed,reason\nquickstart,rate,passive,0,boom\n"),
        ["failures.csv: column 'tick': expected it", "found the columns 'scenario', 'detector'"],
    ),
    "failures.csv text in the tick column": (
        _write("failures.csv", "scenario,detector,mode,seed,tick,reason\nquickstart,rate,passive,0,soon,boom\n"),
        ["failures.csv:2: column 'tick': expected an integer, found 'soon'"],
    ),
    "metrics.parquet missing a column": (
        _edit_parquet("metrics.parquet", lambda t: t.drop_columns(["value"])),
        ["metrics.parquet: column 'value': expected it", "found the columns 'scenario'"],
    ),
    "metrics.parquet text in the value column": (
        _edit_parquet("metrics.parquet", lambda t: _set_column("value", pa.array(["high"] * len(t)))(t)),
        ["metrics.parquet: column 'value': expected a number (or nan), found string values"],
    ),
    "metrics.parquet truncated": (
        _truncate("metrics.parquet"),
        ["metrics.parquet: expected a Parquet table, found a file that cannot be read (truncated or corrupt?"],
    ),
    "run.json without its plan": (
        _run_json_without_plan,
        ["run.json: field 'plan': expected the field, found nothing (missing)"],
    ),
    "run.json not JSON": (
        _write("run.json", '{"run_id": "small", "status": "complete", plan: []}'),
        ["run.json:1:", "expected JSON (the run description extractbench run writes), found text that is not"],
    ),
    "run.json with a scenario label that is a number": (
        lambda folder: (folder / "run.json").write_text(
            (folder / "run.json").read_text(encoding="utf-8").replace('"label": "quickstart"', '"label": 7'),
            encoding="utf-8",
        ),
        ["run.json: field 'plan.scenarios[0].label': expected text, found int 7"],
    ),
}


@pytest.mark.parametrize("command", ["report", "check", "baseline"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_malformed_results_folder_is_refused_with_a_located_message(
    folder: Path, tmp_path: Path, fault: str, command: str
) -> None:
    corrupt, expected = FAULTS[fault]
    corrupt(folder)
    args = {
        "report": ["report", str(folder)],
        "check": ["check", str(folder), "--baseline", str(Path("benchmarks/baseline-quick.json").resolve())],
        "baseline": ["baseline", str(folder), "--output", str(tmp_path / "b.json")],
    }[command]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    for text in expected:
        assert text in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_every_table_the_harness_writes_reads_back_unchanged(finished: Path) -> None:
    """The checked readers return what pandas reads, with the declared types."""
    for name in ("cost.csv", "metrics.csv", "prevalence.csv", "thresholds.csv"):
        plain = pd.read_csv(finished / name, keep_default_na=False, na_values=["nan", ""])
        pd.testing.assert_frame_equal(read_table(finished / name), plain, check_dtype=False)
    for name in ("metrics.parquet", "outcomes.parquet", "leakage.parquet", "scores.parquet"):
        pd.testing.assert_frame_equal(read_table(finished / name), pd.read_parquet(finished / name))
    assert read_table(finished / "metrics.csv")["seed"].dtype == "int64"


def test_the_declared_columns_are_the_ones_the_harness_writes() -> None:
    assert {c.name for c in TABLES["metrics.parquet"]} == set(METRIC_COLUMNS)
    assert {c.name for c in TABLES["cost.csv"]} == set(COST_COLUMNS)
    assert {c.name for c in TABLES["failures.csv"]} == set(FAILURE_COLUMNS)
    assert {c.name for c in TABLES["prevalence.csv"]} == set(PREVALENCE_COLUMNS)
    assert {c.name for c in TABLES["thresholds.csv"]} == set(THRESHOLD_COLUMNS)


def test_a_detector_labelled_null_reads_back_as_its_name(folder: Path) -> None:
    (folder / "failures.csv").write_text(
        "scenario,detector,mode,seed,tick,reason\nquickstart,null,passive,0,3,update raised ValueError: x\n",
        encoding="utf-8",
    )
    results = load_results(folder)
    assert "null" in set(results.cost["detector"])
    assert list(results.failures["detector"]) == ["null"]
    assert "null" in set(results.metrics["detector"])
    assert "null" in set(read_table(folder / "metrics.csv")["detector"])
    assert "null" in set(read_table(folder / "thresholds.csv")["detector"])
    for frame in (results.cost, results.failures, read_table(folder / "metrics.csv")):
        assert frame["detector"].notna().all()
