"""``extractbench audit SCENARIO...``: can attackers be told apart without modelling extraction?

Exit codes: 0 no artefact, 1 an undeclared feature (or the three-flag rule)
separates attackers with a lift above the threshold, 2 bad input.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simulator.cli.options import parse_duration_option

if TYPE_CHECKING:
    from rich.console import Console

    from simulator.audit.results import ScenarioAudit

__all__ = ["audit"]


def audit(
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            metavar="SCENARIO",
            help="Scenario YAML files (simulated in memory) or folders written by `extractbench simulate`.",
            show_default=False,
        ),
    ],
    scale: Annotated[float, typer.Option(min=0.0001, help="Multiply account counts and volumes, e.g. 0.05.")] = 1.0,
    duration: Annotated[
        str | None, typer.Option(help="Override the simulated span, e.g. '1d'.", callback=parse_duration_option)
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")] = None,
    tick: Annotated[
        str | None,
        typer.Option(help="Override the tick, e.g. '5m' (coarser ticks run faster).", callback=parse_duration_option),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the results as JSON instead of tables.")] = False,
    out: Annotated[
        Path | None, typer.Option(help="Also write audit.json and audit.csv into this folder.", file_okay=False)
    ] = None,
    top: Annotated[int, typer.Option(min=0, help="Features shown per scenario, best lift first (0: all).")] = 15,
) -> None:
    """Measure how far each label-free per-account feature separates attackers from
    customers (AUPRC lift over chance), beside the three-flag rule and a cross-validated
    gradient-boosting ceiling. An undeclared feature with a lift above 0.4 is an artefact
    of the simulator. Exit 0 if none, 1 if any, 2 on bad input."""
    from simulator.audit.engine import audit as run_audit
    from simulator.audit.engine import open_source
    from simulator.audit.results import audit_document, write_audit
    from simulator.audit.sources import AuditInputError
    from simulator.cli.options import tick_progress
    from simulator.scenario.bundled import resolve_scenario_path
    from simulator.scenario.loading import ScenarioError

    sources = []
    failed = False
    for path in map(resolve_scenario_path, scenarios):
        try:
            sources.append(open_source(path, seed=seed, duration=duration, scale=scale, tick=tick))  # type: ignore[arg-type]
        except ScenarioError as error:
            failed = True
            for problem in error.problems:
                typer.echo(str(problem), err=True)
        except AuditInputError as error:
            failed = True
            typer.echo(str(error), err=True)
    if failed:
        raise typer.Exit(code=2)

    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # logs and CI: no wrapping of feature names at 80 columns
        console = Console(width=120)
    audits = []
    for source in sources:
        started = time.perf_counter()
        with tick_progress(f"auditing {source.name}", source.steps) as progress:
            result = run_audit(source, progress=progress)
        audits.append(result)
        if not json_output:
            _show(console, result, top, time.perf_counter() - started)
    if json_output:
        typer.echo(json.dumps(audit_document(audits), indent=2, sort_keys=True))
    if out is not None:
        json_path, csv_path = write_audit(out, audits)
        typer.echo(f"wrote {json_path} and {csv_path}", err=json_output)
    flagged = [a for a in audits if a.artefacts]
    if not json_output:
        typer.echo(
            f"artefacts in {len(flagged)} of {len(audits)} scenario{'s' * (len(audits) != 1)}"
            + (f": {', '.join(a.scenario for a in flagged)}" if flagged else "")
        )
    if flagged:
        raise typer.Exit(code=1)


def _show(console: Console, result: ScenarioAudit, top: int, seconds: float) -> None:
    from rich.table import Table

    from simulator.units import format_duration

    settings = result.settings
    made = (
        "as written"
        if settings.get("folder")
        else f"scale {settings['scale']:g}, {format_duration(settings['duration'])} "
        f"in ticks of {format_duration(settings['tick'])}"
    )
    declared = ", ".join(result.declared) or "none"
    console.print(
        f"[bold]{result.scenario}[/bold] ({result.location}, seed {result.seed}, {made}): "
        f"{result.requests:,} requests, {result.accounts:,} active accounts, {result.attackers:,} attackers "
        f"(base rate {result.base_rate:.3f}); declared signals: {declared}",
        highlight=False,
    )
    if not result.audited:
        console.print(f"  {'; '.join(result.notes)}", highlight=False)
        console.print(f"  audited in {seconds:.1f} s\n", highlight=False)
        return
    shown = result.features if top == 0 else result.features[:top]
    table = Table(title=f"{result.scenario}: features by lift over chance ({len(shown)} of {len(result.features)})")
    for name, justify in (
        ("feature", "left"),
        ("signal", "left"),
        ("lift", "right"),
        ("higher for", "left"),
        ("declared", "left"),
        ("verdict", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for f in shown:
        table.add_row(
            f.name,
            f.signal,
            f"{f.lift:.3f}",
            "attackers" if f.direction > 0 else "customers",
            ("yes" if f.declared else "no") + (" (volume)" if f.follows_volume and f.signal != "volume" else ""),
            "ARTEFACT" if f.artefact else "",
        )
    console.print(table)
    worst = result.worst_undeclared
    if worst is not None:
        verdict = " (artefact)" if worst.artefact else ""
        line = f"  worst undeclared feature: {worst.name} ({worst.signal}), lift {worst.lift:.3f}{verdict}"
        console.print(line, highlight=False)
    rule = result.three_flag
    if rule is not None:
        state = "declared" if rule.declared else "undeclared"
        console.print(
            f"  three-flag rule ({', '.join(rule.signals)}: {state}): lift {rule.lift:.3f}"
            + (" (artefact)" if rule.artefact else ""),
            highlight=False,
        )
    ceiling = result.ceiling
    if ceiling is not None:
        console.print(
            f"  supervised ceiling ({ceiling.folds}-fold gradient boosting over all features): "
            f"AP {ceiling.ap:.3f}, lift {ceiling.lift:.3f}",
            highlight=False,
        )
    for note in result.notes:
        console.print(f"  {note}", highlight=False)
    artefacts = result.artefacts
    console.print(
        f"  {len(artefacts)} artefact{'s' * (len(artefacts) != 1)} (undeclared, lift > {result.threshold:g})"
        + (f": {', '.join(artefacts)}" if artefacts else ""),
        highlight=False,
    )
    console.print(f"  audited in {seconds:.1f} s\n", highlight=False)
