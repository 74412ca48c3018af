"""Atomic, incremental, deterministic file output.

Every file is written under a temporary name in its final directory and renamed
into place only when complete (``os.replace`` is atomic on POSIX and Windows), so
an interrupted run never leaves a half-written file under a final name.
Parquet files are written in row groups as data arrives (memory stays bounded)
with fixed writer options, so the same rows give byte-identical files.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["AtomicParquetWriter", "atomic_path", "write_json", "write_table"]

ROW_GROUP_ROWS = 256_000
_WRITER_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "2.0",
}


def _file_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``
    (with the permissions a plainly created file would have), on error delete it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _FILE_MODE)  # mkstemp makes files private (0o600); results are meant to be shared
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as pretty, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def write_table(path: Path, table: pa.Table) -> None:
    """Write a whole Arrow table to Parquet, atomically and deterministically."""
    with AtomicParquetWriter(path, table.schema) as writer:
        writer.write(table)


class AtomicParquetWriter:
    """Append Arrow tables to a Parquet file in row groups of ``row_group_rows``;
    the file appears under its name only after :meth:`close`."""

    def __init__(self, path: Path, schema: pa.Schema, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.path = Path(path)
        self.schema = schema.remove_metadata()
        self.row_group_rows = row_group_rows
        self.rows = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._context = atomic_path(self.path)
        self._tmp = self._context.__enter__()
        self._writer = pq.ParquetWriter(self._tmp, self.schema, **_WRITER_OPTIONS)

    def write(self, table: pa.Table) -> None:
        """Queue rows; full row groups are written as they fill."""
        if table.num_rows == 0:
            return
        self._pending.append(table.replace_schema_metadata(None))
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        while self._pending_rows >= self.row_group_rows:
            combined = pa.concat_tables(self._pending)
            self._writer.write_table(combined.slice(0, self.row_group_rows), row_group_size=self.row_group_rows)
            rest = combined.slice(self.row_group_rows)
            self._pending = [rest] if rest.num_rows else []
            self._pending_rows = rest.num_rows

    def close(self) -> None:
        """Write what is queued and move the file into place."""
        if self._pending_rows:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=self.row_group_rows)
        self._pending = []
        self._writer.close()
        self._context.__exit__(None, None, None)

    def abort(self) -> None:
        """Discard the file."""
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(RuntimeError):
            self._context.__exit__(RuntimeError, RuntimeError("aborted"), None)

    def __enter__(self) -> AtomicParquetWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
