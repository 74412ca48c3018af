"""The leaderboard and the run's parameters as plain rows of text, for HTML and Markdown.

The cells are those of the terminal leaderboard
(:func:`~simulator.results.leaderboard.format_cell`): the mean over seeds and the
half-width of its 95% interval, the median time to detection with the seeds that
detected. Baselines are flagged so that each format can set them apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from simulator.report.data import ReportData
from simulator.report.style import is_baseline
from simulator.results.aggregate import LEADERBOARD_METRICS
from simulator.results.leaderboard import HEADERS, format_cell, format_duration, format_number

__all__ = ["LeaderTable", "leader_tables", "parameter_rows"]


@dataclass(frozen=True)
class LeaderTable:
    """One (scenario, mode) of the leaderboard, best detector first."""

    scenario: str
    mode: str
    seeds: int
    headers: tuple[str, ...]
    """Column headers after the detector column."""
    rows: tuple[tuple[str, bool, tuple[str, ...]], ...]
    """(detector, is a baseline, cells)."""

    @property
    def title(self) -> str:
        return f"{self.scenario} · {self.mode} · {self.seeds} seed{'s' if self.seeds != 1 else ''}"


def leader_tables(board: pd.DataFrame) -> list[LeaderTable]:
    """The leaderboard frame (:func:`~simulator.results.aggregate.leaderboard`) as one
    table per (scenario, mode), in its order."""
    if board.empty:
        return []
    metrics = [m for m in (*LEADERBOARD_METRICS, "events_per_s") if m in board.columns]
    tables = []
    for (scenario, mode), group in board.groupby(["scenario", "mode"], sort=False):
        rows = []
        for _, row in group.iterrows():
            cells = tuple(
                format_cell(row, m) if m != "events_per_s" else _speed(row.get(m, float("nan"))) for m in metrics
            )
            rows.append((str(row["detector"]), is_baseline(str(row["detector"])), cells))
        tables.append(
            LeaderTable(
                str(scenario),
                str(mode),
                int(group["seeds"].max()),
                tuple(HEADERS.get(m, m) for m in metrics),
                tuple(rows),
            )
        )
    return tables


def _speed(value: Any) -> str:
    return format_number(float(value)) if pd.notna(value) else "–"


def _params(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str) if params else "–"


def _policy(policy: dict[str, Any], threshold: float) -> str:
    """The alarm policy in words.

    >>> _policy({"action": "ban", "review_delay": "0s"}, 0.5)
    'threshold 0.5, ban, no review delay'
    >>> _policy({"action": "throttle", "review_delay": "30m", "throttle_factor": 0.1, "throttle_duration": "1d"}, 0.7)
    'threshold 0.7, throttle (limits × 0.1 for 1d), review delay 30m'
    """
    action = str(policy.get("action", "ban"))
    if action == "throttle":
        action += f" (limits × {policy.get('throttle_factor')} for {policy.get('throttle_duration')})"
    delay = str(policy.get("review_delay", "0s"))
    review = "no review delay" if delay in ("0s", "0", "0.0") else f"review delay {delay}"
    return f"threshold {threshold:g}, {action}, {review}"


def parameter_rows(data: ReportData) -> dict[str, list[tuple[str, ...]]]:
    """The run's parameters: ``run`` (name, value) pairs, ``scenarios`` (label, source,
    scale, duration, ticks) and ``detectors`` (label, class, parameters)."""
    plan, config = data.plan, data.config
    policy = plan.get("policy", {})
    run = [
        ("run", data.run_id),
        ("suite", str(plan.get("suite", "–"))),
        ("extractbench", str(plan.get("extractbench_version", "–"))),
        ("seeds", ", ".join(str(s) for s in data.seeds)),
        ("modes", ", ".join(data.modes)),
        ("alarm policy", _policy(policy, data.threshold)),
        ("cells", f"{config.get('cells', '–')} ({config.get('cells_reused', 0)} reused)"),
        ("executor", str(config.get("executor", "–"))),
        ("started", str(config.get("started", "–"))),
        ("wall time", f"{float(config['wall_seconds']):.1f} s" if "wall_seconds" in config else "–"),
        ("platform", str(config.get("platform", "–"))),
        ("plan fingerprint", str(plan.get("fingerprint", "–"))),
    ]
    scenarios = [
        (
            s["label"],
            str(s.get("source", "–")).rpartition("/")[2],
            f"{float(s.get('scale', 1.0)):g}",
            format_duration(float(s["duration_s"])),
            str(s.get("ticks", "–")),
        )
        for s in plan["scenarios"]
    ]
    detectors = [(d["label"], d.get("class", "–"), _params(d.get("params", {}))) for d in plan["detectors"]]
    return {"run": run, "scenarios": scenarios, "detectors": detectors}
