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
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PATH=VALUE",
            help="Fix a parameter in the original and every trial, e.g. 'campaigns[0].budget.per_account=5' "
            "(VALUE read as YAML; repeatable).",
        ),
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
    zoo: Annotated[
        Path | None,
        typer.Option(
            help="Also write the best campaign into this folder as <scenario>-vs-<detector>.yaml "
            "(the hard scenarios of scenarios/red-team/).",
            file_okay=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
) -> None:
    """Black-box search (Optuna TPE, seeded) over the first campaign's tactics within the
    bounds the scenario's `search:` block declares (or the defaults), in closed loop against
    the detector; writes the best campaigns as scenario files, the history and a report section."""
    from simulator.bench.plan import BenchInputError
    from simulator.bench.redteam import DEFAULT_BATCH, write_red_team, write_zoo_scenario
    from simulator.bench.redteam import red_team as search
    from simulator.report.redteam import write_red_team_section
    from simulator.units import format_duration

    scenario = resolve_or_exit(load_or_exit(scenario_file), scenario_file, seed=None, duration=duration, scale=scale)
    fixed = _fixed(set_ or [])
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
            fixed=fixed,
            force=force,
        )
    except BenchInputError as error:
        for line in error.problems:
            typer.echo(line, err=True)
        raise typer.Exit(code=2) from None
    searched = {
        "Base scenario": f"{scenario.name} ({scenario_file.as_posix()}) at scale {scale:g} over "
        f"{format_duration(scenario.duration)} (the campaign below is as searched: run it at scale 1)",
        "Detector": detector,
        "Objective": f"{objective.value}, closed loop; budget: "
        + (f"{budget:g} USD" if budget is not None else "the scenario's"),
        **({"Fixed": ", ".join(set_ or [])} if fixed else {}),
        "Search": f"{trials} trials of Optuna TPE, sampler seed {seed}, {seeds} root seed(s) per trial, "
        f"batches of {jobs if jobs is not None else DEFAULT_BATCH} trials",
        "command": command,
    }
    written = write_red_team(result, folder, detector, objective.value, searched)  # type: ignore[arg-type]
    kept = write_zoo_scenario(result, zoo, detector, objective.value, searched) if zoo else None  # type: ignore[arg-type]
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
    if kept is not None:
        typer.echo(f"wrote {kept}")


def _shown(values: dict[str, object]) -> dict[str, str]:
    from simulator.bench.sweep import show_value

    return {path: show_value(value) for path, value in values.items()}


def _fixed(items: list[str]) -> dict[str, object]:
    """``--set PATH=VALUE`` options as path → value (VALUE read as YAML); exit 2 on a malformed one."""
    import yaml

    fixed: dict[str, object] = {}
    for item in items:
        path, sep, text = item.partition("=")
        try:
            value = yaml.safe_load(text) if sep else None
        except yaml.YAMLError as exc:
            problem = str(exc).splitlines()[0]
            typer.echo(f"--set {item}: expected PATH=VALUE with VALUE in YAML, got {problem}", err=True)
            raise typer.Exit(code=2) from None
        if not sep or not path.strip():
            typer.echo(f"--set: expected PATH=VALUE, e.g. 'campaigns[0].budget.per_account=5', got {item!r}", err=True)
            raise typer.Exit(code=2)
        fixed[path.strip()] = value
    return fixed
