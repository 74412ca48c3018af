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

import functools
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import special

from detectors.accounts import AccountIndex
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
    eps = np.finfo(np.float64).eps
    count = a.shape[1]  # np.mean's sums divided by the count, without its per-call overhead
    mean = np.add.reduce(a, axis=1, keepdims=True) / count
    mean_reduced = np.squeeze(mean, axis=1)
    deviation = a - mean
    square = deviation**2
    m2 = np.add.reduce(square, axis=1) / count
    cube = square.copy()
    cube *= deviation
    m3 = np.add.reduce(cube, axis=1) / count
    m4 = np.add.reduce(square**2, axis=1) / count
    skew_scale, delta, alpha, expected, variance, big_a, term1 = _normaltest_constants(a.shape[1])
    with np.errstate(all="ignore"):
        zero = m2 <= (eps * mean_reduced) ** 2
        b2 = np.where(zero, np.nan, m3 / m2**1.5)
        y = b2 * skew_scale
        y = np.where(y == 0, 1.0, y)
        z_skew = delta * np.log(y / alpha + np.sqrt((y / alpha) ** 2 + 1))

        kurtosis = np.where(zero, np.nan, m4 / m2**2.0)
        x = (kurtosis - expected) / variance**0.5
        denom = 1 + x * (2 / (big_a - 4.0)) ** 0.5
        term2 = np.sign(denom) * np.where(denom == 0.0, np.nan, ((1 - 2.0 / big_a) / np.abs(denom)) ** (1 / 3))
        z_kurtosis = (term1 - term2) / (2 / (9.0 * big_a)) ** 0.5
        statistic = z_skew * z_skew + z_kurtosis * z_kurtosis
    return special.chdtrc(np.asarray(2.0, dtype=statistic.dtype), statistic)


@functools.cache
def _normaltest_constants(size: int) -> tuple[np.ndarray, ...]:
    """The terms of :func:`normaltest_pvalues` that depend on the sample size alone
    (0-d float64 arrays, computed with scipy's very operations): the skewness
    statistic's scale, δ and α (D'Agostino 1970), then the kurtosis' expected value
    and variance, A and 1 − 2/(9A) (Anscombe and Glynn 1983)."""
    n = np.asarray(size, dtype=np.float64)
    with np.errstate(all="ignore"):
        skew_scale = np.sqrt(((n + 1) * (n + 3)) / (6.0 * (n - 2)))
        beta2 = 3.0 * (n**2 + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2.0) * (n + 5) * (n + 7) * (n + 9))
        w2 = -1 + np.sqrt(2 * (beta2 - 1))
        delta = 1 / np.sqrt(0.5 * np.log(w2))
        alpha = np.sqrt(2.0 / (w2 - 1))
        expected = 3.0 * (n - 1) / (n + 1)
        variance = 24.0 * n * (n - 2) * (n - 3) / ((n + 1) * (n + 1.0) * (n + 3) * (n + 5))
        sqrtbeta1 = (
            6.0
            * (n * n - 5 * n + 2)
            / ((n + 7) * (n + 9))
            * ((6.0 * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3))) ** 0.5
        )
        big_a = 6.0 + 8.0 / sqrtbeta1 * (2.0 / sqrtbeta1 + (1 + 4.0 / (sqrtbeta1**2)) ** 0.5)
        term1 = 1 - 2 / (9.0 * big_a)
    return skew_scale, delta, alpha, expected, variance, big_a, term1


def _closest_earlier(fp: np.ndarray, rank: np.ndarray, memory: int) -> np.ndarray:
    """For requests grouped by account, each account's in time order (``rank``: position
    within the account's run), the smallest Hamming distance (bits, uint8) between
    each row's fingerprint ``fp`` and those of the up to ``memory`` requests of its
    account just before it; 64 for a row without any (rank 0).

    Only the pairs that count are compared: row ``i`` with rows ``i − 1 … i − min(rank,
    memory)``, laid end to end row after row (a third of the ``memory × rows`` grid of
    every lag for every row, on the traffic of the bundled scenarios), each row's
    minimum one ``numpy.minimum.reduceat`` over its run.

    >>> fp = np.array([0, 1, 3, 7, 0], dtype=np.uint64)  # two accounts: 3 rows, then 2
    >>> _closest_earlier(fp, np.array([0, 1, 2, 0, 1]), memory=1).tolist()
    [64, 1, 1, 64, 3]
    """
    lags = np.minimum(rank, memory)  # the earlier rows compared, per row
    closest = np.full(fp.size, 64, dtype=np.uint8)
    rows = np.flatnonzero(lags)
    if rows.size == 0:
        return closest
    lags = lags[rows]
    starts = np.cumsum(lags) - lags  # where each row's run of pairs starts
    pairs = int(starts[-1] + lags[-1])
    earlier = np.repeat(rows + starts - 1, lags) - np.arange(pairs)  # i − 1, i − 2, … within each run
    distance = np.bitwise_count(np.repeat(fp[rows], lags) ^ fp[earlier])
    closest[rows] = np.minimum.reduceat(distance, starts)
    return closest


def _closest_stored(ring: np.ndarray, stored: np.ndarray, sizes: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """For requests grouped by account (``sizes[i]`` rows of account i, whose ring of
    earlier fingerprints is ``ring[i]``, ``stored[i]`` ever stored), the smallest
    Hamming distance (bits, uint8) between each row's fingerprint ``fp`` and its
    account's stored ones; meaningless for an account without any."""
    block = ring.T  # (memory, accounts)
    memory = block.shape[0]
    if (stored < memory).any():  # unused slots repeat slot 0: the minimum stays
        block = np.where(np.arange(memory)[:, None] < stored[None, :], block, block[:1])
    candidates = np.repeat(np.ascontiguousarray(block), sizes, axis=1)  # (memory, rows)
    candidates ^= fp[None, :]
    return np.bitwise_count(candidates).min(axis=0)


def _append(
    ring: np.ndarray, count: np.ndarray, accounts: np.ndarray, sizes: np.ndarray, rank: np.ndarray, values: np.ndarray
) -> None:
    """Append ``values`` to the rings of ``accounts`` (distinct; account i's are the
    next ``sizes[i]`` values, oldest first; ``rank``: each value's position among its
    account's), keeping each ring's newest ``k`` (its width); ``count[a]``, where
    account a writes next, grows by the values written."""
    k = ring.shape[1]
    skipped = np.maximum(sizes - k, 0)  # older than the newest k: never written
    slot = (np.repeat(count[accounts] - skipped, sizes) + rank) % k
    where = np.repeat(accounts * k, sizes) + slot
    if skipped.any():
        keep = rank >= np.repeat(skipped, sizes)
        where, values = where[keep], values[keep]
    ring.put(where, values)
    count[accounts] += np.minimum(sizes, k)


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
        accounts = ix.codes_for(v)  # one per account, in order of first appearance
        sizes = v.account_requests
        ts = v.column("ts")
        if ts.size < 2 or bool((ts[1:] >= ts[:-1]).all()):
            order = v.rows_by_account  # grouped by account, each in time order
        else:
            order = np.lexsort((ts, v.account_of_row))
        fp = v.column("prompt_simhash")[order]
        rank = np.arange(v.n) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # position in the account's tick
        stored = ix["stored"][accounts]
        closest = _closest_stored(np.take(ix["fingerprints"], accounts, axis=0), stored, sizes, fp)
        unseen = np.repeat(stored == 0, sizes)  # rows of accounts without stored fingerprints
        distance = np.where(unseen, np.inf, closest)
        np.minimum(distance, _closest_earlier(fp, rank, self.memory), out=distance, where=rank >= 1)

        _append(ix["fingerprints"], ix["stored"], accounts, sizes, rank, fp)
        measured = np.isfinite(distance)  # all but the first request of an account without fingerprints
        _append(
            ix["distances"],
            ix["measured"],
            accounts,
            sizes - (stored == 0),
            (rank - unseen)[measured],
            distance[measured],
        )
        touched = np.sort(accounts)
        ready = touched[ix["measured"][touched] >= self.distances]
        if ready.size == 0:
            return None
        window = np.take(ix["distances"], ready, axis=0)  # a row gather: several times faster than [ready]
        flat = np.maximum.reduce(window, axis=1) == np.minimum.reduce(window, axis=1)  # finite distances
        p = np.ones(ready.size)
        if not flat.all():
            p[~flat] = normaltest_pvalues(window[~flat])
        score = np.where(flat, 1.0, 1.0 - p)
        score[np.isnan(p)] = 0.0  # no verdict
        return ix.scores(ready, score)
