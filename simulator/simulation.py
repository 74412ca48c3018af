"""Simulate a scenario from Python and get its traffic as DataFrames: the researcher's call.

::

    import simulator

    sim = simulator.simulate("quickstart", seed=1, duration="2h")
    sim.requests        # one row per request (the visible columns), in time order
    sim.accounts        # the visible account registry
    sim.labels          # ground truth per account: is_attacker, campaign, role
    for chunk in sim.iter_requests():   # large runs: the requests a chunk at a time
        ...

The traffic is streamed to Parquet as it is simulated (bounded memory, whatever
the size), into ``out`` or a temporary folder removed when the
:class:`Simulation` is garbage-collected; each DataFrame is read on first use, so
a large run can be read a chunk at a time instead. Same scenario and seed, same
rows (the files are those of ``extractbench simulate``).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from simulator.scenario import Scenario
from simulator.scenario.bundled import missing_hint, resolve_scenario_path
from simulator.scenario.loading import load_scenario
from simulator.simulation_folder import SimulationSummary, simulate_to_folder
from simulator.units import parse_option_duration

__all__ = ["Simulation", "as_seconds", "simulate"]


def as_seconds(value: str | float | None) -> float | None:
    """A duration given to the Python API: seconds as a number, or a string such as
    ``'2h'`` or ``'90m'`` (the command line's spelling; at most a year). None stays None."""
    if value is None:
        return None
    return parse_option_duration(value)


class Simulation:
    """One simulated run: its files under :attr:`folder`, its :attr:`summary`, and
    its tables as DataFrames (read from Parquet on first use)."""

    def __init__(self, folder: Path, summary: SimulationSummary, scenario: Scenario) -> None:
        self.folder = folder
        self.summary = summary
        self.scenario = scenario

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Simulation({s.scenario!r}, seed={s.seed}, {s.requests:,} requests, {s.accounts:,} accounts "
            f"({s.attacker_accounts:,} attackers), folder={str(self.folder)!r})"
        )

    @cached_property
    def requests(self) -> pd.DataFrame:
        """Every request's visible columns (``requests.parquet``), in time order."""
        return pd.read_parquet(self.folder / "requests.parquet")

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """The visible account registry (``accounts.parquet``), by ``account_id``."""
        return pd.read_parquet(self.folder / "accounts.parquet")

    @cached_property
    def labels(self) -> pd.DataFrame:
        """Ground truth per account (``labels.parquet``): ``is_attacker``, ``campaign``, ``role``."""
        return pd.read_parquet(self.folder / "labels.parquet")

    @cached_property
    def request_labels(self) -> pd.DataFrame:
        """Ground truth per request (``request_labels.parquet``): ``request_id``, ``template_id``,
        ``is_extraction``."""
        return pd.read_parquet(self.folder / "request_labels.parquet")

    def iter_requests(self, rows: int = 100_000) -> Iterator[pd.DataFrame]:
        """The requests ``rows`` at a time, without holding them all in memory."""
        for batch in pq.ParquetFile(self.folder / "requests.parquet").iter_batches(batch_size=rows):
            yield batch.to_pandas()


def simulate(
    scenario: Scenario | str | Path,
    *,
    seed: int | None = None,
    duration: str | float | None = None,
    scale: float = 1.0,
    tick: str | float | None = None,
    out: str | Path | None = None,
) -> Simulation:
    """Simulate ``scenario`` (a :class:`~simulator.scenario.Scenario`, a YAML file, or a
    bundled scenario's name such as ``'quickstart'``) and return its :class:`Simulation`.

    ``seed`` replaces the scenario's root seed; ``duration`` and ``tick`` are seconds
    or strings (``'2h'``, ``'5m'``); ``scale`` multiplies account counts and volumes.
    The files go to ``out`` (kept) or to a temporary folder (removed with the
    returned object). Raises :class:`~simulator.scenario.ScenarioError` for a bad
    file and :class:`ValueError` for overrides that do not fit."""
    if not isinstance(scenario, Scenario):
        path = resolve_scenario_path(scenario)
        if not path.exists():
            raise FileNotFoundError(missing_hint(scenario))
        scenario = load_scenario(path)
    resolved = scenario.resolved(seed=seed, duration=as_seconds(duration), scale=scale, tick=as_seconds(tick))
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"extractbench-{resolved.name}-"))
    summary = simulate_to_folder(resolved, folder)
    simulation = Simulation(folder, summary, resolved)
    if out is None:
        weakref.finalize(simulation, shutil.rmtree, folder, True)
    return simulation
