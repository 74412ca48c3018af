"""Scenario × detector heatmaps, one per mode: F1 and median time to detection (at the
fixed threshold, and in passive mode also at the warm-up threshold).

Rows are the run's scenarios in suite order, columns its detectors (baselines
last, their labels in grey, after a white gap). Each cell is annotated:

* **F1** at the operating threshold, mean over seeds (0 to 1, brighter is better);
  blank where undefined (no attacker and no alarm), not coloured as a score;
* **median TTD** over seeds (undetected seeds count as never), on a log colour
  scale (darker is faster); ``n.r.`` (not reached) when more than half the seeds
  missed every campaign; ``n/a`` where no campaign ran. The count below is seeds
  that detected / seeds. At the alarm policy's fixed threshold each detector pays its
  own false-positive rate (the random baseline, flagging half the customers at once,
  looks fastest), so passive runs with a warm-up get a second heatmap at the **warm-up
  threshold** (``calibrated_ttd_median_s``), which flags the same share of the warm-up's
  accounts for every detector; each heatmap's title says which threshold it reads.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import Formatter, FuncFormatter, NullFormatter

from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import figure_style, is_baseline, new_figure, save_figure
from simulator.results.leaderboard import format_duration

__all__ = ["plot_heatmaps"]

FAMILY = "heatmap"
_MISSING = "#e6e6e6"
_BLANK = "#ffffff"


def _grid(summary: pd.DataFrame, metric: str, column: str, scenarios: list[str], detectors: list[str]) -> np.ndarray:
    rows = summary[summary["metric"] == metric].set_index(["scenario", "detector"])[column]
    grid = np.full((len(scenarios), len(detectors)), np.nan)
    for i, scenario in enumerate(scenarios):
        for j, detector in enumerate(detectors):
            value = rows.get((scenario, detector), np.nan)
            grid[i, j] = float(value) if value is not None else np.nan
    return grid


def _text_colour(rgba: tuple[float, ...]) -> str:
    luminance = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
    return "black" if luminance > 0.5 else "white"


def _draw(
    data: ReportData,
    mode: str,
    values: np.ndarray,
    labels: list[list[str]],
    norm: Normalize,
    cmap: str,
    colourbar: str,
    title: str,
    ticks: Formatter | None = None,
    missing: str = _MISSING,
) -> MplFigure:
    scenarios, detectors = data.scenarios, data.detectors
    figure = new_figure(max(6.0, 2.6 + 0.62 * len(detectors)), 1.6 + 0.42 * len(scenarios))
    ax = figure.add_subplot()
    colours = colormaps[cmap].with_extremes(bad=missing)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=colours, norm=norm, aspect="auto", interpolation="nearest")
    for i in range(len(scenarios)):
        for j in range(len(detectors)):
            colour = _text_colour(image.cmap(norm(values[i, j]))) if math.isfinite(values[i, j]) else "#555555"
            ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(detectors)), detectors, rotation=40, ha="right")
    ax.set_yticks(range(len(scenarios)), scenarios)
    for tick, label in zip(ax.get_xticklabels(), detectors, strict=True):
        if is_baseline(label):
            tick.set_color("#777777")
            tick.set_fontstyle("italic")
    baselines = [j for j, label in enumerate(detectors) if is_baseline(label)]
    if baselines and baselines[0] > 0:
        ax.axvline(baselines[0] - 0.5, color="white", linewidth=3)
    ax.grid(False)
    ax.set_xlabel("detector")
    ax.set_ylabel("scenario")
    ax.set_title(f"{title} · {mode}")
    bar = figure.colorbar(image, ax=ax, label=colourbar, shrink=0.9)
    if ticks is not None:
        bar.ax.yaxis.set_major_formatter(ticks)
        bar.ax.yaxis.set_minor_formatter(NullFormatter())
    return figure


def _f1(data: ReportData, mode: str) -> Plot:
    summary = data.summary[data.summary["mode"] == mode]
    values = _grid(summary, "f1", "value", data.scenarios, data.detectors)
    labels = [[f"{v:.2f}" if math.isfinite(v) else "" for v in row] for row in values]
    with figure_style():
        figure = _draw(
            data,
            mode,
            values,
            labels,
            Normalize(0.0, 1.0),
            "viridis",
            "F1 (share)",
            f"F1 at the fixed threshold {data.threshold:g}",
            missing=_BLANK,
        )
        plot = Plot(
            stem("heatmap-f1", mode),
            FAMILY,
            f"F1 by scenario and detector · {mode}",
            f"F1 at the operating threshold {data.threshold:g}, mean over seeds; blank where undefined (no "
            "attacker and no alarm).",
            None,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot


def _ttd(data: ReportData, mode: str, metric: str = "ttd_median_s") -> Plot:
    """The median TTD heatmap of ``metric``: ``ttd_median_s`` (the fixed threshold) or
    ``calibrated_ttd_median_s`` (the warm-up threshold)."""
    summary = data.summary[data.summary["mode"] == mode]
    warm = metric == "calibrated_ttd_median_s"
    values = _grid(summary, metric, "value", data.scenarios, data.detectors)
    found = _grid(summary, metric, "n", data.scenarios, data.detectors)
    seeds = _grid(summary, metric, "seeds", data.scenarios, data.detectors)
    rate = _grid(summary, "detection_rate", "value", data.scenarios, data.detectors)
    # at the warm-up threshold, a cell without a warm-up (no calibrated figure) has nothing to read
    defined = _grid(summary, "calibrated_fpr", "n", data.scenarios, data.detectors) if warm else rate
    labels = []
    for i in range(values.shape[0]):
        row = []
        for j in range(values.shape[1]):
            if not math.isfinite(rate[i, j]) or not (defined[i, j] > 0 if warm else True):
                row.append("n/a")
                continue
            head = format_duration(values[i, j]) if math.isfinite(values[i, j]) else "n.r."
            row.append(f"{head}\n{int(found[i, j])}/{int(seeds[i, j])}")
        labels.append(row)
    finite = values[np.isfinite(values)]
    low = max(float(finite.min()), 1.0) if finite.size else 1.0
    high = max(float(finite.max()), low * 10) if finite.size else 10.0
    if warm:
        fpr = data.plan.get("operating", {}).get("target_fpr")
        budget = f"FPR ≤ {fpr * 100:g}%" if isinstance(fpr, int | float) else "its target FPR"
        threshold = f"at the warm-up threshold ({budget} of the warm-up's accounts, the same for every detector)"
        name, family_title = stem("heatmap-ttd-warm", mode), "at the warm-up threshold"
    else:
        threshold = f"at the fixed threshold {data.threshold:g} (each detector's own false-positive rate)"
        name, family_title = stem("heatmap-ttd", mode), f"at the fixed threshold {data.threshold:g}"
    with figure_style():
        figure = _draw(
            data,
            mode,
            np.where(np.isfinite(values), np.maximum(values, low), np.nan),
            labels,
            LogNorm(low, high),
            "viridis",
            "median TTD (log scale)",
            f"Median time to detection {threshold}",
            FuncFormatter(lambda seconds, _: format_duration(seconds)),
        )
        plot = Plot(
            name,
            FAMILY,
            f"Median time to detection {family_title} by scenario and detector · {mode}",
            f"Median over seeds of each seed's median time to detection {threshold} (first alarm on a campaign's "
            "accounts − its first request"
            + ("; no alarm before the warm-up's end" if warm else "")
            + "), undetected seeds counted as never; n.r.: not reached (more than half the seeds missed); "
            + ("n/a: no campaign or no warm-up; " if warm else "n/a: no campaign; ")
            + "below: seeds that detected / seeds.",
            None,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot


def plot_heatmaps(data: ReportData, mode: str) -> list[Plot | Skipped]:
    """Draw ``plots/heatmap-f1-<mode>``, ``plots/heatmap-ttd-<mode>`` and, for a passive run
    with a warm-up, ``plots/heatmap-ttd-warm-<mode>``."""
    if data.summary[data.summary["mode"] == mode].empty:
        reason = "no detector results in this mode"
        return [Skipped(FAMILY, f"Heatmaps · {mode}", reason, None, mode)]
    plots: list[Plot | Skipped] = [_f1(data, mode), _ttd(data, mode)]
    summary = data.summary[(data.summary["mode"] == mode) & (data.summary["metric"] == "calibrated_fpr")]
    if (summary["n"] > 0).any():  # a passive run with a warm-up (older folders lack the figure)
        plots.append(_ttd(data, mode, "calibrated_ttd_median_s"))
    return plots
