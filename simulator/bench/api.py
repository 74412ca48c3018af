"""The benchmark as a Python call: :func:`run` mirrors ``extractbench run``::

from simulator import bench

results = bench.run(["quickstart"], detectors=["null", "random"], seeds=2, duration="2h", report=True)
results.leaderboard()                          # a DataFrame, best detector first
results.metrics.query("metric == 'auprc'")     # tidy: one row per seed
results.summary                                # means and 95% intervals over seeds
bench.load_results("results/<run-id>")         # read a finished run back

Reading finished runs (:func:`~simulator.results.load_results`, :class:`~simulator.results.RunResults`)
lives in :mod:`simulator.results`, which needs none of the harness.
"""

from __future__ import annotations

import json
import platform
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.bench.assemble import assemble, write_csv
from simulator.bench.budgets import Budgets
from simulator.bench.estimate import check_size
from simulator.bench.executors import make_executor
from simulator.bench.operating import OperatingPoints
from simulator.bench.plan import BenchInputError, DetectorChoice, ModeChoice, RunPlan, plan_run
from simulator.bench.policy import AlarmPolicy
from simulator.bench.spill import remove_stale_spills
from simulator.bench.store import ResultsStore
from simulator.bench.sweep import sweep_table
from simulator.results.folder import RunResults
from simulator.scenario import Scenario

__all__ = [
    "ProgressCallback",
    "default_run_id",
    "execute",
    "output_folder",
    "run",
]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(cells_done, cells_total)``, including cells reused from a previous attempt."""

_RUN_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_LIBRARIES = ("numpy", "pandas", "pyarrow", "simpy", "scikit-learn", "scipy", "pydantic", "dask", "distributed")


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def default_run_id(name: str) -> str:
    """``<suite>-<UTC date>-<time>``, e.g. ``quick-20260302-141503``."""
    return f"{name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


def run(
    scenarios: Sequence[str | Path | Scenario] | None = None,
    *,
    suite: str | Path | None = None,
    detectors: Sequence[DetectorChoice] | None = None,
    seeds: int | Sequence[int] | None = None,
    mode: ModeChoice | None = None,
    policy: AlarmPolicy | Mapping[str, Any] | None = None,
    threshold: float | None = None,
    scale: float = 1.0,
    duration: str | float | None = None,
    jobs: int | None = 1,
    scheduler: str | None = None,
    out: str | Path | None = None,
    run_id: str | None = None,
    record_scores: bool = True,
    progress: ProgressCallback | None = None,
    operating: OperatingPoints | Mapping[str, Any] | None = None,
    reviews_per_day: float | None = None,
    review_order: str | None = None,
    warmup: str | float | None = None,
    target_fpr: float | None = None,
    extraction_share: float | None = None,
    defences: Sequence[Any] | None = None,
    report: bool = False,
    budgets: Budgets | Mapping[str, Any] | None = None,
    force: bool = False,
    allow_module_detectors: bool = False,
) -> RunResults:
    """Benchmark detectors on scenarios and write ``results/<run-id>/``.

    Scenarios are files, bundled scenario names (``"quickstart"``) or
    :class:`~simulator.scenario.Scenario` objects; with none,
    the suite (default: the bundled quick suite) runs. Detectors are registered
    names, ``package.module:Class`` paths, :class:`~detectors.base.Detector`
    instances (labelled by class) or ``(label, detector)`` pairs (default: every
    registered detector). ``seeds`` is a count (seeds 0 … N−1) or a list; ``mode``
    is passive, active or both; ``policy`` (an :class:`AlarmPolicy` or a mapping
    of fields to override) and ``threshold`` set the alarm policy; ``scale`` and
    ``duration`` (seconds or a string such as ``"2h"``) resize every scenario. The cells run
    in this process by default (``jobs=1``: safe in a notebook and in a script without an
    ``if __name__ == "__main__":`` guard); ``jobs`` worker processes (``None``: the cores, at
    most 8; a script then needs the guard, as for any spawned process) or a Dask ``scheduler``
    (``tcp://…`` or ``local``) run them in parallel. ``operating`` (an
    :class:`~simulator.bench.operating.OperatingPoints` or a mapping of its fields),
    ``reviews_per_day``, ``review_order``, ``warmup`` (seconds or a string) and ``target_fpr`` set the
    analysts' budget and the warm-up threshold that passive runs are read at; ``extraction_share``
    (default 0.5) the share of an account's requests that must be extraction for it to count as an
    attacker's in scenarios with resale (both modes). ``defences``
    lists the defence stacks compared in active mode (``--stack`` texts or
    :class:`~simulator.bench.defences.DefenceStack` objects). ``report=True``
    also writes the plots, ``report.html`` and ``summary.md`` (as ``extractbench run`` does).
    ``budgets`` (a :class:`~simulator.bench.budgets.Budgets` or a mapping of its fields: ``tick``
    seconds, ``memory_mb``) overrides what a detector call and a cell may use.
    A plan past a size limit (:mod:`simulator.bench.estimate`: simulated requests or
    estimated memory of a cell, number of cells) raises
    :class:`~simulator.bench.estimate.SizeLimitError` before anything runs, unless ``force``.
    A suite naming a detector by module path (``package.module:Class``) is refused
    unless ``allow_module_detectors``; ``detectors`` given here may name any class.

    Rerunning with the same ``out`` (or ``run_id``) resumes: completed cells are
    kept. Raises :class:`~simulator.bench.plan.BenchInputError` for bad input and
    :class:`~simulator.bench.store.ResumeError` if ``out`` holds another run.
    """
    plan = plan_run(
        scenarios,
        suite=suite,
        detectors=detectors,
        seeds=seeds,
        mode=mode,
        policy=policy,
        threshold=threshold,
        scale=scale,
        duration=_seconds("duration", duration),
        record_scores=record_scores,
        operating=operating,
        reviews_per_day=reviews_per_day,
        review_order=review_order,
        warmup=_seconds("warmup", warmup, allow_zero=True),
        target_fpr=target_fpr,
        defences=defences,
        extraction_share=extraction_share,
        allow_module_detectors=allow_module_detectors,
    )
    check_size(plan, force=force)
    results = execute(plan, out=out, run_id=run_id, jobs=jobs, scheduler=scheduler, progress=progress, budgets=budgets)
    if report:
        from simulator.report import write_report

        write_report(results.out)
    return results


def _seconds(name: str, value: str | float | None, allow_zero: bool = False) -> float | None:
    """A duration argument in seconds (numbers as they are, strings such as ``'2h'`` parsed),
    or a :class:`BenchInputError` saying what was expected."""
    if value is None:
        return None
    from simulator.units import parse_option_duration

    try:
        seconds = parse_option_duration(value)
    except ValueError as exc:
        raise BenchInputError([f"{name}: expected {str(exc).removeprefix('a ')}"]) from None
    if seconds == 0 and not allow_zero:
        raise BenchInputError([f"{name}: expected a positive duration, got {value!r}"])
    return seconds


def output_folder(plan: RunPlan, out: str | Path | None = None, run_id: str | None = None) -> tuple[Path, str]:
    """(folder, run id) of a run: ``out`` if given (its name is the run id), else
    ``results/<run_id>`` (default run id: :func:`default_run_id`). A run id is one plain
    folder name (letters, digits, ``.``, ``_``, ``-``; not ``.`` or ``..``): a path, an
    absolute one or one with ``..``, would write outside ``results/``, so it raises
    :class:`~simulator.bench.plan.BenchInputError`."""
    if out is not None:
        return Path(out), run_id or Path(out).name
    if run_id is not None and (not _RUN_ID.fullmatch(run_id) or run_id in (".", "..")):
        raise BenchInputError(
            [f"--run-id: expected one folder name (letters, digits, '.', '_', '-'), got {run_id!r}; --out takes a path"]
        )
    run_id = run_id or default_run_id(plan.name)
    return Path("results") / run_id, run_id


def _budgets(plan: RunPlan, budgets: Budgets | Mapping[str, Any] | None) -> Budgets:
    """The run's budgets: ``budgets``, or its fields over the plan's; bad values raise BenchInputError."""
    if isinstance(budgets, Budgets):
        return budgets
    try:
        return Budgets.model_validate({**plan.budgets.model_dump(), **dict(budgets or {})})
    except ValidationError as exc:
        problems = [f"budgets.{'.'.join(map(str, e['loc']))}: {e['msg']}, got {e.get('input')!r}" for e in exc.errors()]
        raise BenchInputError(problems) from None


def execute(
    plan: RunPlan,
    *,
    out: str | Path | None = None,
    run_id: str | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: ProgressCallback | None = None,
    budgets: Budgets | Mapping[str, Any] | None = None,
) -> RunResults:
    """Run the cells of ``plan`` not yet complete in the output folder (see
    :func:`output_folder`), each in its worker process within ``budgets`` (fields
    overriding the plan's), then write the run's tables. One run at a time writes a
    folder (:meth:`~simulator.bench.store.ResultsStore.held`)."""
    folder, run_id = output_folder(plan, out, run_id)
    limits = _budgets(plan, budgets)
    remove_stale_spills()  # what the workers of a killed run left in the temporary folder
    store = ResultsStore(folder)
    with store.held():
        return _execute(plan, store, run_id, limits, jobs, scheduler, progress)


def _execute(
    plan: RunPlan,
    store: ResultsStore,
    run_id: str,
    limits: Budgets,
    jobs: int | None,
    scheduler: str | None,
    progress: ProgressCallback | None,
) -> RunResults:
    """:func:`execute` in a folder this run holds."""
    folder = store.out
    # biggest first, so that a pool does not end waiting on one long cell
    pending = sorted((c for c in plan.cells if not store.has(c)), key=lambda c: -c.scenario.weight)
    executor = make_executor(jobs, scheduler, len(pending), limits)
    started = time.perf_counter()
    status = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "executor": executor.description,
        "versions": _versions(),
        "platform": platform.platform(),
        "budgets": limits.model_dump(mode="json"),
    }
    done = store.open(plan, run_id, status)
    total = len(plan.cells)
    if progress is not None:
        progress(done, total)
    with executor:
        for cell, result in executor.run(pending):
            store.save(cell, result)
            done += 1
            if progress is not None:
                progress(done, total)
    tables = assemble(plan, store)
    swept = [(spec.label, spec.point) for spec in plan.scenarios if spec.point]
    if swept:
        table = sweep_table(swept)
        write_csv(folder / "sweep.csv", table)
        write_csv(folder / "sweep_metrics.csv", table.merge(tables.metrics, on="scenario", how="inner", sort=False))
    store.write_run(
        plan,
        run_id,
        {
            **status,
            "status": "complete",
            "cells": total,
            "cells_reused": total - len(pending),
            "wall_seconds": round(time.perf_counter() - started, 3),
        },
    )
    return RunResults(
        out=folder,
        run_id=run_id,
        config=json.loads((folder / "run.json").read_text(encoding="utf-8")),
        metrics=tables.metrics,
        cost=tables.cost,
        failures=tables.failures,
    )
