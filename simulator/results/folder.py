"""A finished run's folder read back: :func:`load_results` and :class:`RunResults`.

``results/<run>/`` holds ``run.json`` (the plan, seeds, versions and status),
``metrics.parquet`` (tidy: scenario, detector, mode, seed, metric, value),
``cost.csv``, ``failures.csv``, ``prevalence.csv`` and ``thresholds.csv`` (the
prevalence and warm-up thresholds passive runs were read at) and, when recorded,
``scores.parquet``, ``outcomes.parquet`` and ``leakage.parquet``. Every file is read and
checked by :mod:`simulator.results.files` (a missing column or a wrong type is a
:class:`ResultsFolderError` naming the file and column). Reading it needs none of the
machinery that wrote it::

    from simulator.results import load_results

    results = load_results("results/<run-id>")
    results.leaderboard()                          # a DataFrame, best detector first
    results.metrics.query("metric == 'auprc'")     # tidy: one row per seed
    results.summary                                # means and 95% intervals over seeds
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.results.aggregate import COMPARISON_REFERENCE, compare, leaderboard, summarize
from simulator.results.files import ResultsFolderError, read_run_description, read_table

__all__ = ["ResultsFolderError", "RunResults", "load_results"]


@dataclass(frozen=True)
class RunResults:
    """A finished run: its folder, configuration and tables."""

    out: Path
    run_id: str
    config: dict[str, Any]
    """The contents of ``run.json``."""
    metrics: pd.DataFrame
    """Tidy detection metrics: scenario, detector, mode, seed, metric, value."""
    cost: pd.DataFrame
    """Per (scenario, detector, mode, seed): events/s, peak memory, wall time."""
    failures: pd.DataFrame
    """Detectors that failed, with the tick and the reason."""

    @property
    def summary(self) -> pd.DataFrame:
        """Mean (or median) and 95% interval over seeds, per (scenario, mode, detector, metric)."""
        return summarize(self.metrics)

    def leaderboard(self) -> pd.DataFrame:
        """The headline metrics per (scenario, mode, detector), best first."""
        order = [scenario["label"] for scenario in self.config["plan"]["scenarios"]]
        return leaderboard(self.summary, self.cost, order)

    def comparisons(self, reference: str = COMPARISON_REFERENCE) -> pd.DataFrame:
        """Paired differences from ``reference`` on the same seeds."""
        return compare(self.metrics, reference)

    def scores(self) -> pd.DataFrame:
        """Score trajectories (only changes): scenario, mode, seed, detector, tick, account_id, score."""
        return read_table(self.out / "scores.parquet")

    def outcomes(self) -> pd.DataFrame:
        """Per-account outcomes: scenario, mode, seed, detector and the columns of
        :data:`~simulator.metrics.outcomes.OUTCOME_SCHEMA` (maximum score, alarm time…)."""
        return read_table(self.out / "outcomes.parquet")

    def prevalence(self) -> pd.DataFrame:
        """The prevalence each passive (scenario, seed) was read at (``prevalence.csv``,
        :data:`~simulator.bench.deployment.PREVALENCE_COLUMNS`); empty for a run made
        before the harness wrote it."""
        return _optional_csv(self.out / "prevalence.csv")

    def thresholds(self) -> pd.DataFrame:
        """Each detector's warm-up threshold per passive (scenario, seed) (``thresholds.csv``);
        empty for a run made before the harness wrote it."""
        return _optional_csv(self.out / "thresholds.csv")

    def leakage(self) -> pd.DataFrame:
        """Attacker output per time bin: scenario, mode, seed, detector (null: everything
        served to the campaigns), bin, start_s, end_s, output_tokens (see :mod:`simulator.bench.leakage`)."""
        return read_table(self.out / "leakage.parquet")


def _optional_csv(path: Path) -> pd.DataFrame:
    """:func:`~simulator.results.files.read_table`, or an empty table if the file is missing."""
    return read_table(path) if path.is_file() else pd.DataFrame()


def _run_description(out: Path) -> dict[str, Any]:
    if not out.is_dir():
        raise ResultsFolderError(f"{out}: no such folder (expected the output folder of `extractbench run`)")
    run_file = out / "run.json"
    if not run_file.is_file():
        raise ResultsFolderError(f"{out}: not an extractbench results folder (no run.json)")
    try:
        config = read_run_description(run_file)
    except OSError as exc:
        raise ResultsFolderError(f"{run_file}: unreadable: {exc}") from None
    if config.get("status") != "complete":
        raise ResultsFolderError(
            f"{out}: the run is not complete (status {config.get('status')!r}); "
            f"finish it with `extractbench run ... --out {out}`"
        )
    missing = [name for name in ("metrics.parquet", "cost.csv", "failures.csv") if not (out / name).is_file()]
    if missing:
        raise ResultsFolderError(f"{out}: incomplete results folder, missing {', '.join(missing)}")
    return config


def load_results(out: str | Path) -> RunResults:
    """Read a finished run's folder; raises :class:`ResultsFolderError` if it is missing,
    is not a results folder, or holds an unfinished run."""
    out = Path(out)
    config = _run_description(out)
    try:
        return RunResults(
            out=out,
            run_id=config["run_id"],
            config=config,
            metrics=read_table(out / "metrics.parquet"),
            cost=read_table(out / "cost.csv"),
            failures=read_table(out / "failures.csv"),
        )
    except OSError as exc:
        raise ResultsFolderError(f"{out}: unreadable results: {exc}") from None
