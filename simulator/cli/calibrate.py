"""``extractbench calibrate [TRACE_DIR]``: fit the population to real traces and
write the side-by-side of simulated against real traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.options import load_or_exit, parse_duration_option, resolve_or_exit, tick_progress

__all__ = ["DEFAULT_TRACES", "calibrate"]

DEFAULT_TRACES = Path("..") / "shared" / "data" / "traces"
"""Where the traces are looked for when no folder is given (relative to the working directory)."""


def calibrate(
    trace_dir: Annotated[
        Path | None,
        typer.Argument(
            metavar="[TRACE_DIR]",
            help="Folder of trace files (Azure 2023 conv/code CSV, Mooncake JSONL, ServeGen CSVs); "
            "default: ../shared/data/traces/ when it exists.",
            show_default=False,
        ),
    ] = None,
    scenario_file: Annotated[
        Path, typer.Option("--scenario", help="Scenario to simulate against the traces (a file or a bundled name).")
    ] = Path("legit-only"),
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")] = None,
    duration: Annotated[
        str | None, typer.Option(help="Override the simulated span, e.g. '2d'.", callback=parse_duration_option)
    ] = None,
    scale: Annotated[float, typer.Option(min=0.0001, help="Multiply account counts, e.g. 0.25.")] = 1.0,
    out: Annotated[Path, typer.Option(help="Output folder.", file_okay=False)] = Path("results/calibration"),
) -> None:
    """Fit token lengths, arrival burstiness, per-client volume and the daily profile to real traces,
    simulate the scenario, and write calibration.md, calibration.png and fit.json."""
    from simulator.calibration import TraceError, run_calibration
    from simulator.calibration.traces import find_traces

    if trace_dir is None:
        if not DEFAULT_TRACES.is_dir():
            typer.echo(
                f"extractbench calibrate: no TRACE_DIR given and the default {DEFAULT_TRACES}/ does not exist "
                "from here; pass the folder that holds the trace files",
                err=True,
            )
            raise typer.Exit(code=2)
        trace_dir = DEFAULT_TRACES
    try:
        find_traces(trace_dir)
    except TraceError as error:
        typer.echo(f"extractbench calibrate: {error}", err=True)
        raise typer.Exit(code=2) from None
    scenario = load_or_exit(scenario_file)
    scenario = resolve_or_exit(scenario, scenario_file, seed=seed, duration=duration, scale=scale)  # type: ignore[arg-type]
    try:
        with tick_progress(f"simulating {scenario.name}", scenario.n_ticks) as progress:
            report = run_calibration(trace_dir, scenario, out, progress=progress)
    except TraceError as error:
        typer.echo(f"extractbench calibrate: {error}", err=True)
        raise typer.Exit(code=2) from None
    rows = report.comparison
    typer.echo(
        f"wrote {out}: {', '.join(p.name for p in report.files.values())} ({report.requests:,} simulated requests); "
        f"output-token KS chat {rows.value('chat', 'output tokens KS').simulated:.3f}, "
        f"coding {rows.value('coding', 'output tokens KS').simulated:.3f}; "
        f"per-client Gini {rows.value('population', 'per-client volume Gini').simulated:.2f} "
        f"(real {rows.value('population', 'per-client volume Gini').real:.2f})"
    )
