"""A rough estimate of a run's size and wall time, said before a big run starts.

A cell's cost is taken as proportional to its simulated accounts × seconds
(:attr:`~simulator.bench.cells.ScenarioSpec.weight`), times a factor for the
detectors it drives::

    cpu_seconds(cell) = weight / ACCOUNT_SECONDS_PER_CPU_SECOND × (1 + DETECTOR_COST × detectors)
    wall_seconds(run) = Σ cpu_seconds / workers

The two constants were measured on the quick suite on a two-core machine
(``docs/first-hour.md``); the estimate is meant to tell minutes from hours, and
can be several times off for scenarios unlike the bundled ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.bench.executors import default_jobs
from simulator.bench.plan import RunPlan

__all__ = ["ACCOUNT_SECONDS_PER_CPU_SECOND", "DETECTOR_COST", "RunEstimate", "estimate_run"]

ACCOUNT_SECONDS_PER_CPU_SECOND = 1.0e6
"""Simulated accounts × seconds one CPU second covers with no detector."""
DETECTOR_COST = 0.14
"""The extra cost of one more detector, as a share of the simulation's."""


@dataclass(frozen=True)
class RunEstimate:
    """How many cells a run computes and roughly how long it takes."""

    cells: int
    workers: int
    seconds: float
    """Estimated wall time in seconds."""


def estimate_run(plan: RunPlan, jobs: int | None = None) -> RunEstimate:
    """The cell count of ``plan`` and its estimated wall time on ``jobs`` workers (default: :func:`default_jobs`)."""
    cells = plan.cells
    workers = max(1, min(default_jobs() if jobs is None else jobs, len(cells) or 1))
    cpu = sum(
        cell.scenario.weight / ACCOUNT_SECONDS_PER_CPU_SECOND * (1 + DETECTOR_COST * len(cell.detectors))
        for cell in cells
    )
    return RunEstimate(cells=len(cells), workers=workers, seconds=cpu / workers)
