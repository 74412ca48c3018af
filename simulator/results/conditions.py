"""What the figures at deployment conditions of a finished run assume, in words.

A leaderboard that leads with deployment figures must say which prevalence and
which budget they were read at. From ``run.json`` (each scenario's ``deployment``
section and warm-up, the run's ``operating`` points) and ``prevalence.csv`` (the
attacker share of active accounts per seed, as simulated and at deployment weight):

* :func:`scenario_notes`: per scenario, the customer base and prevalence, and the
  warm-up, e.g. ``at 2,000,000 customers: attackers 0.12% of active accounts (as
  simulated 12.7%) · warm-up 3.0h``;
* :func:`operating_note`: the run's analysts' budget and warm-up target, e.g.
  ``k = 50 reviews/day, first come first served · warm-up threshold for FPR ≤ 0.1%``.

A run made before the harness computed deployment figures gets empty notes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulator.results.leaderboard import format_duration

__all__ = ["format_share", "operating_note", "scenario_notes"]


def format_share(share: float) -> str:
    """A share as a percentage with two significant figures.

    >>> format_share(0.127), format_share(0.0012), format_share(0.0000234), format_share(0.001), format_share(0.0)
    ('13%', '0.12%', '0.0023%', '0.1%', '0%')
    """
    if not math.isfinite(share):
        return "–"
    return np.format_float_positional(share * 100, precision=2, unique=True, fractional=False, trim="-") + "%"


def _mean(frame: pd.DataFrame, scenario: str, column: str) -> float:
    if frame.empty or column not in frame.columns:
        return math.nan
    values = frame.loc[frame["scenario"] == scenario, column].astype(float)
    return float(values.mean()) if values.notna().any() else math.nan


def scenario_notes(config: Mapping[str, Any], prevalence: pd.DataFrame) -> dict[str, str]:
    """Per scenario label, the prevalence and warm-up its passive figures were read at
    (nothing for a run without deployment figures)."""
    plan = config.get("plan", {})
    if "operating" not in plan:
        return {}
    notes = {}
    for entry in plan.get("scenarios", []):
        label = str(entry["label"])
        simulated = format_share(_mean(prevalence, label, "attacker_share"))
        deployment = entry.get("deployment")
        if deployment:
            share = format_share(_mean(prevalence, label, "deployment_attacker_share"))
            text = (
                f"at {int(deployment['customers']):,} customers: attackers {share} of active accounts "
                f"(as simulated {simulated})"
            )
        else:
            text = f"with customers as simulated (no deployment section): attackers {simulated} of active accounts"
        warmup = float(entry.get("warmup_s") or 0.0)
        if warmup <= 0:
            text += " · no warm-up threshold"
        elif warmup >= float(entry.get("duration_s", math.inf)):
            text += f" · warm-up {format_duration(warmup)} covers the run: no warm-up threshold"
        else:
            text += f" · warm-up {format_duration(warmup)}"
        notes[label] = text
    return notes


def operating_note(config: Mapping[str, Any]) -> str:
    """The run's analysts' budget and warm-up target in words ("" for a run without them).

    >>> operating_note({"plan": {"operating": {"reviews_per_day": 50, "review_order": "arrival",
    ...                                        "target_fpr": 0.001}}})
    'k = 50 reviews/day, first come first served · warm-up threshold for FPR ≤ 0.1%'
    """
    operating = config.get("plan", {}).get("operating")
    if not operating:
        return ""
    order = "first come first served" if operating.get("review_order") == "arrival" else "highest score first"
    return (
        f"k = {float(operating['reviews_per_day']):g} reviews/day, {order} · "
        f"warm-up threshold for FPR ≤ {format_share(float(operating['target_fpr']))}"
    )
