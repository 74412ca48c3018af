"""Scenario × detector heatmaps, one per mode: F1 and median time to detection.

Rows are the run's scenarios in suite order, columns its detectors (baselines
last, their labels in grey, after a white gap). Each cell is annotated:

* **F1** at the operating threshold, mean over seeds (0 to 1, brighter is better);
  ``–`` where undefined (no attacker and no alarm);
* **median TTD** over seeds (undetected seeds count as never), on a log colour
  scale (darker is faster); ``n.r.`` (not reached) when more than half the seeds
  missed every campaign; ``n/a`` where no campaign ran. The count below is seeds
  that detected / seeds.
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
) -> MplFigure:
    scenarios, detectors = data.scenarios, data.detectors
    figure = new_figure(max(6.0, 2.6 + 0.62 * len(detectors)), 1.6 + 0.42 * len(scenarios))
    ax = figure.add_subplot()
    colours = colormaps[cmap].with_extremes(bad=_MISSING)
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
    labels = [[f"{v:.2f}" if math.isfinite(v) else "–" for v in row] for row in values]
    with figure_style():
        figure = _draw(data, mode, values, labels, Normalize(0.0, 1.0), "viridis", "F1 (share)", "F1 at the threshold")
        plot = Plot(
            stem("heatmap-f1", mode),
            FAMILY,
            f"F1 by scenario and detector · {mode}",
            f"F1 at the operating threshold {data.threshold:g}, mean over seeds; – where undefined.",
            None,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot


def _ttd(data: ReportData, mode: str) -> Plot:
    summary = data.summary[data.summary["mode"] == mode]
    values = _grid(summary, "ttd_median_s", "value", data.scenarios, data.detectors)
    found = _grid(summary, "ttd_median_s", "n", data.scenarios, data.detectors)
    seeds = _grid(summary, "ttd_median_s", "seeds", data.scenarios, data.detectors)
    rate = _grid(summary, "detection_rate", "value", data.scenarios, data.detectors)
    labels = []
    for i in range(values.shape[0]):
        row = []
        for j in range(values.shape[1]):
            if not math.isfinite(rate[i, j]):
                row.append("n/a")
                continue
            head = format_duration(values[i, j]) if math.isfinite(values[i, j]) else "n.r."
            row.append(f"{head}\n{int(found[i, j])}/{int(seeds[i, j])}")
        labels.append(row)
    finite = values[np.isfinite(values)]
    low = max(float(finite.min()), 1.0) if finite.size else 1.0
    high = max(float(finite.max()), low * 10) if finite.size else 10.0
    with figure_style():
        figure = _draw(
            data,
            mode,
            np.where(np.isfinite(values), np.maximum(values, low), np.nan),
            labels,
            LogNorm(low, high),
            "viridis",
            "median TTD (log scale)",
            "Median time to detection",
            FuncFormatter(lambda seconds, _: format_duration(seconds)),
        )
        plot = Plot(
            stem("heatmap-ttd", mode),
            FAMILY,
            f"Median time to detection by scenario and detector · {mode}",
            "Median over seeds of each seed's median time to detection (first alarm on a campaign's accounts − its "
            "first request), undetected seeds counted as never; n.r.: not reached (more than half the seeds missed); "
            "n/a: no campaign; below: seeds that detected / seeds.",
            None,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot


def plot_heatmaps(data: ReportData, mode: str) -> list[Plot | Skipped]:
    """Draw ``plots/heatmap-f1-<mode>`` and ``plots/heatmap-ttd-<mode>``."""
    if data.summary[data.summary["mode"] == mode].empty:
        reason = "no detector results in this mode"
        return [Skipped(FAMILY, f"Heatmaps · {mode}", reason, None, mode)]
    return [_f1(data, mode), _ttd(data, mode)]
