"""``extractbench frontier SCENARIO --param PATH --range LO:HI --target METRIC=VALUE``:
where each detector breaks along one attacker parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.options import (
    FORCE_HELP,
    load_or_exit,
    parse_duration_option,
    parse_scale_option,
    parse_span_option,
    resolve_or_exit,
)

__all__ = ["frontier"]


class FrontierMode(StrEnum):
    passive = "passive"
    active = "active"


def _range(text: str) -> tuple[float, float]:
    from simulator.bench.sweep import range_number

    lo, sep, hi = text.partition(":")
    if not sep:
        raise typer.BadParameter(f"expected LO:HI such as '10:1000' or '50/day:5000/day', got {text!r}")
    try:
        return range_number(lo.strip()), range_number(hi.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"expected {exc}") from None


def frontier(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    param: Annotated[str, typer.Option(help="Attacker parameter by dotted path, e.g. 'campaigns[0].accounts'.")],
    range_: Annotated[
        str, typer.Option("--range", help="LO:HI, in the field's units or the scenario's ('10:1000', '50/day:5k/day').")
    ],
    target: Annotated[
        str, typer.Option(help="METRIC=VALUE a detector must meet to hold, e.g. 'recall=0.5' or 'budget_recall=0.5'.")
    ],
    detectors: Annotated[
        str | None, typer.Option(help="Comma-separated detectors (default: every registered detector).")
    ] = None,
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per evaluated value (root seeds 0 … N−1).")] = 3,
    steps: Annotated[int, typer.Option(min=0, help="Bisection rounds after the two ends.")] = 4,
    mode: Annotated[FrontierMode, typer.Option(help="passive (every detector on one simulation) or active.")] = (
        FrontierMode.passive
    ),
    log: Annotated[
        bool | None, typer.Option("--log/--linear", help="Bisect in log space (default: when HI ≥ 10·LO > 0).")
    ] = None,
    scale: Annotated[
        float,
        typer.Option(
            help="Multiply account counts and volumes before the parameter is set (> 0).", callback=parse_scale_option
        ),
    ] = 1.0,
    duration: Annotated[
        str | None, typer.Option(help="Override the scenario's span, e.g. '1d'.", callback=parse_duration_option)
    ] = None,
    warmup: Annotated[
        str | None,
        typer.Option(help="Label-free warm-up of the warm-up threshold (default 6h).", callback=parse_span_option),
    ] = None,
    reviews_per_day: Annotated[float | None, typer.Option(min=0, help="Analysts' budget (default 50).")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: the cores, at most 8).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="A Dask scheduler address or 'local'.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder (default: results/frontier-<scenario>-<time>); reuse it to resume.", file_okay=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
) -> None:
    """Find each detector's breaking point along one attacker parameter (bisection over
    seeds, with intervals from their spread); write frontier.csv, breaking.csv and
    frontier.png and print the table."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from detectors.registry import split_specs
    from simulator.bench.assemble import write_csv
    from simulator.bench.frontier import frontier_search, parse_target
    from simulator.bench.plan import BenchInputError
    from simulator.bench.store import ResumeError
    from simulator.bench.sweep import show_value
    from simulator.export import write_json
    from simulator.report.frontier import plot_frontier

    lo, hi = _range(range_)
    try:
        chosen = parse_target(target)
    except ValueError as exc:
        raise typer.BadParameter(f"expected {exc}", param_hint="--target") from None
    scenario = resolve_or_exit(load_or_exit(scenario_file), scenario_file, seed=None, duration=duration, scale=scale)
    folder = out or Path("results") / f"frontier-{scenario.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    try:
        breaking, evaluations = frontier_search(
            scenario,
            param,
            lo,
            hi,
            chosen,
            detectors=split_specs(detectors) if detectors else None,
            seeds=seeds,
            mode=mode.value,
            steps=steps,
            log=log,
            out=folder,
            jobs=jobs,
            scheduler=scheduler,
            warmup=warmup,  # type: ignore[arg-type]
            reviews_per_day=reviews_per_day,
            force=force,
        )
    except (BenchInputError, ResumeError) as error:
        for line in getattr(error, "problems", [str(error)]):
            typer.echo(line, err=True)
        raise typer.Exit(code=2) from None

    table = pd.DataFrame([vars(b) for b in breaking])
    write_csv(folder / "frontier.csv", evaluations)
    write_csv(folder / "breaking.csv", table)
    searched_log = log if log is not None else (lo > 0 and hi >= 10 * lo)
    write_json(
        folder / "frontier.json",
        {
            "scenario": str(scenario_file),
            "param": param,
            "range": [lo, hi],
            "target": vars(chosen),
            "seeds": seeds,
            "mode": mode.value,
            "steps": steps,
            "log": searched_log,
            "scale": scale,
        },
    )
    png = plot_frontier(evaluations, table, chosen.metric, chosen.value, param, folder, log=searched_log)
    shown = Table(
        title=f"{scenario.name}: where {chosen.metric} {'≥' if chosen.higher_is_better else '≤'} "
        f"{chosen.value:g} stops holding along {param}"
    )
    for column in ("detector", "status", "breaking point", "interval (seeds)", "holds at"):
        shown.add_column(column)
    for b in breaking:
        point = "" if b.status != "breaks" else show_value(b.point)
        interval = "" if b.status != "breaks" else f"{show_value(b.low)} – {show_value(b.high)}"
        holds = {"lo": f"{show_value(lo)} side", "hi": f"{show_value(hi)} side"}.get(b.holds_at, b.holds_at)
        shown.add_row(b.detector, b.status, point, interval, holds)
    Console(width=160).print(shown)
    typer.echo(f"wrote {folder}: frontier.csv, breaking.csv, frontier.json, {png.name}")
