"""One chunk of a log turned into visible request columns, bad rows set aside.

:class:`Normaliser` applies a :class:`~simulator.replay.mapping.ReplayMapping` to each
:class:`~simulator.replay.formats.RawChunk`: it parses the times into ``ts`` (seconds
since the replay's origin), casts every mapped column to its type in
:data:`simulator.traffic.REQUEST_SCHEMA`, derives the columns that come from raw text
(:mod:`simulator.replay.derive`), and fills the columns the log lacks (a mapping
default, else an inert value: ``""``, 0, ``False``, ``status`` 200) while recording
them as **missing**, so that the detectors that read them are skipped.

Which columns the log has is read from its first chunk (the CSV header, the Parquet
schema, the first block of JSON lines). A row is skipped under the first problem
found, in this order: unreadable time (or before the origin), no account id, a
token count that is missing, negative or fractional, another value that does not
fit its column (:mod:`simulator.replay.badrows`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.hashing import text_hashes
from simulator.prompts import LANGUAGES, TOPICS
from simulator.replay import derive
from simulator.replay.badrows import BadRows
from simulator.replay.formats import RawChunk
from simulator.replay.mapping import LOG_COLUMNS, ReplayMapping
from simulator.replay.timestamps import parse_times
from simulator.traffic import REQUEST_SCHEMA

__all__ = ["DERIVED", "REQUIRED", "WIDE", "Normaliser", "Rows"]

REQUIRED: tuple[str, ...] = ("ts", "account_id")
"""Columns a log must have."""

DERIVED: dict[str, str] = {
    "prompt_simhash": "prompt",
    "topic": "prompt",
    "language": "prompt",
    "cot_requested": "prompt",
    "system_prompt_hash": "system_prompt",
}
"""Visible columns derived from a text column (``mapping.text``) when the log lacks them."""

_TOKENS = ("input_tokens", "output_tokens", "max_tokens")
_STRINGS = ("account_id", "org_id", "key_id", "ip", "user_agent", "client_fingerprint")
_CATEGORIES = ("country", "pathway", "model", "topic", "language")
_HASHED64 = ("request_id", "conversation_id", "system_prompt_hash", "prompt_simhash")
WIDE = _HASHED64
"""Visible columns holding 64-bit unsigned values (read exactly, never through a double)."""
_INERT: dict[str, object] = {"status": 200, "topic": "general_qa", "language": "en"}
"""Fill values of missing columns where the plain zero value would not be a valid one."""


@dataclass(frozen=True)
class Rows:
    """Good rows of one chunk: visible columns, and beside them the labels and lines."""

    table: pa.Table
    """Columns of :data:`~simulator.traffic.REQUEST_SCHEMA` (categories as plain strings)."""
    labels: pa.Array | None
    """Raw label per row (None: the log has no label column)."""
    lines: np.ndarray
    file: str


def _numbers(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, valid mask) of a numeric or numeric-text column."""
    if pa.types.is_boolean(column.type):
        column = column.cast(pa.int8())
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        text = pc.utf8_trim_whitespace(column.cast(pa.string()))
        text = pc.replace_substring_regex(text, r"^(?i:as)", "")  # 'AS13335' is ASN 13335
        column = pc.cast(pc.if_else(pc.match_substring_regex(text, r"^[-+]?[0-9.eE+-]+$"), text, None), pa.float64())
    values = column.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
    valid = ~np.isnan(values)
    return values, valid


def _uint64(column: pa.Array) -> np.ndarray:
    """64-bit values: integers as they are, decimal text parsed, other text hashed
    (:func:`simulator.hashing.text_hashes`); missing and empty: 0."""
    if pa.types.is_integer(column.type):
        return pc.fill_null(column, 0).cast(pa.uint64(), safe=False).to_numpy(zero_copy_only=False)
    if pa.types.is_floating(column.type):
        return np.nan_to_num(column.to_numpy(zero_copy_only=False)).astype(np.uint64)
    text = pc.fill_null(column.cast(pa.string()), "")
    out = text_hashes(text.to_numpy(zero_copy_only=False))
    short = pc.match_substring_regex(text, r"^[0-9]{1,19}$")
    longest = pc.and_(pc.match_substring_regex(text, r"^[0-9]{20}$"), pc.less_equal(text, "18446744073709551615"))
    decimal = pc.or_(short, longest)
    if pc.any(decimal).as_py():
        mask = decimal.to_numpy(zero_copy_only=False)
        out[mask] = pc.cast(text.filter(decimal), pa.uint64()).to_numpy(zero_copy_only=False)
    out[pc.equal(text, "").to_numpy(zero_copy_only=False)] = 0
    return out


def _boolean(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(values, valid) of a boolean column written as a boolean, a number or text."""
    if pa.types.is_boolean(column.type):
        return pc.fill_null(column, False).to_numpy(zero_copy_only=False), pc.is_valid(column).to_numpy(
            zero_copy_only=False
        )
    text = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    true = pc.is_in(text, pa.array(["true", "1", "yes", "y", "t", "1.0"])).to_numpy(zero_copy_only=False)
    false = pc.is_in(text, pa.array(["false", "0", "no", "n", "f", "0.0", ""])).to_numpy(zero_copy_only=False)
    return true, true | false | ~pc.is_valid(text).to_numpy(zero_copy_only=False)


class Normaliser:
    """Applies a mapping to the chunks of a replay (keeps the origin and the column set)."""

    def __init__(self, mapping: ReplayMapping, tick: float, bad: BadRows) -> None:
        self.mapping = mapping
        self.tick = tick
        self.bad = bad
        self.origin: datetime | None = mapping.time.origin
        self.present: set[str] | None = None
        """Visible columns the log has (mapped, derived or defaulted), set by the first chunk."""
        self.derived: dict[str, str] = {}
        """Visible column → the text column it is derived from."""
        self._next_request = 0

    @property
    def missing(self) -> list[str]:
        """Visible columns the log lacks (after its first chunk)."""
        return [name for name in REQUEST_SCHEMA.names if self.present is not None and name not in self.present]

    def _columns_of(self, names: list[str], file: str) -> None:
        m = self.mapping
        if m.time.column not in names:
            raise ValueError(
                f"{file}: no time column {m.time.column!r} (columns: {', '.join(names)}); "
                f"map it with --map ts=COLUMN or time.column in the mapping"
            )
        if m.source("account_id") not in names:
            raise ValueError(
                f"{file}: no account id column {m.source('account_id')!r} (columns: {', '.join(names)}); "
                "map it with --map account_id=COLUMN or columns.account_id in the mapping"
            )
        present = {"ts"} | {name for name in LOG_COLUMNS if m.source(name) in names or name in m.defaults}
        for name, text in DERIVED.items():
            source = getattr(m.text, text)
            if name not in present and source is not None and source in names:
                self.derived[name] = source
                present.add(name)
        self.present = present

    def rows(self, chunk: RawChunk) -> Rows | None:
        """The good rows of ``chunk`` as visible columns (None if none is good)."""
        m, file, table = self.mapping, chunk.file, chunk.table
        if self.present is None:
            self._columns_of(table.schema.names, file)
        for name in sorted(set(table.schema.names) - m.used()):
            self.bad.unknown(name, file, chunk.lines[pc.is_valid(table.column(name)).to_numpy(zero_copy_only=False)])
        n = table.num_rows
        good = np.ones(n, dtype=bool)

        def reject(kind: str, mask: np.ndarray) -> None:
            hit = mask & good
            self.bad.add(kind, file, chunk.lines[hit])
            good[hit] = False

        def column(name: str) -> pa.Array | None:
            source = m.source(name)
            return table.column(source).combine_chunks() if source in table.schema.names else None

        times = table.column(m.time.column) if m.time.column in table.schema.names else pa.chunked_array([pa.nulls(n)])
        values, base = parse_times(times, m.time.format, self.origin)
        reject("bad_timestamp", np.isnan(values))
        if self.origin is None and good.any():
            # one sorting window before the first row: a row that may still be sorted in is never before it
            first = float(values[good][0]) + base.timestamp() - float(m.order_window)
            self.origin = datetime.fromtimestamp(math.floor(first / self.tick) * self.tick, tz=base.tzinfo)
        assert self.origin is not None or not good.any()
        ts = values + (base - self.origin).total_seconds() if self.origin is not None else values
        if m.time.origin is not None:
            reject("bad_timestamp", ~(ts >= 0))  # before the declared origin

        out: dict[str, object] = {}
        account = column("account_id")
        ids = account.cast(pa.string()) if account is not None else pa.nulls(n, pa.string())
        reject(
            "missing_account",
            ~pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(ids), ""), False).to_numpy(zero_copy_only=False),
        )
        for name in _TOKENS:
            raw = column(name)
            if raw is None or name not in self.present:
                continue
            number, valid = _numbers(raw)
            reject("bad_tokens", ~valid | (number < 0) | (number != np.floor(number)) | (number >= 2**31))
            out[name] = np.where(good, number, 0).astype(np.int32)
        for name, kind in (("asn", np.int32), ("turn", np.int16), ("status", np.int16)):
            raw = column(name)
            if raw is None or name not in self.present:
                continue
            number, valid = _numbers(raw)
            limit = np.iinfo(kind).max
            reject("bad_value", ~valid | (number != np.floor(number)) | (np.abs(number) > limit))
            out[name] = np.where(good, number, 0).astype(kind)
        raw = column("cot_requested")
        if raw is not None and "cot_requested" in self.present and "cot_requested" not in self.derived:
            flags, valid = _boolean(raw)
            reject("bad_value", ~valid)
            out["cot_requested"] = flags
        if not good.any():
            return None

        keep = pa.array(good)
        table = table.filter(keep)
        ts = ts[good]
        lines = chunk.lines[good]
        k = table.num_rows
        out = {name: value[good] for name, value in out.items()}  # type: ignore[index]

        def kept(name: str) -> pa.Array | None:
            source = m.source(name)
            return table.column(source).combine_chunks() if source in table.schema.names else None

        columns: dict[str, pa.Array] = {"ts": pa.array(ts, type=pa.float64())}
        for name in REQUEST_SCHEMA.names[1:]:
            raw = kept(name)
            if name in self.derived:
                text = table.column(self.derived[name]).combine_chunks()
                columns[name] = self._derive(name, text)
            elif name in out:
                columns[name] = pa.array(out[name])
            elif raw is not None and name in self.present:
                columns[name] = self._cast(name, raw)
            else:
                columns[name] = self._fill(name, k)
        if m.source("request_id") not in table.schema.names:
            columns["request_id"] = pa.array(np.arange(self._next_request, self._next_request + k, dtype=np.uint64))
        self._next_request += k
        for name in m.hash_ids:
            columns[name] = derive.hashed_ids(columns[name])
        labels = None
        if m.labels is not None:
            labels = table.column(m.labels).combine_chunks() if m.labels in table.schema.names else pa.nulls(k)
        return Rows(pa.table(columns), labels, lines, chunk.file)

    def _derive(self, name: str, text: pa.Array) -> pa.Array:
        if name == "prompt_simhash":
            return pa.array(derive.prompt_simhash(text))
        if name == "system_prompt_hash":
            return pa.array(derive.text_hash(text))
        if name == "topic":
            return pa.array(np.asarray(TOPICS, dtype=object)[derive.classify_topic(text)], type=pa.string())
        if name == "language":
            return pa.array(np.asarray(LANGUAGES, dtype=object)[derive.classify_language(text)], type=pa.string())
        return pa.array(derive.classify_cot(text))

    def _cast(self, name: str, raw: pa.Array) -> pa.Array:
        default = self.mapping.defaults.get(name)
        if name in _STRINGS or name in _CATEGORIES:
            return pc.fill_null(raw.cast(pa.string()), str(default) if default is not None else "")
        if name in _HASHED64:
            return pa.array(_uint64(raw))
        raise AssertionError(f"no cast for {name}")  # every other column is parsed before filtering

    def _fill(self, name: str, k: int) -> pa.Array:
        value = self.mapping.defaults.get(name, _INERT.get(name))
        kind = REQUEST_SCHEMA.field(name).type
        if pa.types.is_dictionary(kind):
            kind = pa.string()
        if value is None:
            value = "" if pa.types.is_string(kind) else False if pa.types.is_boolean(kind) else 0
        if name in _HASHED64 and isinstance(value, str):
            value = int(text_hashes(np.array([value], dtype=object))[0])
        return pa.array(np.full(k, value, dtype=object).tolist(), type=kind)
