"""``extractbench check RESULTS_DIR --baseline BASELINE.json``: fail on a detection regression.

Exit codes: 0 nothing regressed, 1 a regression, 2 a usage or input error (a
malformed or incomparable baseline, missing results, an unknown metric in
``--tolerance``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["check"]


def check(
    results_dir: Annotated[
        Path, typer.Argument(metavar="RESULTS_DIR", help="A finished run's folder (the --out of `extractbench run`).")
    ],
    baseline: Annotated[
        Path, typer.Option(help="The baseline to compare with (made by `extractbench baseline`).", dir_okay=False)
    ],
    tolerance: Annotated[
        list[str] | None,
        typer.Option(
            metavar="METRIC=VALUE[%]",
            help="How much worse a metric may get: absolute (recall=0.05) or relative to the baseline "
            "(leakage_share=10%). Repeat for several metrics; default 0.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Count a change inside the seeds' 95% interval as a regression too.")
    ] = False,
    junit: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Also write JUnit XML: one test per scenario, mode and detector."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the outcome as JSON (ok, warnings, every changed figure).")
    ] = False,
) -> None:
    """Compare a run with a baseline, figure by figure in each metric's good direction, and print a
    Markdown table of what changed. Exit 0 if nothing regressed, 1 on a regression, 2 on bad input."""
    from simulator.export import atomic_path
    from simulator.results.baseline import BaselineError, read_baseline
    from simulator.results.check import ToleranceError, check_results, parse_tolerances
    from simulator.results.folder import ResultsFolderError, load_results
    from simulator.results.verdict import check_document, check_junit, check_markdown

    try:
        tolerances = parse_tolerances(tolerance or [])
        results = load_results(results_dir)
        reference = read_baseline(baseline)
        outcome = check_results(results, reference, tolerances, strict=strict)
    except (ToleranceError, ResultsFolderError, BaselineError) as error:
        typer.echo(f"extractbench check: {error}", err=True)
        raise typer.Exit(code=2) from None
    if as_json:
        typer.echo(json.dumps(check_document(outcome), indent=2))
    else:
        typer.echo(check_markdown(outcome))
    if junit is not None:
        with atomic_path(junit) as tmp:
            tmp.write_text(check_junit(outcome), encoding="utf-8")
    if not outcome.ok:
        raise typer.Exit(code=1)
