"""Cross-account synchrony: groups of accounts that act in lockstep.

SynchroTrap (Cao, Yang, Yu and Palow, CCS 2014) and CopyCatch (Beutel, Xu,
Guruswami, Palow and Faloutsos, WWW 2013) catch fake-account rings because
accounts run by one controller act at the same moments: their sets of
(time bucket, action) pairs overlap far more than independent users' do. A hydra
cluster firing its pool on one shared schedule does exactly that.

Each account's recent activity is a set of elements ``(time bucket, action)``:
every request adds the ``bucket_seconds``-wide bucket its ``ts`` falls in, on two
grids shifted by half a bucket (so two requests a few seconds apart always share
one), combined with the request's ``action`` column (default the model; ``None``
for time alone). The set's similarity to other accounts' is its Jaccard index,
estimated by MinHash (Broder, 1997): a ``signature`` of minima of seeded 64-bit
hashes over the set, kept per account and updated with ``numpy.minimum`` —
fixed memory per account, over a sliding window of two generations of ``window``
ticks. Every ``every`` ticks the signatures are cut into bands of ``rows``
values (LSH banding): two accounts with Jaccard ``J`` share a band with
probability ``J^rows``, so an account's band is shared by about ``J^rows`` of the
accounts it moves with. An account's group is the *median* over its bands of the
number of accounts sharing the band, among accounts with at least
``min_events`` distinct buckets in the window. The median, not the largest: an
occasional user whose few requests fall in the ring's busy minutes matches the
ring in a band or two (its set is nearly a subset of the ring's), a ring member
in most of them.

    score = (group − 1) / (group − 1 + half_group)

0 for an account alone, 0.5 for one in lockstep with ``half_group`` others.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from detectors.accounts import AccountIndex, hash_strings
from detectors.base import Constraint, Detector, Interval
from detectors.sharing import shares_scores
from detectors.view import BatchView, view
from simulator.hashing import splitmix64
from simulator.traffic import RequestBatch

__all__ = ["Lockstep", "band_groups"]

_EMPTY = np.iinfo(np.uint64).max


def band_groups(signatures: np.ndarray, rows: int) -> np.ndarray:
    """For each row of ``signatures`` (accounts × hashes) and each band of ``rows``
    values, the number of rows that agree with it on the whole band: shape
    (accounts, bands).

    >>> sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.uint64)
    >>> band_groups(sig, rows=2).tolist()
    [[3, 2], [3, 1], [3, 2], [1, 1]]
    """
    n, k = signatures.shape
    bands = k // rows
    if n == 0 or bands == 0:
        return np.zeros((n, bands), dtype=np.int64)
    keys = np.broadcast_to(np.arange(bands, dtype=np.uint64), (n, bands)).copy()
    for j in range(rows):
        keys = splitmix64(keys ^ signatures[:, j : bands * rows : rows])
    codes, _ = pd.factorize(keys.ravel())  # hashing, not sorting: only the counts matter
    return np.bincount(codes)[codes].reshape(n, bands)


def _distinct_sorted(values: np.ndarray, bound: int) -> np.ndarray:
    """The distinct values (ascending) of non-negative integers below ``bound``: marked in a
    table when ``bound`` is small next to the number of values, else sorted."""
    if bound > 4 * values.size + 1024:
        return np.unique(values)
    seen = np.zeros(bound, dtype=bool)
    seen[values] = True
    return np.flatnonzero(seen)


def _numbered(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values (ascending) of non-negative integers below ``bound``, and the
    position of each value among them (``numpy.unique`` with ``return_inverse``): by a
    table when ``bound`` is small next to the number of values."""
    if bound > 4 * values.size + 4096:
        return np.unique(values, return_inverse=True)
    seen = np.zeros(bound, dtype=bool)
    seen[values] = True
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[values]


def _row_medians(values: np.ndarray) -> np.ndarray:
    """``numpy.median(values, axis=1)`` of integers (exact: the mean of the two middle
    values of a row is a half-integer), by sorting each row."""
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    ordered = np.sort(values, axis=1)
    middle = values.shape[1] // 2
    if values.shape[1] % 2:
        return ordered[:, middle].astype(np.float64)
    return (ordered[:, middle - 1] + ordered[:, middle]) / 2.0


def _changes(values: np.ndarray) -> np.ndarray:
    """Whether each entry differs from the one before it (the first always does)."""
    changed = np.ones(values.size, dtype=bool)
    np.not_equal(values[1:], values[:-1], out=changed[1:])
    return changed


class Lockstep(Detector):
    """Groups of accounts active in the same time buckets (MinHash LSH over activity)."""

    signal = "synchronised timing across accounts"
    reference = (
        "SynchroTrap (Cao et al., CCS 2014); CopyCatch (Beutel et al., WWW 2013); MinHash (Broder 1997) "
        "with LSH banding"
    )
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "bucket_seconds": Interval(float, 0.0, None, closed="neither"),
        "window": Interval(int, 1, None),
        "signature": Interval(int, 1, 256, closed="both"),
        "rows": Interval(int, 1, 16, closed="both"),
        "min_events": Interval(int, 1, None),
        "half_group": Interval(float, 0.0, None, closed="neither"),
        "every": Interval(int, 1, None),
        "seed": Interval(int, 0, None),
    }

    def __init__(
        self,
        bucket_seconds: float = 60.0,
        action: str | None = "model",
        window: int = 360,
        signature: int = 32,
        rows: int = 2,
        min_events: int = 4,
        half_group: float = 10.0,
        every: int = 10,
        seed: int = 0,
    ) -> None:
        self.bucket_seconds = bucket_seconds
        self.action = action
        self.window = window
        self.signature = signature
        self.rows = rows
        self.min_events = min_events
        self.half_group = half_group
        self.every = every
        self.seed = seed

    def _start(self) -> None:
        self.check_params()
        rng = np.random.default_rng(self.seed)
        self.salts_ = rng.integers(0, _EMPTY, size=self.signature, dtype=np.uint64, endpoint=True)
        self.index_ = ix = AccountIndex()
        # MinHash signatures of the current generation, and of the window (both generations)
        ix.add_array("signature", np.uint64, (2, self.signature), fill=_EMPTY)
        ix.add_array("events", np.float64, (2,))
        ix.add_array("last_bucket", np.int64, fill=-1)
        ix.add_array("score", np.float64, fill=np.nan)
        self.generation_ = 0
        self.action_hashes_: dict[str, int] = {}
        self.action_tables_: dict[tuple[str, ...], np.ndarray] = {}

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "index_"):
            self._start()
        if batch.tick // self.window != self.generation_:
            self._rotate(batch.tick // self.window)
        v = view(batch)
        if v.n:
            self._learn(v)
        if (batch.tick + 1) % self.every:
            return None
        return self._evaluate()

    def _action(self, v: BatchView) -> tuple[np.ndarray, np.ndarray]:
        """(per row, its action's position in the batch's actions; per action, the
        salted hash of its text): hashed once per distinct value. Without an
        ``action`` column, one action of hash 0."""
        if self.action is None:
            return np.zeros(v.n, dtype=np.int64), np.zeros(1, dtype=np.uint64)
        codes, vocabulary = v.codes(self.action)
        names = (*vocabulary, "nan")  # "nan": a missing value
        table = self.action_tables_.get(names)
        if table is None:
            known = self.action_hashes_
            unseen = [name for name in names if name not in known]
            if unseen:
                known.update(zip(unseen, hash_strings(np.array(unseen, dtype=object), salt=11).tolist(), strict=True))
            table = self.action_tables_[names] = np.array([known[n] for n in names], dtype=np.uint64)
        return np.where(codes < 0, len(vocabulary), codes), table

    def _learn(self, v: BatchView) -> None:
        ix = self.index_
        per_account = ix.codes_for(v)  # one per account of the batch
        position = v.column("ts") / self.bucket_seconds
        bucket = np.floor(position).astype(np.int64)
        shifted = np.floor(position + 0.5).astype(np.int64)
        action, hashes = self._action(v)
        # the tick's elements, (bucket, action) on each grid (the grid in the lowest bit), numbered
        # densely over their range when it is small, then the distinct (account, element) pairs, sorted
        # by account, then bucket, action and grid
        width = hashes.size
        keys = np.concatenate([(bucket * width + action) * 2, (shifted * width + action) * 2 + 1])
        low = int(keys.min())
        size = int(keys.max()) - low + 1
        if size <= 4 * keys.size + 64:
            elements, element_of = low + np.arange(size), keys - low  # keys without rows are never used
        else:
            elements, element_of = np.unique(keys, return_inverse=True)
        pairs = _distinct_sorted(np.tile(v.account_of_row, 2) * elements.size + element_of, v.accounts * elements.size)
        account, element = np.divmod(pairs, elements.size)
        # MinHash: per account, the minimum of each salted hash over its elements
        key = elements >> 1
        values = splitmix64((key // width).astype(np.uint64) ^ hashes[key % width])
        grid = (elements & 1).astype(bool)
        values[grid] = splitmix64(values[grid] ^ np.uint64(0x5BD1E995))
        hashed = splitmix64(values[:, None] ^ self.salts_[None, :])
        starts = np.flatnonzero(_changes(account))  # every account of the batch has pairs, in order
        if elements.size <= 63:  # accounts with the same set of elements share their minima: one per set
            sets, set_of = _numbered(np.bitwise_or.reduceat(np.left_shift(1, element), starts), 1 << elements.size)
            members = (sets[:, None] >> np.arange(elements.size)) & 1 == 1
            minima = np.where(members[:, :, None], hashed[None, :, :], _EMPTY).min(axis=1)[set_of]
        else:
            minima = np.minimum.reduceat(hashed[element], starts, axis=0)
        signature = ix["signature"]  # the current generation and the window, side by side
        signature[per_account] = np.minimum(np.take(signature, per_account, axis=0), minima[:, None, :])
        # distinct buckets per account: a new bucket on the main grid counts one event
        main = ~grid[element]
        account, bucket = account[main], key[element[main]] // width
        first = _changes(account) | _changes(bucket)
        codes = per_account[account]
        new = first & (bucket != ix["last_bucket"][codes])
        ix["events"][:, 0][per_account] += np.bincount(account[new], minlength=per_account.size)
        ix["last_bucket"][codes] = bucket  # the last of an account's buckets is its latest

    def _evaluate(self) -> pd.Series | None:
        ix = self.index_
        events = ix["events"][:, 0] + ix["events"][:, 1]
        eligible = np.flatnonzero(events >= self.min_events)
        score = np.zeros(len(ix))
        if eligible.size:
            group = _row_medians(band_groups(ix["signature"][eligible, 1], self.rows))
            score[eligible] = (group - 1) / (group - 1 + self.half_group)
        previous = ix["score"]
        changed = np.flatnonzero(np.isnan(previous) & (score > 0) | (~np.isnan(previous) & (previous != score)))
        previous[changed] = score[changed]
        if changed.size == 0:
            return None
        return ix.scores(changed, score[changed])

    def _rotate(self, generation: int) -> None:
        ix = self.index_
        steps = generation - self.generation_
        self.generation_ = generation
        signature, events = ix["signature"], ix["events"]
        if steps >= 2:
            signature[:] = _EMPTY
            events[:] = 0.0
        else:  # the window holds the generation that was current
            signature[:, 1] = signature[:, 0]
            signature[:, 0] = _EMPTY
            events[:, 1] = events[:, 0]
            events[:, 0] = 0.0
