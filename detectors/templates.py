"""Template repetition: near-duplicate prompts within and across accounts.

Extraction campaigns render prompts from a few hundred templates; the prompts'
64-bit SimHash fingerprints (``prompt_simhash``) then sit a few bits apart
(Charikar, STOC 2002; Manku, Jain and Das Sarma, WWW 2007, for near-duplicate
detection at web scale). Finding, for every request, the earlier requests within
Hamming distance ``max_distance`` is done with locality-sensitive hashing by bit
sampling (Indyk and Motwani, STOC 1998; Gionis, Indyk and Motwani, VLDB 1999):
``tables`` hash tables each key a fingerprint by ``bits`` randomly chosen bit
positions (seeded), so two fingerprints at distance ``d`` share a key in one
table with probability ``(1 − d/64)^bits``, and in at least one of ``tables``
with ``1 − (1 − (1 − d/64)^bits)^tables`` (d = 6, 16 bits, 8 tables: 0.84).

Each bucket keeps, in fixed memory whatever the traffic:

* a representative fingerprint (the first one seen while the bucket was empty);
  a request *matches* the bucket when it is within ``max_distance`` bits of it,
  which rejects chance collisions of unrelated prompts (P ≈ 5·10⁻⁴ at 10 bits);
* matched requests and a 64-bit bitmap of the accounts that sent them (linear
  counting: ``−64 ln(1 − ones/64)`` distinct accounts), over a sliding window of
  two generations of ``window`` ticks.

A request is *shared* when a bucket it matches has been used by at least
``min_accounts`` distinct accounts, and *repeated* when a bucket it matches holds
at least ``min_repeats`` requests (from any account, this one included). Per
account, over exponentially decayed counts (``half_life`` seconds):

    score = noisy_or(shared / (n + prior_requests), within_weight · repeated / (n + prior_requests))

so cross-account template use counts fully and mere self-repetition (batch
pipelines re-running one template) counts ``within_weight``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from detectors.accounts import DecayedSums, hash_strings
from detectors.base import Constraint, Detector, Interval
from detectors.features import DAY
from detectors.scoring import noisy_or
from detectors.sharing import shares_scores
from detectors.view import view
from simulator.hashing import splitmix64
from simulator.traffic import RequestBatch

__all__ = ["TemplateRepetition", "byte_tables", "lsh_keys"]


def byte_tables(positions: np.ndarray) -> np.ndarray:
    """Lookup tables for :func:`lsh_keys`: shape (8, 256, tables), entry ``[j, v, t]``
    the part of table ``t``'s key that byte ``j`` of a fingerprint contributes when
    it holds ``v`` (bits ``8j … 8j+7``); int32 (keys have at most 24 bits)."""
    tables = positions.shape[0]
    values = np.arange(256, dtype=np.int32)
    lut = np.zeros((8, 256, tables), dtype=np.int32)
    for t in range(tables):
        for i, position in enumerate(positions[t].tolist()):
            byte, bit = divmod(int(position), 8)
            lut[byte, :, t] |= ((values >> bit) & 1) << i
    return lut


def lsh_keys(fingerprints: np.ndarray, positions: np.ndarray, lut: np.ndarray | None = None) -> np.ndarray:
    """Bucket keys of 64-bit ``fingerprints`` under bit sampling: shape (n, tables),
    key ``Σ_i bit(positions[t, i]) · 2^i`` for table ``t``; ``lut``: :func:`byte_tables`
    of ``positions``, if already built (eight table look-ups per fingerprint).

    >>> lsh_keys(np.array([0b1011], dtype=np.uint64), np.array([[0, 1, 2], [3, 2, 0]])).tolist()
    [[3, 5]]
    """
    lut = byte_tables(positions) if lut is None else lut
    data = np.ascontiguousarray(fingerprints, dtype="<u8").view(np.uint8).reshape(-1, 8).T.astype(np.intp)
    keys = lut[0].take(data[0], axis=0)
    for j in range(1, 8):
        keys |= lut[j].take(data[j], axis=0)
    return keys.astype(np.int64)


class TemplateRepetition(Detector):
    """Accounts whose prompts are near-duplicates of many other accounts' (LSH over SimHash)."""

    signal = "near-duplicate prompt fingerprints"
    reference = (
        "SimHash near-duplicates (Charikar 2002; Manku et al., WWW 2007) found by bit-sampling LSH "
        "(Indyk and Motwani 1998); templated prompts in the 2026 distillation disclosures"
    )
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "tables": Interval(int, 1, 64, closed="both"),
        "bits": Interval(int, 4, 24, closed="both"),
        "max_distance": Interval(int, 0, 64, closed="both"),
        "window": Interval(int, 1, None),
        "min_accounts": Interval(float, 1.0, None),
        "min_repeats": Interval(float, 1.0, None),
        "within_weight": Interval(float, 0.0, 1.0, closed="both"),
        "half_life": Interval(float, 0.0, None, closed="neither"),
        "prior_requests": Interval(float, 0.0, None),
        "seed": Interval(int, 0, None),
    }

    def __init__(
        self,
        tables: int = 8,
        bits: int = 16,
        max_distance: int = 10,
        window: int = 60,
        min_accounts: float = 5.0,
        min_repeats: float = 5.0,
        within_weight: float = 0.3,
        half_life: float = DAY,
        prior_requests: float = 5.0,
        seed: int = 0,
    ) -> None:
        self.tables = tables
        self.bits = bits
        self.max_distance = max_distance
        self.window = window
        self.min_accounts = min_accounts
        self.min_repeats = min_repeats
        self.within_weight = within_weight
        self.half_life = half_life
        self.prior_requests = prior_requests
        self.seed = seed

    def _start(self) -> None:
        self.check_params()
        rng = np.random.default_rng(self.seed)
        self.positions_ = np.stack([np.sort(rng.choice(64, size=self.bits, replace=False)) for _ in range(self.tables)])
        self.lut_ = byte_tables(self.positions_)
        # table t's bucket k is row t·2^bits + k: folded into the first byte's table, so
        # that the eight look-ups give the row directly
        self.flat_lut_ = self.lut_.copy()  # int32: rows stay below 2^30 (64 tables of 2^24 buckets)
        self.flat_lut_[0] |= np.arange(self.tables, dtype=np.int32) << self.bits
        # one 32-byte record per bucket, so that a look-up touches one cache line: the
        # representative, the account bitmaps of the current and previous generation,
        # and their request counts (two uint32 in the last word, the current
        # generation's in the low half: counting adds to the word, a new generation
        # shifts it)
        self.buckets_ = np.zeros((self.tables << self.bits, 4), dtype=np.uint64)
        self.generation_ = 0
        # linear counting −64 ln(1 − ones/64) ≥ min_accounts, per number of ones (0–64)
        ones = np.arange(65, dtype=np.float64)
        with np.errstate(divide="ignore"):
            self.enough_ones_ = -64.0 * np.log1p(-ones / 64.0) >= self.min_accounts
        self.sums_ = DecayedSums(self.half_life, {"requests": 1, "shared": 1, "repeated": 1})
        self.sums_.index.add_array("bit", np.uint64)

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "sums_"):
            self._start()
        if batch.tick // self.window != self.generation_:
            self._rotate(batch.tick // self.window)
        v = view(batch)
        if v.n == 0:
            return None
        ix = self.sums_.index
        if len(v.registry):  # an account's bit, from its id: the same in every run
            registered = ix.register(v)
            ix["bit"][registered] = np.uint64(1) << (
                splitmix64(v.registry_hash("account_id") ^ np.uint64(7)) & np.uint64(63)
            )
        codes = ix.codes_for(v)  # one per account of the batch
        bits = ix["bit"][codes]
        fresh = bits == 0
        if fresh.any():  # accounts without registry rows (hand-made batches, replayed logs)
            bits[fresh] = np.uint64(1) << (hash_strings(ix.ids(codes[fresh]), salt=7) & np.uint64(63))
            ix["bit"][codes[fresh]] = bits[fresh]
        fingerprints = v.column("prompt_simhash")
        flat = _bucket_rows(fingerprints, self.flat_lut_)  # (n, tables)
        representative = self._claim_empty(flat, fingerprints)
        match = np.flatnonzero(np.bitwise_count(representative ^ fingerprints[:, None]) <= self.max_distance)
        matched = flat.take(match)  # the matches, request by request
        rows = match // self.tables
        self._count(matched, bits[v.account_of_row[rows]])
        record = np.take(self.buckets_, matched, axis=0)  # (matches, 4), after this tick's counts
        accounts = self.enough_ones_[np.bitwise_count(record[:, 1] | record[:, 2])]
        counts = record[:, 3]
        held = (counts & _LOW) + (counts >> np.uint64(32))
        shared = np.zeros(v.n)
        shared[rows[accounts]] = 1.0
        repeated = np.zeros(v.n)
        repeated[rows[held >= self.min_repeats]] = 1.0
        of_row, k = v.account_of_row, v.accounts
        row = self.sums_.add(
            batch.end,
            codes,
            requests=v.account_sum("requests"),
            shared=np.bincount(of_row, weights=shared, minlength=k),
            repeated=np.bincount(of_row, weights=repeated, minlength=k),
        )
        slot = self.sums_.slot
        n = row[:, slot("requests")] + self.prior_requests
        score = noisy_or(row[:, slot("shared")] / n, self.within_weight * row[:, slot("repeated")] / n)
        return ix.scores(codes, score)

    def _count(self, matched: np.ndarray, account_bits: np.ndarray) -> None:
        """Add matched requests (their buckets' rows, their accounts' bits) to the current generation."""
        if matched.size == 0:
            return
        np.add.at(self.buckets_[:, 3], matched, np.uint64(1))  # the low half: the current generation
        _set_bits(self.buckets_[:, 1], matched, account_bits)

    def _claim_empty(self, flat: np.ndarray, fingerprints: np.ndarray) -> np.ndarray:
        """Give every empty bucket hit in this tick its first request's fingerprint;
        returns the representative of each (request, table). A bucket is in use while
        its current or previous generation counts requests (a claimed bucket always
        counts its claimer, which matches itself)."""
        record = np.take(self.buckets_, flat, axis=0)  # (n, tables, 4); [flat] is several times slower
        representative = np.ascontiguousarray(record[..., 0])
        empty = np.flatnonzero(record[..., 3] == 0)  # no request in either generation
        if empty.size == 0:
            return representative
        claimed = flat.take(empty)  # row by row: a bucket's first claimer comes first
        column = self.buckets_[:, 0]
        column[claimed] = np.iinfo(np.uint64).max  # the empty buckets' representatives are stale
        np.minimum.at(column, claimed, (empty // flat.shape[1]).astype(np.uint64))  # each bucket's first row
        first = fingerprints[column[claimed].astype(np.intp)]
        column[claimed] = first
        representative.ravel()[empty] = first
        return representative

    def _rotate(self, generation: int) -> None:
        """Start a new generation; buckets unused for two generations become free."""
        steps = generation - self.generation_
        self.generation_ = generation
        buckets = self.buckets_
        if steps >= 2:
            buckets[:, 1:] = 0
        else:
            buckets[:, 2] = buckets[:, 1]
            buckets[:, 1] = 0
            buckets[:, 3] <<= np.uint64(32)


_LOW = np.uint64(0xFFFFFFFF)
"""The low half of a 64-bit word (a bucket's current generation count)."""


def _bucket_rows(fingerprints: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """:func:`lsh_keys` with each table's first bucket row folded into ``lut`` (int32):
    the buckets' rows (int64, shape (n, tables))."""
    data = np.ascontiguousarray(fingerprints, dtype="<u8").view(np.uint8).reshape(-1, 8).T.astype(np.intp)
    keys = lut[0].take(data[0], axis=0)
    for j in range(1, 8):
        keys |= lut[j].take(data[j], axis=0)
    return keys.astype(np.int64)


def _set_bits(bitmaps: np.ndarray, at: np.ndarray, bits: np.ndarray) -> None:
    """``bitmaps[at[i]] |= bits[i]`` for every i (repeated ``at`` included): rounds of
    plain assignments, each keeping every bit already set, until every bit is in
    (``numpy.bitwise_or.at`` has no fast path: several times slower)."""
    while at.size:
        bitmaps[at] = bitmaps[at] | bits  # of writes to one bitmap, one lands
        missing = (bitmaps[at] & bits) != bits
        at, bits = at[missing], bits[missing]
