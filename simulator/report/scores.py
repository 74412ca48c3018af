"""Score distributions: how many accounts reach each band of maximum score, per detector.

Drawn from a table of (detector, low, high, accounts): the accounts whose maximum
score over the run falls in ``[low, high)`` (the last band includes 1), as a replay
writes it in ``score_distribution.csv``. One step line per detector, baselines grey
and dashed; the vertical axis is logarithmic (a few suspects beside thousands of
customers), with an empty band drawn at the bottom of the axis. The thin black vertical
line is the alarm threshold: everything to its right alarmed. No labels are needed,
so this is the triage view of a log nobody has labelled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import detector_styles, figure_style, legend_outside, new_figure, save_figure

__all__ = ["plot_score_distribution"]

FAMILY = "score-distribution"


def plot_score_distribution(
    distribution: pd.DataFrame, detectors: list[str], threshold: float, plots: Path, scenario: str
) -> Plot | Skipped:
    """Draw ``plots/scores-<scenario>.png|svg`` from ``distribution`` (columns detector,
    low, high, accounts) for ``detectors`` in that order into the folder ``plots``, or say why not."""
    title = f"Maximum score per account · {scenario}"
    shown = [d for d in detectors if d in set(distribution["detector"])] if not distribution.empty else []
    if not shown:
        return Skipped(FAMILY, title, "no detector scored any account", scenario)
    styles = detector_styles(shown)
    with figure_style():
        figure = new_figure(7.5, 4.6)
        ax = figure.add_subplot()
        for label in shown:
            rows = distribution[distribution["detector"] == label].sort_values("low", kind="stable")
            edges = np.append(rows["low"].to_numpy(dtype=np.float64), rows["high"].to_numpy(dtype=np.float64)[-1])
            counts = rows["accounts"].to_numpy(dtype=np.float64)
            # an empty band sits on the axis floor (0.5 account) instead of vanishing from a log axis
            ax.stairs(np.maximum(counts, 0.5), edges, label=label, baseline=None, **styles[label].kwargs())
        ax.axvline(threshold, color="#444444", linestyle="-", linewidth=0.8, label=f"threshold {threshold:g}")
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.4)
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel("maximum score over the replay")
        ax.set_ylabel("accounts (log scale)")
        ax.set_title(f"{scenario}: accounts per band of maximum score")
        legend_outside(ax)
        plot = Plot(
            stem("scores", scenario),
            FAMILY,
            title,
            "Accounts per band of their maximum score over the run, one line per detector (bands of 0.1; an empty "
            "band is drawn on the axis floor); grey dashed: baselines; thin black line: the alarm threshold "
            f"{threshold:g}, right of which every account alarmed. No labels needed.",
            scenario,
        )
        save_figure(figure, plots, plot.stem)
    return plot
