"""Per-account query distribution: PRADA's normality test on successive query distances.

PRADA (Juuti, Szyller, Marchal and Asokan, EuroS&P 2019) detects model-extraction
clients from the stream of their queries alone: for each new query it takes the
minimum distance to the client's earlier queries; a benign client's distances
look normally distributed, an extraction client's (synthetic, templated,
systematically perturbed queries) do not, and a Shapiro-Wilk statistic below a
threshold raises the alarm.

Here a query is its 64-bit ``prompt_simhash`` and distance is Hamming distance.
Per account the detector keeps its last ``memory`` fingerprints and its last
``distances`` minimum distances (ring buffers: fixed memory per account). A
request's distance is its minimum over the account's stored fingerprints and
its previous ``memory`` requests in the same tick. Once an account has
``distances`` of them, the tick's active accounts are tested together with
D'Agostino and Pearson's K² test of normality (``scipy.stats.normaltest``,
vectorised over accounts; Shapiro-Wilk has no vectorised form), and

    score = 1 − p-value

so 0.95 means normality is rejected at the 5% level. A constant distance
sequence (zero variance) is as far from normal as it gets and scores 1.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import special

from detectors.accounts import AccountIndex, runs
from detectors.base import Constraint, Detector, Interval
from detectors.sharing import shares_scores
from detectors.view import view
from simulator.traffic import RequestBatch

__all__ = ["QueryDistribution", "normaltest_pvalues"]


def normaltest_pvalues(samples: np.ndarray) -> np.ndarray:
    """P-values of D'Agostino and Pearson's K² test of normality, one per row of
    ``samples`` (shape (m, n), n ≥ 8): ``scipy.stats.normaltest(samples, axis=1).pvalue``
    computed with the very same floating-point operations, without its per-call
    overhead (array-API dispatch, axis and NaN handling: about a millisecond a tick).

    K² = Z_s² + Z_k², with Z_s the skewness test's statistic (D'Agostino 1970) and
    Z_k the kurtosis test's (Anscombe and Glynn 1983); p = P(χ²₂ > K²).

    >>> from scipy import stats
    >>> x = np.random.default_rng(1).normal(size=(3, 40))
    >>> bool(np.array_equal(normaltest_pvalues(x), stats.normaltest(x, axis=1).pvalue))
    True
    """
    a = np.asarray(samples, dtype=np.float64)
    n = np.asarray(a.shape[1], dtype=np.float64)
    eps = np.finfo(np.float64).eps
    mean = np.mean(a, axis=1, keepdims=True)
    mean_reduced = np.squeeze(mean, axis=1)
    deviation = a - mean
    square = deviation**2
    m2 = np.mean(square, axis=1)
    cube = square.copy()
    cube *= deviation
    m3 = np.mean(cube, axis=1)
    m4 = np.mean(square**2, axis=1)
    with np.errstate(all="ignore"):
        zero = m2 <= (eps * mean_reduced) ** 2
        b2 = np.where(zero, np.nan, m3 / m2**1.5)
        y = b2 * np.sqrt(((n + 1) * (n + 3)) / (6.0 * (n - 2)))
        beta2 = 3.0 * (n**2 + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2.0) * (n + 5) * (n + 7) * (n + 9))
        w2 = -1 + np.sqrt(2 * (beta2 - 1))
        delta = 1 / np.sqrt(0.5 * np.log(w2))
        alpha = np.sqrt(2.0 / (w2 - 1))
        y = np.where(y == 0, 1.0, y)
        z_skew = delta * np.log(y / alpha + np.sqrt((y / alpha) ** 2 + 1))

        kurtosis = np.where(zero, np.nan, m4 / m2**2.0)
        expected = 3.0 * (n - 1) / (n + 1)
        variance = 24.0 * n * (n - 2) * (n - 3) / ((n + 1) * (n + 1.0) * (n + 3) * (n + 5))
        x = (kurtosis - expected) / variance**0.5
        sqrtbeta1 = (
            6.0
            * (n * n - 5 * n + 2)
            / ((n + 7) * (n + 9))
            * ((6.0 * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3))) ** 0.5
        )
        big_a = 6.0 + 8.0 / sqrtbeta1 * (2.0 / sqrtbeta1 + (1 + 4.0 / (sqrtbeta1**2)) ** 0.5)
        term1 = 1 - 2 / (9.0 * big_a)
        denom = 1 + x * (2 / (big_a - 4.0)) ** 0.5
        term2 = np.sign(denom) * np.where(denom == 0.0, np.nan, ((1 - 2.0 / big_a) / np.abs(denom)) ** (1 / 3))
        z_kurtosis = (term1 - term2) / (2 / (9.0 * big_a)) ** 0.5
        statistic = z_skew * z_skew + z_kurtosis * z_kurtosis
    return special.chdtrc(np.asarray(2.0, dtype=statistic.dtype), statistic)


_LAG_BLOCK = 32
"""Lags compared at once by :func:`_within_tick` (bounds its temporary (rows × lags) arrays)."""


def _within_tick(fp: np.ndarray, rank: np.ndarray, later: np.ndarray, memory: int) -> np.ndarray:
    """For rows ``later`` of requests sorted by account then time (``rank``: position
    within the account's run, ≥ 1 for these rows), the smallest Hamming distance
    (bits) between the row's fingerprint ``fp`` and those of the up to ``memory``
    requests of its account just before it."""
    best = np.full(later.size, 64, dtype=np.uint8)
    lags_needed = min(memory, int(rank[later].max()))
    own = fp[later][:, None]
    reach = rank[later][:, None]
    for start in range(1, lags_needed + 1, _LAG_BLOCK):
        lags = np.arange(start, min(start + _LAG_BLOCK, lags_needed + 1))
        earlier = np.maximum(later[:, None] - lags[None, :], 0)
        counts = np.where(reach >= lags[None, :], np.bitwise_count(own ^ fp[earlier]), 64)
        np.minimum(best, counts.min(axis=1), out=best)
    return best


class QueryDistribution(Detector):
    """Accounts whose successive prompt distances are not normally distributed (PRADA)."""

    signal = "distances between an account's successive prompt fingerprints"
    reference = "PRADA (Juuti et al., IEEE EuroS&P 2019): normality test of minimum distances between queries"
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "memory": Interval(int, 1, 1024, closed="both"),
        "distances": Interval(int, 20, 1024, closed="both"),
    }

    def __init__(self, memory: int = 32, distances: int = 32) -> None:
        self.memory = memory
        self.distances = distances

    def _start(self) -> None:
        self.check_params()
        self.index_ = ix = AccountIndex()
        ix.add_array("fingerprints", np.uint64, (self.memory,))
        ix.add_array("stored", np.int64)
        ix.add_array("distances", np.float64, (self.distances,))
        ix.add_array("measured", np.int64)

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "index_"):
            self._start()
        v = view(batch)
        if v.n == 0:
            return None
        ix = self.index_
        codes = ix.codes_for(v)[v.account_of_row]
        order = np.lexsort((v.column("ts"), codes))
        c = codes[order]
        fp = v.column("prompt_simhash")[order]
        rank, size = runs(c)  # position of each request within its account's tick
        stored = ix["stored"][c]
        ring = np.take(ix["fingerprints"], c, axis=0)  # (n, memory): fingerprints of earlier ticks
        valid = np.arange(self.memory)[None, :] < np.minimum(stored, self.memory)[:, None]
        with_ring = np.where(valid, np.bitwise_count(ring ^ fp[:, None]), 64).min(axis=1)
        distance = np.where(stored > 0, with_ring, np.inf)
        later = np.flatnonzero(rank >= 1)  # rows with an earlier request of their account in this tick
        if later.size:
            distance[later] = np.minimum(distance[later], _within_tick(fp, rank, later, self.memory))

        self._remember(ix["fingerprints"], ix["stored"], c, rank, size, fp, self.memory)
        measured = np.isfinite(distance)
        self._remember(
            ix["distances"], ix["measured"], c[measured], *runs(c[measured]), distance[measured], self.distances
        )
        touched = np.unique(c)
        ready = touched[ix["measured"][touched] >= self.distances]
        if ready.size == 0:
            return None
        window = ix["distances"][ready]
        flat = np.ptp(window, axis=1) == 0
        p = np.ones(ready.size)
        if (~flat).any():
            p[~flat] = normaltest_pvalues(window[~flat])
        score = np.where(flat, 1.0, 1.0 - np.nan_to_num(p, nan=1.0))
        return ix.scores(ready, score)

    @staticmethod
    def _remember(
        ring: np.ndarray,
        count: np.ndarray,
        c: np.ndarray,
        rank: np.ndarray,
        size: np.ndarray,
        values: np.ndarray,
        k: int,
    ) -> None:
        """Append each account's values (sorted by code, then time) to its ring of ``k``,
        keeping the newest; ``count`` is the number ever appended."""
        keep = rank >= size - k
        slot = (count[c[keep]] + rank[keep] - np.maximum(size[keep] - k, 0)) % k
        ring[c[keep], slot] = values[keep]
        np.add.at(count, c[keep], 1)
