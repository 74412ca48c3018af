"""``extractbench scenarios``: list the scenarios and suites shipped with extractbench."""

from __future__ import annotations

import json
from typing import Annotated

import typer

__all__ = ["scenarios"]


def scenarios(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the bundled scenarios and suites with where they are installed. A bundled
    scenario can be named without a path, e.g. `extractbench validate quickstart` or
    `extractbench run hydra-cluster`; a suite likewise, e.g. `--suite quick`."""
    from simulator.scenario.bundled import bundled_root, bundled_scenarios, bundled_suites
    from simulator.scenario.loading import ScenarioError, load_scenario

    root = bundled_root()
    if root is None:
        typer.echo(
            "extractbench scenarios: no bundled scenarios found, neither in the installed package "
            "(simulator.bundled) nor in a source checkout (scenarios/); reinstall extractbench",
            err=True,
        )
        raise typer.Exit(code=2)
    rows = []
    for name, path in bundled_scenarios().items():
        try:
            description = " ".join(load_scenario(path).description.split())
        except ScenarioError as error:
            description = f"(invalid: {error.problems[0]})"
        rows.append({"name": name, "path": str(path), "description": description})
    suites = [{"name": name, "path": str(path)} for name, path in bundled_suites().items()]
    if as_json:
        typer.echo(json.dumps({"folder": str(root), "scenarios": rows, "suites": suites}, indent=2))
        return
    typer.echo(f"bundled scenarios in {root} (use a name in place of a file):")
    width = max((len(row["name"]) for row in rows), default=0)
    for row in rows:
        summary = row["description"]
        summary = summary if len(summary) <= 100 else summary[:99] + "…"
        typer.echo(f"  {row['name']:<{width}}  {summary}")
    typer.echo("bundled suites (extractbench run --suite NAME): " + ", ".join(s["name"] for s in suites))
