"""The benchmark harness: detectors against scenarios, passive and closed loop,
metrics over seeds, results on disk. ``extractbench run`` is a thin layer over
:func:`run`.

Modules, one concept each:

* :mod:`~simulator.bench.policy`: the alarm policy (threshold, review delay, action);
* :mod:`~simulator.bench.operating`: the analysts' budget and the warm-up threshold passive runs are read at;
* :mod:`~simulator.bench.ledger`: bounded per-account traffic totals and score logs;
* :mod:`~simulator.bench.guard`: a misbehaving detector fails alone;
* :mod:`~simulator.bench.budgets`: the time and memory a detector may use;
* :mod:`~simulator.bench.containment`: each cell in a worker process of its own;
* :mod:`~simulator.bench.cost`: events/s and memory of a detector;
* :mod:`~simulator.bench.cells`: units of work (frozen dataclasses) and their results;
* :mod:`~simulator.bench.runner`: one cell, passive or closed loop;
* :mod:`~simulator.bench.suite`: suite manifests (the bundled quick suite);
* :mod:`~simulator.bench.plan`: from a request to the cells;
* :mod:`~simulator.bench.executors`: serial, process pool, Dask;
* :mod:`~simulator.bench.store`: the results folder, per-cell resume;
* :mod:`~simulator.bench.assemble`: metrics, cost, failures, scores tables;
* :mod:`~simulator.bench.deployment`: the figures at deployment conditions of a passive cell;
* :mod:`~simulator.bench.leakage`: attacker output over time, in bounded bins;
* :mod:`~simulator.bench.api`: :func:`run` and :func:`execute`.

A finished run is read, summarised, tabled and checked against a baseline by
:mod:`simulator.results`, which needs none of the harness; its public names
(:func:`load_results`, :class:`RunResults`, :func:`check_results`…) are
re-exported here for convenience.
"""

from __future__ import annotations

from simulator.bench.api import execute, output_folder, run
from simulator.bench.cells import Cell, CellResult, DetectorSpec, ScenarioSpec
from simulator.bench.estimate import SizeLimitError
from simulator.bench.executors import DaskExecutor, ProcessExecutor, SerialExecutor, default_jobs, make_executor
from simulator.bench.operating import OperatingPoints
from simulator.bench.plan import BenchInputError, RunPlan, plan_run
from simulator.bench.policy import AlarmPolicy
from simulator.bench.runner import run_cell
from simulator.bench.store import ResumeError
from simulator.bench.suite import Suite, bundled_suite, load_suite
from simulator.results.aggregate import INTERVAL_METHOD, compare, leaderboard, summarize
from simulator.results.baseline import Baseline, BaselineError, make_baseline, read_baseline, write_baseline
from simulator.results.check import CheckResult, NotComparableError, Tolerance, check_results, parse_tolerances
from simulator.results.folder import ResultsFolderError, RunResults, load_results

__all__ = [
    "INTERVAL_METHOD",
    "AlarmPolicy",
    "Baseline",
    "BaselineError",
    "BenchInputError",
    "Cell",
    "CellResult",
    "CheckResult",
    "DaskExecutor",
    "DetectorSpec",
    "NotComparableError",
    "OperatingPoints",
    "ProcessExecutor",
    "ResultsFolderError",
    "ResumeError",
    "RunPlan",
    "RunResults",
    "ScenarioSpec",
    "SerialExecutor",
    "SizeLimitError",
    "Suite",
    "Tolerance",
    "bundled_suite",
    "check_results",
    "compare",
    "default_jobs",
    "execute",
    "leaderboard",
    "load_results",
    "load_suite",
    "make_baseline",
    "make_executor",
    "output_folder",
    "parse_tolerances",
    "plan_run",
    "read_baseline",
    "run",
    "run_cell",
    "summarize",
    "write_baseline",
]
