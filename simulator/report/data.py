"""What a report is drawn from: a finished run's folder, read back and checked.

Everything comes from the results folder (``run.json``, ``metrics.parquet``,
``cost.csv``, ``failures.csv``, ``prevalence.csv``, ``outcomes.parquet``, ``leakage.parquet``), never
from a simulation: a report can be rebuilt at any time. A folder that is not a
finished run is a :class:`~simulator.results.folder.ResultsFolderError` saying what is missing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.metrics.catalogue import REFERENCE_ROWS
from simulator.report.style import detector_order
from simulator.results.aggregate import leaderboard, summarize
from simulator.results.files import read_table
from simulator.results.folder import ResultsFolderError, load_results

__all__ = ["ReportData", "load_report_data"]


@dataclass(frozen=True)
class ReportData:
    """A finished run, as the report reads it."""

    folder: Path
    config: dict[str, Any]
    """``run.json``."""
    metrics: pd.DataFrame
    cost: pd.DataFrame
    failures: pd.DataFrame
    outcomes: pd.DataFrame | None
    """Per-account outcomes (None if the harness that made the folder did not write them)."""
    leakage: pd.DataFrame | None
    """Attacker output per time bin (None if not recorded)."""
    prevalence: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The prevalence each passive (scenario, seed) was read at (empty for older runs)."""

    @property
    def plan(self) -> dict[str, Any]:
        return self.config["plan"]

    @property
    def run_id(self) -> str:
        return str(self.config.get("run_id", self.folder.name))

    @property
    def scenarios(self) -> list[str]:
        """Scenario labels in the plan's order."""
        return [s["label"] for s in self.plan["scenarios"]]

    @property
    def detectors(self) -> list[str]:
        """Detector labels: detectors in the plan's order, then baselines."""
        return detector_order([d["label"] for d in self.plan["detectors"]])

    @property
    def references(self) -> list[str]:
        """The reference rows this folder holds (:data:`~simulator.metrics.catalogue.REFERENCE_ROWS`)."""
        if self.outcomes is None:
            return []
        present = set(self.outcomes["detector"].unique())
        return [label for label in REFERENCE_ROWS if label in present]

    @property
    def modes(self) -> list[str]:
        return list(self.plan["modes"])

    @property
    def seeds(self) -> list[int]:
        return [int(s) for s in self.plan["seeds"]]

    @property
    def threshold(self) -> float:
        return float(self.plan["threshold"])

    def duration(self, scenario: str) -> float:
        """Simulated span of ``scenario`` in seconds."""
        for entry in self.plan["scenarios"]:
            if entry["label"] == scenario:
                return float(entry["duration_s"])
        return math.nan

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Mean (or median) and 95% interval per (scenario, mode, detector, metric)."""
        return summarize(self.metrics)

    @cached_property
    def leaderboard(self) -> pd.DataFrame:
        """The leaderboard frame (:func:`~simulator.results.aggregate.leaderboard`), best first."""
        return leaderboard(self.summary, self.cost, self.scenarios)

    def outcomes_of(self, scenario: str, mode: str) -> pd.DataFrame:
        """Outcomes of active accounts (at least one request) in one scenario and mode."""
        if self.outcomes is None:
            return pd.DataFrame()
        rows = self.outcomes[
            (self.outcomes["scenario"] == scenario) & (self.outcomes["mode"] == mode) & (self.outcomes["requests"] > 0)
        ]
        return rows.reset_index(drop=True)

    def max_scores(
        self, scenario: str, mode: str, references: bool = False
    ) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """(detector, is attacker, maximum score) of the active accounts of every seed pooled, per
        detector in report order, then (with ``references``) per reference row (labels without
        outcomes here are skipped)."""
        rows = self.outcomes_of(scenario, mode)
        if rows.empty:
            return
        for label in [*self.detectors, *(self.references if references else [])]:
            mine = rows[rows["detector"] == label]
            if not mine.empty:
                yield label, mine["campaign"].notna().to_numpy(), mine["max_score"].to_numpy(dtype=np.float64)


def _optional(path: Path) -> pd.DataFrame | None:
    return read_table(path) if path.is_file() else None


def load_report_data(folder: str | Path) -> ReportData:
    """Read a finished run's folder; raises :class:`~simulator.results.folder.ResultsFolderError`
    if it is missing, is not a results folder, or holds an unfinished run."""
    results = load_results(folder)
    try:
        outcomes = _optional(results.out / "outcomes.parquet")
        leakage = _optional(results.out / "leakage.parquet")
    except OSError as exc:
        raise ResultsFolderError(f"{results.out}: unreadable results: {exc}") from None
    return ReportData(
        folder=results.out,
        config=results.config,
        metrics=results.metrics,
        cost=results.cost,
        failures=results.failures,
        outcomes=outcomes,
        leakage=leakage,
        prevalence=results.prevalence(),
    )
