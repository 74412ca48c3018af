"""Growable columnar storage, the one per-entity store of the simulator and the harness.

Accounts, organisations, API keys, IP addresses and client fingerprints are
created as the simulation goes (account waves, replacements after bans, proxy
rotation), and the gateway and the harness keep running state per account.
All of it lives in :class:`ColumnStore`: named numpy columns indexed by integer
code that grow by doubling, so appending is amortised O(1) and lookups are plain
fancy indexing. Memory grows with entities, never with requests.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["ColumnStore"]


class ColumnStore:
    """A table of named columns with a fixed dtype each.

    Rows are added in blocks with :meth:`append` (every column given), or up to a
    size with :meth:`ensure` (new rows take each column's default). A column is
    read (and updated in place) through :meth:`column` or as an attribute:
    ``store.spend[codes] += x``. Both are views of the live rows, valid until the
    store grows again.
    """

    def __init__(
        self, dtypes: Mapping[str, np.dtype | type | str], defaults: Mapping[str, object] | None = None
    ) -> None:
        self._dtypes = {name: np.dtype(dtype) for name, dtype in dtypes.items()}
        clashes = sorted(name for name in self._dtypes if hasattr(type(self), name))
        if clashes:
            raise ValueError(f"column names that are not ColumnStore attributes, got {clashes}")
        self._defaults = dict(defaults or {})
        unknown = sorted(set(self._defaults) - set(self._dtypes))
        if unknown:
            raise ValueError(f"defaults only for columns {sorted(self._dtypes)}, got {unknown}")
        self._data = {name: np.empty(16, dtype=dtype) for name, dtype in self._dtypes.items()}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._dtypes)

    def append(self, **columns: np.ndarray | list | tuple) -> np.ndarray:
        """Append rows (every column must be given, all of one length); returns their codes."""
        missing = set(self._dtypes) - set(columns)
        extra = set(columns) - set(self._dtypes)
        if missing or extra:
            raise ValueError(
                f"append needs exactly the columns {sorted(self._dtypes)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        arrays = {name: np.asarray(value, dtype=self._dtypes[name]) for name, value in columns.items()}
        lengths = {array.shape[0] for array in arrays.values()}
        if len(lengths) != 1:
            raise ValueError(f"append got columns of different lengths {sorted(lengths)}")
        n = lengths.pop()
        self._reserve(self._size + n)
        for name, array in arrays.items():
            self._data[name][self._size : self._size + n] = array
        codes = np.arange(self._size, self._size + n, dtype=np.int64)
        self._size += n
        return codes

    def ensure(self, n: int) -> None:
        """Make rows ``0 .. n-1`` exist; the new ones take each column's default."""
        if n <= self._size:
            return
        missing = sorted(set(self._dtypes) - set(self._defaults))
        if missing:
            raise ValueError(f"ensure needs a default for every column; none for {missing}")
        self._reserve(n)
        for name, default in self._defaults.items():
            self._data[name][self._size : n] = default
        self._size = n

    def column(self, name: str) -> np.ndarray:
        """A view of the live rows of column ``name`` (writable: state columns are updated in place)."""
        return self._data[name][: self._size]

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is None or name not in data:
            raise AttributeError(f"{type(self).__name__} has no column {name!r}")
        return data[name][: self.__dict__["_size"]]

    def _reserve(self, size: int) -> None:
        capacity = next(iter(self._data.values())).shape[0]
        if size <= capacity:
            return
        while capacity < size:
            capacity *= 2
        for name, old in self._data.items():
            new = np.empty(capacity, dtype=old.dtype)
            new[: self._size] = old[: self._size]
            self._data[name] = new
