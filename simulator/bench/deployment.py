"""Figures at deployment conditions of one stored passive cell: weights, metric rows, facts.

For every passive (scenario, seed) the harness reads the run again at the prevalence
the scenario declares (its ``deployment`` section,
:class:`~simulator.scenario.schema.Deployment`) and at the operating points of the
run (:class:`~simulator.bench.operating.OperatingPoints`):

* **weights** (:func:`cell_weights`): each simulated active customer of a group stands
  for the customers that group represents over its active customers, each attacker
  account for ``1 / scale`` accounts (:func:`~simulator.metrics.weights.population_weights`);
  without a ``deployment`` section every account weighs 1 and the figures are those
  of the run as simulated;
* **metric rows** (:func:`deployment_values`): the
  :data:`~simulator.metrics.catalogue.HARNESS_DEPLOYMENT_METRICS` of a detector
  (:func:`~simulator.metrics.deployment.evaluate_deployment`: prevalence, analysts'
  budget, warm-up threshold), NaN where undefined or not computable (no warm-up, or a
  warm-up covering the run); the reference rows get the
  :data:`~simulator.metrics.catalogue.DEPLOYMENT_RANKING_METRICS` only;
* **request-level rows** (:func:`request_values`, passive and active cells): for scenarios whose campaigns resell
  customers' traffic, the :data:`~simulator.metrics.catalogue.REQUEST_METRICS` of a
  detector from its per-account request splits (:mod:`simulator.bench.splits`);
* **facts**: the prevalence each (scenario, seed) was read at (:func:`prevalence_row`,
  ``prevalence.csv``) and each detector's warm-up threshold (:func:`threshold_row`,
  ``thresholds.csv``).

Everything is computed from the stored cell, so resumed runs and every executor
give the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from simulator.bench.cells import Cell, ScenarioSpec
from simulator.bench.operating import OperatingPoints
from simulator.metrics.catalogue import DEPLOYMENT_RANKING_METRICS, HARNESS_DEPLOYMENT_METRICS
from simulator.metrics.deployment import DeploymentFrame, evaluate_deployment, evaluate_deployment_ranking
from simulator.metrics.requests import request_outcome
from simulator.metrics.thresholds import warmup_threshold
from simulator.metrics.weights import fpr_resolution, population_weights

__all__ = [
    "PREVALENCE_COLUMNS",
    "THRESHOLD_COLUMNS",
    "cell_weights",
    "deployment_frame",
    "deployment_values",
    "prevalence_row",
    "request_values",
    "threshold_row",
]

PREVALENCE_COLUMNS = [
    "scenario",
    "seed",
    "represented_customers",
    "active_customers",
    "active_attackers",
    "customer_weight",
    "attacker_weight",
    "represented_active_customers",
    "attacker_share",
    "deployment_attacker_share",
    "fpr_resolution",
]
"""``prevalence.csv``: per passive (scenario, seed), the declared customer base (NaN:
as simulated), the simulated active customers and attacker accounts, the mean weight
of an active customer and the weight of an attacker account, the customers they
represent (Σ weights), the attacker share of active accounts as simulated and at
deployment weight, and the smallest non-zero FPR the simulated customers can show."""

THRESHOLD_COLUMNS = [
    "scenario",
    "detector",
    "seed",
    "warmup_end_s",
    "target_fpr",
    "warmup_accounts",
    "warmup_attackers",
    "warmup_flagged",
    "threshold",
    "resolution_limited",
]
"""``thresholds.csv``: per passive (scenario, detector, seed), the warm-up threshold: the
warm-up's end, the target FPR, the accounts active in the warm-up (and how many of
them were attackers, which the provider cannot know), how many the threshold flags
there, the threshold (written with every digit; NaN: no warm-up or an empty one) and whether the warm-up was
too small to resolve the target (target × accounts < 1: the threshold then sits just
above the highest warm-up score)."""


def cell_weights(groups: pd.DataFrame | None, spec: ScenarioSpec) -> pd.Series | None:
    """Each registered account's weight at the scenario's declared prevalence, by
    account id (sorted); None when the scenario declares none (every account weighs 1)."""
    deployment = spec.scenario.deployment
    if deployment is None or groups is None:
        return None
    w = population_weights(
        groups["is_attacker"].to_numpy(dtype=bool),
        groups["group"].to_numpy(dtype=object),
        groups["active"].to_numpy(dtype=bool),
        float(deployment.customers),
        {name: float(count) for name, count in deployment.groups.items()},
        attacker_weight=1.0 / spec.scale,
    )
    return pd.Series(w, index=groups["account_id"].to_numpy(dtype=object))


def _row_weights(outcomes: pd.DataFrame, weights: pd.Series | None) -> np.ndarray | None:
    """The weight of each outcome row (both tables are sorted by account id)."""
    if weights is None:
        return None
    ids = weights.index.to_numpy(dtype=str)
    wanted = outcomes["account_id"].to_numpy(dtype=str)
    rows = np.searchsorted(ids, wanted)
    if wanted.size and (rows.max() >= ids.size or (ids[rows] != wanted).any()):
        raise ValueError("Outcome accounts missing from the cell's registered accounts.")
    return weights.to_numpy(dtype=np.float64)[rows]


def deployment_frame(cell: Cell, duration: float, operating: OperatingPoints) -> DeploymentFrame:
    """The frame of a passive cell: its duration, the analysts' budget, and the warm-up's
    end when the cell has a warm-up (one that leaves part of the run to judge it on)."""
    return DeploymentFrame(
        duration=duration,
        reviews_per_day=operating.reviews_per_day,
        review_order=operating.review_order,
        warmup_end=cell.warmup_ticks * float(cell.scenario.scenario.tick) if cell.warmup_ticks else None,
        target_fpr=operating.target_fpr,
    )


def deployment_values(
    label: str,
    outcomes: pd.DataFrame,
    windows: pd.DataFrame | None,
    weights: pd.Series | None,
    frame: DeploymentFrame,
    *,
    reference: bool = False,
) -> dict[str, float]:
    """The deployment metric rows of one detector (or reference row) of a passive cell,
    in catalogue order, NaN where undefined."""
    w = _row_weights(outcomes, weights)
    if reference:
        values = evaluate_deployment_ranking(outcomes, frame, weight=w)
        return {name: values.get(name, math.nan) for name in DEPLOYMENT_RANKING_METRICS}
    if windows is None or len(windows) != len(outcomes):
        raise ValueError(f"{label}: the warm-up scores do not match the outcomes ({len(outcomes)} accounts)")
    priority = None
    if frame.review_order == "score":
        priority = windows["queue_score"].fillna(0.0).to_numpy(dtype=np.float64)
    calibration = windows if frame.warmup_end is not None else None
    values = evaluate_deployment(
        outcomes,
        frame,
        weight=w,
        priority=priority,
        calibration=calibration,
        review_ts=windows["queue_ts"].to_numpy(dtype=np.float64),
    )
    return {name: values.get(name, math.nan) for name in HARNESS_DEPLOYMENT_METRICS}


def request_values(splits: pd.DataFrame) -> dict[str, float]:
    """The :data:`~simulator.metrics.catalogue.REQUEST_METRICS` rows of one detector of a
    cell (passive or active) from its per-account request splits, in catalogue order (NaN where undefined)."""
    return request_outcome(splits).figures()


def prevalence_row(groups: pd.DataFrame | None, weights: pd.Series | None, spec: ScenarioSpec) -> dict[str, Any]:
    """The ``prevalence.csv`` row of a passive cell (without its scenario and seed)."""
    deployment = spec.scenario.deployment
    row: dict[str, Any] = dict.fromkeys(PREVALENCE_COLUMNS[2:], math.nan)
    row["represented_customers"] = math.nan if deployment is None else float(deployment.customers)
    if groups is None:
        return row
    truth = groups["is_attacker"].to_numpy(dtype=bool)
    active = groups["active"].to_numpy(dtype=bool)
    w = np.ones(truth.size) if weights is None else weights.to_numpy(dtype=np.float64)
    customers, attackers = ~truth & active, truth & active
    n_customers, n_attackers = int(customers.sum()), int(attackers.sum())
    represented = float(w[customers].sum())
    row |= {
        "active_customers": n_customers,
        "active_attackers": n_attackers,
        "customer_weight": represented / n_customers if n_customers else math.nan,
        "attacker_weight": 1.0 if weights is None else 1.0 / spec.scale,
        "represented_active_customers": represented,
        "attacker_share": n_attackers / (n_customers + n_attackers) if n_customers + n_attackers else math.nan,
        "fpr_resolution": fpr_resolution(truth[active], w[active]),
    }
    attacker_mass = float(w[attackers].sum())
    row["deployment_attacker_share"] = (
        attacker_mass / (attacker_mass + represented) if attacker_mass + represented > 0 else math.nan
    )
    return row


def threshold_row(windows: pd.DataFrame, outcomes: pd.DataFrame, frame: DeploymentFrame) -> dict[str, Any]:
    """The ``thresholds.csv`` row of one detector of a passive cell (without its scenario,
    detector and seed)."""
    row: dict[str, Any] = {
        "warmup_end_s": math.nan if frame.warmup_end is None else frame.warmup_end,
        "target_fpr": frame.target_fpr,
        "warmup_accounts": 0,
        "warmup_attackers": 0,
        "warmup_flagged": 0,
        "threshold": math.nan,
        "resolution_limited": True,
    }
    if frame.warmup_end is None:
        return row
    scores = windows["warmup_score"].to_numpy(dtype=np.float64)
    inside = np.isfinite(scores)
    chosen = warmup_threshold(scores[inside], frame.target_fpr)
    row |= {
        "warmup_accounts": chosen.warmup_accounts,
        "warmup_attackers": int(outcomes["is_attacker"].to_numpy(dtype=bool)[inside].sum()),
        "warmup_flagged": chosen.warmup_flagged,
        "threshold": chosen.threshold,
        "resolution_limited": chosen.resolution_limited,
    }
    return row
