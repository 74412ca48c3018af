"""``extractbench simulate SCENARIO``: run a scenario once and export its traffic."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.options import (
    FORCE_HELP,
    load_or_exit,
    parse_duration_option,
    parse_scale_option,
    resolve_or_exit,
    tick_progress,
)

__all__ = ["LogFormat", "simulate"]


class LogFormat(StrEnum):
    """Formats of the exported request log."""

    parquet = "parquet"
    jsonl = "jsonl"
    csv = "csv"


def simulate(
    scenario_file: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="Scenario file or bundled name.", show_default=False)
    ],
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")] = None,
    duration: Annotated[
        str | None, typer.Option(help="Override the simulated span, e.g. '6h' or '2d'.", callback=parse_duration_option)
    ] = None,
    scale: Annotated[
        float,
        typer.Option(help="Multiply account counts and volumes, e.g. 0.01 (> 0).", callback=parse_scale_option),
    ] = 1.0,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: results/simulate/<name>-seed<N>).", file_okay=False)
    ] = None,
    log_format: Annotated[
        LogFormat,
        typer.Option("--format", help="Format of the request log (accounts and ground truth stay Parquet)."),
    ] = LogFormat.parquet,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
) -> None:
    """Simulate a scenario (a file, or a bundled one by name) and write requests (Parquet, JSON Lines
    or CSV), accounts and ground truth (Parquet), and mapping.yaml to replay the requests with
    `extractbench replay`."""
    from simulator.bench.estimate import size_problems
    from simulator.simulation_folder import simulate_to_folder as run_simulation

    scenario = load_or_exit(scenario_file)
    scenario = resolve_or_exit(scenario, scenario_file, seed=seed, duration=duration, scale=scale)  # type: ignore[arg-type]
    problems = [] if force else size_problems([(str(scenario_file), scenario)], 1, streamed=True)
    if problems:
        for line in problems:
            typer.echo(line, err=True)
        raise typer.Exit(code=2)
    target = out or Path("results") / "simulate" / f"{scenario.name}-seed{scenario.seed}"
    with tick_progress(f"simulating {scenario.name}", scenario.n_ticks) as progress:
        summary = run_simulation(scenario, target, progress=progress, fmt=log_format.value)
    rate = summary.requests / max(summary.wall_seconds, 1e-9)
    typer.echo(
        f"wrote {target}: {summary.requests:,} requests ({summary.attacker_requests:,} from attackers), "
        f"{summary.accounts:,} accounts ({summary.attacker_accounts:,} attackers), statuses {summary.status_counts}, "
        f"{summary.wall_seconds:.1f} s ({rate:,.0f} rows/s), peak memory {summary.peak_rss_mb:.0f} MB"
    )
