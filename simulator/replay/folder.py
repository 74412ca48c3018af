"""A replay's results folder.

``<out>/`` holds:

* ``run.json``: the logs, the mapping, the tick and origin, rows read and replayed,
  bad rows by kind with their first lines, the columns the log lacks, and every
  detector with its status (ran, skipped with the reason, failed with the reason);
* ``metrics.csv`` (with labels only): tidy (scenario, detector, mode, seed, metric,
  value), the metrics of :mod:`simulator.metrics` as a passive run reports them;
* ``outcomes.parquet``: per detector and account, the traffic totals, the maximum
  score and the first alarm (and the label, with labels);
* ``scores.parquet``: every detector's score changes (tick, account, score);
* ``alarms.csv``: every first alarm (detector, account, seconds since the origin, UTC time);
* ``score_distribution.csv``: per detector, accounts per bin of maximum score;
* ``triage.csv``: the top-scored accounts, each detector's maximum score for them
  (what drove the rank) and their traffic;
* ``cost.csv``: time spent per detector (the one file that varies from run to run).

``summary.md`` and ``report.html`` are drawn from the folder by the report
(:mod:`simulator.report.replay`; ``extractbench replay`` and ``extractbench report`` call it).

Apart from ``cost.csv``, the same logs, mapping and options give byte-identical files.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulator.bench.assemble import write_csv
from simulator.bench.ledger import TRAJECTORY_SCHEMA
from simulator.export import AtomicParquetWriter, staged_folder, write_json, write_table
from simulator.metrics.outcomes import OUTCOME_SCHEMA
from simulator.replay.engine import ReplayInput, ReplayRun, score_distribution, top_accounts

__all__ = ["write_folder"]

_DETECTOR = pa.field("detector", pa.string())
TRIAGE_ROWS = 20
SCORES_ROWS = 65_536
"""Rows per row group of ``scores.parquet``: what is held while it is written (about 30 MB
less than the default of a run's files at the end of a long replay)."""


def _with_detector(tables: dict[str, pa.Table], schema: pa.Schema) -> pa.Table:
    full = pa.schema([_DETECTOR, *schema])
    parts = [
        pa.Table.from_arrays([pa.array([label] * t.num_rows, type=pa.string()), *t.columns], schema=full)
        for label, t in sorted(tables.items())
    ]
    return pa.concat_tables(parts) if parts else full.empty_table()


def _write_scores(path: Path, run: ReplayRun) -> None:
    """``scores.parquet`` streamed from the spilled score changes, detector by detector
    (those that ran to the end, by label), one row group at a time."""
    schema = pa.schema([_DETECTOR, *TRAJECTORY_SCHEMA])
    with AtomicParquetWriter(path, schema, SCORES_ROWS) as writer:
        for label in sorted(run.outcomes):
            assert run.scores is not None
            for part in run.scores.batches(label):
                detector = pa.repeat(pa.scalar(label, pa.string()), part.num_rows)
                writer.write(part.add_column(0, _DETECTOR, detector))


def _detectors(spec: ReplayInput, run: ReplayRun) -> list[dict[str, Any]]:
    described = {d.label: d.describe() for d in spec.detectors}
    rows = []
    for dr in run.runs:
        status = "skipped" if dr.skipped else "failed" if dr.failure else "ran"
        reason = dr.skipped or (f"tick {dr.failure.tick}: {dr.failure.reason}" if dr.failure else None)
        rows.append({**described[dr.label], "status": status, "reason": reason})
    return rows


def _alarms(run: ReplayRun) -> pd.DataFrame:
    rows = []
    for label, outcomes in sorted(run.outcomes.items()):
        frame = outcomes.select(["account_id", "alarm_ts", "max_score"]).to_pandas()
        frame = frame[np.isfinite(frame["alarm_ts"].to_numpy(dtype=np.float64))]
        frame.insert(0, "detector", label)
        rows.append(frame)
    alarms = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["detector", "account_id", "alarm_ts", "max_score"])
    )
    alarms = alarms.sort_values(["alarm_ts", "detector", "account_id"], kind="stable").reset_index(drop=True)
    origin = run.origin
    alarms["alarm_time"] = [
        "" if origin is None else (origin + timedelta(seconds=float(s))).isoformat().replace("+00:00", "Z")
        for s in alarms["alarm_ts"].tolist()
    ]
    return alarms[["detector", "account_id", "alarm_ts", "alarm_time", "max_score"]]


def write_folder(spec: ReplayInput, run: ReplayRun, out: Path) -> None:
    """Write the replay's results folder (see the module docstring): every file or,
    if writing fails part-way, none (:func:`~simulator.export.staged_folder`)."""
    with staged_folder(Path(out)) as staging:
        _write_files(spec, run, staging)


def _write_files(spec: ReplayInput, run: ReplayRun, out: Path) -> None:
    write_json(
        out / "run.json",
        {
            "kind": "replay",
            "logs": [str(p) for p in spec.logs],
            "format": spec.fmt or "auto",
            "mapping": spec.mapping.model_dump(mode="json"),
            "labels_file": None if spec.labels_file is None else str(spec.labels_file),
            "accounts_file": None if spec.accounts_file is None else str(spec.accounts_file),
            "tick_s": spec.tick,
            "threshold": spec.threshold,
            "seed": spec.seed,
            "origin": None if run.origin is None else run.origin.isoformat(),
            "ticks": run.ticks,
            "rows_read": run.rows_read,
            "rows_replayed": run.rows_replayed,
            "rows_skipped": run.bad.skipped,
            "bad_rows": run.bad.as_dict(),
            "missing_columns": run.missing,
            "labelled": run.labelled,
            "detectors": _detectors(spec, run),
        },
    )
    if run.metrics is not None:
        metrics = run.metrics.assign(scenario="replay", mode="passive", seed=np.int64(spec.seed))
        write_csv(out / "metrics.csv", metrics[["scenario", "detector", "mode", "seed", "metric", "value"]])
    write_table(out / "outcomes.parquet", _with_detector(run.outcomes, OUTCOME_SCHEMA))
    _write_scores(out / "scores.parquet", run)
    alarms = _alarms(run)
    write_csv(out / "alarms.csv", alarms)
    write_csv(out / "score_distribution.csv", score_distribution(run))
    triage = top_accounts(run, TRIAGE_ROWS)
    write_csv(out / "triage.csv", triage)
    cost = pd.DataFrame(
        [
            {
                "detector": dr.label,
                "update_seconds": dr.seconds,
                "events_per_s": run.rows_replayed / dr.seconds if dr.seconds > 0 else math.nan,
            }
            for dr in run.runs
            if dr.skipped is None
        ],
        columns=["detector", "update_seconds", "events_per_s"],
    )
    write_csv(out / "cost.csv", cost.assign(wall_seconds=run.wall_seconds))
