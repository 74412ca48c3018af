"""``extractbench baseline RESULTS_DIR -o BASELINE.json``: freeze a run's figures to check later runs against."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["baseline"]


def baseline(
    results_dir: Annotated[
        Path, typer.Argument(metavar="RESULTS_DIR", help="A finished run's folder (the --out of `extractbench run`).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The baseline file to write (JSON).", dir_okay=False)],
) -> None:
    """Write a baseline: every figure of the run (mean or median and 95% interval over seeds, per
    scenario, mode, detector and metric) with what makes a later run comparable (seeds, policy,
    scenario sizes and fingerprints, detector parameters). Check later runs with `extractbench check`."""
    from simulator.results.baseline import make_baseline, write_baseline
    from simulator.results.folder import ResultsFolderError, load_results

    try:
        results = load_results(results_dir)
    except ResultsFolderError as error:
        typer.echo(f"extractbench baseline: {error}", err=True)
        raise typer.Exit(code=2) from None
    made = make_baseline(results)
    write_baseline(made, output)
    plan = made.plan
    typer.echo(
        f"wrote {output}: {len(made.figures):,} figures of run {made.run_id} ({len(plan.scenarios)} scenarios, "
        f"{len(plan.detectors)} detectors, seeds {', '.join(str(s) for s in plan.seeds)}, {', '.join(plan.modes)})"
    )
