"""Collateral against recall: what catching more attackers costs legitimate customers.

For each detector, the threshold sweeps every distinct positive maximum score
(:func:`~simulator.report.curves.threshold_sweep`): at each, the share of attacker
accounts flagged (x) and the customers flagged per run (y; accounts pooled over
seeds, counts divided by the seeds). A dot marks the run's operating threshold. Lower
and further right is better; a baseline shows what chance costs.

The y axis is linear while the counts stay small (up to :data:`LINEAR_UP_TO`), else
logarithmic with "none flagged" drawn on a tick of its own below the smallest count
(a log axis has no 0, and a symmetric-log one squeezes 0 to 1 into a straight ramp
that reads as a measurement).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

from simulator.report.curves import threshold_sweep
from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import detector_styles, figure_style, legend_outside, new_figure, save_figure

__all__ = ["plot_collateral"]

FAMILY = "collateral"
LINEAR_UP_TO = 20.0
"""Largest customers-flagged-per-run count drawn on a linear axis."""


def _count_label(value: float) -> str:
    """A decade tick: ``0.1``, ``1``, ``10``, ``1k``, ``10k``."""
    for size, prefix in ((1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{prefix}"
    return f"{value:g}"


def _between(x: np.ndarray, y: np.ndarray, steps: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """The polyline through (``x``, ``y``) with ``steps`` points on each segment: between two
    thresholds, alarming on a random share of the accounts in between moves along the straight
    line in linear units, which a log axis shows as a curve, not as a straight line.

    >>> _between(np.array([0.0, 1.0]), np.array([0.0, 8.0]), steps=4)[1].tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    if x.size < 2:
        return x, y
    t = np.arange(steps) / steps
    xs = (x[:-1, None] + (x[1:] - x[:-1])[:, None] * t).ravel()
    ys = (y[:-1, None] + (y[1:] - y[:-1])[:, None] * t).ravel()
    return np.r_[xs, x[-1]], np.r_[ys, y[-1]]


def none_position(flagged: np.ndarray) -> float | None:
    """Where "no customer flagged" sits on the y axis: None for a linear axis (the counts
    stay within :data:`LINEAR_UP_TO`: 0 is 0), else a quarter of the smallest positive
    count, on a log axis.

    >>> none_position(np.array([0.0, 3.0, 12.0])) is None
    True
    >>> none_position(np.array([0.0, 0.5, 400.0]))
    0.125
    """
    finite = flagged[np.isfinite(flagged)]
    if not finite.size or finite.max() <= LINEAR_UP_TO:
        return None
    return float(finite[finite > 0].min()) / 4


def plot_collateral(data: ReportData, scenario: str, mode: str) -> Plot | Skipped:
    """Draw ``plots/collateral-<scenario>-<mode>.png|svg``, or say why not."""
    title = f"Collateral against recall · {scenario} · {mode}"
    rows = data.outcomes_of(scenario, mode)
    if rows.empty:
        return Skipped(FAMILY, title, "no per-account outcomes in this folder", scenario, mode)
    if not rows["campaign"].notna().any():
        return Skipped(FAMILY, title, "no attacker account: recall is undefined", scenario, mode)
    styles = detector_styles(data.detectors)
    seeds = int(rows["seed"].nunique())
    customers = int((rows["campaign"].isna() & (rows["detector"] == rows["detector"].iloc[0])).sum()) / seeds
    curves = []
    for label, is_attacker, score in data.max_scores(scenario, mode):
        sweep = threshold_sweep(is_attacker, score, runs=seeds)
        at = sweep.threshold >= data.threshold
        point = (sweep.recall[at][-1], sweep.flagged[at][-1]) if at.any() else (0.0, 0.0)
        # from "flag nobody" (threshold above every score) to the lowest positive threshold
        curves.append((label, np.r_[0.0, sweep.recall], np.r_[0.0, sweep.flagged], point))
    none_at = none_position(np.concatenate([c[2] for c in curves])) if curves else None
    with figure_style():
        figure = new_figure(7.5, 4.6)
        ax = figure.add_subplot()
        for label, recall, flagged, point in curves:
            style = styles[label]
            if none_at is None:
                ax.plot(recall, flagged, label=label, **style.kwargs())
            else:
                x, y = _between(recall, flagged)
                ax.plot(x, np.where(y > 0, np.maximum(y, none_at), none_at), label=label, **style.kwargs())
            py = point[1] if none_at is None or point[1] > 0 else none_at
            ax.plot(
                point[0], py, marker="o", markersize=4, color=style.colour, linestyle="none", zorder=style.zorder + 1
            )
        if none_at is None:
            ax.set_ylim(bottom=0)
        else:
            top = max(float(np.nanmax(c[2])) for c in curves)
            ax.set_yscale("log")
            decades = [10.0**e for e in range(math.ceil(math.log10(none_at * 4)), math.ceil(math.log10(top)) + 1)]
            ax.yaxis.set_major_locator(FixedLocator([none_at, *decades]))
            ax.set_yticklabels(["none", *(_count_label(d) for d in decades)])
            ax.yaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.set_ylim(none_at / 1.6, top * 1.6)
            # the gap between "none" and the counts is not a distance on the axis
            ax.axhline(none_at * 2, color="#bbbbbb", linewidth=0.8, linestyle=(0, (2, 2)), zorder=0.5)
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("attacker recall (share of attacker accounts flagged)")
        ax.set_ylabel(f"customers flagged per run (accounts, of {customers:,.0f})")
        ax.set_title(f"{scenario} · {mode}: every threshold, accounts of {seeds} seed{'s' if seeds != 1 else ''}")
        legend_outside(ax)
        plot = Plot(
            stem("collateral", scenario, mode),
            FAMILY,
            title,
            "Customers flagged per run against attacker recall as the threshold sweeps every score in (0, 1] (maximum "
            f"score per account, seeds pooled); dots: the operating threshold {data.threshold:g}; grey dashed: "
            "baselines."
            + (
                ""
                if none_at is None
                else " Log scale: 'none' (below the dotted line) is no customer flagged, not a count on the axis."
            ),
            scenario,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot
