"""Growable columnar storage for entities that accumulate during a run.

Accounts, organisations, API keys, IP addresses and client fingerprints are
created as the simulation goes (account waves, replacements after bans, proxy
rotation). Their attributes are kept as numpy arrays that grow by doubling, so
appending is amortised O(1) and lookups by integer code are plain fancy indexing.
Memory grows with entities, never with requests.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["ColumnStore", "Interner"]


class ColumnStore:
    """A table of named columns with a fixed dtype each, appended to in blocks."""

    def __init__(self, dtypes: Mapping[str, np.dtype | type | str]) -> None:
        self._dtypes = {name: np.dtype(dtype) for name, dtype in dtypes.items()}
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

    def column(self, name: str) -> np.ndarray:
        """A view of the live rows of column ``name`` (writable: state columns are updated in place)."""
        return self._data[name][: self._size]

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


class Interner:
    """Maps hashable values to dense integer codes, first come first served."""

    def __init__(self) -> None:
        self._codes: dict[object, int] = {}
        self._values: list[object] = []

    def __len__(self) -> int:
        return len(self._values)

    def code(self, value: object) -> int:
        """The code of ``value``, adding it if new."""
        code = self._codes.get(value)
        if code is None:
            code = len(self._values)
            self._codes[value] = code
            self._values.append(value)
        return code

    def codes(self, values: np.ndarray | list) -> np.ndarray:
        """Codes of many values at once (adds the new ones)."""
        return np.fromiter((self.code(v) for v in values), dtype=np.int64, count=len(values))

    def value(self, code: int) -> object:
        return self._values[code]
