"""Precision–recall curves: every detector of a scenario and mode, baselines beside them.

Accounts are **pooled over seeds**: each active account of each seed contributes
its maximum score over the run (the score the threshold-free metrics use), so
the curve of a scenario run with three seeds ranks three runs' accounts together.
The legend gives each curve's average precision on that pool (close to, but not
the same as, the mean AUPRC over seeds in the leaderboard). A dot marks the
operating point at the run's threshold (absent if nothing reached it); the light grey
horizontal line is chance (the pooled attacker share).
"""

from __future__ import annotations

from simulator.metrics.accounts import auprc
from simulator.report.curves import precision_recall
from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import (
    CHANCE_COLOUR,
    detector_styles,
    figure_style,
    legend_outside,
    new_figure,
    save_figure,
)

__all__ = ["plot_precision_recall"]

FAMILY = "precision-recall"


def plot_precision_recall(data: ReportData, scenario: str, mode: str) -> Plot | Skipped:
    """Draw ``plots/pr-<scenario>-<mode>.png|svg``, or say why not."""
    title = f"Precision–recall · {scenario} · {mode}"
    rows = data.outcomes_of(scenario, mode)
    if rows.empty:
        return Skipped(FAMILY, title, "no per-account outcomes in this folder", scenario, mode)
    truth = rows["campaign"].notna()
    if not truth.any() or truth.all():
        return Skipped(FAMILY, title, "needs both attacker and legitimate accounts", scenario, mode)
    styles = detector_styles([*data.detectors, *data.references])
    with figure_style():
        figure = new_figure(7.5, 4.6)
        ax = figure.add_subplot()
        for label, is_attacker, score in data.max_scores(scenario, mode, references=True):
            recall, precision = precision_recall(is_attacker, score)
            if recall.size == 0:
                continue
            style = styles[label]
            ax.step(
                recall, precision, where="post", label=f"{label} (AP {auprc(is_attacker, score):.2f})", **style.kwargs()
            )
            alarmed = score >= data.threshold
            if alarmed.any() and label not in data.references:  # reference rows rank, they never alarm
                ax.plot(
                    [is_attacker[alarmed].sum() / is_attacker.sum()],
                    [is_attacker[alarmed].mean()],
                    marker="o",
                    markersize=4,
                    color=style.colour,
                    zorder=style.zorder + 1,
                    linestyle="none",
                )
        share = float(truth.mean())
        ax.axhline(share, color=CHANCE_COLOUR, linewidth=1.0, zorder=1, label=f"chance ({share:.1%} attackers)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(0.0, 1.05)
        ax.set_xlabel("recall (share of attacker accounts flagged)")
        ax.set_ylabel("precision (share of flagged accounts that are attackers)")
        seeds = rows["seed"].nunique()
        ax.set_title(f"{scenario} · {mode}: accounts pooled over {seeds} seed{'s' if seeds != 1 else ''}")
        legend_outside(ax)
        plot = Plot(
            stem("pr", scenario, mode),
            FAMILY,
            title,
            "Precision against recall over every threshold on each account's maximum score, accounts of all seeds "
            f"pooled; AP: average precision of the pool; dots: the operating threshold {data.threshold:g}; "
            "grey dashed: baselines and the reference rows (artefacts: the best undeclared single feature; "
            "supervised-ceiling: a cross-validated model that knows the labels); light grey line: chance.",
            scenario,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot
