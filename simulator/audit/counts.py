"""Streaming counts per account: (account, value) pairs and busiest time slots.

Both structures are fed chunk by chunk and keep state proportional to what is
distinct, never to the number of requests:

* :class:`PairCounts` keeps one count per distinct (account, value) pair, as
  sorted runs of 64-bit keys merged like a binary counter (a new run is merged
  with the previous one while that one is at most twice its size), so adding
  ``N`` rows in chunks costs ``O(N log N)`` in all and memory ``O(distinct pairs)``:
  12 bytes a pair (a key and a 32-bit count), 8 without counts (``counted=False``:
  distinct pairs only). High-cardinality columns (SimHash bands, conversations) have
  nearly as many pairs as rows, so these bytes are what a long run's aggregates weigh;
  two sorted runs merge by inserting one into the other, in about the memory of the
  merged run, never by sorting their concatenation;
* :class:`SlotPeaks` counts requests per (account, time slot) only for the slots
  still open and folds every closed slot into two numbers per account: the slots
  with a request and the most requests in one slot. It needs rows in time order
  (as batches and ``requests.parquet`` are).

Keys are ``account << 32 | value`` (see :func:`pair_keys`); values are the dense
codes of a :class:`Vocabulary`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["PairCounts", "PairStatistics", "SlotPeaks", "Vocabulary", "grow", "pair_keys", "pair_statistics"]

VALUE_BITS = 32
_VALUE_MASK = np.int64((1 << VALUE_BITS) - 1)


def pair_keys(accounts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """64-bit keys ``account << 32 | value`` (accounts < 2³¹, values < 2³²): sorting
    them sorts by account, then value."""
    return (accounts.astype(np.int64) << VALUE_BITS) | values.astype(np.int64)


def grow(array: np.ndarray, n: int, fill: float | int = 0) -> np.ndarray:
    """``array`` extended along its first axis to at least ``n`` rows (capacity
    doubles; new rows hold ``fill``)."""
    if array.shape[0] >= n:
        return array
    capacity = max(n, 2 * array.shape[0], 16)
    bigger = np.full((capacity, *array.shape[1:]), fill, dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


def _sum_by_key(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and the sum of the integer ``counts`` for each (integer sums
    do not depend on the order of their terms, so the sort need not be stable)."""
    if keys.size == 0:
        return keys, counts
    order = np.argsort(keys)
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(counts, starts, dtype=counts.dtype)


def _sorted_keys(keys: np.ndarray) -> np.ndarray:
    """``np.sort(keys)`` of int64 keys. Where every key's high and low 32-bit halves fit
    together in 31 bits (``high << b | low``, ``b`` the bits of the largest low half: an
    order-preserving packing), the packed int32 keys are sorted, about twice as fast as
    int64, and unpacked."""
    if keys.size == 0:
        return np.sort(keys)
    high, low = keys >> VALUE_BITS, keys & _VALUE_MASK
    shift = int(low.max()).bit_length()
    if int(high.min()) < 0 or int(high.max()).bit_length() + shift > 31:
        return np.sort(keys)
    packed = np.sort(((high << shift) | low).astype(np.int32))
    return ((packed >> shift).astype(np.int64) << VALUE_BITS) | (packed & ((1 << shift) - 1)).astype(np.int64)


def _count_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and how often each occurs (uint32): :func:`_sum_by_key`
    with every count 1, by sorting the keys alone."""
    keys = _sorted_keys(keys)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else np.empty(0, dtype=np.intp)
    return keys[starts], np.diff(np.r_[starts, keys.size]).astype(np.uint32)


class Vocabulary:
    """Dense integer codes for the values of one column, in order of first appearance
    (so a code says which of two values came first, however the stream was chunked)."""

    def __init__(self) -> None:
        self._codes: dict[object, int] = {}
        self.values: list[object] = []
        """The value of each code."""

    def __len__(self) -> int:
        return len(self.values)

    def _map(self, uniques: list[object]) -> np.ndarray:
        codes = self._codes
        out = np.empty(len(uniques), dtype=np.int64)
        for i, value in enumerate(uniques):
            code = codes.get(value)
            if code is None:
                code = codes[value] = len(self.values)
                self.values.append(value)
            out[i] = code
        return out

    def encode(self, column: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
        """Codes of a column's values (each distinct value looked up once): strings
        and dictionary columns through Arrow's dictionary encoding, numbers through
        ``numpy.unique``."""
        if isinstance(column, np.ndarray):
            # codes in order of first appearance, as for strings: chunking never changes them
            uniques, first, inverse = np.unique(column, return_index=True, return_inverse=True)
            order = np.argsort(first, kind="stable")
            codes = np.empty(uniques.size, dtype=np.int64)
            codes[order] = self._map(uniques[order].tolist())
            return codes[inverse.reshape(-1)]
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return self.encode(column.to_numpy(zero_copy_only=False))
        encoded = pc.dictionary_encode(column)
        mapped = self._map(encoded.dictionary.to_pylist())
        return mapped[encoded.indices.to_numpy(zero_copy_only=False)]


def _merge_runs(
    first: tuple[np.ndarray, np.ndarray | None], second: tuple[np.ndarray, np.ndarray | None]
) -> tuple[np.ndarray, np.ndarray | None]:
    """The union of two runs (distinct sorted keys, and their counts or None), counts summed.

    The keys of ``second`` missing from ``first`` go to their places among its keys (the
    ``j``-th of them, due before ``first``'s ``i``-th key, to place ``i + j``); its other
    keys' counts are added where ``first`` has them (in place: a merged run owns its arrays)."""
    (keys, counts), (other, other_counts) = first, second
    at = np.searchsorted(keys, other)
    found = at < keys.size
    found[found] = keys[at[found]] == other[found]
    new = ~found
    places = at[new] + np.arange(np.count_nonzero(new))
    kept = np.ones(keys.size + places.size, dtype=bool)
    kept[places] = False

    def placed(old: np.ndarray, added: np.ndarray) -> np.ndarray:
        out = np.empty(kept.size, dtype=old.dtype)
        out[places] = added
        out[kept] = old
        return out

    if counts is not None and other_counts is not None:
        counts[at[found]] += other_counts[found]  # keys are distinct: no index repeats
        counts = placed(counts, other_counts[new])
    return placed(keys, other[new]), counts


class PairCounts:
    """Counts of distinct 64-bit keys (``account << 32 | value``), added in chunks of
    at most 2³² − 1 rows in all (counts are 32-bit); with ``counted=False``, only which
    keys occurred (:meth:`merged` then counts each once)."""

    _LIMIT = np.iinfo(np.uint32).max

    def __init__(self, counted: bool = True) -> None:
        self.counted = counted
        self._runs: list[tuple[np.ndarray, np.ndarray | None]] = []
        self._rows = 0

    def add(self, keys: np.ndarray) -> None:
        """Count one occurrence of each key (a chunk of rows)."""
        if keys.size == 0:
            return
        self._rows += keys.size
        if self._rows > self._LIMIT:
            raise ValueError(f"more than {self._LIMIT} rows counted: the 32-bit counts could overflow")
        if self.counted:
            self._runs.append(_count_keys(keys.astype(np.int64)))
        else:
            self._runs.append((_count_keys(keys.astype(np.int64))[0], None))
        while len(self._runs) >= 2 and self._runs[-2][0].size <= 2 * self._runs[-1][0].size:
            last = self._runs.pop()
            self._runs.append(_merge_runs(self._runs.pop(), last))

    def merged(self) -> tuple[np.ndarray, np.ndarray]:
        """Every distinct key (sorted) and its count (int64)."""
        keys, counts = self._one_run()
        return keys, np.ones(keys.size, dtype=np.int64) if counts is None else counts.astype(np.int64)

    def _one_run(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Every distinct key (sorted) and its 32-bit count (None with ``counted=False``),
        the runs merged into one and kept (no copy)."""
        if not self._runs:
            return np.empty(0, dtype=np.int64), None
        while len(self._runs) > 1:
            last = self._runs.pop()
            self._runs.append(_merge_runs(self._runs.pop(), last))
        return self._runs[0]

    def chunks(self, size: int, value_bits: int = VALUE_BITS) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """:meth:`pairs` in pieces of about ``size`` pairs (more where one account has more),
        never splitting an account's pairs, in order: what is built per piece stays that
        small however many pairs a long run has counted."""
        keys, counts = self._one_run()
        mask = np.int64((1 << value_bits) - 1)
        start = 0
        while start < keys.size:
            stop = min(start + size, keys.size)
            if stop < keys.size:  # on to the first pair of the next account
                stop = int(np.searchsorted(keys, ((keys[stop - 1] >> value_bits) + 1) << value_bits))
            piece = keys[start:stop]
            own = np.ones(piece.size, dtype=np.int64) if counts is None else counts[start:stop].astype(np.int64)
            yield piece >> value_bits, piece & mask, own
            start = stop

    def pairs(self, value_bits: int = VALUE_BITS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(accounts, values, counts)`` of every distinct pair, sorted by account then value."""
        keys, counts = self.merged()
        mask = np.int64((1 << value_bits) - 1)
        return keys >> value_bits, keys & mask, counts


@dataclass(frozen=True)
class PairStatistics:
    """Per-account statistics of one column's (account, value) counts; arrays of
    length ``n_accounts`` (accounts without a pair get 0 everywhere, ``top_value`` -1)."""

    total: np.ndarray
    """Σ counts: the rows counted for the account."""
    distinct: np.ndarray
    """Distinct values."""
    top_count: np.ndarray
    """Count of the most common value."""
    top_value: np.ndarray
    """Code of the most common value (ties: the smallest code, the value seen first)."""
    entropy: np.ndarray
    """Shannon entropy of the value distribution, bits: ``−Σ p log₂ p``."""
    main_accounts: np.ndarray
    """Other accounts with at least one row of the account's most common value."""
    shared_rows: np.ndarray
    """Rows whose value at least one other account also has."""


PAIRS_PER_PIECE = 1 << 21
"""Pairs :func:`pair_statistics` works on at a time: its temporaries take about 100
bytes a pair, so a long run's millions of pairs never need them all at once."""


def pair_statistics(pairs: PairCounts, n_accounts: int) -> PairStatistics:
    """:class:`PairStatistics` of every account code below ``n_accounts``, computed over
    :meth:`PairCounts.chunks` (each account's pairs in one piece, so every sum adds the
    same numbers in the same order as over all pairs at once)."""
    n = n_accounts
    holders = np.zeros(0, dtype=np.int64)  # per value code: the accounts that have it
    for _, values, _ in pairs.chunks(PAIRS_PER_PIECE):
        seen = np.bincount(values)
        holders = grow(holders, seen.size)
        holders[: seen.size] += seen
    total = np.zeros(n)
    distinct = np.zeros(n)
    top_count = np.zeros(n)
    top_value = np.full(n, -1, dtype=np.int64)
    entropy = np.zeros(n)
    main_accounts = np.zeros(n)
    shared_rows = np.zeros(n)
    for accounts, values, counts in pairs.chunks(PAIRS_PER_PIECE):
        low, high = int(accounts[0]), int(accounts[-1]) + 1
        local = accounts - low
        counts_f = counts.astype(np.float64)
        total[low:high] = np.bincount(local, weights=counts_f, minlength=high - low)
        distinct[low:high] = np.bincount(local, minlength=high - low)
        # best pair per account: the highest count, then the smallest value code
        order = np.lexsort((values, -counts, accounts))
        first = order[np.r_[True, accounts[order][1:] != accounts[order][:-1]]]
        top_count[accounts[first]] = counts_f[first]
        top_value[accounts[first]] = values[first]
        p = counts_f / total[accounts]
        entropy[low:high] = -np.bincount(local, weights=p * np.log2(p), minlength=high - low)
        main_accounts[accounts[first]] = holders[values[first]] - 1
        shared = holders[values] >= 2
        shared_rows[low:high] = np.bincount(local[shared], weights=counts_f[shared], minlength=high - low)
    return PairStatistics(total, distinct, top_count, top_value, np.abs(entropy), main_accounts, shared_rows)


class SlotPeaks:
    """Per account: how many time slots of ``unit`` seconds (counted from ``ts = 0``)
    hold a request, and the most requests in one slot. Rows must come in time order."""

    def __init__(self, unit: float) -> None:
        self.unit = float(unit)
        self._keys = np.empty(0, dtype=np.int64)
        self._counts = np.empty(0, dtype=np.int64)
        self.slots = np.zeros(0)
        """Slots with at least one request, per account code."""
        self.peak = np.zeros(0)
        """Most requests in one slot, per account code."""

    def add(self, accounts: np.ndarray, ts: np.ndarray) -> None:
        """Count a chunk of rows (account codes and times in seconds)."""
        if ts.size == 0:
            return
        slots = np.floor(ts / self.unit).astype(np.int64)
        keys = pair_keys(accounts, slots)
        keys, counts = _sum_by_key(
            np.concatenate([self._keys, keys]), np.concatenate([self._counts, np.ones(keys.size, dtype=np.int64)])
        )
        still_open = (keys & _VALUE_MASK) >= slots.max()  # the last slot may go on in the next chunk
        self._fold(keys[~still_open], counts[~still_open])
        self._keys, self._counts = keys[still_open], counts[still_open]

    def finish(self, n_accounts: int) -> tuple[np.ndarray, np.ndarray]:
        """Close every slot; ``(slots, peak)`` per account code below ``n_accounts``."""
        self._fold(self._keys, self._counts)
        self._keys, self._counts = self._keys[:0], self._counts[:0]
        self.slots = grow(self.slots, n_accounts)
        self.peak = grow(self.peak, n_accounts)
        return self.slots[:n_accounts].copy(), self.peak[:n_accounts].copy()

    def _fold(self, keys: np.ndarray, counts: np.ndarray) -> None:
        if keys.size == 0:
            return
        accounts = keys >> VALUE_BITS
        n = int(accounts.max()) + 1
        self.slots = grow(self.slots, n)
        self.peak = grow(self.peak, n)
        self.slots[:n] += np.bincount(accounts, minlength=n)
        np.maximum.at(self.peak, accounts, counts.astype(np.float64))
