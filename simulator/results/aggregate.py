"""Over seeds: a mean and a 95% interval per (scenario, mode, detector, metric),
paired comparisons of detectors on the same seeds, and the leaderboard.

Interval method: the Student *t*-interval over seeds,
``mean ± t(0.975, n − 1) · s / √n`` with ``s`` the sample standard deviation of
the ``n`` seeds on which the metric is defined (a precision with no alarm is
not), clipped to the metric's range; with one seed there is no interval.

Time to detection is censored (a seed on which no campaign was detected has no
TTD), so it is summarised by the **median over seeds** with undetected seeds
counted as later than any detection (+∞): if more than half the seeds missed,
the median is "not reached" (null). Its ``low``/``high`` are the smallest and
largest per-seed values, and ``n`` counts the seeds with a detection.

Comparisons are paired: every detector saw the same seeds (in passive mode the
very same traffic), so ``detector − reference`` is taken seed by seed and
summarised with the same t-interval.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from simulator.metrics.catalogue import CATALOGUE

__all__ = [
    "ACTIVE_ONLY_COLUMNS",
    "COMPARISON_REFERENCE",
    "INTERVAL_METHOD",
    "LEADERBOARD_METRICS",
    "LEADERBOARD_SUPPORT",
    "RANKING_METRIC",
    "compare",
    "leaderboard",
    "summarize",
    "t_interval",
]

INTERVAL_METHOD = (
    "95% Student t-interval over seeds: mean ± t(0.975, n−1)·s/√n over the n seeds where the metric is defined, "
    "clipped to the metric's range (none with one seed); censored metrics (time to detection): median over seeds "
    "with undetected seeds as +inf (null when not reached), range over seeds"
)

LEADERBOARD_METRICS: tuple[str, ...] = (
    "deployment_auprc",
    "deployment_recall_at_fpr_0.001",
    "budget_precision",
    "budget_recall",
    "calibrated_precision",
    "calibrated_recall",
    "calibrated_alarms_per_day",
    "calibrated_ttd_median_s",
    "auprc",
    "precision",
    "recall",
    "detection_rate",
    "ttd_median_s",
    "leakage_share",
    "legit_flagged",
    "alarms_per_day",
)
"""The columns of the leaderboard (every metric is in ``summary.json``): first the
figures at deployment conditions (passive runs: at the prevalence the scenario
declares, the analysts' budget, the warm-up threshold), then the figures as
simulated at the alarm policy's fixed threshold. Passive tables leave out
:data:`ACTIVE_ONLY_COLUMNS` (their workload is the warm-up threshold's alarms per day)."""

ACTIVE_ONLY_COLUMNS: tuple[str, ...] = ("alarms_per_day",)
"""Leaderboard columns shown for closed loops only."""

LEADERBOARD_SUPPORT: tuple[str, ...] = ("recall_at_zero_fp",)
"""Metrics the leaderboard frame carries without a column of their own (the bound shown
for an unresolved recall at FPR ≤ 0.1%)."""

RANKING_METRIC = "budget_recall"
"""Passive leaderboards rank by it first: the recall of the attacker accounts the analysts
reviewed within their daily budget. It accounts for collateral: every customer a
detector flags takes a review that an attacker's alarm then does not get, so a noisy
detector ranks below a precise one that finds as many, and one that alarms on nothing
ranks last. Ties (and runs without it) are broken by :data:`TIE_BREAK`."""

TIE_BREAK = "deployment_auprc"
"""The second ranking figure of passive leaderboards (``auprc`` where a run has no
deployment figures); then the detector's name."""

RANKING_NOTE = "ranked by recall@k (recall within the analysts' budget), then AUPRC"
"""The sort key in words, for the leaderboard's caption and the report."""

COMPARISON_REFERENCE = "random"
"""The detector every other is compared with, seed by seed, in ``summary.json``
(chance: a detector must beat it to mean anything)."""

_KEYS = ["scenario", "mode", "detector", "metric"]


@functools.lru_cache(maxsize=64)
def _t_quantile(q: float, df: int) -> float:
    """Student's t quantile (the same few degrees of freedom come back for every figure)."""
    return float(stats.t.ppf(q, df))


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of the finite ``values`` with a Student t-interval.

    >>> [round(v, 3) for v in t_interval(np.array([0.5, 0.7, 0.6]))]
    [0.6, 0.352, 0.848]
    >>> t_interval(np.array([0.4]))
    (0.4, nan, nan)
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(finite.mean())
    if finite.size < 2:
        return mean, math.nan, math.nan
    half = float(_t_quantile(0.5 + confidence / 2, finite.size - 1) * finite.std(ddof=1) / math.sqrt(finite.size))
    return mean, mean - half, mean + half


def _summary_row(metric: str, values: np.ndarray) -> dict[str, object]:
    info = CATALOGUE.get(metric)
    if info is not None and info.censored:
        observed = np.where(np.isfinite(values), values, np.inf)
        median = float(np.median(observed))
        return {
            "statistic": "median",
            "value": median if math.isfinite(median) else math.nan,
            "low": float(observed.min()) if np.isfinite(observed.min()) else math.nan,
            "high": float(observed.max()) if np.isfinite(observed.max()) else math.nan,
            "n": int(np.isfinite(values).sum()),
        }
    mean, low, high = t_interval(values)
    if info is not None and info.bounds is not None:
        # the mean of values in range is in range but for rounding; the interval is clipped to it
        lo, hi = info.bounds
        mean = min(max(mean, lo), hi) if math.isfinite(mean) else mean
        if math.isfinite(low):
            low, high = min(max(low, lo), hi), max(min(high, hi), lo)
    return {"statistic": "mean", "value": mean, "low": low, "high": high, "n": int(np.isfinite(values).sum())}


def _runs(frame: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """``frame`` sorted by ``keys`` then seed, and the (start, end) rows of each run of
    equal keys: the groups of ``frame.groupby(keys, sort=True)``, each in seed order,
    without building a frame per group (there is one per figure of the run)."""
    ordered = frame.sort_values([*keys, "seed"], kind="stable")
    n = len(ordered)
    if not n:
        return ordered, []
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for key in keys:
        column = ordered[key].to_numpy(dtype=object)
        change[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(change).tolist()
    return ordered, list(zip(starts, [*starts[1:], n], strict=True))


def summarize(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, mode, detector, metric) of the tidy ``metrics`` table:
    ``statistic`` (mean or median), ``value``, ``low``, ``high``, ``n`` (seeds where
    defined) and ``seeds`` (seeds run)."""
    ordered, runs = _runs(metrics, _KEYS)
    keys = [ordered[key].to_numpy(dtype=object) for key in _KEYS]
    values = ordered["value"].to_numpy(dtype=np.float64)
    rows = []
    for start, end in runs:
        key = [column[start] for column in keys]
        rows.append(
            {**dict(zip(_KEYS, key, strict=True)), **_summary_row(str(key[3]), values[start:end]), "seeds": end - start}
        )
    columns = [*_KEYS, "statistic", "value", "low", "high", "n", "seeds"]
    return pd.DataFrame(rows, columns=columns)


def compare(metrics: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Paired differences ``detector − reference`` per (scenario, mode, metric), over
    the seeds where both are defined: ``mean``, ``low``, ``high`` (t-interval), ``n``
    (seeds where both are defined). Censored metrics are left out. Empty if
    ``reference`` did not run."""
    columns = ["scenario", "mode", "metric", "detector", "reference", "mean", "low", "high", "n"]
    censored = metrics["metric"].map(lambda m: CATALOGUE[m].censored if m in CATALOGUE else False).astype(bool)
    plain = metrics[~censored]  # (a boolean mask even when empty: an empty object Series would select columns)
    where = ["scenario", "mode", "metric"]
    ours = plain[plain["detector"] == reference][[*where, "seed", "value"]].rename(columns={"value": "reference"})
    if ours.empty:
        return pd.DataFrame([], columns=columns)
    # every detector of a (scenario, mode, metric) that the reference ran, on its seeds
    paired = plain[plain["detector"] != reference].merge(ours, on=[*where, "seed"], how="left")
    ran = pd.MultiIndex.from_frame(ours[where].drop_duplicates())
    paired = paired[pd.MultiIndex.from_frame(paired[where]).isin(ran)]
    ordered, runs = _runs(paired, [*where, "detector"])
    keys = [ordered[key].to_numpy(dtype=object) for key in [*where, "detector"]]
    diffs = ordered["value"].to_numpy(dtype=np.float64) - ordered["reference"].to_numpy(dtype=np.float64)
    rows = []
    for start, end in runs:
        scenario, mode, metric, detector = (column[start] for column in keys)
        mean, low, high = t_interval(diffs[start:end])
        rows.append(
            {
                "scenario": scenario,
                "mode": mode,
                "metric": metric,
                "detector": detector,
                "reference": reference,
                "mean": mean,
                "low": low,
                "high": high,
                "n": int(np.isfinite(diffs[start:end]).sum()),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def leaderboard(
    summary: pd.DataFrame, cost: pd.DataFrame | None = None, scenarios: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per (scenario, mode, detector) with the :data:`LEADERBOARD_METRICS`
    (columns ``<metric>``, ``<metric>_low``, ``<metric>_high``, ``<metric>_n``), the
    mean ``events_per_s`` if ``cost`` is given and ``seeds``. Scenarios come in the
    order of ``scenarios`` (default: by name), passive before active; within each,
    detectors are ranked in passive mode by recall within the analysts' budget
    (:data:`RANKING_METRIC`), then AUPRC at deployment weight (:data:`TIE_BREAK`; plain
    AUPRC for runs without it), then name; in active mode by leakage share, then name."""
    shown = summary[summary["metric"].isin(LEADERBOARD_METRICS + LEADERBOARD_SUPPORT)]
    rows = []
    for (scenario, mode, detector), group in shown.groupby(["scenario", "mode", "detector"], sort=True):
        row: dict[str, object] = {"scenario": scenario, "mode": mode, "detector": detector}
        for record in group.itertuples(index=False):
            row[record.metric] = record.value
            row[f"{record.metric}_low"] = record.low
            row[f"{record.metric}_high"] = record.high
            row[f"{record.metric}_n"] = record.n
        row["seeds"] = int(group["seeds"].max())
        rows.append(row)
    board = pd.DataFrame(rows)
    if board.empty:
        return board
    if cost is not None and not cost.empty:
        speed = cost.groupby(["scenario", "mode", "detector"])["events_per_s"].mean().rename("events_per_s")
        board = board.join(speed, on=["scenario", "mode", "detector"])

    def column(name: str, missing: float) -> pd.Series:
        return board[name].astype(float).fillna(missing) if name in board else pd.Series(missing, index=board.index)

    # best first; an undefined figure ranks last
    passive = board["mode"] == "passive"
    primary = column(RANKING_METRIC, -1.0)
    tie = column(TIE_BREAK, np.nan).where(lambda v: v.notna(), column("auprc", -1.0)).fillna(-1.0)
    order = {name: i for i, name in enumerate(scenarios or sorted(board["scenario"].unique()))}
    board = board.assign(
        _scenario=board["scenario"].map(order).fillna(len(order)),
        _mode=(~passive).astype(int),
        _rank=np.where(passive, -primary, column("leakage_share", 2.0)),
        _tie=np.where(passive, -tie, 0.0),
    )
    board = board.sort_values(["_scenario", "scenario", "_mode", "_rank", "_tie", "detector"], kind="stable")
    return board.drop(columns=["_scenario", "_mode", "_rank", "_tie"]).reset_index(drop=True)
