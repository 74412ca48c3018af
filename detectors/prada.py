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
from scipy import stats

from detectors.accounts import AccountIndex, runs
from detectors.base import Constraint, Detector, Interval, scores_series
from simulator.traffic import RequestBatch

__all__ = ["QueryDistribution"]


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

    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "index_"):
            self._start()
        r = batch.requests
        if r.empty:
            return None
        ix = self.index_
        codes = ix.codes(r["account_id"])
        order = np.lexsort((r["ts"].to_numpy(), codes))
        c = codes[order]
        fp = r["prompt_simhash"].to_numpy(dtype=np.uint64)[order]
        rank, size = runs(c)  # position of each request within its account's tick
        stored = ix["stored"][c]
        ring = ix["fingerprints"][c]  # (n, memory): fingerprints of earlier ticks
        valid = np.arange(self.memory)[None, :] < np.minimum(stored, self.memory)[:, None]
        with_ring = np.where(valid, np.bitwise_count(ring ^ fp[:, None]), 64).min(axis=1)
        distance = np.where(stored > 0, with_ring, np.inf)
        for lag in range(1, min(self.memory, int(rank.max())) + 1):
            same = rank >= lag
            d = np.full(c.size, np.inf)
            d[same] = np.bitwise_count(fp[same] ^ fp[np.flatnonzero(same) - lag])
            distance = np.minimum(distance, d)

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
            p[~flat] = stats.normaltest(window[~flat], axis=1).pvalue
        score = np.where(flat, 1.0, 1.0 - np.nan_to_num(p, nan=1.0))
        return scores_series(ix.ids(ready), score)

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
