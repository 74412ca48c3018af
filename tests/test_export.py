"""Parquet files written in row groups, in the foreground or on a background thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulator.export import AtomicParquetWriter, staged_folder

SCHEMA = pa.schema([pa.field("x", pa.int64()), pa.field("name", pa.string())])


def _chunks(sizes: list[int]) -> list[pa.Table]:
    start = 0
    tables = []
    for size in sizes:
        values = np.arange(start, start + size)
        tables.append(pa.table({"x": values, "name": [f"row {v}" for v in values.tolist()]}, schema=SCHEMA))
        start += size
    return tables


def _write(path: Path, tables: list[pa.Table], background: bool) -> bytes:
    with AtomicParquetWriter(path, SCHEMA, row_group_rows=50, background=background) as writer:
        for table in tables:
            writer.write(table)
    return path.read_bytes()


def test_background_writes_give_the_same_bytes(tmp_path: Path) -> None:
    tables = _chunks([7, 30, 0, 41, 13, 90, 3])
    foreground = _write(tmp_path / "a.parquet", tables, background=False)
    background = _write(tmp_path / "b.parquet", tables, background=True)
    assert background == foreground
    assert pq.read_table(tmp_path / "b.parquet").equals(pa.concat_tables(tables))
    assert pq.ParquetFile(tmp_path / "b.parquet").metadata.num_row_groups == 4


def test_an_error_on_the_writer_thread_is_raised_to_the_caller(tmp_path: Path) -> None:
    wrong = pa.table({"x": pa.array(["not", "an", "integer"] * 20), "name": pa.array(["a", "b", "c"] * 20)})
    path = tmp_path / "out.parquet"
    with (
        pytest.raises((ValueError, pa.ArrowInvalid)),
        AtomicParquetWriter(path, SCHEMA, row_group_rows=50, background=True) as writer,
    ):
        writer.write(wrong)  # a full row group: written on the thread, where it fails
        for table in _chunks([10] * 20):
            writer.write(table)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone too


def test_an_error_in_the_last_row_group_is_raised_by_close(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    writer = AtomicParquetWriter(path, SCHEMA, row_group_rows=50, background=True)
    writer.write(pa.table({"x": pa.array(["text"]), "name": pa.array(["a"])}))
    with pytest.raises((ValueError, pa.ArrowInvalid)):
        writer.close()
    assert list(tmp_path.iterdir()) == []


def test_a_staged_folder_gets_every_file_or_none(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staged_folder(out) as staging:
        (staging / "a.csv").write_text("new a")
        (staging / "b.csv").write_text("new b")
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv"]
    with pytest.raises(OSError, match="disk full"), staged_folder(out) as staging:
        (staging / "a.csv").write_text("newer a")
        raise OSError("disk full")  # before b.csv: a.csv must not replace the complete one
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a.csv": "new a", "b.csv": "new b"}
