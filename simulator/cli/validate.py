"""``extractbench validate FILE...``: check scenario files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.scenario.loading import ScenarioError, load_scenario
from simulator.units import format_duration

__all__ = ["validate"]


def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files to check.", show_default=False)],
) -> None:
    """Validate scenario files: one line per valid file; every problem located by
    file, line, field, expected and given. Exit code 2 if any file is invalid."""
    failed = False
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            failed = True
            for problem in error.problems:
                typer.echo(str(problem), err=True)
            continue
        accounts = sum(group.accounts for group in scenario.population)
        attackers = sum(campaign.accounts for campaign in scenario.campaigns)
        groups, campaigns = len(scenario.population), len(scenario.campaigns)
        typer.echo(
            f"ok {path}: {scenario.name}, {format_duration(scenario.duration)} in ticks of "
            f"{format_duration(scenario.tick)}, {groups} customer group{'s' * (groups != 1)} ({accounts:,} accounts), "
            f"{campaigns} campaign{'s' * (campaigns != 1)} ({attackers:,} accounts)"
            + (f", standing for {scenario.deployment.customers:,} customers" if scenario.deployment is not None else "")
        )
    if failed:
        raise typer.Exit(code=2)
