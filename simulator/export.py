"""Atomic, incremental, deterministic file output.

Every file is written under a temporary name in its final directory and renamed
into place only when complete (``os.replace`` is atomic on POSIX and Windows), so
an interrupted run never leaves a half-written file under a final name.
Parquet files are written in row groups as data arrives (memory stays bounded)
with fixed writer options, so the same rows give byte-identical files, and are
read back a row group at a time by :func:`row_groups`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

__all__ = [
    "LOG_FORMATS",
    "AtomicLogWriter",
    "AtomicParquetWriter",
    "atomic_path",
    "row_groups",
    "staged_folder",
    "write_json",
    "write_table",
]

LOG_FORMATS: tuple[str, ...] = ("parquet", "jsonl", "csv")
"""Formats a request log can be exported in."""

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


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield a hidden folder inside ``out`` to write a set of files into; on success move
    every file into ``out`` (renames within one file system: they need no space, so a full
    disk cannot stop them half-way), on error delete them. ``out`` then holds all the new
    files or none, never one run's files beside another's. Files only: move no folder."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        yield staging
        for written in sorted(staging.iterdir()):
            os.replace(written, out / written.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as pretty, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def write_table(path: Path, table: pa.Table) -> None:
    """Write a whole Arrow table to Parquet, atomically and deterministically."""
    with AtomicParquetWriter(path, table.schema) as writer:
        writer.write(table)


def row_groups(path: Path, groups: Iterable[int] | None = None, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The row groups of the Parquet file at ``path`` (those numbered in ``groups``, by
    default all, in that order), one at a time: memory holds one row group, whatever the
    file's size; ``columns`` reads only those."""
    source = pq.ParquetFile(path)
    for group in range(source.num_row_groups) if groups is None else groups:
        yield source.read_row_group(group, columns=columns)


class _Atomic:
    """A file written under a temporary name: used as a context manager, it is closed (moved
    into place) on success and aborted (deleted) on error."""

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


class AtomicParquetWriter(_Atomic):
    """Append Arrow tables to a Parquet file in row groups of ``row_group_rows``;
    the file appears under its name only after :meth:`close`.

    With ``background``, full row groups are encoded and written on a thread of the
    writer's own while the caller goes on (Arrow releases the interpreter lock while it
    encodes and compresses), one row group at a time and in order, so the file is the
    same byte for byte; an error raised there is raised again by the next :meth:`write`
    or by :meth:`close`. CPU time is the same; wall-clock time is shorter where a second
    core is free.
    """

    def __init__(
        self, path: Path, schema: pa.Schema, row_group_rows: int = ROW_GROUP_ROWS, *, background: bool = False
    ) -> None:
        self.path = Path(path)
        self.schema = schema.remove_metadata()
        self.row_group_rows = row_group_rows
        self.rows = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._context = atomic_path(self.path)
        self._tmp = self._context.__enter__()
        self._writer = pq.ParquetWriter(self._tmp, self.schema, **_WRITER_OPTIONS)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet") if background else None
        self._in_flight: Future[None] | None = None

    def write(self, table: pa.Table) -> None:
        """Queue rows; full row groups are written as they fill."""
        self._finished()
        if table.num_rows == 0:
            return
        self._pending.append(table.replace_schema_metadata(None))
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        while self._pending_rows >= self.row_group_rows:
            combined = pa.concat_tables(self._pending)
            self._write_row_group(combined.slice(0, self.row_group_rows))
            rest = combined.slice(self.row_group_rows)
            self._pending = [rest] if rest.num_rows else []
            self._pending_rows = rest.num_rows

    def _write_row_group(self, table: pa.Table) -> None:
        if self._thread is None:
            self._writer.write_table(table, row_group_size=self.row_group_rows)
            return
        self._wait()  # one row group in flight at a time: memory stays bounded
        self._in_flight = self._thread.submit(self._writer.write_table, table, row_group_size=self.row_group_rows)

    def _finished(self) -> None:
        """Raise the error of a row group written in the background, if it failed."""
        if self._in_flight is not None and self._in_flight.done():
            self._wait()

    def _wait(self) -> None:
        """Wait for the row group in flight; raise its error, if any."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.result()

    def close(self) -> None:
        """Write what is queued and move the file into place (on an error, discard it)."""
        try:
            if self._pending_rows:
                self._write_row_group(pa.concat_tables(self._pending))
            self._pending = []
            self._wait()
        except BaseException:
            self.abort()
            raise
        self._stop()
        self._writer.close()
        self._context.__exit__(None, None, None)

    def abort(self) -> None:
        """Discard the file."""
        with contextlib.suppress(Exception):
            self._wait()
        self._stop()
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(RuntimeError):
            self._context.__exit__(RuntimeError, RuntimeError("aborted"), None)

    def _stop(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None


class AtomicLogWriter(_Atomic):
    """Append Arrow tables to a log in ``fmt`` (``parquet``, ``jsonl`` or ``csv``); the file
    appears under its name only after :meth:`close`. ``background``: Parquet row groups
    are written on a thread (see :class:`AtomicParquetWriter`).

    JSON Lines: one object per row, keys in schema order, floats written exactly
    (shortest round-trip form), 64-bit integers as JSON integers. CSV: a header line,
    then Arrow's writer (floats exact as well, text quoted where needed). Dictionary
    (categorical) columns are written as their text in both.
    """

    def __init__(self, path: Path, schema: pa.Schema, fmt: str = "parquet", *, background: bool = False) -> None:
        if fmt not in LOG_FORMATS:
            raise ValueError(f"Unknown log format {fmt!r}; expected one of {', '.join(LOG_FORMATS)}")
        self.fmt = fmt
        self.rows = 0
        self._parquet = AtomicParquetWriter(path, schema, background=background) if fmt == "parquet" else None
        if self._parquet is None:
            self._context = atomic_path(Path(path))
            self._handle = open(self._context.__enter__(), "wb")  # noqa: SIM115 - closed in close/abort
            self._header = True

    def write(self, table: pa.Table) -> None:
        """Append rows."""
        self.rows += table.num_rows
        if self._parquet is not None:
            self._parquet.write(table)
            return
        if table.num_rows == 0:
            return
        plain = pa.table(
            {
                name: pc.cast(column, pa.string()) if pa.types.is_dictionary(column.type) else column
                for name, column in zip(table.schema.names, table.columns, strict=True)
            }
        )
        if self.fmt == "csv":
            buffer = io.BytesIO()
            pcsv.write_csv(plain, buffer, pcsv.WriteOptions(include_header=self._header))
            self._header = False
            self._handle.write(buffer.getvalue())
        else:
            text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in plain.to_pylist())
            self._handle.write(text.encode("utf-8"))

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._parquet is not None:
            self._parquet.close()
            return
        self._handle.close()
        self._context.__exit__(None, None, None)

    def abort(self) -> None:
        """Discard the file."""
        if self._parquet is not None:
            self._parquet.abort()
            return
        with contextlib.suppress(Exception):
            self._handle.close()
        with contextlib.suppress(RuntimeError):
            self._context.__exit__(RuntimeError, RuntimeError("aborted"), None)
