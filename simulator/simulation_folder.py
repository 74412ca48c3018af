"""Run a scenario once and write its traffic to a folder: the engine of the ``simulate``
command and of the Python call ``simulator.simulate(...)`` (:mod:`simulator.simulation`,
which reads the folder back as DataFrames).

Output folder:

* ``requests.parquet`` (or ``.jsonl`` / ``.csv`` with ``fmt``): visible request columns only
  (schema v1), in time order; ``ts`` is seconds since the scenario start;
* ``mapping.yaml``: the replay mapping that reads the request log back
  (``extractbench replay``: ``ts`` as seconds since the scenario's start);
* ``accounts.parquet``: the visible account registry;
* ``labels.parquet``: ground truth per account (``is_attacker``, ``campaign``, ``role``);
* ``request_labels.parquet``: ground truth per request (``request_id``, ``template_id``,
  ``is_extraction``: the campaign's own request, false for customers' and for customers'
  requests resold through a campaign's account, :func:`~simulator.traffic.extraction_requests`);
* ``run.json``: the resolved scenario, seed, package version, row counts, wall time.

The Parquet files depend only on the scenario, the seed and the package version
(byte-identical across runs); ``run.json`` also records the wall time.
"""

from __future__ import annotations

import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from simulator import __version__
from simulator.export import (
    AtomicLogWriter,
    AtomicParquetWriter,
    atomic_path,
    staged_folder,
    write_json,
    write_table,
)
from simulator.registry import Registry
from simulator.scenario import Scenario
from simulator.traffic import ACCOUNT_SCHEMA, REQUEST_SCHEMA, extraction_requests
from simulator.world import World

__all__ = ["SimulationSummary", "accounts_table", "labels_table", "replay_mapping", "simulate_to_folder"]

REQUEST_LABEL_SCHEMA = pa.schema(
    [pa.field("request_id", pa.uint64()), pa.field("template_id", pa.int64()), pa.field("is_extraction", pa.bool_())]
)
LABEL_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string()),
        pa.field("is_attacker", pa.bool_()),
        pa.field("campaign", pa.string()),
        pa.field("role", pa.string()),
    ]
)

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(ticks_done, ticks_total)``."""


@dataclass(frozen=True)
class SimulationSummary:
    """What a simulation produced (also written to ``run.json``)."""

    scenario: str
    seed: int
    ticks: int
    requests: int
    attacker_requests: int
    accounts: int
    attacker_accounts: int
    status_counts: dict[str, int]
    wall_seconds: float
    peak_rss_mb: float


def accounts_table(registry: Registry) -> pa.Table:
    """The visible registry of every account created, sorted by ``account_id``."""
    frame = registry.account_frame(np.arange(len(registry)))
    return pa.Table.from_pandas(frame, schema=ACCOUNT_SCHEMA, preserve_index=False).replace_schema_metadata(None)


def labels_table(registry: Registry) -> pa.Table:
    """Ground truth per account, sorted by ``account_id``."""
    frame = registry.label_frame()
    return pa.Table.from_pandas(frame, schema=LABEL_SCHEMA, preserve_index=False).replace_schema_metadata(None)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def replay_mapping(scenario: Scenario) -> str:
    """The replay mapping (YAML) of an exported request log: every visible column under its
    own name, ``ts`` as seconds since the scenario's start."""
    start = scenario.start.isoformat().replace("+00:00", "Z")
    return (
        "# Replays this folder's request log: extractbench replay requests.<ext> --mapping mapping.yaml\n"
        "#   --labels labels.parquet --accounts accounts.parquet\n"
        "version: 1\n"
        "time:\n"
        "  column: ts\n"
        "  format: seconds\n"
        f"  origin: '{start}'\n"
    )


def simulate_to_folder(
    scenario: Scenario,
    out: Path,
    *,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    fmt: str = "parquet",
) -> SimulationSummary:
    """Simulate ``scenario`` (already resolved for scale and duration) and write
    its traffic (the request log in ``fmt``: parquet, jsonl or csv) and ground truth under ``out``.

    The files are written into a hidden folder inside ``out`` and moved into place
    together once every one of them is complete: a simulation that fails or is
    interrupted part-way (a full disk, Ctrl-C) leaves ``out`` as it found it, never a
    request log beside the ground truth of another run."""
    with staged_folder(Path(out)) as staging:
        return _simulate_into(scenario, staging, seed, progress, fmt)


def _simulate_into(
    scenario: Scenario, out: Path, seed: int | None, progress: ProgressCallback | None, fmt: str
) -> SimulationSummary:
    """:func:`simulate_to_folder`'s files, written in ``out``."""
    started = time.perf_counter()
    world = World(scenario, seed=seed)
    statuses: dict[int, int] = {}
    attacker_requests = 0
    with (
        AtomicLogWriter(out / f"requests.{fmt}", REQUEST_SCHEMA, fmt, background=True) as requests,
        AtomicParquetWriter(out / "request_labels.parquet", REQUEST_LABEL_SCHEMA, background=True) as request_labels,
    ):
        for traffic in world.ticks():
            if traffic.table.num_rows:  # an empty tick writes and counts nothing
                requests.write(traffic.table)
                is_attacker = world.registry.truth.column("is_attacker")[traffic.account_codes]
                request_labels.write(
                    pa.Table.from_arrays(
                        [
                            traffic.table.column("request_id"),
                            pa.array(traffic.template_id),
                            pa.array(extraction_requests(is_attacker, traffic.template_id)),
                        ],
                        schema=REQUEST_LABEL_SCHEMA,
                    )
                )
                values, counts = np.unique(traffic.table.column("status").to_numpy(), return_counts=True)
                for value, count in zip(values.tolist(), counts.tolist(), strict=True):
                    statuses[value] = statuses.get(value, 0) + count
                attacker_requests += int(is_attacker.sum())
            if progress is not None:
                progress(traffic.batch.tick + 1, scenario.n_ticks)
    with atomic_path(out / "mapping.yaml") as tmp:
        tmp.write_text(replay_mapping(scenario), encoding="utf-8")
    write_table(out / "accounts.parquet", accounts_table(world.registry))
    write_table(out / "labels.parquet", labels_table(world.registry))
    truth = world.registry.truth.column("is_attacker")
    summary = SimulationSummary(
        scenario=scenario.name,
        seed=world.seed,
        ticks=scenario.n_ticks,
        requests=requests.rows,
        attacker_requests=attacker_requests,
        accounts=len(world.registry),
        attacker_accounts=int(truth.sum()),
        status_counts={str(k): v for k, v in sorted(statuses.items())},
        wall_seconds=round(time.perf_counter() - started, 3),
        peak_rss_mb=round(_peak_rss_mb(), 1),
    )
    write_json(
        out / "run.json",
        {
            "extractbench_version": __version__,
            "python": platform.python_version(),
            "seed": world.seed,
            "scenario": scenario.model_dump(mode="json"),
            "summary": asdict(summary),
        },
    )
    return summary
