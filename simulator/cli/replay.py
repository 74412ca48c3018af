"""``extractbench replay LOG...``: stream your own API logs through the detectors."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.options import parse_duration_option

__all__ = ["replay"]


class ReplayFormat(StrEnum):
    """Formats a log can be read in."""

    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"extractbench replay: {message}", err=True)
    return typer.Exit(code=2)


def replay(
    logs: Annotated[
        list[Path] | None,
        typer.Argument(metavar="LOG...", help="Log files (JSONL, CSV or Parquet, optionally .gz), replayed in order."),
    ] = None,
    log_format: Annotated[
        ReplayFormat, typer.Option("--format", help="Log format (auto: from the file name).")
    ] = ReplayFormat.auto,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping YAML (see --example-mapping).", dir_okay=False)
    ] = None,
    maps: Annotated[
        list[str] | None,
        typer.Option("--map", help="OURS=THEIRS column mapping (repeatable; over --mapping), e.g. account_id=user."),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="Per-account labels (account_id and campaign, label or is_attacker).", dir_okay=False),
    ] = None,
    accounts: Annotated[
        Path | None,
        typer.Option(help="Account registry (Parquet, our accounts.parquet layout) for registry-reading detectors."),
    ] = None,
    detectors: Annotated[
        str | None, typer.Option(help="Comma-separated detector specs (default: every registered detector).")
    ] = None,
    tick: Annotated[
        str, typer.Option(help="Tick length: rows are handed to detectors one tick at a time, e.g. '1m'.")
    ] = "1m",
    until: Annotated[
        str | None,
        typer.Option(help="Replay at least this long after the origin (trailing empty ticks), e.g. '6h'."),
    ] = None,
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Alarm threshold on scores.")] = 0.5,
    seed: Annotated[int, typer.Option(min=0, help="Seed of detectors named without parameters.")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Results folder (default: results/replay-<first log's name>).", file_okay=False)
    ] = None,
    example_mapping: Annotated[
        bool, typer.Option("--example-mapping", help="Print a commented mapping file and exit.")
    ] = False,
) -> None:
    """Replay your own API logs through the detectors: metrics with labels, alarms and triage without."""
    from simulator.replay.mapping import EXAMPLE_MAPPING

    if example_mapping:
        typer.echo(EXAMPLE_MAPPING, nl=False)
        return
    if not logs:
        raise _fail("expected at least one LOG file (or --example-mapping)")
    from detectors.registry import BASELINES, split_specs
    from simulator.bench.plan import BenchInputError, detector_specs
    from simulator.replay import (
        LogFormatError,
        MappingError,
        NotInOrderError,
        ReplayInput,
        ReplayMapping,
        load_mapping,
        mapping_from_pairs,
        replay_logs,
        write_folder,
    )
    from simulator.report import write_report

    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        # a replay allocates and drops a chunk's Arrow buffers thousands of times: mimalloc (Arrow's
        # default) keeps about 30 MB more of them resident at the peak than the system allocator,
        # for about 5-8% more time (docs/replay.md, Memory); the variable still chooses
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    tick_s = parse_duration_option(tick)
    until_s = parse_duration_option(until)
    assert tick_s is not None
    try:
        mapping = load_mapping(mapping_file) if mapping_file is not None else ReplayMapping()
        if maps:
            mapping = mapping_from_pairs(list(maps), mapping)
    except MappingError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(code=2) from None
    try:
        chosen = split_specs(detectors) if detectors else None
        if chosen is not None and (labels is not None or mapping.labels is not None):
            # with labels every metrics table shows the baselines beside the detectors, as a run's
            named = {item.split("(", 1)[0].strip() for item in chosen}
            chosen += [name for name in BASELINES if name not in named]
        specs = detector_specs(chosen)
    except BenchInputError as error:
        raise _fail("; ".join(error.problems)) from None
    spec = ReplayInput(
        logs=tuple(logs),
        mapping=mapping,
        detectors=specs,
        tick=tick_s,
        fmt=None if log_format is ReplayFormat.auto else log_format.value,  # type: ignore[arg-type]
        labels_file=labels,
        accounts_file=accounts,
        threshold=threshold,
        until=until_s,
        seed=seed,
    )
    target = out or Path("results") / f"replay-{logs[0].name.split('.')[0]}"
    try:
        run = replay_logs(spec)
    except (LogFormatError, NotInOrderError, ValueError) as error:
        raise _fail(str(error)) from None
    try:
        write_folder(spec, run, target)
    finally:
        run.close()
    report = write_report(target)
    typer.echo(
        f"replayed {run.rows_replayed:,} of {run.rows_read:,} rows in {run.ticks:,} ticks "
        f"({run.bad.skipped:,} bad rows skipped) in {run.wall_seconds:.1f} s; wrote {target} "
        f"({report.html.name}, {report.markdown.name})"
    )
    for line in run.bad.describe():
        typer.echo(f"  bad rows: {line}")
    for dr in run.runs:
        if dr.skipped or dr.failure:
            typer.echo(f"  {dr.label}: {'skipped' if dr.skipped else 'failed'}: {dr.skipped or dr.failure.reason}")
    if run.metrics is not None:
        wide = run.metrics.pivot(index="detector", columns="metric", values="value")
        for label, row in wide.iterrows():
            typer.echo(
                f"  {label}: precision {row['precision']:.3f}, recall {row['recall']:.3f}, "
                f"AUPRC {row['auprc']:.3f}, campaigns detected {row['detection_rate']:.2f}"
            )
