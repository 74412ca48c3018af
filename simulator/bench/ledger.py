"""Bounded bookkeeping of a run: per-account traffic totals and per-detector score logs.

Memory grows with accounts, never with requests: each tick's batch is folded into
running totals per account (registry code) and dropped. What the metrics need
about the time of an alarm (requests served before it, output tokens served
before containment) is captured when it happens, from the running totals.

For the operating points of :mod:`simulator.bench.operating` the ledger counts each
account's requests in the warm-up ticks, and the score log keeps, per account, its
maximum score within the warm-up and after it (the score held when the warm-up
ends counts after it: a score stays in force until it changes), and when it joined
the analysts' review queue and its score then. The queue takes the alarms of the
**operating threshold**: the warm-up threshold, set when the warm-up ends from the
warm-up's own scores (:func:`~simulator.metrics.thresholds.warmup_threshold`, no
labels), or, for a run without a usable warm-up, the alarm policy's threshold. An
account whose score in force when the warm-up ends is at or above the warm-up
threshold joins the queue at the warm-up's end. Four numbers per account, whatever
the length of the run.

The score log also keeps the score trajectory (only changes), which is the one
part that grows with time; it can be turned off, or handed to a sink as it happens
(a replay writes it to disk, so that its memory does not grow with the log).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from simulator.columns import ColumnStore
from simulator.metrics.thresholds import warmup_threshold
from simulator.traffic import STATUS_FORBIDDEN, STATUS_OK, TickTraffic

__all__ = ["TRAJECTORY_SCHEMA", "WINDOW_SCHEMA", "ScoreLog", "ScoreSink", "TrafficLedger"]

_NONE = np.empty(0, dtype=np.int64)
_NONE.flags.writeable = False

ScoreSink = Callable[[int, np.ndarray, np.ndarray], None]
"""Takes one tick's score changes as they happen: ``sink(tick, codes, scores)``. The score log
hands it arrays of its own, which it may keep."""

TRAJECTORY_SCHEMA = pa.schema(
    [pa.field("tick", pa.int32()), pa.field("account_id", pa.string()), pa.field("score", pa.float64())]
)
"""A detector's score changes: the tick, the account and its new score."""

WINDOW_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string()),
        pa.field("warmup_score", pa.float64()),  # maximum score in the warm-up; null if not active in it
        pa.field("after_score", pa.float64()),  # maximum score after it (held score included); null if not active
        pa.field("queue_ts", pa.float64()),  # when it joined the review queue (s); null if never
        pa.field("queue_score", pa.float64()),  # its score then; null if never
    ]
)
"""Per-account scores around the warm-up and the account's entry into the analysts' review
queue (its alarm at the operating threshold), for the warm-up threshold and the budget figures."""


class TrafficLedger:
    """Running totals per account: requests (every status), served (200), refused
    (403), output tokens served, the time of the first request, and the requests
    sent in the first ``warmup_ticks`` ticks."""

    def __init__(self, warmup_ticks: int = 0) -> None:
        self.warmup_ticks = warmup_ticks
        self.totals = ColumnStore(
            {
                "requests": np.int64,
                "served": np.int64,
                "forbidden": np.int64,
                "output": np.int64,
                "first_ts": np.float64,
                "warmup_requests": np.int64,
            },
            defaults={
                "requests": 0,
                "served": 0,
                "forbidden": 0,
                "output": 0,
                "first_ts": np.nan,
                "warmup_requests": 0,
            },
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
        counts = np.bincount(inverse, minlength=n)
        t.requests[unique] += counts
        if traffic.batch.tick < self.warmup_ticks:
            t.warmup_requests[unique] += counts
        t.served[unique] += np.bincount(inverse, weights=status == STATUS_OK, minlength=n).astype(np.int64)
        t.forbidden[unique] += np.bincount(inverse, weights=status == STATUS_FORBIDDEN, minlength=n).astype(np.int64)
        t.output[unique] += np.bincount(inverse, weights=output, minlength=n).astype(np.int64)
        fresh = np.isnan(t.first_ts[unique])
        t.first_ts[unique[fresh]] = ts[first_row[fresh]]


class ScoreLog:
    """One detector's scores over a run: current and maximum per account (over the run,
    within the first ``warmup_ticks`` ticks and after them), the first alarm and the
    snapshots taken at alarm and containment, the entry into the review queue, and the
    trajectory.

    With ``target_fpr`` the review queue takes the alarms of the warm-up threshold, set
    at ``warmup_end`` seconds (the end of tick ``warmup_ticks − 1``) for that share of
    the warm-up's accounts; without, those of ``threshold``. With ``sink``, the score
    changes go to it instead of the kept trajectory.
    """

    def __init__(
        self,
        threshold: float,
        containment_lag: int,
        record: bool = True,
        warmup_ticks: int = 0,
        warmup_end: float = 0.0,
        target_fpr: float | None = None,
        sink: ScoreSink | None = None,
    ) -> None:
        self.threshold = threshold
        self.sink = sink
        self.containment_lag = containment_lag
        self.record = record
        self.warmup_ticks = warmup_ticks
        self.warmup_end = warmup_end
        self.target_fpr = target_fpr
        self.queue_threshold = threshold if target_fpr is None else math.nan
        """The operating threshold of the review queue (NaN until the warm-up ends, and after
        an empty warm-up)."""
        self.accounts = ColumnStore(
            {
                "current": np.float64,
                "peak": np.float64,
                "warmup_peak": np.float64,
                "after_peak": np.float64,
                "alarm_ts": np.float64,
                "queue_ts": np.float64,
                "queue_score": np.float64,
                "served_before_alarm": np.int64,
                "output_before_containment": np.int64,
            },
            defaults={
                "current": 0.0,
                "peak": 0.0,
                "warmup_peak": 0.0,
                "after_peak": 0.0,
                "alarm_ts": np.nan,
                "queue_ts": np.nan,
                "queue_score": np.nan,
                "served_before_alarm": -1,
                "output_before_containment": -1,
            },
        )
        self._after_open = False
        self._pending: dict[int, list[np.ndarray]] = {}
        self._trajectory: list[tuple[int, np.ndarray, np.ndarray]] = []

    def _open_after(self, ledger: TrafficLedger) -> None:
        """The warm-up is over: every score then in force counts after it too, and the
        warm-up threshold is set on the warm-up's accounts (those that sent a request in it)."""
        a = self.accounts
        n = len(a)
        ledger.totals.ensure(n)
        a.after_peak[:n] = np.maximum(a.after_peak[:n], a.current[:n])
        self._after_open = True
        if self.target_fpr is None:
            return
        active = ledger.totals.warmup_requests[:n] > 0
        self.queue_threshold = warmup_threshold(a.warmup_peak[:n][active], self.target_fpr).threshold
        held = np.flatnonzero(a.current[:n] >= self.queue_threshold)
        a.queue_ts[held] = self.warmup_end
        a.queue_score[held] = a.current[held]

    def update(self, tick: int, end: float, codes: np.ndarray, scores: np.ndarray, ledger: TrafficLedger) -> np.ndarray:
        """Record the scores the detector returned at ``tick`` (ending at ``end`` s);
        returns the codes alarmed for the first time. ``ledger`` must already hold the tick."""
        if codes.size == 0:
            return codes
        a = self.accounts
        a.ensure(max(int(codes.max()) + 1, len(ledger.totals)))
        current = a.current
        changed = scores != current[codes]
        if changed.any():
            if self.sink is not None:
                self.sink(tick, codes[changed], scores[changed])
            elif self.record:
                self._trajectory.append((tick, codes[changed], scores[changed]))
        if tick < self.warmup_ticks:
            peak = a.warmup_peak
        else:
            if not self._after_open:
                self._open_after(ledger)
            peak = a.after_peak
        peak[codes] = np.maximum(peak[codes], scores)
        current[codes] = scores
        peak = a.peak
        peak[codes] = np.maximum(peak[codes], scores)
        # the guard lets no account id through twice in one tick
        queue_ts = a.queue_ts
        queued = (scores >= self.queue_threshold) & np.isnan(queue_ts[codes])
        if queued.any():
            queue_ts[codes[queued]] = end
            a.queue_score[codes[queued]] = scores[queued]
        alarm_ts = a.alarm_ts
        alarmed = (scores >= self.threshold) & np.isnan(alarm_ts[codes])
        if not alarmed.any():
            return _NONE
        new = np.sort(codes[alarmed])  # distinct codes (the guard's), sorted as np.unique sorts them
        ledger.totals.ensure(len(a))
        alarm_ts[new] = end
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

    def windows(self, codes: np.ndarray, account_ids: np.ndarray, ledger: TrafficLedger) -> pa.Table:
        """:data:`WINDOW_SCHEMA` rows of ``codes`` (in that order): the maximum score within
        the warm-up of the accounts that sent a request in it, the maximum after it of those
        that sent one after it, and the entry into the review queue. Call once the run is over."""
        a = self.accounts
        a.ensure(max(len(a), int(codes.max()) + 1 if codes.size else 0, len(ledger.totals)))
        ledger.totals.ensure(len(a))
        if not self._after_open:
            self._open_after(ledger)
        t = ledger.totals
        before = t.warmup_requests[codes]
        after = t.requests[codes] - before
        return pa.Table.from_arrays(
            [
                pa.array(account_ids[codes], type=pa.string()),
                pa.array(np.where(before > 0, a.warmup_peak[codes], np.nan), type=pa.float64(), from_pandas=True),
                pa.array(np.where(after > 0, a.after_peak[codes], np.nan), type=pa.float64(), from_pandas=True),
                pa.array(a.queue_ts[codes], type=pa.float64(), from_pandas=True),
                pa.array(a.queue_score[codes], type=pa.float64(), from_pandas=True),
            ],
            schema=WINDOW_SCHEMA,
        )

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
