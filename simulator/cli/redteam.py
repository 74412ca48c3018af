"""``extractbench red-team SCENARIO --detector D``: search the campaign tactics that get the
most past one detector."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.options import FORCE_HELP, load_or_exit, parse_duration_option, parse_scale_option, resolve_or_exit

__all__ = ["red_team"]


class ObjectiveOption(StrEnum):
    leakage = "leakage"
    cost_per_token = "cost-per-token"


def red_team(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    detector: Annotated[str, typer.Option(help="The detector to beat: a name or 'package.module:Class(…)'.")],
    budget: Annotated[
        float | None, typer.Option(min=0, help="USD each trial's campaign may spend (default: the scenario's).")
    ] = None,
    trials: Annotated[int, typer.Option(min=1, help="Trials (campaigns tried).")] = 20,
    objective: Annotated[
        ObjectiveOption, typer.Option(help="leakage (tokens harvested) or cost-per-token (tokens per USD).")
    ] = ObjectiveOption.leakage,
    seeds: Annotated[int, typer.Option(min=1, help="Root seeds per trial (the objective is their mean).")] = 1,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the TPE sampler.")] = 0,
    keep: Annotated[int, typer.Option(min=1, help="Best campaigns written as scenario files.")] = 3,
    scale: Annotated[
        float,
        typer.Option(help="Multiply account counts and volumes before the search (> 0).", callback=parse_scale_option),
    ] = 1.0,
    duration: Annotated[
        str | None, typer.Option(help="Override the scenario's span, e.g. '1d'.", callback=parse_duration_option)
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Worker processes; a batch of this many trials runs at once.")
    ] = None,
    scheduler: Annotated[str | None, typer.Option(help="A Dask scheduler address or 'local'.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: results/red-team-<scenario>-<time>).", file_okay=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
) -> None:
    """Black-box search (Optuna TPE, seeded) over the first campaign's tactics within the
    bounds the scenario's `search:` block declares (or the defaults), in closed loop against
    the detector; writes the best campaigns as scenario files, the history and a report section."""
    from simulator.bench.plan import BenchInputError
    from simulator.bench.redteam import red_team as search
    from simulator.bench.redteam import write_red_team
    from simulator.report.redteam import write_red_team_section

    scenario = resolve_or_exit(load_or_exit(scenario_file), scenario_file, seed=None, duration=duration, scale=scale)
    folder = out or Path("results") / f"red-team-{scenario.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    command = "extractbench " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "extractbench"
    try:
        result = search(
            scenario,
            detector,
            budget=budget,
            trials=trials,
            objective=objective.value,  # type: ignore[arg-type]
            seeds=seeds,
            seed=seed,
            keep=keep,
            jobs=jobs,
            scheduler=scheduler,
            force=force,
        )
    except BenchInputError as error:
        for line in error.problems:
            typer.echo(line, err=True)
        raise typer.Exit(code=2) from None
    written = write_red_team(result, folder, detector, objective.value, command)  # type: ignore[arg-type]
    original = {path: str(value) for path, value in _shown(result.original).items()}
    markdown = write_red_team_section(
        result.history, original, result.importance, result.baseline, objective.value, detector, folder
    )
    done = result.history[result.history["state"] == "complete"]
    best = done["objective"].max() if len(done) else float("nan")
    typer.echo(
        f"{scenario.name} against {detector}: original campaign {objective.value} {result.baseline:.6g}, "
        f"best of {len(result.history)} trials {best:.6g}"
    )
    typer.echo(f"wrote {folder}: history.csv, history.parquet, red-team.json, {markdown.name}, red-team.png, "
               + ", ".join(p.name for p in written))  # fmt: skip


def _shown(values: dict[str, object]) -> dict[str, str]:
    from simulator.bench.sweep import show_value

    return {path: show_value(value) for path, value in values.items()}
