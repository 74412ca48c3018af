"""Option types shared by several commands."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from simulator.scenario import Scenario

__all__ = [
    "FORCE_HELP",
    "load_or_exit",
    "parse_duration_option",
    "parse_scale_option",
    "parse_span_option",
    "resolve_or_exit",
    "scenario_path_or_exit",
    "tick_progress",
]


FORCE_HELP = (
    "Run even past the size limits (more than 200 million simulated requests or about 16 GiB of memory per "
    "simulation, more than 2,000 cells; docs/hardening.md), which are otherwise refused before anything runs."
)


def parse_scale_option(value: float) -> float:
    """Typer callback: a finite scale factor > 0 (``inf``, ``nan``, 0 and negatives are refused)."""
    if not math.isfinite(value) or value <= 0:
        raise typer.BadParameter(f"expected a finite number > 0, got {value}")
    return value


def parse_duration_option(value: str | None) -> float | None:
    """Typer callback: a positive human-friendly duration ('6h', '90s') or None."""
    return _duration(value, allow_zero=False)


def parse_span_option(value: str | None) -> float | None:
    """Typer callback: a non-negative human-friendly duration ('6h', '0s') or None."""
    return _duration(value, allow_zero=True)


def _duration(value: str | None, allow_zero: bool) -> float | None:
    if value is None:
        return None
    from simulator.units import parse_option_duration

    try:
        seconds = parse_option_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected {str(exc).removeprefix('a ')}") from None
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise typer.BadParameter(f"expected a {'non-negative' if allow_zero else 'positive'} duration, got {value!r}")
    return seconds


def scenario_path_or_exit(value: Path) -> Path:
    """The file a scenario argument names (a bundled scenario by bare name, e.g.
    ``quickstart``), or say where it was looked for and exit with code 2."""
    from simulator.scenario.bundled import missing_hint, resolve_scenario_path

    path = resolve_scenario_path(value)
    if not path.exists():
        typer.echo(missing_hint(value), err=True)
        raise typer.Exit(code=2)
    return path


def load_or_exit(path: Path) -> Scenario:
    """Load a scenario (a file, or a bundled one by bare name) or print its problems and exit with code 2."""
    from simulator.scenario.loading import ScenarioError, load_scenario

    path = scenario_path_or_exit(path)
    try:
        return load_scenario(path)
    except ScenarioError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(code=2) from None


def resolve_or_exit(
    scenario: Scenario, path: Path, *, seed: int | None, duration: float | None, scale: float
) -> Scenario:
    """Apply command-line overrides, or explain why they do not fit and exit with code 2."""
    try:
        return scenario.resolved(seed=seed, duration=duration, scale=scale)
    except ValueError as exc:
        typer.echo(f"{path}: the overrides do not fit this scenario: {exc}", err=True)
        raise typer.Exit(code=2) from None


@contextlib.contextmanager
def tick_progress(label: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A progress bar of simulated ticks on standard error (only on a terminal);
    yields the ``progress(ticks_done, ticks_total)`` callback to hand to the engine."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ticks"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, _total: bar.update(task, completed=done)
