"""Helpers for testing detectors: hand-made batches with only the columns that matter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulator.traffic import ACCOUNT_SCHEMA, REQUEST_SCHEMA, RequestBatch

__all__ = ["ORIGIN", "make_accounts", "make_batch"]

ORIGIN = datetime(2026, 3, 2, tzinfo=UTC)


def _columns(schema: pa.Schema, columns: dict[str, Any], defaults: dict[str, Any]) -> pd.DataFrame:
    """A frame with the columns of ``schema``: given values, else ``defaults``, else neutral ones."""
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise ValueError(f"not {'request' if schema is REQUEST_SCHEMA else 'account'} columns: {sorted(unknown)}")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    data = {}
    for field in schema:
        text = pa.types.is_string(field.type) or pa.types.is_dictionary(field.type)
        if field.name in columns:
            values = columns[field.name]
            data[field.name] = np.asarray(values, dtype=object) if text else values
        elif field.name in defaults:
            data[field.name] = defaults[field.name](n)
        else:
            data[field.name] = _neutral(field, n)
    return pd.DataFrame(data)


def make_accounts(**columns: Sequence[Any] | np.ndarray) -> pd.DataFrame:
    """Account-registry rows (the columns of :data:`ACCOUNT_SCHEMA`) for a hand-made batch;
    columns not given are neutral ('x', 0, False).

    >>> make_accounts(account_id=["a"], created_ts=[-86400.0])[["account_id", "created_ts"]].to_dict("list")
    {'account_id': ['a'], 'created_ts': [-86400.0]}
    """
    frame = _columns(ACCOUNT_SCHEMA, columns, {})
    return pa.Table.from_pandas(frame, schema=ACCOUNT_SCHEMA, preserve_index=False).to_pandas()


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
    evenly spaced times inside the tick and ``status`` to 200. ``accounts``: registry
    rows registered during the tick (see :func:`make_accounts`).

    >>> make_batch(account_id=["a", "b"]).requests[["account_id", "status"]].to_dict("list")
    {'account_id': ['a', 'b'], 'status': [200, 200]}
    """
    start, end = tick * tick_seconds, (tick + 1) * tick_seconds
    defaults = {
        "ts": lambda n: start + (np.arange(n) + 0.5) * tick_seconds / max(n, 1),
        "status": lambda n: np.full(n, 200, dtype=np.int16),
    }
    frame = _columns(REQUEST_SCHEMA, columns, defaults)
    return RequestBatch.from_frames(tick, start, end, ORIGIN, frame, accounts)
