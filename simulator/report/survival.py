"""Time-to-detection survival curves: the share still undetected against time.

Two panels per scenario and mode, every detector on each, seeds pooled:

* **campaigns**: time from a campaign's first request to the first alarm on any
  of its accounts;
* **attacker accounts**: time from an account's first request to its alarm (0 if
  it was alarmed before its first request).

Whatever is not detected by the end of the run is **censored** there (its time
is only known to exceed the rest of the run), so the curves are Kaplan–Meier
estimates (:func:`~simulator.report.curves.kaplan_meier`) and stay above 0 when
detection never comes. Each curve is drawn while at least 5% of its subjects are
still at risk (not detected, not censored): beyond, a single account moves it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulator.metrics.campaigns import campaign_detection
from simulator.report.curves import kaplan_meier
from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import detector_styles, figure_style, legend_outside, new_figure, save_figure, time_unit

__all__ = ["account_times", "campaign_times", "plot_survival"]

FAMILY = "survival"
MIN_AT_RISK_SHARE = 0.05
"""Curves are drawn while at least this share of their subjects (at least one) is still at risk."""


def campaign_times(rows: pd.DataFrame, end: float) -> tuple[np.ndarray, np.ndarray]:
    """(time, detected) per campaign and seed of one detector's outcomes: the time to
    detection if detected, else the time from the campaign's start to ``end`` (s)."""
    times, seen = [], []
    for _, per_seed in rows.groupby("seed", sort=True):
        table = campaign_detection(per_seed, end)
        times.append(np.where(table["detected"], table["ttd"], table["censored_at"]).astype(np.float64))
        seen.append(table["detected"].to_numpy(dtype=bool))
    if not times:
        return np.empty(0), np.empty(0, dtype=bool)
    return np.concatenate(times), np.concatenate(seen)


def account_times(rows: pd.DataFrame, end: float) -> tuple[np.ndarray, np.ndarray]:
    """(time, alarmed) per active attacker account of one detector's outcomes: from
    its first request to its alarm (at least 0), or to ``end`` if never alarmed (s)."""
    attackers = rows[rows["campaign"].notna()]
    first = attackers["first_ts"].to_numpy(dtype=np.float64)
    alarm = attackers["alarm_ts"].to_numpy(dtype=np.float64)
    alarmed = np.isfinite(alarm)
    return np.where(alarmed, np.maximum(alarm - first, 0.0), end - first), alarmed


def plot_survival(data: ReportData, scenario: str, mode: str) -> Plot | Skipped:
    """Draw ``plots/survival-<scenario>-<mode>.png|svg``, or say why not."""
    title = f"Time to detection · {scenario} · {mode}"
    rows = data.outcomes_of(scenario, mode)
    if rows.empty:
        return Skipped(FAMILY, title, "no per-account outcomes in this folder", scenario, mode)
    if not rows["campaign"].notna().any():
        return Skipped(FAMILY, title, "no attack campaign sent a request", scenario, mode)
    end = data.duration(scenario)
    per_unit, unit = time_unit(end)
    styles = detector_styles(data.detectors)
    with figure_style():
        figure = new_figure(10.0, 4.2)
        left, right = figure.subplots(1, 2, sharey=True)
        for label in data.detectors:
            mine = rows[rows["detector"] == label]
            if mine.empty:
                continue
            for ax, (times, seen) in ((left, campaign_times(mine, end)), (right, account_times(mine, end))):
                if times.size == 0:
                    continue
                floor = max(1, math.ceil(MIN_AT_RISK_SHARE * times.size))
                steps, share = kaplan_meier(times, seen, min_at_risk=floor)
                # carry the last level on while enough subjects remain at risk
                reach = np.sort(times)[times.size - floor]
                steps, share = np.r_[steps, max(reach, steps[-1])], np.r_[share, share[-1]]
                ax.step(steps / per_unit, share, where="post", label=label, **styles[label].kwargs())
        seeds = rows["seed"].nunique()
        left.set_title(f"campaigns ({seeds} seed{'s' if seeds != 1 else ''} pooled)")
        right.set_title("attacker accounts")
        left.set_xlabel(f"time since the campaign's first request ({unit})")
        right.set_xlabel(f"time since the account's first request ({unit})")
        left.set_ylabel("share still undetected")
        left.set_ylim(-0.02, 1.05)
        for ax in (left, right):
            ax.set_xlim(left=0)
        legend_outside(right)
        figure.suptitle(f"{scenario} · {mode}: time to detection, censored at the end of the run")
        plot = Plot(
            stem("survival", scenario, mode),
            FAMILY,
            title,
            "Kaplan–Meier share of campaigns (left) and attacker accounts (right) not yet detected against time since "
            "their first request; seeds pooled; what is never detected is censored at the end of the run, so a curve "
            "that stays high is a detector that misses; drawn while 5% of the subjects remain at risk.",
            scenario,
            mode,
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot
