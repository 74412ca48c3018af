"""Helpers for testing detectors: hand-made batches with only the columns that matter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulator.traffic import REQUEST_SCHEMA, RequestBatch

__all__ = ["make_batch"]

ORIGIN = datetime(2026, 3, 2, tzinfo=UTC)


def _neutral(field: pa.Field, n: int) -> Any:
    if pa.types.is_string(field.type) or pa.types.is_dictionary(field.type):
        return np.full(n, "x", dtype=object)
    if pa.types.is_boolean(field.type):
        return np.zeros(n, dtype=bool)
    return np.zeros(n, dtype=field.type.to_pandas_dtype())


def make_batch(
    tick: int = 0,
    tick_seconds: float = 60.0,
    accounts: pd.DataFrame | None = None,
    **columns: Sequence[Any] | np.ndarray,
) -> RequestBatch:
    """A :class:`RequestBatch` for tick ``tick`` whose requests have the given columns;
    other schema-v1 columns get neutral values ('x', 0, False), ``ts`` defaults to
    evenly spaced times inside the tick and ``status`` to 200.

    >>> make_batch(account_id=["a", "b"]).requests[["account_id", "status"]].to_dict("list")
    {'account_id': ['a', 'b'], 'status': [200, 200]}
    """
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    start, end = tick * tick_seconds, (tick + 1) * tick_seconds
    data = {}
    for field in REQUEST_SCHEMA:
        if field.name in columns:
            data[field.name] = columns[field.name]
        elif field.name == "ts":
            data["ts"] = start + (np.arange(n) + 0.5) * tick_seconds / max(n, 1)
        elif field.name == "status":
            data["status"] = np.full(n, 200, dtype=np.int16)
        else:
            data[field.name] = _neutral(field, n)
    unknown = set(columns) - set(REQUEST_SCHEMA.names)
    if unknown:
        raise ValueError(f"not request columns: {sorted(unknown)}")
    return RequestBatch.from_frames(tick, start, end, ORIGIN, pd.DataFrame(data), accounts)
