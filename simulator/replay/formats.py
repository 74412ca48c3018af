"""Reading logs in chunks: JSON Lines, CSV and Parquet, gzip-compressed or not.

:func:`read_chunks` yields :class:`RawChunk` objects of at most ``chunk_rows`` rows
each: an Arrow table of the log's own columns and the line number of every row,
so that memory stays bounded whatever the size of the file.

* **JSONL**: lines are read in blocks; a block is parsed by ``pyarrow.json`` and,
  if that fails, line by line with :mod:`json`, so that a malformed line (not
  JSON, or not an object) is counted and skipped with its line number instead of
  failing the block. Blank lines are skipped silently (they hold no row).
* **CSV**: ``pyarrow.csv`` streaming reader with every column read as text (types
  are decided per column by the mapping, not guessed per block); a row with the
  wrong number of fields is a malformed row.
* **Parquet**: one row group at a time, read as record batches of at most ``chunk_rows``
  rows (memory: one row group's column chunks, whatever the number of row groups).

The format is taken from the file name (``.jsonl``, ``.ndjson``, ``.json``, ``.csv``,
``.parquet``, each optionally ``.gz``) unless given.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.parquet as pq

from simulator.replay.badrows import BadRows

__all__ = ["CHUNK_ROWS", "FORMATS", "Format", "LogFormatError", "RawChunk", "detect_format", "read_chunks"]

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")
CHUNK_ROWS = 20_000
"""Rows per chunk by default: a few tens of MB of text at most."""

_SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


class LogFormatError(ValueError):
    """A log that cannot be read at all (unknown format, unreadable file, no header)."""


@dataclass(frozen=True)
class RawChunk:
    """Rows of a log as read: the log's own columns, and each row's line number."""

    file: str
    table: pa.Table
    lines: np.ndarray
    """1-based line (JSONL, CSV) or row (Parquet) number of each row (int64)."""


def detect_format(path: Path) -> Format:
    """The format a file name says (``.gz`` looked through); raises :class:`LogFormatError`."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]
    raise LogFormatError(
        f"{path}: cannot tell the format from the name; pass --format jsonl, csv or parquet "
        f"(names known: {', '.join(sorted(_SUFFIXES))}, optionally .gz)"
    )


def _open_text(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_chunks(
    path: Path, fmt: Format | None, bad: BadRows, chunk_rows: int = CHUNK_ROWS, wide: tuple[str, ...] = ()
) -> Iterator[RawChunk]:
    """The rows of the log at ``path`` in chunks of at most ``chunk_rows`` rows;
    malformed rows are counted in ``bad`` and skipped. JSON numbers of the ``wide``
    columns (64-bit ids and hashes) are read as unsigned 64-bit integers, not as
    doubles that would round them."""
    path = Path(path)
    if not path.is_file():
        raise LogFormatError(f"{path}: no such file")
    fmt = fmt or detect_format(path)
    if fmt == "jsonl":
        yield from _jsonl(path, bad, chunk_rows, wide)
    elif fmt == "csv":
        yield from _csv(path, bad, chunk_rows)
    else:
        yield from _parquet(path, chunk_rows)


def _jsonl(path: Path, bad: BadRows, chunk_rows: int, wide: tuple[str, ...]) -> Iterator[RawChunk]:
    file = str(path)
    try:
        with _open_text(path) as handle:
            lines: list[bytes] = []
            numbers: list[int] = []
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                lines.append(line)
                numbers.append(number)
                if len(lines) >= chunk_rows:
                    yield from _json_block(file, lines, numbers, bad, wide)
                    lines, numbers = [], []
            if lines:
                yield from _json_block(file, lines, numbers, bad, wide)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise LogFormatError(f"{path}: cannot read it ({exc})") from None


def _json_block(
    file: str, lines: list[bytes], numbers: list[int], bad: BadRows, wide: tuple[str, ...]
) -> Iterator[RawChunk]:
    data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
    try:
        table = pjson.read_json(
            io.BytesIO(data),
            read_options=pjson.ReadOptions(block_size=max(len(data), 1 << 20)),
            parse_options=pjson.ParseOptions(explicit_schema=pa.schema([(name, pa.uint64()) for name in wide])),
        )
        if table.num_rows == len(lines):
            yield RawChunk(file, table, np.asarray(numbers, dtype=np.int64))
            return
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # slow path, only for blocks with a malformed line, or types Arrow refuses to unify (text
    # ids among numbers); Python's integers are exact, whatever their size
    rows, kept, broken = [], [], []
    for number, line in zip(numbers, lines, strict=True):
        try:
            value = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            value = None
        if isinstance(value, dict):
            rows.append({key: _scalar(item) for key, item in value.items()})
            kept.append(number)
        else:
            broken.append(number)
    bad.add("malformed", file, broken)
    if rows:
        yield RawChunk(file, _table_of_rows(rows), np.asarray(kept, dtype=np.int64))


def _scalar(value: object) -> object:
    """Nested values become their JSON text: the mapping reads scalars only."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _table_of_rows(rows: list[dict[str, object]]) -> pa.Table:
    """A table of JSON objects whose columns may mix types: a column Arrow cannot type
    as one (numbers and text mixed, say) is kept as text, for the mapping to judge."""
    names = list(dict.fromkeys(key for row in rows for key in row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    return pa.table(columns)


def _csv(path: Path, bad: BadRows, chunk_rows: int) -> Iterator[RawChunk]:
    file = str(path)
    compression = "gzip" if path.suffix.lower() == ".gz" else None
    try:
        with _open_text(path) as stream:
            header = stream.readline().decode("utf-8-sig").rstrip("\r\n")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise LogFormatError(f"{path}: cannot read its header ({exc})") from None
    if not header:
        raise LogFormatError(f"{path}: empty file, expected a CSV header line")
    names = pcsv.read_csv(io.BytesIO(header.encode() + b"\n")).schema.names
    broken: list[int] = []

    def invalid(row: pcsv.InvalidRow) -> str:
        broken.append(int(row.number) if row.number is not None else -1)
        return "skip"

    # one row per line (no quoted line breaks) is assumed for line numbers: row i is line i + 1
    reader = pcsv.open_csv(
        pa.input_stream(str(path), compression=compression),
        read_options=pcsv.ReadOptions(use_threads=False, block_size=1 << 22),
        parse_options=pcsv.ParseOptions(invalid_row_handler=invalid, newlines_in_values=False),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=True
        ),
    )
    line = 1
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    for batch in reader:
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows >= chunk_rows:
            line = yield from _csv_emit(file, pending, line, broken, bad)
            pending, pending_rows = [], 0
    if pending:
        yield from _csv_emit(file, pending, line, broken, bad)
    elif broken:
        bad.add("malformed", file, broken)


def _csv_emit(
    file: str, batches: list[pa.RecordBatch], line: int, broken: list[int], bad: BadRows
) -> Iterator[RawChunk]:
    """Yield the pending batches as one chunk, numbering its rows past the malformed
    lines skipped so far (``line``: the last line already numbered); returns the last
    line numbered."""
    table = pa.Table.from_batches(batches)
    skipped = np.asarray(sorted(broken), dtype=np.int64)
    bad.add("malformed", file, skipped)
    broken.clear()
    n = table.num_rows
    candidates = np.arange(line + 1, line + 1 + n + skipped.size, dtype=np.int64)
    numbers = candidates[~np.isin(candidates, skipped)][:n]
    yield RawChunk(file, table, numbers)
    return int(numbers[-1]) if n else line


def _parquet(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    try:
        source = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise LogFormatError(f"{path}: not a readable Parquet file ({exc})") from None
    row = 0
    # one row group at a time: a reader over all of them keeps every pre-buffered column
    # chunk it has read until the end, so its memory would grow with the file
    for group in range(source.num_row_groups):
        for batch in source.iter_batches(batch_size=chunk_rows, row_groups=[group]):
            table = pa.Table.from_batches([batch])
            yield RawChunk(str(path), table, np.arange(row + 1, row + 1 + table.num_rows, dtype=np.int64))
            row += table.num_rows
