"""``extractbench perf``: how fast the simulator and the detectors run on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simulator.cli.options import load_or_exit, parse_duration_option

if TYPE_CHECKING:
    from simulator.perf import PerfReport

__all__ = ["perf"]


def _rate(value: float) -> str:
    return f"{value:>14,.0f}"


def _text(report: PerfReport) -> list[str]:
    data = report.as_dict()
    sim = data["simulation"]
    lines = [
        f"machine: python {report.machine['python']}, numpy {report.machine['numpy']}, {report.machine['cpus']} cpus",
        "references (same process, just before):",
        f"  bare SimPy, 10,000 processes doing timeouts {_rate(report.simpy_events_per_s)} events/s",
        f"  numpy sort of 1M float64                    {_rate(report.numpy_elements_per_s)} elements/s",
        f"simulation: {report.scenario} at scale {report.scale:g}, {report.duration / 3600:g} h in "
        f"{report.ticks:,} ticks of {report.tick:g} s: {report.requests:,} requests, {report.accounts:,} accounts",
        f"  with Parquet output {_rate(report.simulation_requests_per_s)} requests/s "
        f"({sim['vs_simpy']:.2f}× SimPy, {sim['vs_numpy']:.4f}× numpy)",
        f"  per-tick overhead (an almost empty world)   {report.tick_overhead_ms:10.3f} ms/tick",
        f"  Arrow table → pandas (batch.requests)       {report.pandas_frame_ms:10.3f} ms/tick",
        f"detectors ({report.requests:,} events; each alone, then the zoo in one passive run):",
    ]
    null = next((d for d in report.detectors if d.name == "null"), None)
    width = max(len(d.name) for d in (*report.detectors, report.zoo))
    for d in (*report.detectors, report.zoo):
        ratio = f"  ({d.events_per_s / null.events_per_s:.2e}× null)" if null is not None and d is not null else ""
        lines.append(f"  {d.name:<{width}} {_rate(d.events_per_s)} events/s  {d.seconds:9.3f} s{ratio}")
    lines.append(f"  zoo / simulation rate: {report.zoo.events_per_s / report.simulation_requests_per_s:.2f}")
    if report.cell is not None:
        lines.append(
            f"benchmark cell of the same world (every detector, the reference rows): {report.cell.seconds:.2f} s, "
            f"{report.cell.seconds / report.simulation_seconds:.2f}× the simulation's time "
            f"({report.cell.detector_seconds:.2f} s inside the detectors)"
        )
        lines.append(
            f"  without the reference rows: {report.cell.without_references:.2f} s, "
            f"{report.cell.without_references / report.simulation_seconds:.2f}× the simulation's time"
        )
    if report.memory:
        lines.append("peak memory of a passive run through the zoo (fresh process each):")
        for m in report.memory:
            lines.append(
                f"  {m.duration / 3600:6g} h: {m.requests:>12,} requests, {m.accounts:,} accounts: "
                f"peak {m.peak_rss_mb:8.1f} MB (after imports {m.baseline_rss_mb:.1f} MB)"
            )
        first, last = report.memory[0], report.memory[-1]
        if first.peak_rss_mb > 0:
            lines.append(
                f"  {last.requests / max(first.requests, 1):.1f}× the requests: "
                f"{last.peak_rss_mb / first.peak_rss_mb:.2f}× the peak memory"
            )
    return lines


def parse_memory_spans(value: str | None) -> tuple[float, float] | None:
    """Typer callback: two positive durations separated by a comma ('11h,5d'), the first the shorter."""
    if value is None:
        return None
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 2:
        raise typer.BadParameter(f"expected two durations separated by a comma, e.g. '11h,5d', got {value!r}")
    short, long = (parse_duration_option(part) for part in parts)
    assert short is not None and long is not None
    if short >= long:
        raise typer.BadParameter(f"expected the shorter span first, got {value!r}")
    return short, long


def perf(
    scenario_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[SCENARIO]",
            help="Scenario YAML file to measure with (default: the bundled hydra-cluster.yaml).",
            show_default=False,
        ),
    ] = None,
    scale: Annotated[float, typer.Option(min=0.0001, help="Multiply account counts and volumes.")] = 1.0,
    duration: Annotated[
        str | None,
        typer.Option(help="Simulated span of the rate figures, e.g. '12h' (8h).", callback=parse_duration_option),
    ] = None,
    tick: Annotated[
        str | None,
        typer.Option(help="Tick length, e.g. '1m' (default: the scenario's).", callback=parse_duration_option),
    ] = None,
    detectors: Annotated[
        str | None,
        typer.Option(help="Comma-separated detector specs (default: every registered detector)."),
    ] = None,
    memory: Annotated[
        bool,
        typer.Option(
            "--memory/--no-memory", help="Measure peak memory at a quarter of the span and at the span (two more runs)."
        ),
    ] = True,
    memory_spans: Annotated[
        str | None,
        typer.Option(
            help="The two simulated spans of the peak-memory runs, e.g. '11h,5d' (default: a quarter of "
            "--duration and --duration).",
            callback=parse_memory_spans,
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure the simulation rate beside bare-SimPy and numpy references, each detector's events/s
    beside the null detector's, the per-tick overhead, and peak memory at two sizes."""
    from detectors.registry import UnknownDetectorError, resolve, split_specs
    from simulator.perf import PerfConfig, bundled_scenario, measure

    path = scenario_file or bundled_scenario()
    if path is None:
        typer.echo("extractbench perf: the bundled hydra-cluster.yaml was not found; give a SCENARIO", err=True)
        raise typer.Exit(code=2)
    scenario = load_or_exit(path)
    specs = tuple(split_specs(detectors)) if detectors else ()
    for spec in specs:
        try:
            resolve(spec.partition("(")[0].strip())
        except UnknownDetectorError as error:
            typer.echo(f"extractbench perf: {error}", err=True)
            raise typer.Exit(code=2) from None
    span = duration if duration is not None else PerfConfig.duration
    config = PerfConfig(
        scenario=scenario,
        scale=scale,
        duration=span,
        tick=tick,
        detectors=specs,
        memory_durations=memory_spans or (span / 4, span),
        memory_scale=scale,
        seed=seed,
    )
    try:
        config.resolved()
    except ValueError as exc:
        typer.echo(f"{path}: the overrides do not fit this scenario: {exc}", err=True)
        raise typer.Exit(code=2) from None
    report = measure(config, memory=memory, progress=lambda text: typer.echo(f"… {text}", err=True))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in _text(report):
            typer.echo(line)
