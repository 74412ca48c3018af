"""A benchmark cell's memory is bounded by its accounts, not by the requests it simulates.

The same small world (same accounts) simulated for one length of time and for four
times as long: the cell's Python memory (tracemalloc) peaks at about the same height,
and what its result holds does not grow either (the score changes are on disk, not in
memory, and stream into ``scores.parquet``). Not timed; small cells."""

from __future__ import annotations

import gc
import tracemalloc

import pandas as pd
import pyarrow as pa
import pytest

from detectors.base import Detector
from simulator.bench import spill
from simulator.bench.cells import Cell
from simulator.bench.plan import plan_run
from simulator.bench.runner import run_cell
from simulator.traffic import RequestBatch


class TickScore(Detector):
    """Scores every account of a tick anew, by the tick: each sends a score change a tick."""

    signal = "none (test)"
    reference = "Test: a score change per active account per tick."

    def __init__(self) -> None:
        pass

    def update(self, batch: RequestBatch) -> pd.Series | None:
        ids = batch.table.column("account_id").unique().to_pylist()
        return pd.Series((batch.tick % 97 + 1) / 100.0, index=ids, dtype="float64")


def _cell(duration: float) -> Cell:
    """The passive cell of ``quickstart`` through :class:`TickScore` over ``duration`` seconds."""
    plan = plan_run(
        ["quickstart"], detectors=[("tick", TickScore())], scale=1.0, duration=duration, seeds=1, references=False
    )
    return next(c for c in plan.cells if c.detectors and c.mode == "passive")


def _cell_memory(duration: float) -> tuple[int, int, int]:
    """(Python and Arrow memory held by the finished cell's result, Python memory's peak
    while running it), bytes (tracemalloc, Arrow's pool), and its score changes, for
    ``quickstart`` through :class:`TickScore` over ``duration`` seconds."""
    cell = _cell(duration)
    gc.collect()  # what earlier cells and tests left is freed now, not while this cell runs
    arrow = pa.total_allocated_bytes()
    tracemalloc.start()
    try:
        result = run_cell(cell)
        gc.collect()  # what the result holds, not garbage that earlier tests left the collector to find
        held, peak = tracemalloc.get_traced_memory()
        held += pa.total_allocated_bytes() - arrow
    finally:
        tracemalloc.stop()
    (detector,) = result.detectors
    assert detector.scores is not None and detector.outcomes is not None
    return held, peak, detector.scores.num_rows


def test_cell_memory_grows_with_accounts_not_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    # the spill's pending ticks are bounded, but by more ticks than the short cell has
    monkeypatch.setattr(spill, "SPILL_TICKS", 16)
    # first use imports and caches what every cell needs; untraced, as tracing would only
    # slow it down (stopping tracemalloc forgets its traces, so the cells below are alike)
    run_cell(_cell(3_600.0))
    (held_short, peak_short, rows_short), (held_long, peak_long, rows_long) = (
        _cell_memory(3 * 3_600.0),
        _cell_memory(12 * 3_600.0),
    )
    assert rows_long > 3 * rows_short > 6_000  # four times the ticks, as many more score changes
    # what the result holds grows with the ticks (about 34 kB from 3 to 12 hours: per-tick series), not with
    # the score changes: kept in memory, each would hold at least a tick, a score and an account (16+ bytes)
    assert held_long - held_short < 4 * (rows_long - rows_short)
    assert peak_long < 1.3 * peak_short  # and its peak 1.6 times
