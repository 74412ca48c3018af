"""The leaderboard as Rich tables: one per (scenario, mode), best detector first.

Each cell shows the mean over seeds and the half-width of its 95% interval
(``0.83±0.05``; the wider side when the interval is clipped to the metric's
range); time to detection shows the median over seeds and how many seeds
detected the campaign (``12m 3/3``). Baselines are dimmed, so that a detector's
figures can be read against chance.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

from detectors.registry import BASELINES
from simulator.metrics.catalogue import REFERENCE_ROWS
from simulator.results.aggregate import LEADERBOARD_METRICS

__all__ = ["CAPTION", "HEADERS", "format_cell", "format_duration", "format_number", "leaderboard_tables"]

HEADERS: dict[str, str] = {
    "auprc": "AUPRC",
    "recall_at_fpr_0.001": "R@FPR≤.1%",
    "precision": "prec.",
    "recall": "recall",
    "detection_rate": "found",
    "ttd_median_s": "TTD",
    "leakage_share": "leakage",
    "legit_flagged": "cust. flagged",
    "alarms_per_day": "alarms/day",
    "events_per_s": "events/s",
}
"""Short column headers (the caption explains them)."""

CAPTION = (
    "mean ±half-width of the 95% t-interval over seeds · found: share of campaigns detected · "
    "TTD: median time to detection over seeds, seeds that detected/seeds · leakage: share of the campaign's "
    "output tokens served before containment · R@FPR≤.1%: best recall flagging ≤0.1% of customers · "
    "artefacts: the best single feature of an undeclared signal; supervised-ceiling: a cross-validated model "
    "that knows the labels (both rank only) · dim: baselines and reference rows"
)


def format_duration(seconds: float) -> str:
    """A time span in its largest unit, one decimal.

    >>> format_duration(45), format_duration(5400), format_duration(2 * 86400)
    ('45s', '1.5h', '2.0d')
    """
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def format_number(value: float) -> str:
    """Three significant figures or so, thousands separated.

    >>> format_number(0.8312), format_number(12.34), format_number(12345.6)
    ('0.83', '12.3', '12,346')
    """
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_cell(row: pd.Series, metric: str) -> str:
    """One leaderboard cell: the mean and the half-width of its interval (``0.83±0.05``),
    or for the time to detection the median and the seeds that detected (``12.0m 3/3``)."""
    value = row.get(metric, math.nan)
    if metric == "ttd_median_s":
        found = row.get(f"{metric}_n", 0)
        if found is None or not math.isfinite(found):  # a row that ranks only (a reference row)
            return "–"
        found = int(found)
        seeds = int(row["seeds"])
        return f"{format_duration(value)} {found}/{seeds}" if math.isfinite(value) else f"– {found}/{seeds}"
    if value is None or not math.isfinite(value):
        return "–"
    text = format_number(value)
    low, high = row.get(f"{metric}_low", math.nan), row.get(f"{metric}_high", math.nan)
    if math.isfinite(low) and math.isfinite(high) and high > low:
        # an interval clipped to the metric's range is lopsided: show its wider side
        text += f"±{format_number(max(value - low, high - value))}"
    return text


def leaderboard_tables(board: pd.DataFrame) -> list[Table]:
    """Rich tables of a :func:`~simulator.results.aggregate.leaderboard` frame."""
    tables = []
    columns = [m for m in (*LEADERBOARD_METRICS, "events_per_s") if m in board.columns]
    for (scenario, mode), group in board.groupby(["scenario", "mode"], sort=False):
        seeds = int(group["seeds"].max())
        table = Table(
            title=f"{scenario} · {mode} · {seeds} seed{'s' if seeds != 1 else ''}",
            title_justify="left",
        )
        table.add_column("detector", no_wrap=True)
        for metric in columns:
            table.add_column(HEADERS.get(metric, metric), justify="right")
        for _, row in group.iterrows():
            style = "dim" if row["detector"] in BASELINES or row["detector"] in REFERENCE_ROWS else None
            cells = [format_cell(row, m) if m != "events_per_s" else format_number(row[m]) for m in columns]
            table.add_row(str(row["detector"]), *cells, style=style)
        tables.append(table)
    if tables:
        tables[-1].caption = CAPTION
        tables[-1].caption_justify = "left"
    return tables
