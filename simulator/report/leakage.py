"""Leakage over time: what the campaigns were served while each detector looked on.

One panel per detector (small multiples, same axes), mean over seeds of the
cumulative attacker output tokens:

* grey area: what the campaigns were served **undefended** (the passive run of
  the same scenario and seed);
* line: in passive mode, what they were served by accounts **not yet contained**
  by the detector's alarms (counterfactual); in active mode, what they were
  actually served in the closed loop;
* ticks along the bottom: alarms on attacker accounts (every seed); triangles:
  the first alarm on an attacker account in each seed.

The series come from ``leakage.parquet`` (per-bin sums, see
:mod:`simulator.bench.leakage`); the curve's end is the ``leakage_tokens`` metric.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import (
    CHANCE_COLOUR,
    detector_styles,
    figure_style,
    new_figure,
    save_figure,
    time_unit,
    token_formatter,
)

__all__ = ["mean_cumulative", "plot_leakage"]

FAMILY = "leakage"
_COLUMNS = 4


def mean_cumulative(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(bin ends in s, mean over seeds of the cumulative output tokens) of per-bin rows
    (columns ``seed``, ``bin``, ``end_s``, ``output_tokens``), starting at (0, 0).

    >>> rows = pd.DataFrame({"seed": [0, 0, 1, 1], "bin": [0, 1, 0, 1], "end_s": [60.0, 120.0] * 2,
    ...                      "output_tokens": [10, 20, 30, 0]})
    >>> [x.tolist() for x in mean_cumulative(rows)]
    [[0.0, 60.0, 120.0], [0.0, 20.0, 30.0]]
    """
    table = series.pivot_table(index="bin", columns="seed", values="output_tokens", aggfunc="sum", fill_value=0)
    ends = series.groupby("bin")["end_s"].first().reindex(table.index).to_numpy(dtype=np.float64)
    mean = table.to_numpy(dtype=np.float64).cumsum(axis=0).mean(axis=1)
    return np.r_[0.0, ends], np.r_[0.0, mean]


def _value_at(x: np.ndarray, y: np.ndarray, at: float) -> float:
    return float(np.interp(at, x, y))


def plot_leakage(data: ReportData, scenario: str, mode: str) -> Plot | Skipped:
    """Draw ``plots/leakage-<scenario>-<mode>.png|svg``, or say why not."""
    title = f"Leakage over time · {scenario} · {mode}"
    if data.leakage is None:
        return Skipped(FAMILY, title, "no leakage series in this folder (made by an older harness)", scenario, mode)
    series = data.leakage[data.leakage["scenario"] == scenario]
    undefended = series[(series["mode"] == "passive") & series["detector"].isna()]
    if undefended.empty or not undefended["output_tokens"].any():
        return Skipped(FAMILY, title, "the campaigns were served nothing", scenario, mode)
    rows = data.outcomes_of(scenario, mode)
    labels = [label for label in data.detectors if ((series["mode"] == mode) & (series["detector"] == label)).any()]
    if not labels:
        return Skipped(FAMILY, title, "no detector ran in this mode", scenario, mode)
    per_unit, unit = time_unit(data.duration(scenario))
    styles = detector_styles(data.detectors)
    x0, y0 = mean_cumulative(undefended)
    columns = min(_COLUMNS, len(labels))
    lines = math.ceil(len(labels) / columns)
    with figure_style():
        figure = new_figure(2.9 * columns + 0.6, 2.2 * lines + 1.0)
        axes = figure.subplots(lines, columns, sharex=True, sharey=True, squeeze=False)
        for ax in axes.flat[len(labels) :]:
            ax.set_visible(False)
        for ax, label in zip(axes.flat, labels, strict=False):
            style = styles[label]
            ax.fill_between(x0 / per_unit, y0, color=CHANCE_COLOUR, alpha=0.6, linewidth=0, label="undefended")
            mine = series[(series["mode"] == mode) & (series["detector"] == label)]
            x, y = mean_cumulative(mine)
            served = "served before containment" if mode == "passive" else "served in the closed loop"
            ax.plot(x / per_unit, y, color=style.colour, linestyle=style.dashes, linewidth=1.6, label=served)
            attackers = rows[(rows["detector"] == label) & rows["campaign"].notna() & rows["alarm_ts"].notna()]
            alarms = attackers["alarm_ts"].to_numpy(dtype=np.float64)
            if alarms.size:
                ax.plot(
                    alarms / per_unit,
                    np.zeros(alarms.size),
                    linestyle="none",
                    marker="|",
                    markersize=7,
                    alpha=0.5,
                    color=style.colour,
                    transform=ax.get_xaxis_transform(),
                    clip_on=False,
                    label="alarm on an attacker account",
                )
                first = attackers.groupby("seed")["alarm_ts"].min().to_numpy(dtype=np.float64)
                ax.plot(
                    first / per_unit,
                    [_value_at(x, y, t) for t in first],
                    linestyle="none",
                    marker="v",
                    markersize=6,
                    color=style.colour,
                    markeredgecolor="black",
                    markeredgewidth=0.5,
                    label="first such alarm in a seed",
                )
            # a fixed title height: matplotlib would otherwise look for top tick labels or an offset
            # text to clear (none here: ticks at the bottom, EngFormatter) in every panel at every draw
            ax.set_title(label, color=style.colour if not style.baseline else "#555555", y=1.0)
            ax.yaxis.set_major_formatter(token_formatter())
        for column in range(columns):
            # the lowest panel drawn in each column carries the time axis
            lowest = axes[(len(labels) - 1 - column) // columns, column]
            lowest.xaxis.set_tick_params(labelbottom=True)
            lowest.set_xlabel(f"time ({unit})")
        for ax in axes[:, 0]:
            ax.set_ylabel("attacker output tokens")
        handles, names = axes.flat[0].get_legend_handles_labels()
        for ax in axes.flat[1 : len(labels)]:
            for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
                if name not in names:
                    handles.append(handle)
                    names.append(name)
        figure.legend(handles, names, loc="outside lower center", ncols=4, frameon=False)
        seeds = undefended["seed"].nunique()
        figure.suptitle(
            f"{scenario} · {mode}: cumulative attacker output tokens, mean over {seeds} seed{'s' if seeds != 1 else ''}"
        )
        what = (
            "served to attacker accounts not yet contained by the detector's alarms (counterfactual)"
            if mode == "passive"
            else "actually served to the campaigns in the closed loop"
        )
        plot = Plot(
            stem("leakage", scenario, mode),
            FAMILY,
            title,
            f"Cumulative attacker output tokens over time, mean over seeds: {what}, against the undefended run (grey "
            "area); ticks: alarms on attacker accounts; triangles: the first such alarm in each seed.",
            scenario,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot
