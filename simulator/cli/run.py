"""``extractbench run [SCENARIO...]``: benchmark detectors and print the leaderboard."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from simulator.cli.options import FORCE_HELP, parse_duration_option, parse_scale_option, parse_span_option
from simulator.cli.termination import stop

__all__ = ["FAILED_CELLS_EXIT", "WARN_CELLS", "WARN_SECONDS", "run"]

WARN_CELLS = 100
"""A run of more cells than this says so (with its estimated time) before it starts."""
WARN_SECONDS = 60 * 60.0
"""A run estimated to take longer than this (seconds of wall time) says so before it starts."""

FAILED_CELLS_EXIT = 3
"""Exit status of a run that completed with failed detectors (1 is `check`'s regression, 2 bad input)."""


class ModeOption(StrEnum):
    passive = "passive"
    active = "active"
    both = "both"


class ActionOption(StrEnum):
    ban = "ban"
    throttle = "throttle"
    challenge = "challenge"


class ReviewOrderOption(StrEnum):
    arrival = "arrival"
    score = "score"


def _names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    from detectors.registry import split_specs

    return split_specs(value)


def run(
    scenario_files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="SCENARIO",
            help="Scenario YAML files or bundled scenario names, e.g. quickstart (default: the bundled quick suite).",
            show_default=False,
        ),
    ] = None,
    suite: Annotated[
        Path | None, typer.Option(help="A suite manifest (a file or a bundled name) to run instead of the quick suite.")
    ] = None,
    detectors: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated detectors: names, 'package.module:Class', each with optional parameters, "
            "e.g. 'lockstep(half_group=3),lockstep(half_group=10)' (default: every registered detector)."
        ),
    ] = None,
    seeds: Annotated[int | None, typer.Option(help="Seeds per scenario: root seeds 0 … N−1 (default 3).")] = None,
    mode: Annotated[
        ModeOption | None, typer.Option(help="passive (one simulation, every detector), active (closed loop) or both.")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Operating threshold in (0, 1]: a score at or above it is an alarm (0.5).")
    ] = None,
    action: Annotated[
        ActionOption | None, typer.Option(help="What an alarm does in active mode (default: ban).")
    ] = None,
    review_delay: Annotated[
        str | None,
        typer.Option(help="Time from an alarm to the action, e.g. '30m' (default 0s).", callback=parse_duration_option),
    ] = None,
    throttle_factor: Annotated[
        float | None, typer.Option(help="For --action throttle: factor on the account's limits (0.1).")
    ] = None,
    throttle_duration: Annotated[
        str | None,
        typer.Option(help="For --action throttle: how long it lasts, e.g. '6h' (1d).", callback=parse_duration_option),
    ] = None,
    reviews_per_day: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Analysts' budget: alarms reviewed per day, at deployment weight (default 50): precision and "
            "recall within budget.",
        ),
    ] = None,
    review_order: Annotated[
        ReviewOrderOption | None,
        typer.Option(help="Review queue: arrival (first come, first served; default) or score (highest first)."),
    ] = None,
    warmup: Annotated[
        str | None,
        typer.Option(
            help="Label-free warm-up at the start of every run, e.g. '6h' (default 6h, or the suite's): each "
            "detector's threshold is chosen on it for --target-fpr and judged after it; '0s' for none.",
            callback=parse_span_option,
        ),
    ] = None,
    target_fpr: Annotated[
        float | None,
        typer.Option(help="Share of the warm-up's accounts the warm-up threshold may flag, in [0, 1) (0.001)."),
    ] = None,
    extraction_share: Annotated[
        float | None,
        typer.Option(
            help="Scenarios with resale: the share of an account's requests that must be extraction for it to "
            "count as an attacker's, in (0, 1] (0.5, or the suite's).",
        ),
    ] = None,
    scale: Annotated[
        float,
        typer.Option(
            help="Multiply account counts and volumes (on top of the suite's own scale); a finite number > 0.",
            callback=parse_scale_option,
        ),
    ] = 1.0,
    duration: Annotated[
        str | None, typer.Option(help="Override every scenario's span, e.g. '6h'.", callback=parse_duration_option)
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: the cores, at most 8; 1: serial).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Run cells on Dask: a scheduler address (tcp://host:8786) or 'local'.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: results/<run-id>); reuse it to resume.", file_okay=False),
    ] = None,
    run_id: Annotated[str | None, typer.Option(help="Name of the run (default: <suite>-<date>-<time>).")] = None,
    scores: Annotated[bool, typer.Option(help="Write score trajectories (scores.parquet).")] = True,
    report: Annotated[
        bool, typer.Option(help="Write the plots, report.html and summary.md at the end (see `extractbench report`).")
    ] = True,
    stack: Annotated[
        list[str] | None,
        typer.Option(
            help="A defence stack for active mode, repeatable: 'none', or defences joined by '+', each "
            "kind[:key=value,...], e.g. 'step-up:tier=1+takedown:links=payment|client' (docs/defences.md). "
            "Default: the suite's stacks, or the alarm policy alone.",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress and no notes: the leaderboard and errors only.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Print the plan first, and a line per finished cell even on a terminal."),
    ] = False,
    wide: Annotated[
        bool, typer.Option("--wide", help="Every leaderboard column (default: the columns that fit 80 characters).")
    ] = False,
    tick_budget: Annotated[
        str | None,
        typer.Option(
            help="Wall time one detector call may take, e.g. '90s' (default 60s, or the suite's); '0s': unbounded. "
            "A detector past it fails alone.",
            callback=parse_span_option,
        ),
    ] = None,
    memory_budget: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Address space of each cell's worker process in MiB (default 6144, or the suite's); 0: unbounded. "
            "A detector allocating past it fails alone.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    allow_module_detectors: Annotated[
        bool,
        typer.Option(
            "--allow-module-detectors",
            help="Let the suite name detectors (and the models of adapters) as 'package.module:Class', which "
            "imports and runs that code; without it a suite may name registered detectors only.",
        ),
    ] = False,
) -> None:
    """Benchmark detectors on scenarios: passive and closed-loop runs over seeds, metrics with
    95% intervals, results under results/<run-id>/, a leaderboard, and a report (plots,
    report.html, summary.md). With no scenario, the bundled quick suite runs (every bundled
    scenario, small, every detector, 3 seeds)."""
    from rich.console import Console

    from simulator.bench.api import execute, output_folder
    from simulator.bench.estimate import check_size, estimate_run
    from simulator.bench.plan import BenchInputError, plan_run
    from simulator.bench.store import ResumeError
    from simulator.cli.progress import CellProgress, format_seconds
    from simulator.results.conditions import operating_note, scenario_notes
    from simulator.results.leaderboard import CAPTION, leaderboard_tables

    if quiet and verbose:
        typer.echo("extractbench run: --quiet and --verbose exclude each other", err=True)
        raise typer.Exit(code=2)
    policy: dict[str, Any] = {}
    for name, value in (
        ("action", action.value if action else None),
        ("review_delay", review_delay),
        ("throttle_factor", throttle_factor),
        ("throttle_duration", throttle_duration),
    ):
        if value is not None:
            policy[name] = value
    terminal = Console(stderr=True).is_terminal
    style = "none" if quiet else "lines" if verbose or not terminal else "bar"
    folder: Path | None = None
    try:
        plan = plan_run(
            scenario_files or None,
            suite=suite,
            detectors=_names(detectors),
            seeds=seeds,
            mode=mode.value if mode else None,
            policy=policy,
            threshold=threshold,
            scale=scale,
            duration=duration,  # type: ignore[arg-type]
            record_scores=scores,
            reviews_per_day=reviews_per_day,
            review_order=review_order.value if review_order else None,
            warmup=warmup,  # type: ignore[arg-type]
            target_fpr=target_fpr,
            extraction_share=extraction_share,
            defences=stack or None,
            allow_module_detectors=allow_module_detectors,
        )
        check_size(plan, force=force)
        folder, run_name = output_folder(plan, out, run_id)
        estimate = estimate_run(plan, jobs=jobs)
        if verbose or (not quiet and (estimate.cells > WARN_CELLS or estimate.seconds > WARN_SECONDS)):
            big = estimate.cells > WARN_CELLS or estimate.seconds > WARN_SECONDS
            typer.echo(
                f"{'warning: a big run: ' if big else ''}{estimate.cells} cells ({len(plan.scenarios)} scenarios × "
                f"{len(plan.seeds)} seeds, {', '.join(plan.modes)}, {len(plan.detectors)} detectors) on "
                f"{estimate.workers} worker{'s' * (estimate.workers != 1)}, roughly {format_seconds(estimate.seconds)} "
                "(a rough estimate from the simulated requests and ticks; it can be several times off)"
                + ("; fewer --seeds, a smaller --scale or --duration, or --mode passive shrink it" if big else ""),
                err=True,
            )
        with CellProgress(style) as progress:
            budgets = {
                name: value
                for name, value in (("tick", tick_budget), ("memory_mb", memory_budget))
                if value is not None
            }
            results = execute(
                plan, out=folder, run_id=run_name, jobs=jobs, scheduler=scheduler, progress=progress, budgets=budgets
            )
    except (BenchInputError, ResumeError) as error:
        for line in getattr(error, "problems", [str(error)]):
            typer.echo(line, err=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        what, status = stop()
        resume = f"; rerun with --out {folder} to resume" if folder is not None else ""
        typer.echo(f"{what}: completed cells are kept{resume}", err=True)
        raise typer.Exit(code=status) from None
    config = results.config
    if not quiet:
        typer.echo(
            f"wrote {results.out}: {config['cells']} cells ({config['cells_reused']} reused) on "
            f"{config['executor']} in {config['wall_seconds']:.1f} s; metrics.csv, summary.json, cost.csv, "
            f"outcomes.parquet, leakage.parquet{', scores.parquet' if scores else ''}"
        )
    for _, failure in results.failures.iterrows():
        typer.echo(
            f"failed: {failure['detector']} on {failure['scenario']} ({failure['mode']}, seed {failure['seed']}) "
            f"at tick {failure['tick']}: {failure['reason']}",
            err=True,
        )
    stdout = Console()
    if not stdout.is_terminal:  # a log or a pipe: 80 columns, or room for every column with --wide
        stdout = Console(width=200 if wide else 80)
    operating = operating_note(config)
    notes = scenario_notes(config, results.prevalence())
    for table in leaderboard_tables(
        results.leaderboard(), notes, f"{operating} · {CAPTION}" if operating else None, wide=wide
    ):
        stdout.print(table)
    if report:
        _write_report(results.out, quiet, jobs)
    if len(results.failures):
        raise typer.Exit(code=FAILED_CELLS_EXIT)


def _write_report(folder: Path, quiet: bool, jobs: int | None) -> None:
    """The report of a finished run, its plots drawn by ``jobs`` processes (default: as many
    as the run's workers); if drawing fails, say that the results are safe."""
    from simulator.report import write_report
    from simulator.workers import default_jobs

    try:
        written = write_report(folder, jobs or default_jobs())
    except Exception as exc:
        if os.environ.get("EXTRACTBENCH_DEBUG"):
            raise
        typer.echo(
            f"the report could not be written ({type(exc).__name__}: {exc}); the results in {folder} are complete: "
            f"rebuild it with `extractbench report {folder}` (EXTRACTBENCH_DEBUG=1 shows the traceback)",
            err=True,
        )
        raise typer.Exit(code=1) from None
    if not quiet:
        typer.echo(f"report: {written.html} ({len(written.plots)} plots), {written.markdown}")
