"""The accounts a replay has met: ids → integer codes, and the registry rows each tick publishes.

The harness's ledger and score logs keep per-account state by integer code, and the
guard turns detectors' account ids into codes (:func:`simulator.bench.guard.checked_update`
calls :meth:`AccountBook.lookup` and :meth:`AccountBook.codes_of`, as it calls the
simulator's registry's). Codes are
given in order of first appearance. Each tick publishes the registry rows of the
accounts it introduces (:data:`simulator.traffic.ACCOUNT_SCHEMA`, sorted by id): the
rows of an accounts file (our ``accounts.parquet`` layout) in the tick of their
``created_ts`` (tick 0 for accounts created before the origin), and for an account
not in the file, a row with its id and organisation only, in the tick of its first
request. Memory grows with accounts, never with requests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.registry import known_codes
from simulator.replay.formats import LogFormatError
from simulator.traffic import ACCOUNT_SCHEMA

__all__ = ["AccountBook"]


class AccountBook:
    """Account codes by id, and the registry rows still to publish."""

    def __init__(self, accounts_file: Path | None = None, tick: float = 60.0) -> None:
        self.ids: list[str] = []
        self._codes: dict[str, int] = {}
        self._registry: pd.DataFrame | None = None
        self._due: np.ndarray = np.empty(0, dtype=np.int64)
        self._published = 0
        self._empty = ACCOUNT_SCHEMA.empty_table().to_pandas()
        if accounts_file is not None:
            try:
                table = pq.read_table(accounts_file)
            except (OSError, pa.ArrowInvalid) as exc:
                raise LogFormatError(f"{accounts_file}: not a readable Parquet accounts file ({exc})") from None
            lacking = [name for name in ACCOUNT_SCHEMA.names if name not in table.schema.names]
            if lacking:
                raise LogFormatError(f"{accounts_file}: an accounts file needs the columns {lacking} too")
            frame = table.select(ACCOUNT_SCHEMA.names).cast(ACCOUNT_SCHEMA).to_pandas()
            frame = frame.sort_values("created_ts", kind="stable").reset_index(drop=True)
            self._registry = frame
            self._due = np.maximum(np.floor(frame["created_ts"].to_numpy() / tick), 0).astype(np.int64)

    @property
    def has_registry(self) -> bool:
        """Whether an accounts file gives the registry columns."""
        return self._registry is not None

    def __len__(self) -> int:
        return len(self.ids)

    def _add(self, ids: list[str]) -> None:
        for account in ids:
            if account not in self._codes:
                self._codes[account] = len(self.ids)
                self.ids.append(account)

    def codes_of(self, account_ids: object) -> np.ndarray:
        """Codes of known ids; an unknown id is a ``KeyError`` naming it (as the registry's)."""
        ids = [account_ids] if isinstance(account_ids, str) else account_ids
        return known_codes(ids, self.lookup(ids))

    def lookup(self, account_ids: object) -> np.ndarray:
        """Codes of the given ids, −1 for an unknown id (as the registry's)."""
        get = self._codes.get
        return np.fromiter((get(a, -1) for a in account_ids), dtype=np.int64, count=len(account_ids))  # type: ignore[arg-type]

    def tick(self, index: int, account_ids: np.ndarray, org_ids: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
        """(code of each row's account, registry rows published at tick ``index``) for a
        tick whose rows have ``account_ids`` and ``org_ids``."""
        rows: list[pd.DataFrame] = []
        if self._registry is not None:
            end = int(np.searchsorted(self._due, index, side="right"))
            if end > self._published:
                due = self._registry.iloc[self._published : end]
                fresh = due[~due["account_id"].isin(self._codes)]
                self._published = end
                self._add(fresh["account_id"].tolist())
                rows.append(fresh)
        unique, first = np.unique(account_ids, return_index=True)
        order = np.argsort(first, kind="stable")
        unseen = [i for i in order.tolist() if unique[i] not in self._codes]
        if unseen:
            new_ids = unique[unseen]
            k = len(unseen)
            columns = {
                "account_id": pa.array(new_ids, type=pa.string()),
                "org_id": pa.array(org_ids[first[unseen]], type=pa.string()),
                "created_ts": pa.array(np.full(k, np.nan), from_pandas=True),
            }
            arrays = [columns.get(f.name, pa.nulls(k, f.type)) for f in ACCOUNT_SCHEMA]
            rows.append(pa.Table.from_arrays(arrays, schema=ACCOUNT_SCHEMA).to_pandas())
            self._add(new_ids.tolist())
        codes = self.codes_of(account_ids.tolist()) if account_ids.size else np.empty(0, dtype=np.int64)
        if not rows:
            # deep: a shallow copy would add a reference to the shared frame's arrays every tick
            return codes, self._empty.copy(deep=True)
        published = pd.concat(rows, ignore_index=True) if len(rows) > 1 else rows[0]
        published = published.sort_values("account_id", kind="stable").reset_index(drop=True)
        return codes, published
