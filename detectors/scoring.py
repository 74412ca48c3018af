"""Turning raw evidence into scores in [0, 1]: the few transforms detectors share.

Every transform here is **monotone** (a larger raw value never gets a smaller
score), so a detector's ranking of accounts is the ranking of its raw evidence.

* :func:`ecdf` — the mid-rank of a raw value among a reference sample:
  ``(#{r < x} + #{r ≤ x}) / (2n)``. 0.5 means "typical of the reference", 1 "above
  all of it". Used where raw scores have no natural scale (estimator outputs).
* :func:`saturating` — ``x / (x + half)``: 0 at 0, 0.5 at ``half``, → 1.
* :func:`shrunk_share` — a share ``k / n`` pulled towards a prior ``p0`` with the
  weight of ``strength`` pseudo-requests: ``(k + strength·p0) / (n + strength)``, so
  that one request is not a 100% share (empirical-Bayes smoothing).
* :func:`noisy_or` — ``1 − Π(1 − s_i)``: the probability that at least one of
  several independent pieces of evidence fires.
* :class:`Reservoir` — a bounded sample of recent raw values, the reference of
  :func:`ecdf` for streaming models.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Reservoir", "ecdf", "noisy_or", "saturating", "shrunk_share"]


def ecdf(reference_sorted: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Mid-rank of each ``raw`` value in ``reference_sorted`` (ascending), in [0, 1].

    >>> ecdf(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 2.0, 9.0])).tolist()
    [0.0, 0.375, 1.0]
    """
    raw = np.asarray(raw, dtype=np.float64)
    n = reference_sorted.size
    if n == 0:
        return np.full(raw.shape, 0.5)
    below = np.searchsorted(reference_sorted, raw, side="left")
    at_most = np.searchsorted(reference_sorted, raw, side="right")
    return (below + at_most) / (2.0 * n)


def saturating(x: np.ndarray, half: float) -> np.ndarray:
    """``x / (x + half)`` for ``x ≥ 0`` (negative values give 0).

    >>> saturating(np.array([0.0, 1.0, 3.0]), 1.0).tolist()
    [0.0, 0.5, 0.75]
    """
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    return x / (x + half)


def shrunk_share(hits: np.ndarray, total: np.ndarray, prior: float | np.ndarray, strength: float) -> np.ndarray:
    """``(hits + strength · prior) / (total + strength)``; the prior share when ``total`` is 0.

    >>> shrunk_share(np.array([1.0, 100.0]), np.array([1.0, 100.0]), 0.1, 9.0).round(3).tolist()
    [0.19, 0.926]
    """
    hits = np.asarray(hits, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    return (hits + strength * np.asarray(prior)) / np.maximum(total + strength, 1e-12)


def noisy_or(*scores: np.ndarray) -> np.ndarray:
    """``1 − Π(1 − s_i)`` element-wise over scores in [0, 1].

    >>> noisy_or(np.array([0.5, 0.0]), np.array([0.5, 0.25])).tolist()
    [0.75, 0.25]
    """
    keep = np.ones_like(np.asarray(scores[0], dtype=np.float64))
    for s in scores:
        keep = keep * (1.0 - np.clip(s, 0.0, 1.0))
    return 1.0 - keep


class Reservoir:
    """The last ``size`` raw values seen (a ring buffer), kept for :func:`ecdf`."""

    def __init__(self, size: int) -> None:
        self._values = np.empty(size, dtype=np.float64)
        self._count = 0

    def __len__(self) -> int:
        return min(self._count, self._values.size)

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()[-self._values.size :]
        at = (self._count + np.arange(values.size)) % self._values.size
        self._values[at] = values
        self._count += values.size

    def sorted(self) -> np.ndarray:
        return np.sort(self._values[: len(self)])
