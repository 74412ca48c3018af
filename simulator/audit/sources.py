"""Where audited traffic comes from: a scenario simulated in memory, or a folder
written by ``extractbench simulate``.

Both sources have the same two verbs: :meth:`stream` yields ``(requests,
registry rows)`` chunks in time order (requests as an Arrow table of the visible
columns, at least ``chunk_rows`` rows per chunk except the last, registry rows
as a DataFrame of the accounts registered since the previous chunk), and
:meth:`labels` returns the ground truth per account once the stream is
exhausted. Neither keeps the request log: a simulated chunk is dropped once
yielded, a folder is read one Parquet batch at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.audit.declared import declared_signals
from simulator.units import parse_duration

__all__ = [
    "CHUNK_ROWS",
    "FOLDER_FILES",
    "AuditInputError",
    "FolderTraffic",
    "ScenarioTraffic",
    "TrafficSource",
]

CHUNK_ROWS = 65_536
"""Requests gathered before the aggregates are updated (fewer, larger updates)."""

FOLDER_FILES: tuple[str, ...] = ("requests.parquet", "accounts.parquet", "labels.parquet", "run.json")
"""What a simulated folder must hold."""

ProgressCallback = Callable[[int, int], None]


class AuditInputError(ValueError):
    """A folder that is not a finished ``extractbench simulate`` output; the message says why."""


@dataclass
class TrafficSource:
    """What every source tells about its traffic besides the stream."""

    name: str
    """The scenario's name."""
    location: str
    """The path given (a scenario file or a folder)."""
    seed: int
    origin: datetime
    """UTC time of ``ts = 0``."""
    duration: float
    """Simulated span, seconds."""
    tiers: tuple[str, ...]
    """The gateway's tier names, lowest first."""
    declared: frozenset[str]
    """Signals the scenario's campaigns declare (:func:`~simulator.audit.declared.declared_signals`)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """How the traffic was made (scale, duration, tick overrides), for the report."""
    steps: int = 0
    """Steps the stream reports progress in (ticks, or Parquet row groups)."""

    def stream(self, progress: ProgressCallback | None = None) -> Iterator[tuple[pa.Table, pd.DataFrame]]:
        raise NotImplementedError

    def labels(self) -> pd.DataFrame:
        raise NotImplementedError


class ScenarioTraffic(TrafficSource):
    """A resolved scenario, simulated in memory with its own seed."""

    def __init__(
        self, scenario: Any, location: str, *, settings: Mapping[str, Any] | None = None, chunk_rows: int = CHUNK_ROWS
    ) -> None:
        super().__init__(
            name=scenario.name,
            location=location,
            seed=int(scenario.seed),
            origin=scenario.start,
            duration=float(scenario.duration),
            tiers=tuple(tier.name for tier in scenario.gateway.tiers),
            declared=frozenset(declared_signals(scenario)),
            settings=dict(settings or {}),
            steps=int(scenario.n_ticks),
        )
        self.scenario = scenario
        self.chunk_rows = chunk_rows
        self._labels: pd.DataFrame | None = None

    def stream(self, progress: ProgressCallback | None = None) -> Iterator[tuple[pa.Table, pd.DataFrame]]:
        """Run the world and yield its traffic in chunks (see the module docstring)."""
        from simulator.world import World

        world = World(self.scenario, self.seed)
        tables: list[pa.Table] = []
        accounts: list[pd.DataFrame] = []
        rows = 0
        for traffic in world.ticks():
            batch = traffic.batch
            if batch.table.num_rows:
                tables.append(batch.table)
                rows += batch.table.num_rows
            if len(batch.accounts):
                accounts.append(batch.accounts)
            if rows >= self.chunk_rows:
                yield _chunk(tables, accounts)
                tables, accounts, rows = [], [], 0
            if progress is not None:
                progress(batch.tick + 1, self.steps)
        if tables or accounts:
            yield _chunk(tables, accounts)
        self._labels = world.registry.label_frame()

    def labels(self) -> pd.DataFrame:
        """Ground truth per account (``account_id``, ``is_attacker``, ``campaign``, ``role``)."""
        if self._labels is None:
            raise RuntimeError("labels() is known once stream() has been read to the end")
        return self._labels


class FolderTraffic(TrafficSource):
    """A folder written by ``extractbench simulate``: read, never changed."""

    def __init__(self, folder: str | Path, *, chunk_rows: int = CHUNK_ROWS) -> None:
        folder = Path(folder)
        if not folder.is_dir():
            raise AuditInputError(f"{folder}: expected a scenario file or a folder written by `extractbench simulate`")
        missing = [name for name in FOLDER_FILES if not (folder / name).is_file()]
        if missing:
            raise AuditInputError(
                f"{folder}: expected a folder written by `extractbench simulate` ({', '.join(FOLDER_FILES)}); "
                f"missing {', '.join(missing)}"
            )
        try:
            run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
            scenario = run["scenario"]
            origin = datetime.fromisoformat(str(scenario["start"]).replace("Z", "+00:00"))
            tiers = tuple(str(tier["name"]) for tier in scenario["gateway"]["tiers"])
            super().__init__(
                name=str(scenario["name"]),
                location=str(folder),
                seed=int(run.get("seed", scenario.get("seed", 0))),
                origin=origin,
                duration=parse_duration(scenario["duration"]),
                tiers=tiers,
                declared=frozenset(declared_signals(scenario)),
                settings={"folder": True, "duration": parse_duration(scenario["duration"])},
                steps=pq.read_metadata(folder / "requests.parquet").num_row_groups,
            )
        except pa.ArrowException as exc:
            raise AuditInputError(f"{folder / 'requests.parquet'}: not a readable Parquet file ({exc})") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AuditInputError(
                f"{folder / 'run.json'}: expected the run.json of `extractbench simulate` "
                f"(a scenario with name, start, duration and gateway tiers); got {type(exc).__name__}: {exc}"
            ) from None
        self.folder = folder
        self.chunk_rows = chunk_rows

    def stream(self, progress: ProgressCallback | None = None) -> Iterator[tuple[pa.Table, pd.DataFrame]]:
        """Yield ``requests.parquet`` one batch at a time; every registry row comes with the first."""
        from simulator.audit.aggregates import REGISTRY_COLUMNS

        accounts = _read(self.folder / "accounts.parquet", REGISTRY_COLUMNS).to_pandas()
        try:
            requests = pq.ParquetFile(self.folder / "requests.parquet")
        except (OSError, pa.ArrowException) as exc:
            raise AuditInputError(f"{self.folder / 'requests.parquet'}: not a readable Parquet file ({exc})") from None
        from simulator.traffic import REQUEST_COLUMNS

        missing = [c for c in REQUEST_COLUMNS if c not in requests.schema_arrow.names]
        if missing:
            where = self.folder / "requests.parquet"
            raise AuditInputError(f"{where}: expected the visible request columns; missing {', '.join(missing)}")
        total = requests.metadata.num_row_groups
        for done, group in enumerate(range(total), start=1):
            table = requests.read_row_group(group)
            for start in range(0, table.num_rows, self.chunk_rows):
                yield table.slice(start, self.chunk_rows), accounts
                accounts = accounts.iloc[:0]
            if progress is not None:
                progress(done, total)
        if len(accounts):
            yield _empty_requests(), accounts

    def labels(self) -> pd.DataFrame:
        return _read(self.folder / "labels.parquet", ("account_id", "is_attacker")).to_pandas()


def _read(path: Path, columns: tuple[str, ...]) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise AuditInputError(f"{path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise AuditInputError(f"{path}: expected the columns {', '.join(columns)}; missing {', '.join(missing)}")
    return table


def _empty_requests() -> pa.Table:
    from simulator.traffic import REQUEST_SCHEMA

    return REQUEST_SCHEMA.empty_table()


def _chunk(tables: list[pa.Table], accounts: list[pd.DataFrame]) -> tuple[pa.Table, pd.DataFrame]:
    requests = pa.concat_tables(tables) if tables else _empty_requests()
    registry = pd.concat(accounts, ignore_index=True) if len(accounts) > 1 else (accounts[0] if accounts else None)
    if registry is None:
        from simulator.traffic import ACCOUNT_SCHEMA

        registry = ACCOUNT_SCHEMA.empty_table().to_pandas()
    return requests, registry
