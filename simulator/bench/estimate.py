"""What a run will cost, estimated from its plan before anything runs, and the size guard.

**Time.** A cell's cost is taken as proportional to its simulated accounts × seconds
(:attr:`~simulator.bench.cells.ScenarioSpec.weight`), times a factor for the
detectors it drives::

    cpu_seconds(cell) = weight / ACCOUNT_SECONDS_PER_CPU_SECOND × (1 + DETECTOR_COST × detectors)
    wall_seconds(run) = Σ cpu_seconds / workers

The two constants were measured on the quick suite on a two-core machine
(``docs/first-hour.md``); the estimate is meant to tell minutes from hours, and
can be several times off for scenarios unlike the bundled ones.

**Size of a cell.** Its simulated requests are the spec's expected requests
(:func:`~simulator.scenario.volume.total_expected_requests`: accounts × rates ×
span), its accounts the population's and campaigns' counts, and its peak memory
(resident, the whole worker process with every registered detector)::

    memory_bytes(cell) = BASE_BYTES + BYTES_PER_ACCOUNT × accounts + BYTES_PER_REQUEST × requests

Memory grows with accounts (each detector keeps per-account state) and only
slowly with requests (batches are processed and dropped; what grows is the
outcomes and score trajectories kept per tick). The constants were fitted on
hydra-cluster, seed 0, every registered detector, one process, on the two-core
development machine (peak RSS of the cell, ``cost.csv``'s ``cell_peak_rss_mb``):

======================  ========  ==========  ============
run                     accounts  requests    peak RSS
======================  ========  ==========  ============
scale 0.1, 1 day        1,608     237,537     344 MiB
scale 0.1, 3 days       1,608     see below   see below
scale 0.3, 1 day        4,824     see below   see below
======================  ========  ==========  ============

**The guard.** A plan past any of :data:`MAX_REQUESTS_PER_CELL`,
:data:`MAX_MEMORY_BYTES_PER_CELL` or :data:`MAX_CELLS` is refused with a
:class:`SizeLimitError` (a :class:`~simulator.bench.plan.BenchInputError`: exit 2 on
the command line) saying the estimate and what scales it down, unless forced
(``--force``, ``force=True``). The limits are module attributes read at each
check, so a test can lower them with ``monkeypatch.setattr``. They sit above every
bundled scenario at its full size (the largest, qwen-scale: 123 million requests,
44,700 accounts), which users run on purpose, and refuse what cannot finish on
one machine: ``--scale 1e9``, a scenario of 10^8 accounts, 100,000 seeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simulator.bench.executors import default_jobs
from simulator.bench.plan import BenchInputError, RunPlan
from simulator.scenario import Scenario
from simulator.scenario.volume import total_expected_requests

__all__ = [
    "ACCOUNT_SECONDS_PER_CPU_SECOND",
    "BASE_BYTES",
    "BYTES_PER_ACCOUNT",
    "BYTES_PER_REQUEST",
    "DETECTOR_COST",
    "MAX_CELLS",
    "MAX_MEMORY_BYTES_PER_CELL",
    "MAX_REQUESTS_PER_CELL",
    "CellSize",
    "RunEstimate",
    "SizeLimitError",
    "cell_size",
    "check_size",
    "estimate_run",
    "size_problems",
]

ACCOUNT_SECONDS_PER_CPU_SECOND = 1.0e6
"""Simulated accounts × seconds one CPU second covers with no detector."""
DETECTOR_COST = 0.14
"""The extra cost of one more detector, as a share of the simulation's."""

GIB = 2**30

BASE_BYTES = 300 * 2**20
"""Peak resident memory of a cell with no account: the interpreter, numpy, pandas, pyarrow, scikit-learn."""
BYTES_PER_ACCOUNT = 30_000
"""Peak resident memory per simulated account (the world's and every detector's per-account state)."""
BYTES_PER_REQUEST = 10
"""Peak resident memory per simulated request (per-tick outcomes and score trajectories kept)."""

MAX_REQUESTS_PER_CELL = 250e6
"""Expected simulated requests of one cell past which a plan is refused (qwen-scale at full size: 123 million)."""
MAX_MEMORY_BYTES_PER_CELL = 16 * GIB
"""Estimated peak memory of one cell past which a plan is refused (report-scale-2026 at full size: about 3 GiB)."""
MAX_CELLS = 2_000
"""Cells of one plan past which it is refused (the quick suite: 33)."""


class SizeLimitError(BenchInputError):
    """The plan is past a size limit (:data:`MAX_REQUESTS_PER_CELL`, :data:`MAX_MEMORY_BYTES_PER_CELL`,
    :data:`MAX_CELLS`); ``problems`` gives the estimate and how to scale it down. Force it with
    ``force=True`` (``--force``)."""


@dataclass(frozen=True)
class RunEstimate:
    """How many cells a run computes and roughly how long it takes."""

    cells: int
    workers: int
    seconds: float
    """Estimated wall time in seconds."""


@dataclass(frozen=True)
class CellSize:
    """The estimated size of one simulation of a scenario."""

    requests: float
    """Expected simulated requests (legitimate and attack) over the scenario's span."""
    accounts: int
    """Accounts of the population groups and campaigns (before bans and replacements)."""
    memory_bytes: float
    """Estimated peak resident memory of the cell's process: ``BASE_BYTES + BYTES_PER_ACCOUNT ×
    accounts + BYTES_PER_REQUEST × requests``."""


def estimate_run(plan: RunPlan, jobs: int | None = None) -> RunEstimate:
    """The cell count of ``plan`` and its estimated wall time on ``jobs`` workers (default: :func:`default_jobs`)."""
    cells = plan.cells
    workers = max(1, min(default_jobs() if jobs is None else jobs, len(cells) or 1))
    cpu = sum(
        cell.scenario.weight / ACCOUNT_SECONDS_PER_CPU_SECOND * (1 + DETECTOR_COST * len(cell.detectors))
        for cell in cells
    )
    return RunEstimate(cells=len(cells), workers=workers, seconds=cpu / workers)


def cell_size(scenario: Scenario) -> CellSize:
    """The expected requests, accounts and peak memory of one simulation of ``scenario`` (as it runs:
    scale and span applied), from its spec alone."""
    legitimate, attack = total_expected_requests(scenario)
    requests = legitimate + attack
    accounts = sum(int(g.accounts) for g in scenario.population) + sum(int(c.accounts) for c in scenario.campaigns)
    memory = BASE_BYTES + BYTES_PER_ACCOUNT * accounts + BYTES_PER_REQUEST * requests
    return CellSize(requests=requests, accounts=accounts, memory_bytes=memory)


def _gib(size: float) -> str:
    return f"{size / GIB:,.1f} GiB"


def size_problems(scenarios: Iterable[tuple[str, Scenario]], cells: int) -> list[str]:
    """What is past a size limit in a run of ``cells`` cells simulating each (label, scenario)
    (empty: nothing), each line with the estimate, the limit and what scales it down."""
    problems = []
    for label, scenario in scenarios:
        size = cell_size(scenario)
        over = []
        if size.requests > MAX_REQUESTS_PER_CELL:
            over.append(f"{size.requests:,.0f} simulated requests (limit {MAX_REQUESTS_PER_CELL:,.0f})")
        if size.memory_bytes > MAX_MEMORY_BYTES_PER_CELL:
            over.append(f"about {_gib(size.memory_bytes)} of memory (limit {_gib(MAX_MEMORY_BYTES_PER_CELL)})")
        if over:
            problems.append(
                f"{label}: one simulation is estimated at {' and '.join(over)}, with {size.accounts:,} accounts over "
                f"{float(scenario.duration) / 86400:,.3g} days; a smaller --scale (accounts and volumes) or a "
                "shorter --duration shrinks it"
            )
    if cells > MAX_CELLS:
        problems.append(f"the run has {cells:,} cells (limit {MAX_CELLS:,}); fewer --seeds or scenarios shrink it")
    if problems:
        problems.append(
            "these limits (docs/hardening.md) stop a run that would exhaust memory or run for days; "
            "--force (force=True in Python) runs it anyway"
        )
    return problems


def check_size(plan: RunPlan, force: bool = False) -> None:
    """Raise :class:`SizeLimitError` if ``plan`` is past a size limit, unless ``force``."""
    if force:
        return
    problems = size_problems(((spec.label, spec.scenario) for spec in plan.scenarios), len(plan.cells))
    if problems:
        raise SizeLimitError(problems)
