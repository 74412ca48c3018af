"""The leaderboard and the run's parameters as plain rows of text, for HTML and Markdown.

The cells are those of the terminal leaderboard
(:func:`~simulator.results.leaderboard.format_cell`): the mean over seeds and the
half-width of its 95% interval, the median time to detection with the seeds that
detected; the columns lead with the figures at deployment conditions, and each
passive table carries the note of what they assume
(:func:`~simulator.results.conditions.scenario_notes`). Baselines are flagged so
that each format can set them apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from simulator.report.data import ReportData
from simulator.report.style import is_baseline
from simulator.results.conditions import format_share
from simulator.results.leaderboard import HEADERS, format_cell, format_duration, format_speed, table_columns

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
    note: str = ""
    """What the deployment figures of a passive table assume (customer base, prevalence, warm-up)."""

    @property
    def title(self) -> str:
        return f"{self.scenario} · {self.mode} · {self.seeds} seed{'s' if self.seeds != 1 else ''}"


def leader_tables(
    board: pd.DataFrame, notes: Mapping[str, str] | None = None, *, speed: bool = True
) -> list[LeaderTable]:
    """The leaderboard frame (:func:`~simulator.results.aggregate.leaderboard`) as one
    table per (scenario, mode), in its order; ``notes`` by scenario go to passive tables;
    ``speed`` keeps the events/s column (timing: summary.md leaves it out, to stay the same
    bytes from run to run)."""
    if board.empty:
        return []
    tables = []
    for (scenario, mode), group in board.groupby(["scenario", "mode"], sort=False):
        metrics = table_columns(group, speed=speed)
        rows = []
        for _, row in group.iterrows():
            cells = tuple(
                format_cell(row, m) if m != "events_per_s" else format_speed(row.get(m, float("nan"))) for m in metrics
            )
            rows.append((str(row["detector"]), is_baseline(str(row["detector"])), cells))
        tables.append(
            LeaderTable(
                str(scenario),
                str(mode),
                int(group["seeds"].max()),
                tuple(HEADERS.get(m, m) for m in metrics),
                tuple(rows),
                (notes or {}).get(str(scenario), "") if mode == "passive" else "",
            )
        )
    return tables


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


def _customers(entry: dict[str, Any]) -> str:
    """A scenario's declared customer base, e.g. ``2,000,000 (batch-4: 20,000)``, or ``as simulated``."""
    deployment = entry.get("deployment")
    if not deployment:
        return "as simulated"
    groups = ", ".join(f"{name}: {int(count):,}" for name, count in deployment.get("groups", {}).items())
    return f"{int(deployment['customers']):,}" + (f" ({groups})" if groups else "")


def _operating(operating: dict[str, Any]) -> str:
    """The operating points in words.

    >>> _operating({"reviews_per_day": 50, "review_order": "arrival", "warmup": "6h", "target_fpr": 0.001})
    '50 reviews/day (arrival order), warm-up threshold for FPR ≤ 0.1% (warm-up 6h unless the suite says otherwise)'
    """
    return (
        f"{float(operating['reviews_per_day']):g} reviews/day ({operating['review_order']} order), warm-up threshold "
        f"for FPR ≤ {format_share(float(operating['target_fpr']))} (warm-up {operating['warmup']} unless the suite "
        "says otherwise)"
    )


def parameter_rows(data: ReportData) -> dict[str, list[tuple[str, ...]]]:
    """The run's parameters: ``run`` (name, value) pairs, ``scenarios`` (label, source,
    scale, duration, ticks, warm-up, customer base) and ``detectors`` (label, class, parameters)."""
    plan, config = data.plan, data.config
    policy = plan.get("policy", {})
    run = [
        ("run", data.run_id),
        ("suite", str(plan.get("suite", "–"))),
        ("extractbench", str(plan.get("extractbench_version", "–"))),
        ("seeds", ", ".join(str(s) for s in data.seeds)),
        ("modes", ", ".join(data.modes)),
        ("alarm policy", _policy(policy, data.threshold)),
        *([("operating points", _operating(plan["operating"]))] if "operating" in plan else []),
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
            format_duration(float(s["warmup_s"])) if s.get("warmup_s") else "–",
            _customers(s),
        )
        for s in plan["scenarios"]
    ]
    detectors = [(d["label"], d.get("class", "–"), _params(d.get("params", {}))) for d in plan["detectors"]]
    return {"run": run, "scenarios": scenarios, "detectors": detectors}
