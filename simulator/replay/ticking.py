"""Rows in time order cut into ticks, with a bounded sorting window.

Logs are mostly in time order, but rarely exactly: gateways write a request when
it ends, several writers interleave. :class:`Ticker` keeps the rows of the last
``window`` seconds (of log time) in a buffer and sorts them there, so a row that is
up to ``window`` seconds earlier than the latest row before it is put in place.
A row earlier than that is **late**: it is counted as an ``out_of_order`` bad row
and skipped, because its tick may already have gone to the detectors (causality).
If late rows are more than ``late_share`` of the rows read (after the first
:data:`LATE_GRACE` rows), the log is refused with :class:`NotInOrderError`, which says
how to sort it. Memory: the buffer holds one window of traffic plus one chunk.

Tick ``k`` holds the rows with ``k * tick <= ts < (k + 1) * tick``, sorted by ``ts``
(ties in the order read); every tick from 0 to the last row's (at least to ``until``) is
emitted, empty ones included, as in a simulated run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.replay.badrows import BadRows
from simulator.replay.normalise import Rows

__all__ = ["LATE_GRACE", "NotInOrderError", "Tick", "Ticker"]

LATE_GRACE = 1000
"""Rows read before the share of late rows can refuse a log."""


class NotInOrderError(ValueError):
    """Too many rows are later than the sorting window allows."""


@dataclass(frozen=True)
class Tick:
    """One tick of rows: its index, its span in seconds and its rows (sorted by ``ts``)."""

    index: int
    start: float
    end: float
    table: pa.Table
    """Visible columns plus ``_row`` (position of the row in the replay, for the labels)."""


class Ticker:
    """Cuts time-ordered rows into ticks of ``tick`` seconds, sorting within ``window`` seconds."""

    def __init__(self, tick: float, window: float, late_share: float, bad: BadRows) -> None:
        self.tick = tick
        self.window = window
        self.late_share = late_share
        self.bad = bad
        self.rows = 0
        self.late = 0
        self._latest = -math.inf
        self._next = 0
        self._buffer: list[pa.Table] = []

    def push(self, rows: Rows) -> Iterator[Tick]:
        """Add a chunk's rows; yields the ticks that no later row can change any more."""
        ts = rows.table.column("ts").to_numpy()
        before = np.maximum.accumulate(np.concatenate([[self._latest], ts]))[:-1]
        late = ts < before - self.window
        self.rows += ts.size
        if late.any():
            self.late += int(late.sum())
            self.bad.add("out_of_order", rows.file, rows.lines[late])
            if self.rows >= LATE_GRACE and self.late > self.late_share * self.rows:
                raise NotInOrderError(
                    f"{rows.file}: {self.late:,} of the first {self.rows:,} rows are more than {self.window:g} s "
                    f"earlier than a row before them (first at line {int(rows.lines[late][0])}): the log is not in "
                    "time order. Sort it by time first (JSONL: `jq -c -s 'sort_by(.timestamp)[]' log.jsonl`, or "
                    "for large files DuckDB: `COPY (SELECT * FROM 'log.jsonl' ORDER BY timestamp) TO 'sorted.jsonl'`; "
                    "CSV: `(head -1 log.csv; tail -n +2 log.csv | sort -t, -k<N>)`), or widen order_window "
                    "in the mapping"
                )
        table = rows.table.filter(pa.array(~late)) if late.any() else rows.table
        if ts.size:
            self._latest = max(self._latest, float(ts.max()))
        if table.num_rows:
            self._buffer.append(table)
        complete = math.floor((self._latest - self.window) / self.tick)  # ticks before this one are final
        yield from self._emit(complete)

    def finish(self, until: int | None = None) -> Iterator[Tick]:
        """The remaining ticks, up to the last row's tick (and at least up to tick ``until - 1``)."""
        last = math.floor(self._latest / self.tick) + 1 if self._latest > -math.inf else 0
        yield from self._emit(max(last, until or 0))

    def _emit(self, end_tick: int) -> Iterator[Tick]:
        if end_tick <= self._next:
            return
        table = pa.concat_tables(self._buffer) if self._buffer else None
        if table is not None:
            table = table.take(pc.sort_indices(table, sort_keys=[("ts", "ascending")]))
            ts = table.column("ts").to_numpy()
            ticks = np.floor(ts / self.tick).astype(np.int64)
            cut = np.searchsorted(ticks, np.arange(self._next, end_tick + 1), side="left")
        for k in range(self._next, end_tick):
            start, end = k * self.tick, (k + 1) * self.tick
            if table is None:
                yield Tick(k, start, end, pa.table({}))
                continue
            i = k - self._next
            yield Tick(k, start, end, table.slice(cut[i], cut[i + 1] - cut[i]))
        self._next = end_tick
        if table is not None:
            rest = table.slice(cut[-1])
            self._buffer = [rest] if rest.num_rows else []
