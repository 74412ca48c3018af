"""Per-account state that grows with accounts, never with requests.

Detectors keep what they learn about each account in numpy arrays indexed by a
dense account code. :class:`AccountIndex` hands out those codes (first come,
first served) and owns the arrays, which grow by doubling, so that a tick costs
a dictionary look-up per *distinct* account of the tick and vectorised work per
row, and memory is a fixed number of bytes per account.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse

from detectors.base import scores_series
from simulator.hashing import splitmix64

if TYPE_CHECKING:
    from detectors.view import BatchView

__all__ = ["AccountIndex", "DecayedSums", "hash_strings", "runs"]


def hash_strings(values: Any, salt: int = 0) -> np.ndarray:
    """A 64-bit hash (uint64) per value of a string column (pandas Series, Arrow array
    or sequence), stable across runs and platforms (pandas' SipHash with its fixed
    key, then SplitMix64 of the hash XOR ``salt``, so that namespaces differ: an IP
    and a fingerprint with the same text hash differently)."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        values = pd.Series(pd.arrays.ArrowStringArray(values.cast(pa.large_string())))
    elif not isinstance(values, pd.Series):
        values = pd.Series(np.asarray(values, dtype=object))
    hashed = pd.util.hash_pandas_object(values, index=False, categorize=True).to_numpy(dtype=np.uint64)
    return splitmix64(hashed ^ np.uint64(salt))


def runs(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by ``keys`` (e.g. account code, then time), each row's rank
    within its run of equal keys and the run's length.

    >>> rank, size = runs(np.array([3, 3, 5, 7, 7, 7]))
    >>> rank.tolist(), size.tolist()
    ([0, 1, 0, 0, 1, 2], [2, 2, 1, 3, 3, 3])
    """
    n = keys[0].size
    start = np.ones(n, dtype=bool)
    if n > 1:
        start[1:] = np.logical_or.reduce([key[1:] != key[:-1] for key in keys])
    group = np.cumsum(start) - 1
    return np.arange(n) - np.flatnonzero(start)[group], np.bincount(group)[group]


class AccountIndex:
    """Dense integer codes for account ids, and per-account arrays that grow with them.

    On batches of a simulated stream, the codes are the accounts' serial numbers
    (:class:`~simulator.traffic.AccountSerials`, read through a
    :class:`~detectors.view.BatchView`): :meth:`codes_for` and :meth:`register`
    then cost no string look-up at all, and the index knows every account the
    stream published. Elsewhere (hand-made batches, replayed logs) codes are
    handed out first come, first served, one dictionary look-up per distinct id.

    >>> index = AccountIndex()
    >>> index.add_array("requests", np.int64)
    >>> codes = index.codes(np.array(["b", "a", "b"], dtype=object))
    >>> codes.tolist(), index.ids(codes).tolist()
    ([0, 1, 0], ['b', 'a', 'b'])
    >>> np.add.at(index["requests"], codes, 1); index["requests"].tolist()
    [2, 1]
    """

    def __init__(self) -> None:
        self._code_of: dict[str, int] | None = {}
        self._ids: np.ndarray = np.empty(16, dtype=object)
        self._named = np.zeros(16, dtype=bool)
        self._size = 0
        self._stream: object | None = None
        self._arrays: dict[str, np.ndarray] = {}
        self._fill: dict[str, Any] = {}

    def __len__(self) -> int:
        return self._size

    def __deepcopy__(self, memo: dict[int, Any]) -> AccountIndex:
        """A deep copy that still numbers the same stream (its identity is kept)."""
        clone = AccountIndex.__new__(AccountIndex)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            clone.__dict__[name] = value if name == "_stream" else copy.deepcopy(value, memo)
        return clone

    def add_array(self, name: str, dtype: Any, shape: Sequence[int] = (), fill: Any = 0) -> None:
        """Declare a per-account array of ``dtype`` with trailing ``shape``; rows of new
        accounts start at ``fill``."""
        self._arrays[name] = _filled((self._ids.shape[0], *shape), fill, np.dtype(dtype))
        self._fill[name] = fill

    def __getitem__(self, name: str) -> np.ndarray:
        """A writable view of array ``name`` over the known accounts."""
        return self._arrays[name][: self._size]

    # -- codes from a batch ----------------------------------------------------------------

    def codes_for(self, batch: BatchView) -> np.ndarray:
        """Codes of the accounts with requests in the batch (one per account, in the
        order of ``batch.account_ids``), adding unseen accounts."""
        if self._bound(batch):
            codes = batch.account_serials
            self._learn(codes, None, batch)
            return codes
        return self.codes(batch.account_ids)

    def row_codes(self, batch: BatchView) -> np.ndarray:
        """Codes of the accounts of the batch's rows (one per row), adding unseen
        accounts: ``codes_for(batch)[batch.account_of_row]``. On a simulated stream
        whose accounts are all known, those are the rows' serial numbers themselves,
        read without grouping the rows by account."""
        if self._bound(batch):
            serials = np.asarray(batch.serials.requests, dtype=np.int64)
            if serials.size == 0 or (int(serials.max()) < self._size and bool(self._named[serials].all())):
                return serials
        return self.codes_for(batch)[batch.account_of_row]

    def follow(self, batch: BatchView) -> bool:
        """Learn the batch's registry rows (binding an empty index to its stream);
        whether the codes are the stream's serials."""
        return self._bound(batch)

    def register(self, batch: BatchView) -> np.ndarray:
        """Codes of the batch's registry rows (in their order), adding unseen accounts."""
        if self._bound(batch):
            return batch.registered_serials
        return self.codes(batch.registered_ids)

    def _bound(self, batch: BatchView) -> bool:
        """Whether codes are the stream's serials for this batch (binding an empty index
        to the batch's stream); a bound index learns the batch's registry rows."""
        serials = batch.serials
        if serials is None:
            return False
        if self._stream is not serials.stream:
            if self._stream is not None or self._size:
                return False
            self._stream = serials.stream
            self._code_of = None  # built on demand (:meth:`codes` on a bound index)
        if len(batch.registry):
            self._learn(batch.registered_serials, batch.registered_ids)
        return True

    def _learn(self, codes: np.ndarray, account_ids: np.ndarray | None, batch: BatchView | None = None) -> None:
        """Make ``codes`` exist and name those not named yet (``account_ids`` aligned
        with ``codes``, or, if None, ``batch.account_ids``)."""
        if codes.size == 0:
            return
        top = int(codes.max()) + 1
        if top > self._size:
            self._reserve(top)
            self._size = top
        fresh = ~self._named[codes]
        if fresh.any():
            names = (batch.account_ids if account_ids is None else account_ids)[fresh]
            self._ids[codes[fresh]] = names
            self._named[codes[fresh]] = True
            if self._code_of is not None:
                self._code_of.update(zip(names.tolist(), codes[fresh].tolist(), strict=True))

    # -- codes from ids --------------------------------------------------------------------

    def codes(self, account_ids: Any) -> np.ndarray:
        """Codes of ``account_ids`` (one per entry), adding unseen accounts in order of
        first appearance. Costs one dictionary look-up per distinct id."""
        values = account_ids if hasattr(account_ids, "dtype") else np.asarray(account_ids, dtype=object)
        labels, uniques = pd.factorize(values)
        code_of = self._dictionary()
        found = list(map(code_of.get, (str(account) for account in uniques)))
        if None in found:
            if self._stream is not None:
                unknown = [str(a) for a, code in zip(uniques, found, strict=True) if code is None]
                raise ValueError(
                    f"Accounts {unknown[:3]} are not in the simulated stream whose serial numbers this index "
                    "uses: feed one detector one stream"
                )
            found = [self._code(str(a)) if code is None else code for a, code in zip(uniques, found, strict=True)]
        unique_codes = np.array(found, dtype=np.int64)
        return unique_codes[labels] if len(labels) else np.empty(0, dtype=np.int64)

    def lookup(self, account_ids: Any) -> np.ndarray:
        """Codes of known ``account_ids``; -1 for accounts never seen (nothing is added)."""
        code_of = self._dictionary()
        return np.fromiter((code_of.get(str(a), -1) for a in account_ids), dtype=np.int64, count=len(account_ids))

    def scores(self, codes: np.ndarray, values: np.ndarray) -> pd.Series:
        """Scores of accounts ``codes`` as :meth:`~detectors.base.Detector.update` returns
        them; on a stream's serials, the Series also carries them
        (``attrs["serials"]``), so that an ensemble reusing the scores needs no
        string look-up (:mod:`detectors.sharing`)."""
        codes = np.asarray(codes, dtype=np.int64)
        series = scores_series(self.ids(codes), values, own_ids=True)  # a fresh gather
        if self._stream is not None:
            series.attrs["serials"] = (self._stream, codes.copy())
        return series

    def ids(self, codes: np.ndarray | None = None) -> np.ndarray:
        """Account ids (object array) of ``codes`` (default: every known account)."""
        known = self._ids[: self._size]
        return known if codes is None else known[np.asarray(codes, dtype=np.int64)]

    def _dictionary(self) -> dict[str, int]:
        if self._code_of is None:
            named = np.flatnonzero(self._named[: self._size])
            self._code_of = dict(zip(self._ids[named].tolist(), named.tolist(), strict=True))
        return self._code_of

    def _code(self, account: str) -> int:
        code_of = self._dictionary()
        code = code_of.get(account)
        if code is None:
            code = self._size
            self._reserve(code + 1)
            self._ids[code] = account
            self._named[code] = True
            code_of[account] = code
            self._size += 1
        return code

    def _reserve(self, size: int) -> None:
        capacity = self._ids.shape[0]
        if size <= capacity:
            return
        while capacity < size:
            capacity *= 2
        ids = np.empty(capacity, dtype=object)
        ids[: self._size] = self._ids[: self._size]
        self._ids = ids
        named = np.zeros(capacity, dtype=bool)
        named[: self._size] = self._named[: self._size]
        self._named = named
        for name, old in self._arrays.items():
            new = _filled((capacity, *old.shape[1:]), self._fill[name], old.dtype)
            new[: self._size] = old[: self._size]
            self._arrays[name] = new


def _filled(shape: tuple[int, ...], fill: Any, dtype: np.dtype) -> np.ndarray:
    """``np.full(shape, fill, dtype)``; from ``np.zeros`` when ``fill`` is all zero bytes,
    whose pages the system hands out zeroed on first touch: growing an index writes
    only the rows of the accounts it has."""
    if not dtype.hasobject and not np.asarray(fill, dtype=dtype).tobytes().strip(b"\0"):
        return np.zeros(shape, dtype=dtype)
    return np.full(shape, fill, dtype=dtype)


class DecayedSums:
    """Exponentially decayed per-account sums, grouped by account with ``bincount``.

    Each named column holds, per account, a scalar (``width`` 1) or a histogram over
    ``width`` categories, or a sum of vectors of length ``width``. A sum last brought up to date at ``t0`` is worth
    ``S · 2^(-(t − t0) / half_life)`` at ``t``; decay is applied lazily, when the
    account is next touched (:meth:`fold`, :meth:`add`) or read with ``now``.
    ``half_life=None``: plain sums. The columns of an account are stored side by
    side (one row of one matrix), so that a tick reads and writes each touched
    account once.

    >>> sums = DecayedSums(half_life=60.0, columns={"requests": 1, "topic": 3})
    >>> codes = sums.fold(0.0, np.array(["a", "a", "b"], dtype=object), requests=np.ones(3), topic=np.array([0, 2, 2]))
    >>> sums.read("topic", codes).tolist(), sums.read("requests", codes, now=60.0).tolist()
    ([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], [1.0, 0.5])
    """

    def __init__(self, half_life: float | None, columns: dict[str, int], index: AccountIndex | None = None) -> None:
        self.half_life = half_life
        self.widths = dict(columns)
        self.index = AccountIndex() if index is None else index
        self.index.add_array("_decayed_at", np.float64, fill=-np.inf)
        self._slices: dict[str, slice] = {}
        at = 0
        for name, width in self.widths.items():
            self._slices[name] = slice(at, at + width)
            at += width
        self.width = at
        """Columns of a row of sums, every named column's side by side."""
        self._matrix = "_sums"
        while self._matrix in self.index._arrays:  # another set of sums on the same index
            self._matrix += "_"
        self.index.add_array(self._matrix, np.float64, (at,))

    def column(self, name: str) -> np.ndarray:
        """A writable view of column ``name`` over the known accounts (shape (accounts,)
        for a scalar, (accounts, width) otherwise)."""
        part = self._slices[name]
        matrix = self.index[self._matrix]
        return matrix[:, part.start] if self.widths[name] == 1 else matrix[:, part]

    def decay_factor(self, codes: np.ndarray, now: float) -> np.ndarray:
        """``2^(-(now − t0) / half_life)`` per account (0 for accounts never folded)."""
        if self.half_life is None:
            return np.where(np.isfinite(self.index["_decayed_at"][codes]), 1.0, 0.0)
        return np.exp2(-(now - self.index["_decayed_at"][codes]) / self.half_life)

    def fold(self, now: float, account_ids: Any, codes: np.ndarray | None = None, **values: np.ndarray) -> np.ndarray:
        """Decay the accounts of ``account_ids`` (one per row; or their ``codes``) to
        ``now`` and add the rows' ``values``: weights for scalar columns, category
        indices in ``[0, width)`` for histograms (each row counts 1), or one vector
        per row (shape (rows, width)) to be summed. Returns the
        sorted codes of the accounts touched."""
        codes = self.index.codes(account_ids) if codes is None else codes
        touched, row = np.unique(codes, return_inverse=True)
        k = touched.size
        sums = {}
        for name, value in values.items():
            width = self.widths[name]
            value = np.asarray(value)
            if width == 1:
                sums[name] = np.bincount(row, weights=value, minlength=k)
            elif value.ndim == 2:  # one vector per row: sum them per account
                indicator = sparse.csr_matrix((np.ones(row.size), (row, np.arange(row.size))), shape=(k, row.size))
                sums[name] = indicator @ value
            else:
                flat = row * width + value.astype(np.int64)
                sums[name] = np.bincount(flat, minlength=k * width).reshape(k, width)
        self.add(now, touched, **sums)
        return touched

    def decayed(self, now: float, codes: np.ndarray) -> np.ndarray:
        """The rows of the distinct accounts ``codes`` decayed to ``now`` (a copy, one
        row of every column side by side: :meth:`slot` finds a column), and the
        accounts marked as brought up to date: :meth:`store` the rows back."""
        ix = self.index
        factor = self.decay_factor(codes, now)
        ix["_decayed_at"][codes] = now
        block = np.take(ix[self._matrix], codes, axis=0)  # a row gather: several times faster than [codes]
        block *= factor[:, None]
        return block

    def rows(self, codes: np.ndarray) -> np.ndarray:
        """The rows of ``codes`` as stored, not decayed (a copy, every column side by
        side: :meth:`slot` finds a column; the values :meth:`read` gives column by column)."""
        return np.take(self.index[self._matrix], codes, axis=0)

    def store(self, codes: np.ndarray, block: np.ndarray) -> None:
        """Write back rows from :meth:`decayed`."""
        self.index[self._matrix][codes] = block

    def slot(self, name: str) -> int | slice:
        """Where column ``name`` sits in a row of :meth:`decayed` (an index for a scalar, a slice otherwise)."""
        part = self._slices[name]
        return part.start if self.widths[name] == 1 else part

    def add(self, now: float, codes: np.ndarray, **sums: np.ndarray) -> np.ndarray:
        """Decay the distinct accounts ``codes`` to ``now``, then add ``sums``: one value
        (scalar columns) or one row of ``width`` values per account. Returns the
        accounts' rows as stored (:meth:`slot` finds a column)."""
        block = self.decayed(now, codes)
        for name, value in sums.items():
            block[:, self.slot(name)] += value
        self.store(codes, block)
        return block

    def add_rows(self, now: float, codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """As :meth:`add`, with the sums of every column given at once as one row per
        account laid out as :meth:`decayed` lays them out (shape (accounts, total
        width)): one contiguous addition instead of one strided addition per column,
        the same floats."""
        block = self.decayed(now, codes)
        block += rows
        self.store(codes, block)
        return block

    def read(self, name: str, codes: np.ndarray, now: float | None = None) -> np.ndarray:
        """Column ``name`` of ``codes``; decayed to ``now`` if given (ratios of two
        columns need no ``now``: they decay alike)."""
        part = self._slices[name]
        matrix = self.index[self._matrix]
        values = matrix[codes, part.start] if self.widths[name] == 1 else matrix[codes, part]
        if now is None:
            return values
        factor = self.decay_factor(codes, now)
        return values * (factor if values.ndim == 1 else factor[:, None])
