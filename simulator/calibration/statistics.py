"""Statistics that compare simulated traffic with real traces: pure functions of arrays.

Each takes plain numpy arrays (timestamps in seconds, token counts, per-client
volumes) and returns a number or a small array, with the formula below.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "QUANTILES",
    "gini",
    "hourly_profile",
    "index_of_dispersion",
    "inter_arrival_cv",
    "ks_statistic",
    "peak_to_trough",
    "session_structure",
    "top_share",
    "window_cv",
]

QUANTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
"""Quantiles reported for token lengths."""


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative ``values``:
    ``G = Σᵢ (2i − n − 1) x₍ᵢ₎ / (n Σ x)`` over the sorted values (0: equal, → 1: one holds all).

    >>> round(gini(np.array([1.0, 1.0, 1.0, 1.0])), 3), round(gini(np.array([0.0, 0.0, 0.0, 1.0])), 3)
    (0.0, 0.75)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n == 0 or x.sum() <= 0:
        return float("nan")
    return float(np.dot(2 * np.arange(1, n + 1) - n - 1, x) / (n * x.sum()))


def top_share(values: np.ndarray, fraction: float = 0.01) -> float:
    """Share of the total held by the largest ``ceil(fraction · n)`` values.

    >>> top_share(np.array([1.0] * 99 + [101.0]))
    0.505
    """
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    if x.size == 0 or x.sum() <= 0:
        return float("nan")
    k = max(1, int(np.ceil(fraction * x.size)))
    return float(x[:k].sum() / x.sum())


def _segments(ts: np.ndarray, span: float | None) -> list[np.ndarray]:
    ts = np.sort(np.asarray(ts, dtype=np.float64))
    if span is None or ts.size == 0:
        return [ts]
    index = np.floor((ts - ts[0]) / span).astype(np.int64)
    bounds = np.flatnonzero(np.diff(index)) + 1
    return np.split(ts, bounds)


def inter_arrival_cv(ts: np.ndarray, span: float | None = None) -> float:
    """Coefficient of variation (std / mean) of the gaps between consecutive
    arrivals. With ``span`` (s), gaps are taken within consecutive segments of that
    length (so a week of simulation compares with a half-hour trace) and pooled."""
    gaps = [np.diff(segment) for segment in _segments(ts, span) if segment.size >= 2]
    if not gaps:
        return float("nan")
    pooled = np.concatenate(gaps)
    mean = pooled.mean()
    return float(pooled.std() / mean) if mean > 0 else float("nan")


def index_of_dispersion(ts: np.ndarray, width: float, span: float | None = None) -> float:
    """Variance over mean of arrival counts in consecutive bins of ``width`` seconds
    (1 for a Poisson process, larger when bursty). Bins run from the first arrival;
    the last, partial bin is dropped. With ``span``, the index is computed within
    each segment of that length holding at least two full bins, and averaged."""
    values = []
    for segment in _segments(ts, span):
        if segment.size == 0:
            continue
        length = (span if span is not None else segment[-1] - segment[0]) // width
        if length < 2:
            continue
        counts = np.bincount(np.floor((segment - segment[0]) / width).astype(np.int64), minlength=int(length))
        counts = counts[: int(length)]
        if counts.mean() > 0:
            values.append(counts.var() / counts.mean())
    return float(np.mean(values)) if values else float("nan")


def hourly_profile(hour_of_day: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Mean-one activity profile over the 24 hours of the day from events at
    ``hour_of_day`` (0-23, optionally weighted, e.g. by requests per hour)."""
    hours = np.asarray(hour_of_day, dtype=np.int64) % 24
    totals = np.bincount(hours, weights=weights, minlength=24).astype(np.float64)
    return totals / totals.mean() if totals.sum() > 0 else totals


def peak_to_trough(profile: np.ndarray) -> float:
    """Ratio of the busiest to the quietest hour of a 24-hour profile."""
    profile = np.asarray(profile, dtype=np.float64)
    return float(profile.max() / profile.min()) if profile.min() > 0 else float("inf")


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic ``sup |F_a − F_b|`` (0: same distribution)."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    return float(stats.ks_2samp(np.asarray(a), np.asarray(b)).statistic)


def window_cv(ts: np.ndarray, client: np.ndarray, width: float = 600.0, min_count: int = 10) -> np.ndarray:
    """Per-client inter-arrival CV inside windows of ``width`` seconds, as ServeGen
    reports it: for each client, the mean of its windows' CVs weighted by the
    windows' request counts, over windows with at least ``min_count`` requests.
    Returns one value per client that has such a window."""
    ts = np.asarray(ts, dtype=np.float64)
    client = np.asarray(client, dtype=np.int64)
    if ts.size < 2:
        return np.empty(0)
    window = np.floor((ts - ts.min()) / width).astype(np.int64)
    cell_key = client * (int(window.max()) + 1) + window
    order = np.lexsort((ts, cell_key))
    ts, cell_key, client = ts[order], cell_key[order], client[order]
    cells, cell, counts = np.unique(cell_key, return_inverse=True, return_counts=True)
    same = cell[1:] == cell[:-1]
    gaps, gap_cell = np.diff(ts)[same], cell[1:][same]
    n = np.bincount(gap_cell, minlength=cells.size).astype(np.float64)
    total = np.bincount(gap_cell, weights=gaps, minlength=cells.size)
    square = np.bincount(gap_cell, weights=gaps**2, minlength=cells.size)
    keep = (counts >= max(min_count, 2)) & (total > 0)
    mean = total[keep] / n[keep]
    cv = np.sqrt(np.maximum(square[keep] / n[keep] - mean**2, 0.0)) / mean
    weight = counts[keep].astype(np.float64)
    owner = np.empty(cells.size, dtype=np.int64)
    owner[cell] = client
    _, owner_index = np.unique(owner[keep], return_inverse=True)
    return np.bincount(owner_index, weights=cv * weight) / np.bincount(owner_index, weights=weight)


def session_structure(conversation: np.ndarray) -> tuple[float, float, float]:
    """(share of single-request sessions, mean requests per session, 99th percentile
    of requests per session) from each request's session or conversation id."""
    _, sizes = np.unique(np.asarray(conversation), return_counts=True)
    if sizes.size == 0:
        return float("nan"), float("nan"), float("nan")
    return float((sizes == 1).mean()), float(sizes.mean()), float(np.percentile(sizes, 99))
