"""Request times of a log, as seconds.

:func:`parse_times` reads one chunk's time column into float64 seconds counted from
a base (NaN where a value cannot be read):

* ``iso``: ISO 8601 text, with a zone (``Z``, ``+02:00``) or without one (read as
  UTC); base: the Unix epoch;
* ``epoch_s`` / ``epoch_ms``: Unix time in seconds / milliseconds; base: the epoch;
* ``seconds``: seconds since the mapping's ``origin`` (our own export); base: the origin,
  so the values pass through unchanged (bit for bit);
* ``auto``: ISO 8601 for text that is not a number; for numbers, milliseconds from
  ``1e11`` on (1e11 seconds is the year 5138), else seconds.

The replay's ``ts`` is then ``value + (base − origin)`` seconds, exact when the base
is the origin.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["EPOCH", "MS_FROM", "parse_times"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS_FROM = 1e11
"""Numbers from this value on are epoch milliseconds in ``auto`` format."""


def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    """The column as float64 (NaN where not a number)."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return column.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    if pa.types.is_timestamp(column.type):
        return column.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e9
    text = column.cast(pa.string())
    values = pd.to_numeric(pd.Series(text.to_numpy(zero_copy_only=False)), errors="coerce")
    return values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)


def _iso(column: pa.ChunkedArray) -> np.ndarray:
    """ISO 8601 text as epoch seconds (NaN where it is not ISO 8601); no zone means UTC."""
    if pa.types.is_timestamp(column.type):
        return _numbers(column)
    text = pd.Series(column.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
    parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    ns = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    ns[parsed.isna().to_numpy()] = np.nan
    return ns / 1e9


def parse_times(column: pa.ChunkedArray, fmt: str, origin: datetime | None) -> tuple[np.ndarray, datetime]:
    """(seconds from the base, the base) of each value of ``column`` in ``fmt``; NaN
    where a value is missing or unreadable. ``origin`` is the base of ``seconds``."""
    if column.null_count == len(column):
        return np.full(len(column), np.nan), EPOCH
    if fmt == "seconds":
        if origin is None:
            raise ValueError("time format 'seconds' needs time.origin (the time of ts = 0)")
        return _numbers(column), origin
    if fmt == "iso":
        return _iso(column), EPOCH
    if fmt in ("epoch_s", "epoch_ms"):
        values = _numbers(column)
        return (values / 1000.0 if fmt == "epoch_ms" else values), EPOCH
    values = _numbers(column)
    textual = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    if textual:
        missing = np.isnan(values) & pc.is_valid(column).to_numpy(zero_copy_only=False)
        if missing.any():
            values[missing] = _iso(column.filter(pa.chunked_array([pa.array(missing)])))
    return np.where(values >= MS_FROM, values / 1000.0, values), EPOCH
