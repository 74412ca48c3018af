"""A replay's memory is bounded by its chunk size and its accounts, not by the log's length.

Two logs of the same accounts, one four times as long as the other: the reader's Arrow
memory peaks at about the same height for both, and so does what a replay holds once
it is over (Python memory, tracemalloc: the score changes are on disk, not in memory).
Not timed; small logs."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulator.bench import spill
from simulator.bench.plan import detector_specs
from simulator.replay import ReplayInput, ReplayMapping, replay_logs
from simulator.replay.badrows import BadRows
from simulator.replay.formats import read_chunks

ACCOUNTS = 20
CHUNK = 500


def _log(path: Path, rows: int) -> Path:
    """A Parquet log of ``rows`` requests from :data:`ACCOUNTS` accounts, one every 2 s,
    in row groups of 2,000 rows."""
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "timestamp": np.arange(rows, dtype=np.float64) * 2.0,
            "account_id": [f"acct{i:03d}" for i in rng.integers(0, ACCOUNTS, rows).tolist()],
            "input_tokens": rng.integers(10, 500, rows).astype(np.int32),
            "output_tokens": rng.integers(10, 900, rows).astype(np.int32),
            "status": np.full(rows, 200, dtype=np.int16),
        }
    )
    pq.write_table(table, path, row_group_size=2_000)
    return path


def _reader_peak(path: Path) -> int:
    """Peak Arrow memory (bytes) held while the log is read chunk by chunk."""
    before, peak = pa.total_allocated_bytes(), 0
    for chunk in read_chunks(path, None, BadRows(), CHUNK):
        assert chunk.table.num_rows <= CHUNK
        peak = max(peak, pa.total_allocated_bytes() - before)
    return peak


def _replay_held(path: Path) -> tuple[int, int]:
    """(Python memory held by the finished replay, peak while replaying), bytes (tracemalloc),
    of the log through ``rate`` (whose scores change every tick)."""
    mapping = ReplayMapping.model_validate(
        {"time": {"column": "timestamp", "format": "seconds", "origin": "2026-03-02T00:00:00Z"}}
    )
    spec = ReplayInput(logs=(path,), mapping=mapping, detectors=detector_specs(["rate"]), chunk_rows=CHUNK)
    tracemalloc.start()
    try:
        run = replay_logs(spec)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.ticks > 0 and len(run.outcomes["rate"]) == ACCOUNTS
    assert run.trajectory("rate").num_rows > run.ticks  # the changes are all there, on disk
    run.close()
    return held, peak


def test_the_parquet_reader_holds_one_row_group_whatever_the_length(tmp_path: Path) -> None:
    short, long = _log(tmp_path / "short.parquet", 20_000), _log(tmp_path / "long.parquet", 80_000)
    assert _reader_peak(long) < 1.5 * _reader_peak(short)


def test_replay_memory_grows_with_accounts_not_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the spill's pending ticks are bounded, but by more ticks than the short log has
    monkeypatch.setattr(spill, "SPILL_TICKS", 16)
    short, long = _log(tmp_path / "short.parquet", 3_000), _log(tmp_path / "long.parquet", 12_000)
    _replay_held(short)  # first use imports and caches what every replay needs
    (held_short, peak_short), (held_long, peak_long) = _replay_held(short), _replay_held(long)
    assert held_long < 1.5 * held_short  # kept in memory, the score changes alone would make it 3 times
    assert peak_long < 1.6 * peak_short
