"""Growable columnar storage, the one per-entity store of the simulator and the harness.

Accounts, organisations, API keys, IP addresses and client fingerprints are
created as the simulation goes (account waves, replacements after bans, proxy
rotation), and the gateway and the harness keep running state per account.
All of it lives in :class:`ColumnStore`: named numpy columns indexed by integer
code that grow by doubling, so appending is amortised O(1) and lookups are plain
fancy indexing. Memory grows with entities, never with requests.

Text columns (ids, addresses, user agents) are Python strings; the gateway
gathers them into every tick's Arrow table. :class:`ArrowStrings` keeps an Arrow
copy of such a column, extended with the new entries only, so that a tick's
strings are gathered by code in Arrow (``take``) instead of converted from
Python objects row by row.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ArrowStrings", "ColumnStore"]


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


class ArrowStrings:
    """An append-only Arrow copy of a growing column of Python strings.

    :meth:`sync` converts only the entries added to the source column since the
    last call; :meth:`take` gathers rows by code in Arrow. New entries go to a
    tail that is merged into the main array once it reaches a quarter of it, so
    that each string is copied a bounded number of times (amortised O(1)).

    >>> text = ArrowStrings()
    >>> text.sync(np.array(["a", "bb"], dtype=object)); text.sync(np.array(["a", "bb", "ccc"], dtype=object))
    >>> text.take(np.array([2, 0, 2])).to_pylist()
    ['ccc', 'a', 'ccc']
    """

    def __init__(self) -> None:
        self._main: pa.Array = pa.array([], type=pa.string())
        self._tail: pa.Array = pa.array([], type=pa.string())

    def __len__(self) -> int:
        return len(self._main) + len(self._tail)

    def sync(self, values: np.ndarray) -> None:
        """Catch up with ``values``, the source column's live rows (only the rows
        beyond those already copied are read)."""
        known = len(self)
        if values.shape[0] <= known:
            return
        new = pa.array(values[known:], type=pa.string())
        tail = pa.concat_arrays([self._tail, new]) if len(self._tail) else new
        if 4 * len(tail) >= len(self._main):
            self._main = pa.concat_arrays([self._main, tail])
            self._tail = pa.array([], type=pa.string())
        else:
            self._tail = tail

    def take(self, codes: np.ndarray) -> pa.Array:
        """The strings of ``codes`` (int64, each below ``len(self)``), as one Arrow array."""
        main = len(self._main)
        if not len(self._tail):
            return self._main.take(codes)
        in_tail = codes >= main
        if not in_tail.any():
            return self._main.take(codes)
        head = self._main.take(np.where(in_tail, 0, codes))
        tail = self._tail.take(np.where(in_tail, codes - main, 0))
        return pc.if_else(in_tail, tail, head)
