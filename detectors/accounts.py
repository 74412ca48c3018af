"""Per-account state that grows with accounts, never with requests.

Detectors keep what they learn about each account in numpy arrays indexed by a
dense account code. :class:`AccountIndex` hands out those codes (first come,
first served) and owns the arrays, which grow by doubling, so that a tick costs
a dictionary look-up per *distinct* account of the tick and vectorised work per
row, and memory is a fixed number of bytes per account.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse

from simulator.hashing import splitmix64

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

    >>> index = AccountIndex()
    >>> index.add_array("requests", np.int64)
    >>> codes = index.codes(np.array(["b", "a", "b"], dtype=object))
    >>> codes.tolist(), index.ids(codes).tolist()
    ([0, 1, 0], ['b', 'a', 'b'])
    >>> np.add.at(index["requests"], codes, 1); index["requests"].tolist()
    [2, 1]
    """

    def __init__(self) -> None:
        self._code_of: dict[str, int] = {}
        self._ids: np.ndarray = np.empty(16, dtype=object)
        self._size = 0
        self._arrays: dict[str, np.ndarray] = {}
        self._fill: dict[str, Any] = {}

    def __len__(self) -> int:
        return self._size

    def add_array(self, name: str, dtype: Any, shape: Sequence[int] = (), fill: Any = 0) -> None:
        """Declare a per-account array of ``dtype`` with trailing ``shape``; rows of new
        accounts start at ``fill``."""
        array = np.full((self._ids.shape[0], *shape), fill, dtype=dtype)
        self._arrays[name] = array
        self._fill[name] = fill

    def __getitem__(self, name: str) -> np.ndarray:
        """A writable view of array ``name`` over the known accounts."""
        return self._arrays[name][: self._size]

    def codes(self, account_ids: Any) -> np.ndarray:
        """Codes of ``account_ids`` (one per entry), adding unseen accounts in order of
        first appearance. Costs one dictionary look-up per distinct id."""
        values = account_ids if hasattr(account_ids, "dtype") else np.asarray(account_ids, dtype=object)
        labels, uniques = pd.factorize(values)
        unique_codes = np.fromiter(
            (self._code(str(account)) for account in uniques), dtype=np.int64, count=len(uniques)
        )
        return unique_codes[labels] if len(labels) else np.empty(0, dtype=np.int64)

    def lookup(self, account_ids: Any) -> np.ndarray:
        """Codes of known ``account_ids``; -1 for accounts never seen (nothing is added)."""
        return np.fromiter((self._code_of.get(str(a), -1) for a in account_ids), dtype=np.int64, count=len(account_ids))

    def ids(self, codes: np.ndarray | None = None) -> np.ndarray:
        """Account ids (object array) of ``codes`` (default: every known account)."""
        known = self._ids[: self._size]
        return known if codes is None else known[np.asarray(codes, dtype=np.int64)]

    def _code(self, account: str) -> int:
        code = self._code_of.get(account)
        if code is None:
            code = self._size
            self._reserve(code + 1)
            self._ids[code] = account
            self._code_of[account] = code
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
        for name, old in self._arrays.items():
            new = np.full((capacity, *old.shape[1:]), self._fill[name], dtype=old.dtype)
            new[: self._size] = old[: self._size]
            self._arrays[name] = new


class DecayedSums:
    """Exponentially decayed per-account sums, grouped by account with ``bincount``.

    Each named column holds, per account, a scalar (``width`` 1) or a histogram over
    ``width`` categories, or a sum of vectors of length ``width``. A sum last brought up to date at ``t0`` is worth
    ``S · 2^(-(t − t0) / half_life)`` at ``t``; decay is applied lazily, when the
    account is next touched (:meth:`fold`) or read with ``now``. ``half_life=None``:
    plain sums.

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
        for name, width in self.widths.items():
            self.index.add_array(name, np.float64, () if width == 1 else (width,))

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
        ix = self.index
        codes = ix.codes(account_ids) if codes is None else codes
        touched, row = np.unique(codes, return_inverse=True)
        k = touched.size
        factor = self.decay_factor(touched, now)
        ix["_decayed_at"][touched] = now
        for name, width in self.widths.items():
            column = ix[name]
            if width == 1:
                column[touched] *= factor
            else:
                column[touched] *= factor[:, None]
            if name not in values:
                continue
            value = np.asarray(values[name])
            if width == 1:
                column[touched] += np.bincount(row, weights=value, minlength=k)
            elif value.ndim == 2:  # one vector per row: sum them per account
                indicator = sparse.csr_matrix((np.ones(row.size), (row, np.arange(row.size))), shape=(k, row.size))
                column[touched] += indicator @ value
            else:
                flat = row * width + value.astype(np.int64)
                column[touched] += np.bincount(flat, minlength=k * width).reshape(k, width)
        return touched

    def read(self, name: str, codes: np.ndarray, now: float | None = None) -> np.ndarray:
        """Column ``name`` of ``codes``; decayed to ``now`` if given (ratios of two
        columns need no ``now``: they decay alike)."""
        values = self.index[name][codes]
        if now is None:
            return values
        factor = self.decay_factor(codes, now)
        return values * (factor if values.ndim == 1 else factor[:, None])
