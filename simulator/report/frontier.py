"""The frontier plot: a metric against one attacker parameter, one line per detector.

Reads the evaluations table of :func:`simulator.bench.frontier.bisect_frontier` (``x``,
``detector``, ``mean``, ``low``, ``high``) and the breaking points (``detector``,
``status``, ``point``, ``low``, ``high``): the mean over seeds with its 95% t-interval
as error bars, the target as a horizontal line, each breaking point as a dotted
vertical line with its interval shaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.report.style import detector_styles, figure_style, legend_outside, metric_words, new_figure, save_figure

__all__ = ["plot_frontier"]


def plot_frontier(
    evaluations: pd.DataFrame,
    breaking: pd.DataFrame,
    metric: str,
    target: float,
    param: str,
    folder: Path,
    *,
    log: bool = False,
) -> Path:
    """Draw ``folder/frontier.png`` (and ``.svg``); returns the PNG's path."""
    styles = detector_styles(list(evaluations["detector"].unique()))
    with figure_style():
        figure = new_figure(7.5, 4.2)
        ax = figure.add_subplot()
        for label, style in styles.items():
            rows = evaluations[evaluations["detector"] == label].sort_values("x")
            low = (rows["mean"] - rows["low"]).fillna(0).clip(lower=0).to_numpy()
            high = (rows["high"] - rows["mean"]).fillna(0).clip(lower=0).to_numpy()
            ax.errorbar(
                rows["x"],
                rows["mean"],
                yerr=np.vstack([low, high]),
                marker="o",
                markersize=3.5,
                capsize=2.5,
                label=label,
                **style.kwargs(),
            )
            row = breaking[(breaking["detector"] == label) & (breaking["status"] == "breaks")]
            if not row.empty:
                point = row.iloc[0]
                ax.axvline(point["point"], color=style.colour, linestyle=":", linewidth=1.2)
                ax.axvspan(point["low"], point["high"], color=style.colour, alpha=0.08, linewidth=0)
        ax.axhline(target, color="black", linewidth=0.9, linestyle="--", label=f"target: {target:g}")
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(param)
        ax.set_ylabel(f"{metric_words(metric, unit=True)}\nmean over seeds, 95% interval", fontsize="small")
        ax.set_title(f"Where each detector breaks: {metric_words(metric).lower()} against {param}")
        legend_outside(ax)
        png, _ = save_figure(figure, folder, "frontier")
    return png
