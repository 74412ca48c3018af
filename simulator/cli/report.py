"""``extractbench report RESULTS_DIR``: rebuild the plots, report.html and summary.md of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["report"]


def report(
    results_dir: Annotated[
        Path, typer.Argument(metavar="RESULTS_DIR", help="A finished run's folder (the --out of `extractbench run`).")
    ],
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Most processes drawing the plots (default: the cores, at most 8; one per 4 scenario-modes at most;"
            " 1: this one).",
        ),
    ] = None,
) -> None:
    """Draw the plots (plots/*.png, *.svg) and write report.html (self-contained) and summary.md
    (Markdown, for CI job summaries) from a finished run's results, without re-running anything."""
    from simulator.report import write_report
    from simulator.results.folder import ResultsFolderError
    from simulator.workers import default_jobs

    try:
        written = write_report(results_dir, jobs or default_jobs())
    except ResultsFolderError as error:
        typer.echo(f"extractbench report: {error}", err=True)
        raise typer.Exit(code=2) from None
    skipped = f"; {len(written.skipped)} not drawn (reasons in the report)" if written.skipped else ""
    typer.echo(
        f"wrote {written.html} and {written.markdown.name}: {len(written.plots)} plots in "
        f"{written.folder / 'plots'}{skipped}"
    )
