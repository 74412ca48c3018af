"""From stored cells to the run's tables: metrics, cost, failures, summary, and the
per-cell tables concatenated (scores, per-account outcomes, leakage series).

The tables are always computed from the cells as stored on disk, so a resumed
run and a fresh one, or a serial and a parallel one, produce the same bytes.

``metrics.csv`` and ``metrics.parquet`` are tidy (scenario, detector, mode, seed,
metric, value), sorted by scenario, mode, detector, seed and metric (in the order
of :data:`~simulator.metrics.catalogue.CATALOGUE`: the figures as simulated, then, in
passive mode, the figures at deployment conditions, :mod:`simulator.bench.deployment`),
and hold detection figures only; values are written with 12 significant digits
(``nan`` where undefined). Everything that varies from run to run (time, memory) is
in ``cost.csv``. ``prevalence.csv`` and ``thresholds.csv`` say at which prevalence
each passive (scenario, seed) was read and which warm-up threshold each detector got.

``scores.parquet``, ``outcomes.parquet`` and ``leakage.parquet`` hold every
cell's table with the cell's ``scenario``, ``mode`` and ``seed`` in front: the
data the report draws from (per-account maximum scores and alarm times; attacker
output per time bin, see :mod:`simulator.bench.leakage`). They are copied a piece at
a time (scores sorted by detector, tick and account as :meth:`~simulator.bench.store.ResultsStore.scores`
reads them): memory holds about two row groups, whatever the size of a cell.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulator.bench.cells import Cell
from simulator.bench.deployment import (
    PREVALENCE_COLUMNS,
    THRESHOLD_COLUMNS,
    cell_weights,
    deployment_frame,
    deployment_values,
    prevalence_row,
    request_values,
    threshold_row,
)
from simulator.bench.leakage import LEAKAGE_FILE_SCHEMA
from simulator.bench.plan import RunPlan
from simulator.bench.store import OUTCOMES_FILE_SCHEMA, SCORES_FILE_SCHEMA, ResultsStore
from simulator.export import AtomicParquetWriter, atomic_path, write_json, write_table
from simulator.metrics.catalogue import CATALOGUE, REFERENCE_ROWS
from simulator.metrics.evaluate import evaluate, evaluate_ranking
from simulator.metrics.outcomes import RunFrame
from simulator.metrics.requests import share_labelled
from simulator.results.aggregate import COMPARISON_REFERENCE, INTERVAL_METHOD, compare, summarize

__all__ = [
    "RunTables",
    "assemble",
    "format_value",
    "write_csv",
]

METRIC_COLUMNS = ["scenario", "detector", "mode", "seed", "metric", "value"]
COST_COLUMNS = [
    "scenario",
    "detector",
    "mode",
    "seed",
    "events",
    "update_seconds",
    "events_per_s",
    "peak_memory_mb",
    "cell_wall_seconds",
    "cell_peak_rss_mb",
]
FAILURE_COLUMNS = ["scenario", "detector", "mode", "seed", "tick", "reason"]
METRICS_SCHEMA = pa.schema(
    [
        pa.field("scenario", pa.string()),
        pa.field("detector", pa.string()),
        pa.field("mode", pa.string()),
        pa.field("seed", pa.int64()),
        pa.field("metric", pa.string()),
        pa.field("value", pa.float64()),
    ]
)


def format_value(value: float) -> str:
    """Fixed formatting of a metric value: 12 significant digits, ``nan``, ``inf``.

    >>> format_value(1 / 3), format_value(2.0), format_value(float("nan")), format_value(1e-7)
    ('0.333333333333', '2', 'nan', '1e-07')
    """
    if math.isnan(value):
        return "nan"
    return f"{value:.12g}"


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` as CSV atomically (floats as :func:`format_value`, ``\\n`` line ends)."""
    text = io.StringIO()
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(format_value)
    shown.to_csv(text, index=False, lineterminator="\n")
    with atomic_path(path) as tmp:
        tmp.write_text(text.getvalue(), encoding="utf-8")


@dataclass(frozen=True)
class RunTables:
    """The run's tables, computed from the store."""

    metrics: pd.DataFrame
    cost: pd.DataFrame
    failures: pd.DataFrame
    prevalence: pd.DataFrame
    thresholds: pd.DataFrame


def _sorted_metrics(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    order = {name: i for i, name in enumerate(CATALOGUE)}
    frame["_order"] = frame["metric"].map(order)
    frame = frame.sort_values(["scenario", "mode", "detector", "seed", "_order"], kind="stable")
    frame = frame.drop(columns="_order").reset_index(drop=True)
    frame["seed"] = frame["seed"].astype(np.int64)
    frame["value"] = frame["value"].astype(np.float64)
    return frame


def _tables(plan: RunPlan, store: ResultsStore) -> RunTables:
    metric_rows: list[dict[str, Any]] = []
    cost_rows: list[dict[str, Any]] = []
    failure_rows: list[dict[str, Any]] = []
    prevalence_rows: list[dict[str, Any]] = []
    threshold_rows: list[dict[str, Any]] = []
    share = plan.operating.extraction_share
    for scenario in plan.scenarios:
        for seed in plan.seeds:
            reference_cell = plan.passive_cell(scenario, seed)
            reference = store.load(reference_cell)
            undefended = {
                "undefended_campaign_tokens": float(reference.campaigns["output_tokens"].sum()),
                "undefended_customer_tokens": float(reference.facts.customer_output_tokens),
            }
            cells = [reference_cell] if "passive" in plan.modes else []
            for cell in [*cells, *plan.active_cells(scenario, seed)]:
                stored = reference if cell is reference_cell else store.load(cell)
                where = {"scenario": scenario.label, "mode": cell.mode, "seed": seed}
                frame = RunFrame(stored.facts.duration, cell.mode, **(undefended if cell.mode == "active" else {}))
                deployed = cell.mode == "passive" and bool(stored.outcomes)
                if deployed:
                    weights = cell_weights(stored.groups, scenario)
                    conditions = deployment_frame(cell, stored.facts.duration, plan.operating)
                    prevalence_rows.append(
                        {"scenario": scenario.label, "seed": seed, **prevalence_row(stored.groups, weights, scenario)}
                    )
                # scenarios with resale: accounts labelled by extraction share, from the cell's own
                # per-request truth (the counts are the same in every detector's splits of a cell)
                counts = next(iter(stored.requests.values()), None)
                for label, owned in stored.outcomes.items():
                    reference = label in REFERENCE_ROWS
                    outcomes = owned if counts is None else share_labelled(owned, counts, share)
                    if reference:
                        values = evaluate_ranking(outcomes)
                    else:
                        values = evaluate(outcomes, stored.campaigns, frame, owned=owned)
                    if deployed:
                        windows = stored.windows.get(label)
                        values |= deployment_values(label, outcomes, windows, weights, conditions, reference=reference)
                        if not reference and windows is not None:
                            row = threshold_row(windows, outcomes, conditions)
                            threshold_rows.append({**where, "detector": label, **row})
                    if label in stored.requests:  # scenarios with resale only, both modes
                        values |= request_values(stored.requests[label])
                    metric_rows += [
                        {**where, "detector": label, "metric": name, "value": value} for name, value in values.items()
                    ]
                for label, cost in stored.costs.items():
                    cost_rows.append(
                        {
                            **where,
                            "detector": label,
                            **cost,
                            "cell_wall_seconds": stored.wall_seconds,
                            "cell_peak_rss_mb": stored.peak_rss_mb,
                        }
                    )
                for label, failure in stored.failures.items():
                    failure_rows.append({**where, "detector": label, "tick": failure.tick, "reason": failure.reason})
    cost = pd.DataFrame(cost_rows, columns=COST_COLUMNS).sort_values(["scenario", "mode", "detector", "seed"])
    failures = pd.DataFrame(failure_rows, columns=FAILURE_COLUMNS).sort_values(["scenario", "mode", "detector", "seed"])
    prevalence = pd.DataFrame(prevalence_rows, columns=PREVALENCE_COLUMNS).sort_values(["scenario", "seed"])
    thresholds = pd.DataFrame(threshold_rows, columns=["mode", *THRESHOLD_COLUMNS]).drop(columns="mode")
    thresholds = thresholds.sort_values(["scenario", "detector", "seed"])
    return RunTables(
        _sorted_metrics(metric_rows),
        cost.reset_index(drop=True),
        failures.reset_index(drop=True),
        prevalence.reset_index(drop=True),
        thresholds.reset_index(drop=True),
    )


def _json_number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = frame.to_dict("records")
    return [
        {key: _json_number(value) if isinstance(value, float) else value for key, value in record.items()}
        for record in records
    ]


def _with_head(schema: pa.Schema) -> pa.Schema:
    return pa.schema(
        [pa.field("scenario", pa.string()), pa.field("mode", pa.string()), pa.field("seed", pa.int64()), *schema]
    )


SCORES_SCHEMA = _with_head(SCORES_FILE_SCHEMA)
OUTCOMES_SCHEMA = _with_head(OUTCOMES_FILE_SCHEMA)
LEAKAGE_SCHEMA = _with_head(LEAKAGE_FILE_SCHEMA)


def _write_cell_tables(
    cells: list[Cell], path: Path, schema: pa.Schema, read: Callable[[Cell], Iterable[pa.Table]]
) -> None:
    """Concatenate a per-cell table of every cell into ``path``, each row prefixed by
    the cell's scenario, mode and seed; cells in (scenario, mode, seed, name) order.

    ``read`` gives a cell's rows in pieces: memory holds about two row groups, not the
    cell. A cell's rows within one row group of ``path`` are joined into one contiguous
    chunk before they are written, as if the cell had been read whole: the Parquet
    writer's pages (and where a dictionary falls back to plain) depend on the chunks it
    is given, so the file's bytes depend on the rows alone, not on the cells' own row groups.
    """
    with AtomicParquetWriter(path, schema) as writer:
        for cell in sorted(cells, key=lambda c: (c.scenario.label, c.mode, c.seed, c.name)):
            held: list[pa.Table] = []
            rows = 0
            for table in read(cell):
                held.append(table)
                rows += table.num_rows
                # rows until the writer's current row group is full
                while rows >= (room := writer.row_group_rows - writer.rows % writer.row_group_rows):
                    joined = pa.concat_tables(held)
                    _write_cell_rows(writer, cell, schema, joined.slice(0, room))
                    held, rows = [joined.slice(room)], rows - room
            if rows:
                _write_cell_rows(writer, cell, schema, pa.concat_tables(held))


def _write_cell_rows(writer: AtomicParquetWriter, cell: Cell, schema: pa.Schema, table: pa.Table) -> None:
    """Write ``table`` (rows of ``cell``) as one chunk, prefixed by the cell's scenario, mode and seed."""
    n = table.num_rows
    head = [
        pa.array([cell.scenario.label] * n, type=pa.string()),
        pa.array([cell.mode] * n, type=pa.string()),
        pa.array(np.full(n, cell.seed, dtype=np.int64)),
    ]
    writer.write(pa.Table.from_arrays([*head, *table.combine_chunks().columns], schema=schema))


def assemble(plan: RunPlan, store: ResultsStore) -> RunTables:
    """Compute and write the run's tables from its (complete) stored cells."""
    tables = _tables(plan, store)
    out = store.out
    write_csv(out / "metrics.csv", tables.metrics)
    write_table(
        out / "metrics.parquet", pa.Table.from_pandas(tables.metrics, schema=METRICS_SCHEMA, preserve_index=False)
    )
    write_csv(out / "cost.csv", tables.cost)
    write_csv(out / "failures.csv", tables.failures)
    write_csv(out / "prevalence.csv", tables.prevalence)
    # a threshold is often the float just above a warm-up score: every digit of it counts
    exact = tables.thresholds["threshold"].map(lambda v: "nan" if math.isnan(v) else repr(float(v)))
    write_csv(out / "thresholds.csv", tables.thresholds.assign(threshold=exact))
    summary = summarize(tables.metrics)
    write_json(
        out / "summary.json",
        {
            "interval": INTERVAL_METHOD,
            "seeds": list(plan.seeds),
            "summary": _records(summary),
            "comparisons": _records(compare(tables.metrics, COMPARISON_REFERENCE)),
            "failures": _records(tables.failures),
        },
    )
    with_detectors = [c for c in plan.cells if c.detectors]
    if plan.record_scores:
        _write_cell_tables(
            [c for c in with_detectors if c.record_scores],
            out / "scores.parquet",
            SCORES_SCHEMA,
            store.scores,  # in (detector, tick, account_id) order
        )
    _write_cell_tables(with_detectors, out / "outcomes.parquet", OUTCOMES_SCHEMA, store.outcomes)
    _write_cell_tables(list(plan.cells), out / "leakage.parquet", LEAKAGE_SCHEMA, store.leakage)
    if plan.stacks:
        write_csv(out / "defences.csv", _defence_rows(plan, store))
    return tables


def _defence_rows(plan: RunPlan, store: ResultsStore) -> pd.DataFrame:
    """Every active cell's figures (:data:`~simulator.bench.defences.loop.DEFENCE_SCHEMA`)
    with its scenario, detector label and seed: the alarm policy alone (no stack) has
    its campaigns' spend and customers' bans too; cells stored before it did have none."""
    frames = []
    for scenario in plan.scenarios:
        for seed in plan.seeds:
            for cell in plan.active_cells(scenario, seed):
                table = store.defences(cell)
                if table is not None:
                    frame = table.to_pandas()
                    frame.insert(0, "seed", seed)
                    frame.insert(0, "detector", cell.detectors[0].label)
                    frame.insert(0, "scenario", scenario.label)
                    frames.append(frame)
    columns = ["scenario", "detector", "seed", "subject", "metric", "value"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
