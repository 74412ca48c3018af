"""Bounded bookkeeping of a run: per-account traffic totals and per-detector score logs.

Memory grows with accounts, never with requests: each tick's batch is folded into
running totals per account (registry code) and dropped. What the metrics need
about the time of an alarm (requests served before it, output tokens served
before containment) is captured when it happens, from the running totals.

The score log also keeps the score trajectory (only changes), which is the one
part that grows with time; it can be turned off.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from simulator.columns import ColumnStore
from simulator.traffic import STATUS_FORBIDDEN, STATUS_OK, TickTraffic

__all__ = ["TRAJECTORY_SCHEMA", "ScoreLog", "TrafficLedger"]

TRAJECTORY_SCHEMA = pa.schema(
    [pa.field("tick", pa.int32()), pa.field("account_id", pa.string()), pa.field("score", pa.float64())]
)
"""A detector's score changes: the tick, the account and its new score."""


class TrafficLedger:
    """Running totals per account: requests (every status), served (200), refused
    (403), output tokens served, and the time of the first request."""

    def __init__(self) -> None:
        self.totals = ColumnStore(
            {
                "requests": np.int64,
                "served": np.int64,
                "forbidden": np.int64,
                "output": np.int64,
                "first_ts": np.float64,
            },
            defaults={"requests": 0, "served": 0, "forbidden": 0, "output": 0, "first_ts": np.nan},
        )

    def add(self, traffic: TickTraffic) -> None:
        """Fold one tick into the totals."""
        codes = traffic.account_codes
        if codes.size == 0:
            return
        table = traffic.batch.table
        status = table.column("status").to_numpy()
        output = table.column("output_tokens").to_numpy()
        ts = table.column("ts").to_numpy()
        t = self.totals
        t.ensure(int(codes.max()) + 1)
        # rows are in time order, so an account's first row in the tick is its earliest
        unique, first_row, inverse = np.unique(codes, return_index=True, return_inverse=True)
        n = unique.size
        t.requests[unique] += np.bincount(inverse, minlength=n)
        t.served[unique] += np.bincount(inverse, weights=status == STATUS_OK, minlength=n).astype(np.int64)
        t.forbidden[unique] += np.bincount(inverse, weights=status == STATUS_FORBIDDEN, minlength=n).astype(np.int64)
        t.output[unique] += np.bincount(inverse, weights=output, minlength=n).astype(np.int64)
        fresh = np.isnan(t.first_ts[unique])
        t.first_ts[unique[fresh]] = ts[first_row[fresh]]


class ScoreLog:
    """One detector's scores over a run: current and maximum per account, the first
    alarm, the snapshots taken at alarm and containment, and the trajectory."""

    def __init__(self, threshold: float, containment_lag: int, record: bool = True) -> None:
        self.threshold = threshold
        self.containment_lag = containment_lag
        self.record = record
        self.accounts = ColumnStore(
            {
                "current": np.float64,
                "peak": np.float64,
                "alarm_ts": np.float64,
                "served_before_alarm": np.int64,
                "output_before_containment": np.int64,
            },
            defaults={
                "current": 0.0,
                "peak": 0.0,
                "alarm_ts": np.nan,
                "served_before_alarm": -1,
                "output_before_containment": -1,
            },
        )
        self._pending: dict[int, list[np.ndarray]] = {}
        self._trajectory: list[tuple[int, np.ndarray, np.ndarray]] = []

    def update(self, tick: int, end: float, codes: np.ndarray, scores: np.ndarray, ledger: TrafficLedger) -> np.ndarray:
        """Record the scores the detector returned at ``tick`` (ending at ``end`` s);
        returns the codes alarmed for the first time. ``ledger`` must already hold the tick."""
        if codes.size == 0:
            return codes
        a = self.accounts
        a.ensure(max(int(codes.max()) + 1, len(ledger.totals)))
        changed = scores != a.current[codes]
        if self.record and changed.any():
            self._trajectory.append((tick, codes[changed], scores[changed]))
        a.current[codes] = scores
        a.peak[codes] = np.maximum(a.peak[codes], scores)
        new = np.unique(codes[(scores >= self.threshold) & np.isnan(a.alarm_ts[codes])])
        if new.size:
            ledger.totals.ensure(len(a))
            a.alarm_ts[new] = end
            a.served_before_alarm[new] = ledger.totals.served[new]
            self._pending.setdefault(tick + self.containment_lag, []).append(new)
        return new

    def contain(self, tick: int, ledger: TrafficLedger) -> np.ndarray:
        """Codes whose containment falls at the end of ``tick``; snapshots the output
        tokens they had been served."""
        due = self._pending.pop(tick, [])
        if not due:
            return np.empty(0, dtype=np.int64)
        codes = np.concatenate(due)
        ledger.totals.ensure(len(self.accounts))
        self.accounts.output_before_containment[codes] = ledger.totals.output[codes]
        return codes

    def contained(self, codes: np.ndarray) -> np.ndarray:
        """Whether each account of ``codes`` has been contained (at the end of an earlier
        tick, or of this one if :meth:`contain` already ran for it)."""
        a = self.accounts
        known = codes < len(a)
        flags = np.zeros(codes.size, dtype=bool)
        flags[known] = a.output_before_containment[codes[known]] >= 0
        return flags

    def trajectory(self, account_ids: np.ndarray) -> pa.Table:
        """The score changes as a table (:data:`TRAJECTORY_SCHEMA`), sorted by tick then account."""
        if not self._trajectory:
            return TRAJECTORY_SCHEMA.empty_table()
        ticks = np.concatenate([np.full(c.size, t, dtype=np.int32) for t, c, _ in self._trajectory])
        codes = np.concatenate([c for _, c, _ in self._trajectory])
        scores = np.concatenate([s for _, _, s in self._trajectory])
        ids = account_ids[codes]
        order = np.lexsort((ids.astype(str), ticks))
        return pa.Table.from_arrays(
            [pa.array(ticks[order]), pa.array(ids[order], type=pa.string()), pa.array(scores[order])],
            schema=TRAJECTORY_SCHEMA,
        )
