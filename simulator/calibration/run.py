"""One calibration run: read the traces, fit, simulate, compare, write the report.

Output folder (``extractbench calibrate --out``):

* ``calibration.md``: where the numbers come from, the side-by-side table of
  simulated against real statistics, and the fitted parameters beside the
  committed schema defaults;
* ``calibration.png``: the figure (:func:`~simulator.calibration.figure.plot_comparison`);
* ``fit.json``: the fitted parameters and the comparison rows, machine-readable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.calibration.compare import Comparison, compare, markdown_table, simulate_sample
from simulator.calibration.figure import plot_comparison
from simulator.calibration.fitting import TraceFit, fit_traces, schema_defaults
from simulator.calibration.traces import TraceError, TraceSet
from simulator.export import atomic_path, write_json
from simulator.scenario import Scenario
from simulator.units import format_duration

__all__ = ["CalibrationReport", "run_calibration"]


@dataclass(frozen=True)
class CalibrationReport:
    """What a calibration run produced."""

    fit: TraceFit
    comparison: Comparison
    requests: int
    """Served requests in the simulated sample."""
    files: dict[str, Path]


def run_calibration(
    trace_dir: Path,
    scenario: Scenario,
    out: Path,
    *,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CalibrationReport:
    """Fit the traces in ``trace_dir``, simulate ``scenario`` (already resolved for
    scale and duration) and write the side-by-side under ``out``. Raises
    :class:`~simulator.calibration.traces.TraceError` for missing or malformed
    traces, or traces too small to fit."""
    traces = TraceSet.read(trace_dir)
    try:
        fit = fit_traces(traces)
    except ValueError as exc:
        raise TraceError(f"{trace_dir}: cannot fit the traces: {exc}") from None
    sample = simulate_sample(scenario, seed=seed, progress=progress)
    comparison = compare(traces, sample)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"markdown": out / "calibration.md", "figure": out / "calibration.png", "json": out / "fit.json"}
    seed_used = scenario.seed if seed is None else seed
    title = (
        f"{scenario.name} (seed {seed_used}, {format_duration(scenario.duration)}) against the traces in "
        f"{Path(trace_dir).name}/"
    )
    header = [
        "# Calibration: simulated against real traffic",
        "",
        f"Traces: `{trace_dir}` ({', '.join(f'`{p.name}`' for p in traces.files.values())}).",
        f"Simulation: scenario `{scenario.name}`, seed {seed_used}, {format_duration(scenario.duration)}, "
        f"{sum(g.accounts for g in scenario.population):,} customer accounts, {sample.ts.size:,} served requests.",
        "",
        "Pairings: Azure conversations ↔ `chat`, Azure code ↔ `coding_assistant`, Mooncake ↔ `agent` (long",
        "context); per-client rows: ServeGen clients ↔ every simulated account that sent a request; hour of day:",
        "ServeGen hourly totals (one provider's local time) ↔ the simulated population by UTC hour. Arrival",
        "statistics of the half-hour traces are compared with the simulation cut into segments of the same",
        "length (averaged); the mean rate row tells how far apart the two volumes are.",
        "",
    ]
    with atomic_path(files["markdown"]) as tmp:
        tmp.write_text("\n".join(header) + "\n" + markdown_table(comparison, fit, schema_defaults()), encoding="utf-8")
    with atomic_path(files["figure"]) as tmp:
        plot_comparison(comparison, tmp, title=title, fmt="png")
    write_json(
        files["json"],
        {
            "traces": {kind: str(path) for kind, path in traces.files.items()},
            "scenario": scenario.name,
            "seed": seed_used,
            "fit": fit.parameters(),
            "comparison": comparison.frame().to_dict(orient="records"),
        },
    )
    return CalibrationReport(fit=fit, comparison=comparison, requests=int(sample.ts.size), files=files)
