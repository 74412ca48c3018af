"""Parameter sweeps: a metric against the parameter a detector class was swept over.

A **sweep** is found in the run's plan: two or more detector labels of one class
whose parameters differ in exactly one (a ``seed`` given the run's seed does not
count), as ``bench.run(detectors=[("w5", Burst(window=5)), ("w10", Burst(window=10))])``
makes; other labels of the class (a registered default, say) are left out of it.

For each sweep and mode, one panel per metric of :data:`SWEEP_METRICS`: the mean
over seeds against the parameter, one line per scenario, with its 95% t-interval
over seeds as a band. Numeric parameters are placed by value (log scale when
positive and spanning two orders of magnitude), others in plan order.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.metrics.catalogue import METRICS
from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import (
    figure_style,
    legend_outside,
    metric_words,
    new_figure,
    save_figure,
    scenario_colours,
)

__all__ = ["SWEEP_METRICS", "Sweep", "find_sweeps", "plot_sweeps"]

FAMILY = "sweep"
SWEEP_METRICS: tuple[str, ...] = ("auprc", "recall", "leakage_share", "legit_flagged")
"""The metrics drawn against a swept parameter."""
_RUN_SEED = "<run seed>"


@dataclass(frozen=True)
class Sweep:
    """Labels of one detector class that differ in one parameter."""

    cls: str
    """``module:Class`` of the detectors."""
    parameter: str
    points: tuple[tuple[Any, str], ...]
    """(parameter value, detector label), in plan order."""
    fixed: str = ""
    """The other parameters, shared by every label (``k=1, w=5``)."""

    @property
    def numeric(self) -> bool:
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v, _ in self.points)


def find_sweeps(detectors: list[dict[str, Any]]) -> list[Sweep]:
    """The sweeps among the plan's detectors (``run.json`` ``plan.detectors`` entries):
    for each class and parameter, the labels whose other parameters are all equal, when
    they take at least two values of it. A parameter some label takes from the run's
    seed is neither swept nor compared.

    >>> plan = [{"label": "a", "class": "m:C", "params": {"w": 5, "k": 1}},
    ...         {"label": "b", "class": "m:C", "params": {"w": 10, "k": 1}},
    ...         {"label": "c", "class": "m:C", "params": {"w": 10, "k": 3}},
    ...         {"label": "null", "class": "m:Null", "params": {}}]
    >>> for sweep in find_sweeps(plan):
    ...     print(sweep.parameter, sweep.points, sweep.fixed)
    k ((1, 'b'), (3, 'c')) w=10
    w ((5, 'a'), (10, 'b')) k=1
    """
    by_class: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in detectors:
        by_class[entry["class"]].append(entry)
    sweeps = []
    for cls, entries in by_class.items():
        seeded = {name for e in entries for name, value in e["params"].items() if value == _RUN_SEED}
        names = sorted({name for e in entries for name in e["params"]} - seeded)
        for name in names:
            groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for entry in entries:
                rest = {k: v for k, v in entry["params"].items() if k != name and k not in seeded}
                groups[json.dumps(rest, sort_keys=True, default=repr)].append(entry)
            for fixed, group in groups.items():
                if len({repr(e["params"].get(name)) for e in group}) < 2:
                    continue
                shown = ", ".join(f"{k}={v}" for k, v in sorted(json.loads(fixed).items()))
                points = tuple((e["params"].get(name), e["label"]) for e in group)
                sweeps.append(Sweep(cls, name, points, shown))
    return sweeps


def _positions(sweep: Sweep) -> tuple[np.ndarray, list[str], bool]:
    """x positions, tick labels and whether the axis is logarithmic."""
    values = [v for v, _ in sweep.points]
    if sweep.numeric:
        x = np.asarray(values, dtype=np.float64)
        log = bool((x > 0).all() and x.max() / x.min() >= 100)
        return x, [f"{v:g}" for v in x], log
    return np.arange(len(values), dtype=np.float64), [str(v) for v in values], False


def _plot(data: ReportData, sweep: Sweep, mode: str, name: str) -> Plot:
    x, ticks, log = _positions(sweep)
    order = np.argsort(x, kind="stable")
    labels = [sweep.points[i][1] for i in order]
    x = x[order]
    summary = data.summary[data.summary["mode"] == mode].set_index(["scenario", "detector", "metric"])
    colours = scenario_colours(data.scenarios)
    short = sweep.cls.rpartition(":")[2]
    with figure_style():
        figure = new_figure(3.3 * len(SWEEP_METRICS) + 1.8, 3.4)
        axes = figure.subplots(1, len(SWEEP_METRICS), squeeze=False)[0]
        for ax, metric in zip(axes, SWEEP_METRICS, strict=True):
            info = METRICS[metric]
            for scenario in data.scenarios:
                rows = [
                    summary.loc[(scenario, label, metric)] if (scenario, label, metric) in summary.index else None
                    for label in labels
                ]
                mean = np.array([math.nan if r is None else r["value"] for r in rows], dtype=np.float64)
                if not np.isfinite(mean).any():
                    continue
                low = np.array([math.nan if r is None else r["low"] for r in rows], dtype=np.float64)
                high = np.array([math.nan if r is None else r["high"] for r in rows], dtype=np.float64)
                ax.plot(x, mean, marker="o", markersize=3, color=colours[scenario], label=scenario)
                ax.fill_between(x, low, high, color=colours[scenario], alpha=0.15, linewidth=0)
            if log:
                ax.set_xscale("log")
            if not sweep.numeric:
                ax.set_xticks(x, [ticks[i] for i in order])
            ax.set_xlabel(f"{sweep.parameter} of {short}")
            better = "higher" if info.higher_is_better else "lower"
            ax.set_ylabel(f"{info.unit} ({better} is better)")
            ax.set_title(metric_words(metric), fontsize="medium", wrap=True)
        legend_outside(axes[-1])
        fixed = f" ({sweep.fixed})" if sweep.fixed else ""
        figure.suptitle(f"{short}{fixed}: {sweep.parameter} swept · {mode} · mean and 95% interval over seeds")
        plot = Plot(
            name,
            FAMILY,
            f"{short}{fixed} against {sweep.parameter} · {mode}",
            f"{'; '.join(metric_words(m).lower() for m in SWEEP_METRICS)}: of the detectors {', '.join(labels)} "
            f"against their {sweep.parameter}, "
            "one line per scenario: mean over seeds with the 95% t-interval as a band.",
            None,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot


def plot_sweeps(data: ReportData, mode: str) -> list[Plot | Skipped]:
    """Draw ``plots/sweep-<Class>-<parameter>-<mode>`` for every sweep of the plan."""
    plots: list[Plot | Skipped] = []
    names: set[str] = set()
    for sweep in find_sweeps(data.plan["detectors"]):
        name = stem("sweep", sweep.cls.rpartition(":")[2], sweep.parameter, mode)
        # two sweeps of one parameter (other parameters fixed differently) get numbered files
        name = next(n for i in range(len(names) + 2) if (n := name if i == 0 else f"{name}-{i + 1}") not in names)
        names.add(name)
        plots.append(_plot(data, sweep, mode, name))
    return plots
