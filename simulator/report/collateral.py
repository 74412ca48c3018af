"""Collateral against recall: what catching more attackers costs legitimate customers.

For each detector, the threshold sweeps every distinct positive maximum score
(:func:`~simulator.report.curves.threshold_sweep`): at each, the share of attacker
accounts flagged (x) and the customers flagged per run (y, symmetric log scale;
accounts pooled over seeds, counts divided by the seeds). A dot marks the run's
operating threshold. Lower and further right is better; a baseline shows what
chance costs.
"""

from __future__ import annotations

import numpy as np

from simulator.report.curves import threshold_sweep
from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import detector_styles, figure_style, legend_outside, new_figure, save_figure

__all__ = ["plot_collateral"]

FAMILY = "collateral"


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
    with figure_style():
        figure = new_figure(7.5, 4.6)
        ax = figure.add_subplot()
        for label, is_attacker, score in data.max_scores(scenario, mode):
            sweep = threshold_sweep(is_attacker, score, runs=seeds)
            style = styles[label]
            # from "flag nobody" (threshold above every score) to the lowest positive threshold; between two
            # thresholds, alarming on a random share of the accounts in between moves along the straight line
            recall, flagged = np.r_[0.0, sweep.recall], np.r_[0.0, sweep.flagged]
            ax.plot(recall, flagged, label=label, **style.kwargs())
            at = sweep.threshold >= data.threshold
            point = (sweep.recall[at][-1], sweep.flagged[at][-1]) if at.any() else (0.0, 0.0)
            ax.plot(*point, marker="o", markersize=4, color=style.colour, linestyle="none", zorder=style.zorder + 1)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(bottom=0)
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
            "baselines.",
            scenario,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot
