"""The results folder: completed cells kept one by one, so that a run resumes.

Layout of ``results/<run-id>/``::

    run.json                 the plan (scenarios, seeds, detectors, policy, versions) and the run's status
    cells/<cell>/cell.json   facts, per-detector cost and failure of one cell (written last: the cell is complete)
    cells/<cell>/outcomes.parquet, campaigns.parquet, scores.parquet, leakage.parquet,
                 windows.parquet (scores around the warm-up), groups.parquet (who owns each account),
                 defences.parquet (active cells: what the campaigns paid, customers bore),
                 requests.parquet (cells of scenarios with resale: per-account request splits)
    metrics.csv, metrics.parquet, cost.csv, failures.csv, summary.json, scores.parquet,
    outcomes.parquet, leakage.parquet                                                    (the run's tables)

Every file is written atomically (:mod:`simulator.export`). A rerun with the same
folder keeps the complete cells whose key (a hash of everything that determines
them) is still planned, and computes only the rest; a folder holding another
plan is refused rather than mixed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulator.bench.cells import GROUPS_SCHEMA, Cell, CellResult, RunFacts
from simulator.bench.defences.loop import DEFENCE_SCHEMA
from simulator.bench.guard import Failure
from simulator.bench.ledger import TRAJECTORY_SCHEMA, WINDOW_SCHEMA
from simulator.bench.plan import RunPlan
from simulator.export import ROW_GROUP_ROWS, AtomicParquetWriter, row_groups, write_json, write_table
from simulator.metrics.outcomes import OUTCOME_SCHEMA
from simulator.metrics.requests import REQUEST_SPLIT_SCHEMA

__all__ = ["ResultsStore", "ResumeError", "StoredCell"]

_DETECTOR = pa.field("detector", pa.string())
OUTCOMES_FILE_SCHEMA = pa.schema([_DETECTOR, *OUTCOME_SCHEMA])
SCORES_FILE_SCHEMA = pa.schema([_DETECTOR, *TRAJECTORY_SCHEMA])
WINDOWS_FILE_SCHEMA = pa.schema([_DETECTOR, *WINDOW_SCHEMA])
REQUESTS_FILE_SCHEMA = pa.schema([_DETECTOR, *REQUEST_SPLIT_SCHEMA])
SCORES_ROW_GROUP_ROWS = ROW_GROUP_ROWS
"""Rows per row group of a cell's ``scores.parquet``: the most the run's assembly holds of
it at a time (:meth:`ResultsStore.scores`)."""


class ResumeError(ValueError):
    """The output folder holds results of a different plan."""


@dataclass(frozen=True)
class StoredCell:
    """A completed cell as read back from disk."""

    cell: Cell
    facts: RunFacts
    campaigns: pd.DataFrame
    outcomes: dict[str, pd.DataFrame]
    """Per-account outcomes by detector label (detectors that did not fail)."""
    failures: dict[str, Failure]
    costs: dict[str, dict[str, float]]
    wall_seconds: float
    peak_rss_mb: float
    windows: dict[str, pd.DataFrame]
    """Per-account scores around the warm-up by detector label, row-aligned with ``outcomes``
    (detectors only: the reference rows have none)."""
    groups: pd.DataFrame | None
    """Every registered account's owning group (passive cells), or None."""
    requests: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per-account request splits by detector label, row-aligned with ``outcomes``
    (cells of scenarios with resale; empty otherwise)."""


def _with_detector(label: str, table: pa.Table, schema: pa.Schema) -> pa.Table:
    column = pa.array([label] * table.num_rows, type=pa.string())
    return pa.Table.from_arrays([column, *table.columns], schema=schema)


class ResultsStore:
    """Reads and writes one run's folder."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)

    def cell_dir(self, cell: Cell) -> Path:
        return self.out / "cells" / cell.name

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the folder (creating it) for one run: a second run into it while this one
        holds it raises :class:`ResumeError` at once, instead of computing the same cells
        again beside it. The hold is the kernel's lock on the folder itself (``flock``),
        released when the run ends, however it ends (a crash or ``SIGKILL`` included);
        where there is no ``flock`` (Windows), nothing is held."""
        try:
            import fcntl
        except ImportError:
            yield
            return
        self.out.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.out, os.O_RDONLY)  # not inherited by the run's worker processes
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ResumeError(
                    f"{self.out} is being written by another run; wait for it to end (run again then to resume "
                    "anything it left undone), or choose another --out"
                ) from None
            yield
        finally:
            os.close(handle)

    # -- the run ---------------------------------------------------------------------

    def open(self, plan: RunPlan, run_id: str, extra: dict[str, Any]) -> int:
        """Start or resume the run of ``plan`` here; returns how many of its cells are
        already complete. Raises :class:`ResumeError` if the folder holds another plan."""
        self._refuse_links()
        run_file = self.out / "run.json"
        if run_file.is_file():
            previous = json.loads(run_file.read_text(encoding="utf-8"))
            if previous.get("plan", {}).get("fingerprint") != plan.fingerprint:
                raise ResumeError(
                    f"{self.out} holds the results of a different run (other scenarios, detectors, seeds or "
                    "policy); choose another --out or --run-id, or delete the folder"
                )
        elif self.out.exists() and any(self.out.iterdir()):
            raise ResumeError(f"{self.out} exists and is not an extractbench results folder; choose another --out")
        self.write_run(plan, run_id, {"status": "running", **extra})
        return sum(self.has(cell) for cell in plan.cells)

    def _refuse_links(self) -> None:
        """Raise :class:`ResumeError` if ``run.json``, ``cells/``, a cell's folder or a file
        in it is a symbolic link: a resume would read or overwrite what it points to."""
        cells = self.out / "cells"
        candidates = [self.out / "run.json", cells]
        if cells.is_dir() and not cells.is_symlink():
            for folder in cells.iterdir():
                candidates.append(folder)
                if folder.is_dir() and not folder.is_symlink():
                    candidates += list(folder.iterdir())
        for path in candidates:
            if path.is_symlink():
                raise ResumeError(
                    f"{path} is a symbolic link; a results folder holds only files it wrote: "
                    "remove the link, or choose another --out"
                )

    def write_run(self, plan: RunPlan, run_id: str, status: dict[str, Any]) -> None:
        write_json(self.out / "run.json", {"run_id": run_id, "plan": plan.describe(), **status})

    # -- cells -----------------------------------------------------------------------

    def has(self, cell: Cell) -> bool:
        return (self.cell_dir(cell) / "cell.json").is_file()

    def save(self, cell: Cell, result: CellResult) -> None:
        """Write a cell's results; ``cell.json`` goes last and marks it complete."""
        folder = self.cell_dir(cell)
        done = [d for d in result.detectors if d.outcomes is not None]
        outcomes = [_with_detector(d.label, d.outcomes, OUTCOMES_FILE_SCHEMA) for d in done]
        write_table(
            folder / "outcomes.parquet",
            pa.concat_tables(outcomes) if outcomes else OUTCOMES_FILE_SCHEMA.empty_table(),
        )
        write_table(folder / "campaigns.parquet", result.campaigns)
        windows = [_with_detector(d.label, d.windows, WINDOWS_FILE_SCHEMA) for d in done if d.windows is not None]
        write_table(
            folder / "windows.parquet", pa.concat_tables(windows) if windows else WINDOWS_FILE_SCHEMA.empty_table()
        )
        splits = [_with_detector(d.label, d.requests, REQUESTS_FILE_SCHEMA) for d in done if d.requests is not None]
        if splits:
            write_table(folder / "requests.parquet", pa.concat_tables(splits))
        if result.groups is not None:
            write_table(folder / "groups.parquet", result.groups)
        if result.leakage is not None:
            write_table(folder / "leakage.parquet", result.leakage)
        if result.defences is not None:
            write_table(folder / "defences.parquet", result.defences)
        if cell.record_scores:
            # streamed from the cell's spilled files: a row group at a time, whatever the run's length
            with AtomicParquetWriter(folder / "scores.parquet", SCORES_FILE_SCHEMA, SCORES_ROW_GROUP_ROWS) as writer:
                for d in done:
                    if d.scores is not None:
                        for part in d.scores.batches():
                            writer.write(_with_detector(d.label, part, SCORES_FILE_SCHEMA))
            for d in result.detectors:
                if d.scores is not None:
                    d.scores.delete()
        detectors = []
        for d in result.detectors:
            cost = None
            if d.cost is not None:
                cost = {
                    "events": d.cost.events,
                    "update_seconds": d.cost.update_seconds,
                    "events_per_s": d.cost.events_per_s,
                    "peak_memory_mb": d.cost.peak_memory_mb,
                }
            failure = asdict(d.failure) if d.failure is not None else None
            detectors.append({"label": d.label, "cost": cost, "failure": failure})
        write_json(
            folder / "cell.json",
            {
                "key": cell.key,
                "mode": cell.mode,
                "scenario": cell.scenario.label,
                "seed": cell.seed,
                "facts": asdict(result.facts),
                "detectors": detectors,
                "wall_seconds": result.wall_seconds,
                "peak_rss_mb": result.peak_rss_mb,
            },
        )

    def load(self, cell: Cell) -> StoredCell:
        folder = self.cell_dir(cell)
        info = json.loads((folder / "cell.json").read_text(encoding="utf-8"))
        by_detector = _by_detector(pq.read_table(folder / "outcomes.parquet"))
        labels = [d["label"] for d in info["detectors"]]
        empty = pd.DataFrame({name: pd.Series(dtype=object) for name in OUTCOME_SCHEMA.names})
        windows = self._table(cell, "windows.parquet", WINDOWS_FILE_SCHEMA)
        by_window = {} if windows is None else _by_detector(windows)
        groups = self._table(cell, "groups.parquet", GROUPS_SCHEMA)
        splits = self._table(cell, "requests.parquet", REQUESTS_FILE_SCHEMA)
        return StoredCell(
            cell=cell,
            facts=RunFacts(**info["facts"]),
            campaigns=pq.read_table(folder / "campaigns.parquet").to_pandas(),
            outcomes={
                label: by_detector.get(label, empty)
                for label, d in zip(labels, info["detectors"], strict=True)
                if d["failure"] is None
            },
            failures={d["label"]: Failure(**d["failure"]) for d in info["detectors"] if d["failure"] is not None},
            costs={d["label"]: d["cost"] for d in info["detectors"] if d["cost"] is not None},
            wall_seconds=info["wall_seconds"],
            peak_rss_mb=info["peak_rss_mb"],
            windows=by_window,
            groups=None if groups is None else groups.to_pandas(),
            requests={} if splits is None else _by_detector(splits),
        )

    def _table(self, cell: Cell, name: str, schema: pa.Schema) -> pa.Table | None:
        path = self.cell_dir(cell) / name
        return pq.read_table(path, schema=schema) if path.is_file() else None

    def scores(self, cell: Cell) -> Iterator[pa.Table]:
        """The cell's score changes (``detector`` + trajectory columns; none if not recorded) in
        (detector, tick, account_id) order, a row group (or one detector's rows of it) at a time,
        whatever the cell's size. :meth:`save` writes each detector's changes together, in the
        spill's (tick, account_id) order, so only the detectors need ordering: a first pass over
        the ``detector`` column finds the row groups of each. A row group holding several
        detectors is read once for all of them while they come one after another (it is kept
        until another is read: memory holds one more row group). Raises ``ValueError`` if a
        detector's rows are out of that order (they are then not what :meth:`save` wrote)."""
        path = self.cell_dir(cell) / "scores.parquet"
        if not path.is_file():
            return
        holders: dict[str, list[int]] = {}
        mixed: set[int] = set()
        for group, part in enumerate(row_groups(path, columns=["detector"])):
            labels = pc.unique(part.column("detector")).to_pylist()
            if len(labels) > 1:
                mixed.add(group)
            for label in labels:
                holders.setdefault(label, []).append(group)
        source = pq.ParquetFile(path)
        shared: tuple[int, pa.Table] | None = None

        def rows_of(label: str, group: int) -> pa.Table:
            nonlocal shared
            if group not in mixed:
                return source.read_row_group(group)
            if shared is None or shared[0] != group:
                shared = (group, source.read_row_group(group))
            table = shared[1]
            return table.filter(pc.equal(table.column("detector"), label))

        for label in sorted(holders):
            mine = (rows_of(label, group) for group in holders[label])
            yield from _in_tick_order(mine, f"{path} ({label})")

    def outcomes(self, cell: Cell) -> Iterator[pa.Table]:
        """The cell's per-account outcomes (``detector`` + outcome columns) of the detectors that
        did not fail, a row group at a time."""
        return self._row_groups(cell, "outcomes.parquet")

    def defences(self, cell: Cell) -> pa.Table | None:
        """An active cell's defence figures (None for a passive cell, or one stored before they were kept)."""
        return self._table(cell, "defences.parquet", DEFENCE_SCHEMA)

    def leakage(self, cell: Cell) -> Iterator[pa.Table]:
        """The cell's leakage series, a row group at a time (none for a cell stored before the
        harness recorded it)."""
        return self._row_groups(cell, "leakage.parquet")

    def _row_groups(self, cell: Cell, name: str) -> Iterator[pa.Table]:
        path = self.cell_dir(cell) / name
        return row_groups(path) if path.is_file() else iter(())


def _by_detector(table: pa.Table) -> dict[str, pd.DataFrame]:
    """The rows of ``table`` by its ``detector`` column (labels in order of first appearance,
    rows in file order), each as a frame of the other columns with a fresh index. The column
    is left out before the conversion to pandas rather than dropped from every part after it:
    a pandas ``drop`` costs more than the rest of a cell's loading."""
    labels = table.column("detector").to_numpy(zero_copy_only=False)
    frame = table.drop_columns("detector").to_pandas()
    return {str(label): part.reset_index(drop=True) for label, part in frame.groupby(labels, sort=False)}


def _in_tick_order(parts: Iterable[pa.Table], where: str) -> Iterator[pa.Table]:
    """``parts`` (one detector's score changes, in file order) passed on as they come, each
    checked to be in (tick, account_id) order, also against the last row of the part before."""
    last: pa.Table | None = None
    for part in parts:
        if part.num_rows == 0:
            continue
        keys = part.select(["tick", "account_id"])
        if last is not None:
            keys = pa.concat_tables([last, keys])
        n = keys.num_rows
        ticks = keys.column("tick").to_numpy()
        ids = keys.column("account_id").combine_chunks()
        id_back = pc.less(ids.slice(1), ids.slice(0, n - 1)).to_numpy(zero_copy_only=False)
        if np.any((ticks[1:] < ticks[:-1]) | ((ticks[1:] == ticks[:-1]) & id_back)):
            raise ValueError(f"{where}: score changes out of (tick, account_id) order")
        last = keys.slice(n - 1)
        yield part
