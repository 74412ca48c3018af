"""A replay's score changes, written to disk as they happen instead of kept in memory.

Score changes are the one part of a run that grows with time (every tick, every
account whose score moved); over a log of millions of rows they would outgrow the
rest of the replay. :class:`ScoreSpill` gives each detector a sink
(:data:`~simulator.bench.ledger.ScoreSink`) that turns each tick's changes into
:data:`~simulator.bench.ledger.TRAJECTORY_SCHEMA` rows (accounts sorted by id within
the tick, the order of :meth:`~simulator.bench.ledger.ScoreLog.trajectory`) and appends
them to a Parquet file in a temporary folder, a row group whenever :data:`SPILL_ROWS`
rows or :data:`SPILL_TICKS` ticks are pending. Memory: at most that much per detector,
whatever the length of the log.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.bench.ledger import TRAJECTORY_SCHEMA, ScoreSink

__all__ = ["SPILL_ROWS", "SPILL_TICKS", "ScoreSpill"]

SPILL_ROWS = 65_536
"""Pending rows that make a row group of a spilled trajectory (a few MB per detector)."""
SPILL_TICKS = 256
"""Pending ticks that make a row group: each tick is a small table, whose Python overhead
would otherwise outweigh its rows (a few changes a tick, for hours of ticks)."""


class _Pending:
    """One detector's spill file and the ticks not yet written to it."""

    def __init__(self, path: Path) -> None:
        self.writer = pq.ParquetWriter(path, TRAJECTORY_SCHEMA, compression="zstd")
        self.parts: list[pa.Table] = []
        self.rows = 0

    def add(self, part: pa.Table) -> None:
        self.parts.append(part)
        self.rows += part.num_rows
        if self.rows >= SPILL_ROWS or len(self.parts) >= SPILL_TICKS:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.writer.write_table(pa.concat_tables(self.parts))
        self.parts, self.rows = [], 0


class ScoreSpill:
    """Every detector's score changes in a temporary folder (deleted by :meth:`close`)."""

    def __init__(self, account_ids: Sequence[str]) -> None:
        self._ids = account_ids
        """The ids of the account codes, growing as the replay meets accounts (read, never copied)."""
        self._folder = tempfile.TemporaryDirectory(prefix="extractbench-scores-")
        self._writers: dict[str, _Pending] = {}
        self._paths: dict[str, Path] = {}

    def sink(self, label: str) -> ScoreSink:
        """A sink writing the score changes of detector ``label``."""
        path = Path(self._folder.name) / f"{len(self._paths)}.parquet"
        self._paths[label] = path
        pending = self._writers[label] = _Pending(path)

        def write(tick: int, codes: np.ndarray, scores: np.ndarray) -> None:
            ids = np.array([self._ids[c] for c in codes.tolist()], dtype=object)
            order = np.argsort(ids, kind="stable")
            pending.add(
                pa.Table.from_arrays(
                    [
                        pa.array(np.full(codes.size, tick, dtype=np.int32)),
                        pa.array(ids[order], type=pa.string()),
                        pa.array(scores[order], type=pa.float64()),
                    ],
                    schema=TRAJECTORY_SCHEMA,
                )
            )

        return write

    def finish(self) -> None:
        """Write what is pending; the files can be read from then on."""
        for pending in self._writers.values():
            pending.flush()
            pending.writer.close()
        self._writers.clear()

    @property
    def labels(self) -> list[str]:
        """Detectors with a sink, in the order they were given one."""
        return list(self._paths)

    def batches(self, label: str) -> Iterator[pa.Table]:
        """The score changes of ``label``, one row group at a time (in tick, then account order)."""
        source = pq.ParquetFile(self._paths[label])
        for group in range(source.num_row_groups):
            yield source.read_row_group(group)

    def table(self, label: str) -> pa.Table:
        """All the score changes of ``label`` (for small replays and tests: memory grows with them)."""
        parts = list(self.batches(label))
        return pa.concat_tables(parts) if parts else TRAJECTORY_SCHEMA.empty_table()

    def close(self) -> None:
        """Delete the files."""
        for pending in self._writers.values():
            pending.writer.close()
        self._writers.clear()
        self._folder.cleanup()
