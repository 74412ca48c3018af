"""Breaking points: where along one attacker parameter each detector stops meeting a target.

A detector **holds** at a value ``x`` of the parameter when the mean over seeds of
the target metric meets the target: ``mean ≥ value`` for a metric where higher is
better for the detector (recall, AUPRC), ``mean ≤ value`` otherwise (leakage share);
the direction comes from :data:`~simulator.metrics.catalogue.CATALOGUE`.

The search evaluates both ends of ``[lo, hi]``; a detector that holds at one end
and not at the other is bisected for ``steps`` rounds (midpoints in log space for a
log search, whole numbers for an integer parameter), all detectors of a round
evaluated together at the round's new values (passive cells score every detector
on one simulation). The **breaking point** is the middle of the last bracket; its
**interval** comes from the seed spread: along the values evaluated, ordered from
the end where the detector holds, from the last value whose 95% t-interval lies
wholly on the holding side before the first that does not, to the first value
after it whose interval lies wholly on the failing side (an end of the range if
there is none). With one seed the interval is the last bracket.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from simulator.bench.api import execute
from simulator.bench.estimate import check_size
from simulator.bench.plan import BenchInputError, plan_run
from simulator.bench.sweep import show_value
from simulator.metrics.catalogue import CATALOGUE
from simulator.results.aggregate import t_interval
from simulator.scenario import Scenario
from simulator.scenario.paths import PathError, check_path, is_integer_field, with_values

__all__ = ["Breaking", "Evaluate", "Target", "bisect_frontier", "frontier_search", "parse_target"]

Evaluate = Callable[[list[float]], dict[tuple[float, str], list[float]]]
"""Runs the given parameter values; returns the metric's per-seed values by (value, detector)."""


@dataclass(frozen=True)
class Target:
    """The level a detector must meet on a metric."""

    metric: str
    value: float
    higher_is_better: bool

    def holds(self, mean: float) -> bool:
        """Whether a mean meets the target (NaN never does)."""
        if math.isnan(mean):
            return False
        return mean >= self.value if self.higher_is_better else mean <= self.value


def parse_target(text: str) -> Target:
    """``"recall=0.5"`` → a :class:`Target`; raises ValueError naming the valid metrics."""
    metric, sep, value = text.partition("=")
    metric = metric.strip()
    if not sep:
        raise ValueError(f"METRIC=VALUE such as 'recall=0.5', got {text!r}")
    if metric not in CATALOGUE:
        raise ValueError(f"a metric among {', '.join(CATALOGUE)}, got {metric!r}")
    try:
        level = float(value)
    except ValueError:
        raise ValueError(f"a number after '=', got {value!r}") from None
    return Target(metric, level, CATALOGUE[metric].higher_is_better)


@dataclass(frozen=True)
class Breaking:
    """Where one detector breaks along the parameter."""

    detector: str
    status: Literal["breaks", "holds throughout", "fails throughout"]
    point: float
    """The middle of the last bracket (NaN unless ``status`` is ``breaks``)."""
    low: float
    high: float
    """The interval from the seed spread (see the module docstring)."""
    holds_at: Literal["lo", "hi", "nowhere", "everywhere"]


def _midpoint(a: float, b: float, log: bool, integer: bool) -> float:
    mid = math.sqrt(a * b) if log else (a + b) / 2
    return float(round(mid)) if integer else float(f"{mid:.6g}")


def _interval(
    detector: str, xs: list[float], cache: dict[tuple[float, str], list[float]], target: Target, from_hi: bool
) -> tuple[float, float]:
    ordered = sorted(xs, reverse=from_hi)
    sure = []
    for x in ordered:
        mean, low, high = t_interval(np.asarray(cache[(x, detector)], dtype=np.float64))
        if math.isnan(low):
            low = high = mean
        good = (low >= target.value) if target.higher_is_better else (high <= target.value)
        bad = (high < target.value) if target.higher_is_better else (low > target.value)
        sure.append((x, good, bad))
    first_unsure = next(i for i, (_, good, _) in enumerate(sure) if not good)
    start = sure[max(first_unsure - 1, 0)][0]
    end = next((x for x, _, bad in sure[first_unsure:] if bad), ordered[-1])
    return (min(start, end), max(start, end))


def bisect_frontier(
    evaluate: Evaluate,
    detectors: Sequence[str],
    lo: float,
    hi: float,
    target: Target,
    steps: int = 4,
    log: bool = False,
    integer: bool = False,
) -> tuple[list[Breaking], pd.DataFrame]:
    """The breaking point of every detector on ``[lo, hi]``, and every evaluation as a
    table (``x``, ``detector``, ``mean``, ``low``, ``high``, ``seeds``)."""
    if not lo < hi:
        raise ValueError(f"a range with lo < hi, got {lo:g}:{hi:g}")
    if log and lo <= 0:
        raise ValueError(f"a range above 0 for a log search, got {lo:g}:{hi:g}")
    cache: dict[tuple[float, str], list[float]] = {}

    def run(xs: list[float]) -> None:
        fresh = sorted({x for x in xs if any((x, d) not in cache for d in detectors)})
        if fresh:
            cache.update(evaluate(fresh))

    def holds(x: float, detector: str) -> bool:
        values = np.asarray(cache[(x, detector)], dtype=np.float64)
        return target.holds(float(values[np.isfinite(values)].mean()) if np.isfinite(values).any() else math.nan)

    run([lo, hi])
    brackets: dict[str, tuple[float, float]] = {}
    for d in detectors:
        if holds(lo, d) != holds(hi, d):
            brackets[d] = (lo, hi)
    for _ in range(steps):
        mids = {d: _midpoint(a, b, log, integer) for d, (a, b) in brackets.items()}
        mids = {d: m for d, m in mids.items() if brackets[d][0] < m < brackets[d][1]}
        if not mids:
            break
        run(list(mids.values()))
        for d, m in mids.items():
            a, b = brackets[d]
            brackets[d] = (m, b) if holds(m, d) == holds(a, d) else (a, m)
    results = []
    for d in detectors:
        at_lo, at_hi = holds(lo, d), holds(hi, d)
        xs = sorted(x for x, label in cache if label == d)
        if d in brackets:
            a, b = brackets[d]
            low, high = _interval(d, xs, cache, target, from_hi=at_hi)
            point = _midpoint(a, b, log, False)
            results.append(Breaking(d, "breaks", point, min(low, a), max(high, b), "lo" if at_lo else "hi"))
        else:
            status = "holds throughout" if at_lo else "fails throughout"
            results.append(Breaking(d, status, math.nan, math.nan, math.nan, "everywhere" if at_lo else "nowhere"))
    rows = []
    bounds = CATALOGUE[target.metric].bounds if target.metric in CATALOGUE else None
    for (x, d), values in sorted(cache.items()):
        mean, low, high = t_interval(np.asarray(values, dtype=np.float64))
        if bounds is not None:  # a share's interval stays within [0, 1]
            low, high = max(low, bounds[0]), min(high, bounds[1])
        rows.append({"x": x, "detector": d, "mean": mean, "low": low, "high": high, "seeds": len(values)})
    return results, pd.DataFrame(rows, columns=["x", "detector", "mean", "low", "high", "seeds"])


def frontier_search(
    scenario: Scenario,
    path: str,
    lo: float,
    hi: float,
    target: Target,
    *,
    detectors: Sequence[str] | None = None,
    seeds: int = 3,
    mode: Literal["passive", "active"] = "passive",
    steps: int = 4,
    log: bool | None = None,
    out: Path,
    jobs: int | None = None,
    scheduler: str | None = None,
    warmup: float | None = None,
    reviews_per_day: float | None = None,
    force: bool = False,
) -> tuple[list[Breaking], pd.DataFrame]:
    """:func:`bisect_frontier` on real runs: ``scenario`` (as it runs: scale and span applied)
    with ``path`` set to each value, benchmarked with the harness round by round under
    ``out/round-<k>/`` (rerunning with the same ``out`` reuses the cells already run).
    ``log`` defaults to a log search when ``lo > 0`` and ``hi ≥ 10·lo``; an integer field
    is searched in whole numbers. Raises :class:`~simulator.bench.plan.BenchInputError`
    for bad input, and :class:`~simulator.bench.estimate.SizeLimitError` before a round
    past a size limit (:mod:`simulator.bench.estimate`), unless ``force``."""
    problems: list[str] = []
    try:
        types_ = check_path(path, Scenario)
    except PathError as exc:
        raise BenchInputError([f"--param: expected {exc}"]) from None
    integer = is_integer_field(types_)
    log = (lo > 0 and hi >= 10 * lo) if log is None else log
    plan = plan_run([scenario], detectors=detectors, seeds=seeds, mode=mode, warmup=warmup)  # checks detectors
    labels = [spec.label for spec in plan.detectors]
    rounds = iter(range(10_000))

    def evaluate(xs: list[float]) -> dict[tuple[float, str], list[float]]:
        points = []
        for x in xs:
            value: float | int = int(x) if integer else x
            try:
                swept = with_values(scenario, {path: value, "name": f"{scenario.name}.x-{show_value(value)}"})
            except (PathError, ValidationError) as exc:
                problems.append(f"--param {path}={show_value(value)}: {exc}")
                continue
            points.append((x, swept))
        if problems:
            raise BenchInputError(problems)
        round_plan = plan_run(
            [s for _, s in points],
            detectors=detectors,
            seeds=seeds,
            mode=mode,
            warmup=warmup,
            reviews_per_day=reviews_per_day,
            record_scores=False,
        )
        check_size(round_plan, force=force)
        results = execute(round_plan, out=out / f"round-{next(rounds)}", jobs=jobs, scheduler=scheduler)
        metrics = results.metrics[(results.metrics["metric"] == target.metric) & (results.metrics["mode"] == mode)]
        found: dict[tuple[float, str], list[float]] = {}
        for x, swept in points:
            rows = metrics[metrics["scenario"] == swept.name]
            for label in labels:
                found[(x, label)] = rows.loc[rows["detector"] == label, "value"].astype(float).tolist()
        return found

    return bisect_frontier(evaluate, labels, lo, hi, target, steps=steps, log=log, integer=integer)
