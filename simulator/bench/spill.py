"""Score changes written to disk as they happen instead of kept in memory (benchmark cells and replays).

Score changes are the one part of a run that grows with time (every tick, every
account whose score moved); over millions of requests they would outgrow the rest
of the run. :class:`ScoreSpill` gives each detector a sink
(:data:`~simulator.bench.ledger.ScoreSink`) that turns each tick's changes into
:data:`~simulator.bench.ledger.TRAJECTORY_SCHEMA` rows (accounts sorted by id within
the tick, the order of :meth:`~simulator.bench.ledger.ScoreLog.trajectory`) and appends
them to a Parquet file in a temporary folder, a row group whenever :data:`SPILL_ROWS`
rows or :data:`SPILL_TICKS` ticks are pending. Memory: at most that much per detector,
whatever the length of the run.

A benchmark cell hands each detector's finished file on as :class:`SpilledScores`,
which the results store streams into the cell's ``scores.parquet`` and then deletes:
the file may travel from a worker process to its parent (pickling hands the deletion
over with it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulator.bench.ledger import TRAJECTORY_SCHEMA, ScoreSink
from simulator.export import row_groups

__all__ = [
    "SPILL_PREFIX",
    "SPILL_ROWS",
    "SPILL_TICKS",
    "AccountNames",
    "ScoreSpill",
    "SpilledScores",
    "remove_spills_of",
    "remove_stale_spills",
]

SPILL_PREFIX = "extractbench-scores-"
"""Names of the spill folders in the temporary folder: the prefix, then the process id."""
SPILL_ROWS = 65_536
"""Pending rows that make a row group of a spilled trajectory (a few MB per detector)."""
SPILL_TICKS = 256
"""Pending ticks that make a row group: each tick is a small table, whose Python overhead
would otherwise outweigh its rows (a few changes a tick, for hours of ticks)."""


AccountNames = Callable[[np.ndarray], np.ndarray]
"""The account ids (strings, an object array) of an array of account codes."""


def _delete(path: Path) -> None:
    """Delete a spilled file, and its folder once it is empty."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


class SpilledScores:
    """One detector's finished spill file (:data:`~simulator.bench.ledger.TRAJECTORY_SCHEMA`
    rows in tick, then account order), deleted by :meth:`delete` or when its last holder
    lets go of it; pickling moves that duty to the copy."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._finalizer = weakref.finalize(self, _delete, path)

    def __getstate__(self) -> dict[str, Any]:
        self._finalizer.detach()
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    @property
    def num_rows(self) -> int:
        """Score changes in the file."""
        return pq.ParquetFile(self.path).metadata.num_rows

    def batches(self) -> Iterator[pa.Table]:
        """The score changes, one row group at a time."""
        return row_groups(self.path)

    def table(self) -> pa.Table:
        """All the score changes (for small runs and tests: memory grows with them)."""
        parts = list(self.batches())
        return pa.concat_tables(parts) if parts else TRAJECTORY_SCHEMA.empty_table()

    def delete(self) -> None:
        """Delete the file (and its folder once empty)."""
        self._finalizer()


class _Pending:
    """One detector's spill file and the ticks not yet written to it.

    A tick's changes are kept as given (codes and scores) and made into rows only when
    written: one table per row group instead of one per tick, whose fixed cost (an
    Arrow table of three arrays and a sort) would be paid by every detector on every
    tick. Account ids are read at that time (an account's id never changes)."""

    def __init__(self, path: Path, names: AccountNames) -> None:
        self.writer = pq.ParquetWriter(path, TRAJECTORY_SCHEMA, compression="zstd")
        self.names = names
        self.ticks: list[int] = []
        self.codes: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []
        self.rows = 0

    def add(self, tick: int, codes: np.ndarray, scores: np.ndarray) -> None:
        self.ticks.append(tick)
        self.codes.append(codes)
        self.scores.append(scores)
        self.rows += codes.size
        if self.rows >= SPILL_ROWS or len(self.ticks) >= SPILL_TICKS:
            self.flush()

    def flush(self) -> None:
        if self.ticks:
            codes = np.concatenate(self.codes)
            ticks = np.repeat(np.asarray(self.ticks, dtype=np.int32), [part.size for part in self.codes])
            table = pa.Table.from_arrays(
                [
                    pa.array(ticks),
                    pa.array(np.asarray(self.names(codes), dtype=object), type=pa.string()),
                    pa.array(np.concatenate(self.scores), type=pa.float64()),
                ],
                schema=TRAJECTORY_SCHEMA,
            )
            # tick, then account id (Arrow compares UTF-8 bytes: the order of code points,
            # as Python compares strings); no (tick, account) pair repeats, so no ties
            self.writer.write_table(
                table.take(pc.sort_indices(table, [("tick", "ascending"), ("account_id", "ascending")]))
            )
        self.ticks, self.codes, self.scores, self.rows = [], [], [], 0


class ScoreSpill:
    """Every detector's score changes in a temporary folder (deleted by :meth:`close`,
    but for the files handed on by :meth:`hand_over`)."""

    def __init__(self, names: AccountNames) -> None:
        self._names = names
        """The ids of account codes, read as the changes are written (accounts keep joining)."""
        self._folder = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-"))
        self._writers: dict[str, _Pending] = {}
        self._paths: dict[str, Path] = {}
        # the files not handed over go with the spill, even if nobody closes it
        self._finalizer = weakref.finalize(self, _clean, self._folder, self._writers, self._paths)

    def sink(self, label: str) -> ScoreSink:
        """A sink writing the score changes of detector ``label`` (it keeps the arrays it is
        given until they are written: the caller must not change them)."""
        path = self._folder / f"{len(self._paths)}.parquet"
        self._paths[label] = path
        pending = self._writers[label] = _Pending(path, self._names)
        return pending.add

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
        return row_groups(self._paths[label])

    def table(self, label: str) -> pa.Table:
        """All the score changes of ``label`` (for small replays and tests: memory grows with them)."""
        parts = list(self.batches(label))
        return pa.concat_tables(parts) if parts else TRAJECTORY_SCHEMA.empty_table()

    def hand_over(self, label: str) -> SpilledScores:
        """The finished file of ``label`` (after :meth:`finish`), which :meth:`close` leaves alone."""
        return SpilledScores(self._paths.pop(label))

    def close(self) -> None:
        """Delete the files not handed over (the folder goes with the last file)."""
        self._finalizer()


def _clean(folder: Path, writers: dict[str, _Pending], paths: dict[str, Path]) -> None:
    """Close a spill's writers and delete its files not handed over, and its folder if that leaves it empty."""
    for pending in writers.values():
        with contextlib.suppress(Exception):
            pending.writer.close()
    writers.clear()
    for path in paths.values():
        _delete(path)
    paths.clear()
    if folder.is_dir() and not any(folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)


def remove_spills_of(pid: int) -> None:
    """Delete the spill folders of process ``pid`` (one that died before it could)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}{pid}-*"):
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_spills() -> list[Path]:
    """Delete the spill folders of processes that no longer exist, and return them: a
    run killed outright (SIGKILL) takes its cells' workers down before they can delete
    theirs. A folder whose process is alive, or may be (another user's), is left alone.
    Only where processes can be probed without a signal (POSIX)."""
    if os.name != "posix":
        return []
    removed = []
    for folder in sorted(Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*-*")):
        owner = folder.name[len(SPILL_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and folder.is_dir() and not _exists(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _exists(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 sends nothing; it only checks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
