"""What a run will cost, estimated from its plan before anything runs, and the size guard.

**Time.** A cell's cost grows with the requests it simulates and hands to the
detectors, and with its ticks (every tick has fixed costs in the world, in each
detector and in the harness, whatever its size); the detectors multiply both::

    cpu_seconds(cell) = CELL_SECONDS
                        + (requests × REQUEST_SECONDS + ticks × TICK_SECONDS) × (1 + DETECTOR_COST × detectors)
    wall_seconds(run) = Σ cpu_seconds / workers

with ``requests`` the spec's expected requests (:func:`cell_size`). The constants are
a least-squares fit (non-negative; ``DETECTOR_COST`` by a grid search) of the CPU
seconds (``time.process_time``) of 48 cells run one after another in one process on
the two-core development machine (December 2026): the quick suite's 36 cells (13
detectors, five-minute ticks, 72 to 576 ticks, 23,000 to 128,000 expected requests;
208 CPU seconds in all) and its 12 scenarios with the null detector alone. The fit is
within 0.71 to 1.37 times every cell's CPU seconds and within 1% of the quick suite's
total. CPU seconds rather than ``cost.csv``'s ``cell_wall_seconds``: the machine was
shared, and the suite's cells, two at a time, took about 5.6 times their CPU seconds
of wall time. The estimate is meant to tell minutes from hours, and can be a few
times off for scenarios unlike the bundled ones.

**Size of a cell.** Its simulated requests are the spec's expected requests
(:func:`~simulator.scenario.volume.total_expected_requests`: accounts × rates ×
span), its accounts the population's and campaigns' counts, and its peak memory
(resident, the whole worker process with every registered detector)::

    memory_bytes(cell) = BASE_BYTES + BYTES_PER_ACCOUNT × accounts + BYTES_PER_REQUEST × requests

Memory grows with accounts (the world's and each detector's per-account state)
and with requests (what a cell keeps until it ends: score changes for
``scores.parquet``, outcomes). The constants are a least-squares fit of four
runs of hydra-cluster, seed 0, every registered detector, ``bench.run(jobs=1)``,
on the two-core development machine (December 2026), peak RSS of the cell
(``cost.csv``'s ``cell_peak_rss_mb``); the fit is within 10 MiB of each:

==================  ========  ===================  ===========
run                 accounts  expected requests    peak RSS
==================  ========  ===================  ===========
scale 0.1, 1 day    1,608     237,006              343.6 MiB
scale 0.1, 3 days   1,608     726,019              475.5 MiB
scale 0.3, 1 day    4,824     711,019              560.7 MiB
scale 0.1, 7 days   1,608     1,704,044            692.8 MiB
==================  ========  ===================  ===========

At full size this gives hydra-cluster 4.6 GiB, low-and-slow 8.1 GiB,
report-scale-2026 22.5 GiB and qwen-scale 29.9 GiB (an extrapolation: fewer
detectors or ``--no-scores`` use less). A bare simulation (``extractbench simulate``)
streams its requests to disk and keeps nothing per request: its estimate leaves
out the request term (report-scale-2026 at full size simulated in 690 MB).

**The guard.** A plan past any of :data:`MAX_REQUESTS_PER_CELL`,
:data:`MAX_MEMORY_BYTES_PER_CELL` or :data:`MAX_CELLS` is refused with a
:class:`SizeLimitError` (a :class:`~simulator.bench.plan.BenchInputError`: exit 2 on
the command line) saying the estimate and what scales it down, unless forced
(``--force``, ``force=True``). The limits are module attributes read at each
check, so a test can lower them with ``monkeypatch.setattr``. They are what one
workstation does in a working day: every bundled suite and every bundled
scenario at full size passes, and every bundled scenario simulates at full size
(``extractbench simulate``), but benchmark runs of the two at the public reports' size
(report-scale-2026: about 22 GiB; qwen-scale: about 30 GiB) need a bigger machine
and hours per cell and are refused with the estimate,
so that running them is a decision (``--force``, with ``--memory-budget`` raised
above the estimate); ``--scale 1e5``, a scenario of 10^8 accounts and
100,000 seeds are refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.bench.budgets import DEFAULT_BUDGETS
from simulator.bench.executors import default_jobs
from simulator.bench.plan import BenchInputError, RunPlan
from simulator.scenario import Scenario
from simulator.scenario.volume import total_expected_requests

__all__ = [
    "BASE_BYTES",
    "BYTES_PER_ACCOUNT",
    "BYTES_PER_REQUEST",
    "CELL_SECONDS",
    "DETECTOR_COST",
    "MAX_CELLS",
    "MAX_MEMORY_BYTES_PER_CELL",
    "MAX_REQUESTS_PER_CELL",
    "REQUEST_SECONDS",
    "TICK_SECONDS",
    "CellSize",
    "RunEstimate",
    "SizeLimitError",
    "cell_seconds",
    "cell_size",
    "check_size",
    "estimate_run",
    "size_problems",
]

CELL_SECONDS = 0.76
"""CPU seconds of a cell whatever its size: building the world, the reference rows' models, the results."""
REQUEST_SECONDS = 3.3e-6
"""CPU seconds per simulated request with no detector (the world and the harness)."""
TICK_SECONDS = 4.4e-3
"""CPU seconds per tick with no detector (the world's and the harness's fixed costs of a tick)."""
DETECTOR_COST = 0.19
"""The extra cost of one more detector, as a share of the cost with none."""

GIB = 2**30

BASE_BYTES = 245 * 2**20
"""Peak resident memory of a cell with no account: the interpreter, numpy, pandas, pyarrow, scikit-learn."""
BYTES_PER_ACCOUNT = 32_000
"""Peak resident memory per simulated account (the world's and every detector's per-account state)."""
BYTES_PER_REQUEST = 250
"""Peak resident memory per simulated request (score changes and outcomes kept until the cell ends)."""

MAX_REQUESTS_PER_CELL = 200e6
"""Expected simulated requests of one cell past which a plan is refused (report-scale-2026 at full size: 87.6
million; qwen-scale: 123 million; hydra-cluster's week: 15.2 million took 17 minutes with every detector;
``simulate`` wrote 59.2 million rows of report-scale-2026 in 8.5 minutes)."""
MAX_MEMORY_BYTES_PER_CELL = 16 * GIB
"""Estimated peak memory of one cell past which a plan is refused (low-and-slow at full size: 8.1 GiB;
report-scale-2026: 22.5 GiB)."""
MAX_CELLS = 2_000
"""Cells of one plan past which it is refused (the quick suite: 36)."""


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
    requests = {spec.label: cell_size(spec.scenario).requests for spec in plan.scenarios}
    cpu = sum(
        cell_seconds(requests[cell.scenario.label], cell.scenario.scenario.n_ticks, len(cell.detectors))
        for cell in cells
    )
    return RunEstimate(cells=len(cells), workers=workers, seconds=cpu / workers)


def cell_seconds(requests: float, ticks: int, detectors: int) -> float:
    """Estimated CPU seconds of one cell: ``CELL_SECONDS + (requests × REQUEST_SECONDS + ticks ×
    TICK_SECONDS) × (1 + DETECTOR_COST × detectors)``."""
    return CELL_SECONDS + (requests * REQUEST_SECONDS + ticks * TICK_SECONDS) * (1 + DETECTOR_COST * detectors)


def cell_size(scenario: Scenario, streamed: bool = False) -> CellSize:
    """The expected requests, accounts and peak memory of one simulation of ``scenario`` (as it runs:
    scale and span applied), from its spec alone. ``streamed``: a bare simulation writing its
    requests as it goes (``extractbench simulate``), which keeps nothing per request, so its memory
    is ``BASE_BYTES + BYTES_PER_ACCOUNT × accounts`` (an over-estimate: no detector state)."""
    legitimate, attack = total_expected_requests(scenario)
    requests = legitimate + attack
    accounts = sum(int(g.accounts) for g in scenario.population) + sum(int(c.accounts) for c in scenario.campaigns)
    kept = 0.0 if streamed else BYTES_PER_REQUEST * requests
    memory = BASE_BYTES + BYTES_PER_ACCOUNT * accounts + kept
    return CellSize(requests=requests, accounts=accounts, memory_bytes=memory)


def _gib(size: float) -> str:
    return f"{size / GIB:,.1f} GiB"


def _fitting(size: CellSize) -> float:
    """The factor on accounts and requests that brings ``size`` within both per-cell limits."""
    by_requests = MAX_REQUESTS_PER_CELL / size.requests if size.requests > 0 else math.inf
    grown = size.memory_bytes - BASE_BYTES
    by_memory = max(MAX_MEMORY_BYTES_PER_CELL - BASE_BYTES, 0.0) / grown if grown > 0 else math.inf
    return min(by_requests, by_memory)


def size_problems(scenarios: Iterable[tuple[str, Scenario]], cells: int, streamed: bool = False) -> list[str]:
    """What is past a size limit in a run of ``cells`` cells simulating each (label, scenario)
    (empty: nothing), each line with the estimate, the limit and what scales it down.
    ``streamed``: bare simulations writing their requests as they go (:func:`cell_size`)."""
    problems = []
    memory_over = False
    for label, scenario in scenarios:
        size = cell_size(scenario, streamed)
        over = []
        if size.requests > MAX_REQUESTS_PER_CELL:
            over.append(f"{size.requests:,.0f} simulated requests (limit {MAX_REQUESTS_PER_CELL:,.0f})")
        if size.memory_bytes > MAX_MEMORY_BYTES_PER_CELL:
            memory_over = True
            over.append(f"about {_gib(size.memory_bytes)} of memory (limit {_gib(MAX_MEMORY_BYTES_PER_CELL)})")
        if over:
            problems.append(
                f"{label}: one simulation is estimated at {' and '.join(over)}, with {size.accounts:,} accounts over "
                f"{float(scenario.duration) / 86400:,.3g} days; about {_fitting(size):.2g} × this size fits: a "
                "smaller --scale (accounts and volumes) or a shorter --duration shrinks it"
            )
    if cells > MAX_CELLS:
        problems.append(f"the run has {cells:,} cells (limit {MAX_CELLS:,}); fewer --seeds or scenarios shrink it")
    if problems:
        problems.append(
            "these limits (docs/hardening.md) stop a run that would exhaust memory or run for days; "
            "--force (force=True in Python) runs it anyway"
            + (
                f", with --memory-budget (default {DEFAULT_BUDGETS.memory_mb:,.0f} MiB per cell) raised above "
                "the memory estimate"
                if memory_over
                else ""
            )
        )
    return problems


def check_size(plan: RunPlan, force: bool = False) -> None:
    """Raise :class:`SizeLimitError` if ``plan`` is past a size limit, unless ``force``."""
    if force:
        return
    problems = size_problems(((spec.label, spec.scenario) for spec in plan.scenarios), len(plan.cells))
    if problems:
        raise SizeLimitError(problems)
