"""The leaderboard as Rich tables: one per (scenario, mode), best detector first.

Passive tables lead with the figures at deployment conditions (the prevalence the
scenario declares, the analysts' budget, the warm-up threshold; the title says
which), then the figures as simulated at the fixed threshold; rows are ranked as
:func:`~simulator.results.aggregate.leaderboard` says (the caption states the key).
By default a table keeps the :data:`NARROW_COLUMNS` that fit 80 characters; ``wide``
shows every column. Each cell shows the mean over seeds and the half-width of its 95%
interval (``0.83±0.05``), or, when the interval reaches the metric's range and was
clipped to it, the interval itself (``0.61[0,1]``); a title marks tables of fewer
than :data:`FEW_SEEDS` seeds, whose intervals are indicative only. Time to detection
shows the median over seeds and how many seeds detected the campaign (``12m 3/3``).
Baselines are dimmed, so that a detector's figures can be read against chance. A
column a table's runs do not have (the deployment figures of an active run) is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from rich.table import Table

from detectors.registry import BASELINES
from simulator.metrics.catalogue import CATALOGUE, REFERENCE_ROWS
from simulator.results.aggregate import ACTIVE_ONLY_COLUMNS, LEADERBOARD_METRICS, RANKING_NOTE

__all__ = [
    "CAPTION",
    "FEW_SEEDS",
    "HEADERS",
    "NARROW_COLUMNS",
    "UNRESOLVED_BOUNDS",
    "format_cell",
    "format_duration",
    "format_number",
    "format_speed",
    "leaderboard_tables",
    "table_columns",
    "table_title",
]

HEADERS: dict[str, str] = {
    "deployment_auprc": "AUPRC",
    "deployment_recall_at_fpr_0.001": "R@FPR≤.1%",
    "budget_precision": "prec@k",
    "budget_recall": "recall@k",
    "calibrated_precision": "warm prec.",
    "calibrated_recall": "warm recall",
    "calibrated_alarms_per_day": "warm alarms/d",
    "calibrated_ttd_median_s": "warm TTD",
    "auprc": "sim AUPRC",
    "recall_at_fpr_0.001": "sim R@FPR≤.1%",
    "precision": "sim prec.",
    "recall": "sim recall",
    "detection_rate": "found",
    "ttd_median_s": "TTD",
    "leakage_share": "leakage",
    "legit_flagged": "cust. flagged",
    "alarms_per_day": "sim alarms/d",
    "events_per_s": "events/s",
}
"""Short column headers (the caption explains them)."""

NARROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "passive": ("budget_recall", "budget_precision", "deployment_auprc", "calibrated_ttd_median_s"),
    "active": ("leakage_share", "detection_rate", "ttd_median_s", "legit_flagged"),
}
"""The columns a table keeps by default, per mode (``--wide`` shows every column): the
ranking figure and what it costs first. The time to detection of a passive table is read
at the warm-up threshold, the same false-positive budget for every detector (at the fixed
threshold the random baseline, flagging half the customers at once, would look fastest);
a table whose scenario has no warm-up shows the time to detection as simulated instead."""

FEW_SEEDS = 5
"""Tables of fewer seeds than this say that their intervals are indicative only."""

CAPTION = (
    f"{RANKING_NOTE} · "
    "mean ±half-width of the 95% t-interval over seeds (its low and high bounds in brackets where it was clipped "
    "to the metric's range) "
    "· at deployment conditions (each table's title says which "
    "customer base and warm-up): AUPRC and R@FPR≤.1% (best recall flagging ≤0.1% of customers; ≤x when the "
    "simulated customers cannot resolve 0.1%: x is the recall flagging none of them, an optimistic bound) with "
    "customers weighted to the customer base; prec@k, recall@k: "
    "precision of the alarms analysts reviewed and recall of the attacker accounts reviewed, at k reviews a "
    "day; warm: the threshold chosen on the label-free warm-up for the target FPR, judged after it (alarms/d "
    "at deployment weight) · sim: as simulated, at the alarm policy's fixed threshold · found: share of "
    "campaigns detected · TTD: median time to detection over seeds, seeds that detected/seeds; warm TTD: the same "
    "at the warm-up threshold, so at the same false-positive budget for every detector · leakage: share "
    "of the campaign's output tokens served before containment · cust. flagged: simulated customers alarmed "
    "(closed loops: and alarms/d) · "
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
    """Three significant figures or so, thousands separated, and from 10,000 on with an
    SI prefix.

    >>> format_number(0.8312), format_number(12.34), format_number(1234.5), format_number(12345.6)
    ('0.83', '12.3', '1,234', '12.3k')
    >>> format_number(431_324.0), format_number(1_914_900.0), format_number(19_441_000.0)
    ('431k', '1.91M', '19.4M')
    """
    for size, prefix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if abs(value) >= size:
            scaled = value / (size if size > 1e4 else 1e3)
            return f"{scaled:.3g}{prefix}" if abs(scaled) < 1000 else f"{scaled:,.0f}{prefix}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


UNRESOLVED_BOUNDS: dict[str, str] = {"deployment_recall_at_fpr_0.001": "recall_at_zero_fp"}
"""A figure the simulated customers cannot resolve (NaN) shows the optimistic bound of
this other figure instead, as ``≤x``."""


def format_speed(value: object) -> str:
    """Events per second, or ``–`` for a row that did not run a detector (a reference row).

    >>> format_speed(12345.6), format_speed(float("nan"))
    ('12.3k', '–')
    """
    return format_number(float(value)) if pd.notna(value) else "–"  # type: ignore[arg-type]


_CENSORED = frozenset(name for name, info in CATALOGUE.items() if info.censored)
_DEFINED_WITH: dict[str, str] = {"calibrated_ttd_median_s": "calibrated_recall"}
"""A censored figure that is undefined (not "not reached") where this other one has no seed."""


def format_cell(row: pd.Series, metric: str) -> str:
    """One leaderboard cell: the mean and the half-width of its interval (``0.83±0.05``),
    or for the time to detection the median and the seeds that detected (``12.0m 3/3``)."""
    value = row.get(metric, math.nan)
    if metric in _CENSORED:
        found = row.get(f"{metric}_n", 0)
        if found is None or not math.isfinite(found):  # a row that ranks only (a reference row)
            return "–"
        defined = row.get(_DEFINED_WITH.get(metric, ""), 0.0)
        if metric in _DEFINED_WITH and (defined is None or not math.isfinite(defined)):
            return "–"  # no warm-up threshold to read it at
        found = int(found)
        seeds = int(row["seeds"])
        return f"{format_duration(value)} {found}/{seeds}" if math.isfinite(value) else f"– {found}/{seeds}"
    if value is None or not math.isfinite(value):
        bound = row.get(UNRESOLVED_BOUNDS.get(metric, ""), math.nan)
        if bound is not None and isinstance(bound, float) and math.isfinite(bound):
            # not resolved by the simulated customers: what flagging none of them gets, at most
            return f"≤{format_number(bound)}"
        return "–"
    text = format_number(value)
    low, high = row.get(f"{metric}_low", math.nan), row.get(f"{metric}_high", math.nan)
    if math.isfinite(low) and math.isfinite(high) and high > low:
        info = CATALOGUE.get(metric)
        bounds = info.bounds if info is not None and info.bounds is not None else (0.0, math.inf)
        if format_number(low) == format_number(high):  # all seeds agree to the digits shown
            return text
        if low <= bounds[0] or high >= bounds[1]:
            # clipped to the range (or reaching it): a ± would run past it, so show the interval
            return f"{text}[{_bound(low)},{_bound(high)}]"
        text += f"±{format_number((high - low) / 2)}"
    return text


def _bound(value: float) -> str:
    """An interval bound, short and without a thousands separator (the comma separates the
    two bounds): ``0``, ``1``, ``0.45``, ``5.72k``, ``196k``."""
    if 1000 <= abs(value) < 1e4:
        return f"{value / 1e3:.3g}k"
    text = format_number(value)
    return text.rstrip("0").rstrip(".") if "." in text and text[-1].isdigit() else text


def table_columns(group: pd.DataFrame, *, wide: bool = True, speed: bool = True) -> list[str]:
    """The leaderboard columns of one (scenario, mode) table: those of
    :data:`~simulator.results.aggregate.LEADERBOARD_METRICS` its runs have (a metric
    that is undefined on every seed stays: it shows as ``–``; passive tables leave out
    :data:`~simulator.results.aggregate.ACTIVE_ONLY_COLUMNS`), then ``events_per_s``
    (with ``speed``: timing, which differs from run to run). Not ``wide``: only the
    :data:`NARROW_COLUMNS` of the table's mode, and no timing."""
    passive = bool((group["mode"] == "passive").all()) if "mode" in group.columns else False
    columns = [
        m
        for m in LEADERBOARD_METRICS
        if f"{m}_n" in group.columns and group[f"{m}_n"].notna().any() and not (passive and m in ACTIVE_ONLY_COLUMNS)
    ]
    if not wide:
        narrow = NARROW_COLUMNS["passive" if passive else "active"]
        warm = "calibrated_recall" in group.columns and group["calibrated_recall"].astype(float).notna().any()
        if not warm:  # no warm-up threshold: the time to detection as simulated
            narrow = tuple("ttd_median_s" if m == "calibrated_ttd_median_s" else m for m in narrow)
        return [m for m in narrow if m in columns or (m == "ttd_median_s" and f"{m}_n" in group.columns)]
    return [*columns, *(["events_per_s"] if speed and "events_per_s" in group.columns else [])]


def table_title(scenario: str, mode: str, seeds: int) -> str:
    """``<scenario> · <mode> · <n> seeds``, and a warning under :data:`FEW_SEEDS` seeds.

    >>> table_title("quickstart", "passive", 3)
    'quickstart · passive · 3 seeds (too few for reliable intervals)'
    """
    few = " (too few for reliable intervals)" if 1 < seeds < FEW_SEEDS else " (no interval)" if seeds == 1 else ""
    return f"{scenario} · {mode} · {seeds} seed{'s' if seeds != 1 else ''}{few}"


def leaderboard_tables(
    board: pd.DataFrame, notes: Mapping[str, str] | None = None, caption: str | None = None, wide: bool = True
) -> list[Table]:
    """Rich tables of a :func:`~simulator.results.aggregate.leaderboard` frame; ``notes``
    (by scenario, :func:`~simulator.results.conditions.scenario_notes`) goes under the
    title of its passive table, and ``caption`` (default :data:`CAPTION`) under the last;
    ``wide`` shows every column, else the :data:`NARROW_COLUMNS`. No table when no detector
    has a figure (every one failed)."""
    tables = []
    if board.empty or "scenario" not in board.columns:
        return tables
    for (scenario, mode), group in board.groupby(["scenario", "mode"], sort=False):
        seeds = int(group["seeds"].max())
        note = (notes or {}).get(str(scenario), "") if mode == "passive" else ""
        columns = table_columns(group, wide=wide)
        table = Table(
            title=table_title(str(scenario), str(mode), seeds) + (f"\n{note}" if note else ""),
            title_justify="left",
        )
        table.add_column("detector", no_wrap=True)
        for metric in columns:
            table.add_column(HEADERS.get(metric, metric), justify="right")
        for _, row in group.iterrows():
            style = "dim" if row["detector"] in BASELINES or row["detector"] in REFERENCE_ROWS else None
            cells = [format_cell(row, m) if m != "events_per_s" else format_speed(row[m]) for m in columns]
            table.add_row(str(row["detector"]), *cells, style=style)
        tables.append(table)
    if tables:
        tables[-1].caption = CAPTION if caption is None else caption
        tables[-1].caption_justify = "left"
    return tables
