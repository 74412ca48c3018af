"""``extractbench validate FILE...``: check scenario files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["validate"]


def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Scenario YAML files or bundled scenario names (quickstart).", show_default=False),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object per file (ok, summary or problems) as a list."),
    ] = False,
) -> None:
    """Validate scenario files: one line per valid file; every problem located by
    file, line, field, expected and given. Exit code 2 if any file is invalid."""
    from simulator.scenario.bundled import missing_hint, resolve_scenario_path
    from simulator.scenario.loading import ScenarioError, load_scenario
    from simulator.units import format_duration

    failed = False
    documents: list[dict[str, Any]] = []
    for given in files:
        path = resolve_scenario_path(given)
        if not path.exists():
            failed = True
            documents.append({"file": str(given), "ok": False, "problems": [missing_hint(given)]})
            if not as_json:
                typer.echo(missing_hint(given), err=True)
            continue
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            failed = True
            documents.append({"file": str(path), "ok": False, "problems": [str(p) for p in error.problems]})
            if not as_json:
                for problem in error.problems:
                    typer.echo(str(problem), err=True)
            continue
        accounts = sum(group.accounts for group in scenario.population)
        attackers = sum(campaign.accounts for campaign in scenario.campaigns)
        groups, campaigns = len(scenario.population), len(scenario.campaigns)
        documents.append(
            {
                "file": str(path),
                "ok": True,
                "name": scenario.name,
                "duration_s": scenario.duration,
                "tick_s": scenario.tick,
                "customer_groups": groups,
                "customer_accounts": accounts,
                "campaigns": campaigns,
                "campaign_accounts": attackers,
                "deployment_customers": scenario.deployment.customers if scenario.deployment is not None else None,
            }
        )
        if not as_json:
            typer.echo(
                f"ok {path}: {scenario.name}, {format_duration(scenario.duration)} in ticks of "
                f"{format_duration(scenario.tick)}, {groups} customer group{'s' * (groups != 1)} "
                f"({accounts:,} accounts), {campaigns} campaign{'s' * (campaigns != 1)} ({attackers:,} accounts)"
                + (
                    f", standing for {scenario.deployment.customers:,} customers"
                    if scenario.deployment is not None
                    else ""
                )
            )
    if as_json:
        typer.echo(json.dumps(documents, indent=2))
    if failed:
        raise typer.Exit(code=2)
