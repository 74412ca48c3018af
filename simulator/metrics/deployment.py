"""All figures at deployment conditions of one detector on one run, from its results data.

Separate from :func:`~simulator.metrics.evaluate.evaluate` so that ``metrics.csv``
keeps its rows; each group of :data:`~simulator.metrics.catalogue.DEPLOYMENT_METRICS`
is computed when its inputs are given:

* prevalence (always): customers weighted to the population the scenario represents
  (:mod:`simulator.metrics.weights`);
* budget (``reviews_per_day``): what analysts reviewing k alarms a day get
  (:mod:`simulator.metrics.budget`), with the same weights, from the outcomes' alarms
  or from other alarm times (``review_ts``: those of the threshold the provider
  operates at, e.g. a warm-up threshold);
* calibration (``calibration`` scores and ``warmup_end``): the threshold chosen on a
  label-free warm-up and what it achieves afterwards (:mod:`simulator.metrics.thresholds`),
  with the same weights; with ``review_ts`` (the alarms at that threshold) also the median
  time to detection at it, which puts every detector at the same false-positive budget;
* requests (``requests`` splits): request-level figures for mixed-traffic accounts
  (:mod:`simulator.metrics.requests`), unweighted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from simulator.metrics.accounts import Confusion, auprc
from simulator.metrics.budget import ReviewOrder, budget_outcome, ranked_at_budget
from simulator.metrics.campaigns import campaign_detection, ttd_quantile
from simulator.metrics.catalogue import DEPLOYMENT_METRICS, DEPLOYMENT_RANKING_METRICS
from simulator.metrics.requests import request_outcome
from simulator.metrics.thresholds import threshold_outcome, warmup_threshold
from simulator.metrics.weights import (
    account_weights,
    customer_weight,
    deployment_alarms_per_day,
    deployment_recall_at_fpr,
    fpr_resolution,
    recall_at_zero_fp,
)
from simulator.units import DAY

__all__ = [
    "CALIBRATION_COLUMNS",
    "RECALL_FPRS",
    "DeploymentFrame",
    "evaluate_deployment",
    "evaluate_deployment_ranking",
]

RECALL_FPRS: tuple[float, ...] = (1e-3, 1e-4, 1e-5)
"""Target FPRs of the ``deployment_recall_at_fpr_*`` figures."""

CALIBRATION_COLUMNS: tuple[str, ...] = ("account_id", "warmup_score", "after_score")
"""Per-account maximum scores over the warm-up [0, ``warmup_end``) and over the rest
of the run (:func:`~simulator.metrics.thresholds.window_max_score`); NaN where the
account was not active in that window."""

_CALIBRATED = ("calibrated_precision", "calibrated_recall", "calibrated_fpr", "calibrated_alarms_per_day")


@dataclass(frozen=True)
class DeploymentFrame:
    """What the deployment figures need to know beyond the outcomes."""

    duration: float
    """Simulated span in seconds (the end of the last tick)."""
    represented_customers: float | None = None
    """Customers the scenario's active customers stand for; None: as simulated (weight 1)."""
    reviews_per_day: float | None = None
    """Alarms the analysts review per day (k); None: no budget figures."""
    review_order: ReviewOrder = "arrival"
    """Order of the review queue; ``"score"`` needs a ``priority`` per account."""
    warmup_end: float | None = None
    """End of the warm-up window in seconds (it starts at 0); needed for the calibration figures."""
    target_fpr: float = 1e-3
    """Share of the warm-up accounts the calibrated threshold may flag."""


def _weights(truth: np.ndarray, active: np.ndarray, frame: DeploymentFrame, weight: ArrayLike | None) -> np.ndarray:
    if weight is not None:
        return account_weights(truth, weight)
    if frame.represented_customers is not None:
        return account_weights(truth, customer_weight(frame.represented_customers, int((~truth & active).sum())))
    return np.ones(truth.size)


def _prevalence(
    truth: np.ndarray, active: np.ndarray, alarmed: np.ndarray, scores: np.ndarray, w: np.ndarray, duration: float
) -> dict[str, float]:
    t, s, wa = truth[active], scores[active], w[active]
    confusion = Confusion.of(t, alarmed[active], wa)
    values = {
        "deployment_precision": confusion.precision,
        "deployment_fpr": confusion.fpr,
        "deployment_auprc": auprc(t, s, wa),
        "deployment_alarms_per_day": deployment_alarms_per_day(alarmed, w, duration),
        "deployment_legit_flagged": confusion.fp,
        "fpr_resolution": fpr_resolution(t, wa),
        "recall_at_zero_fp": recall_at_zero_fp(t, s, wa),
    }
    for target in RECALL_FPRS:
        values[f"deployment_recall_at_fpr_{target:g}"] = deployment_recall_at_fpr(t, s, target, wa)
    return values


def _calibration(
    outcomes: pd.DataFrame,
    calibration: pd.DataFrame,
    w: np.ndarray,
    frame: DeploymentFrame,
    review_ts: ArrayLike | None = None,
) -> dict[str, float]:
    if frame.warmup_end is None:
        raise ValueError("Calibration figures need the warm-up's end: set DeploymentFrame.warmup_end.")
    missing = [c for c in CALIBRATION_COLUMNS if c not in calibration.columns]
    if missing:
        raise ValueError(f"The calibration table lacks the columns {missing}; expected {list(CALIBRATION_COLUMNS)}.")
    warmup = calibration["warmup_score"].to_numpy(dtype=np.float64)
    chosen = warmup_threshold(warmup[np.isfinite(warmup)], frame.target_fpr)
    if math.isnan(chosen.threshold):
        return dict.fromkeys(_CALIBRATED + (("calibrated_ttd_median_s",) if review_ts is not None else ()), math.nan)
    after_scores = calibration["after_score"].to_numpy(dtype=np.float64)
    after = np.isfinite(after_scores)
    ids = calibration["account_id"].to_numpy(dtype=object)[after]
    rows = pd.Index(outcomes["account_id"].to_numpy(dtype=object)).get_indexer(ids)
    if (rows < 0).any():
        raise ValueError(f"Calibration accounts without an outcome row: {sorted(ids[rows < 0])[:5]}.")
    t = outcomes["is_attacker"].to_numpy(dtype=bool)[rows]
    confusion = threshold_outcome(t, after_scores[after], chosen.threshold, w[rows])
    days = (frame.duration - frame.warmup_end) / DAY
    values = {
        "calibrated_precision": confusion.precision,
        "calibrated_recall": confusion.recall,
        "calibrated_fpr": confusion.fpr,
        "calibrated_alarms_per_day": (confusion.tp + confusion.fp) / days if days > 0 else math.nan,
    }
    if review_ts is not None:
        # the alarms at the warm-up threshold (none before the warm-up's end): a campaign's time to
        # detection at the false-positive budget every detector shares, unlike its own fixed threshold
        alarms = outcomes.assign(alarm_ts=np.asarray(review_ts, dtype=np.float64))
        values["calibrated_ttd_median_s"] = ttd_quantile(campaign_detection(alarms, frame.duration), 0.5)
    return values


def evaluate_deployment(
    outcomes: pd.DataFrame,
    frame: DeploymentFrame,
    *,
    weight: ArrayLike | None = None,
    priority: ArrayLike | None = None,
    calibration: pd.DataFrame | None = None,
    requests: pd.DataFrame | None = None,
    review_ts: ArrayLike | None = None,
) -> dict[str, float]:
    """The figures of :data:`~simulator.metrics.catalogue.DEPLOYMENT_METRICS` whose
    inputs are given, in catalogue order.

    * ``outcomes``: the columns of :data:`~simulator.metrics.outcomes.OUTCOME_SCHEMA`;
      truth is its ``is_attacker`` column, active accounts are those with a request;
    * ``weight``: one weight per outcome row (e.g. from
      :func:`~simulator.metrics.weights.group_weights` over the archetypes, with
      ``active`` so that only active customers are counted); without it, customers
      weigh ``frame.represented_customers`` / active customers (1 if None) and
      attackers 1;
    * ``priority``: one score per outcome row for ``frame.review_order == "score"``
      (the score at the alarm);
    * ``review_ts``: one time per outcome row (s; NaN: never) at which the account's
      alarm joins the analysts' queue, when the budget reviews other alarms than the
      outcomes' ``alarm_ts`` (those of the operating threshold); the other figures keep
      ``alarm_ts``;
    * ``calibration``: :data:`CALIBRATION_COLUMNS` per account (with ``frame.warmup_end``);
      with ``review_ts`` too, ``calibrated_ttd_median_s`` (s) is the median over detected
      campaigns of (first ``review_ts`` on its accounts − its first request), NaN if none
      was detected, ``review_ts`` being the alarms at the warm-up threshold;
    * ``requests``: :data:`~simulator.metrics.requests.REQUEST_SPLIT_SCHEMA` per account.
    """
    truth = outcomes["is_attacker"].to_numpy(dtype=bool)
    active = outcomes["requests"].to_numpy() > 0
    alarmed = np.isfinite(outcomes["alarm_ts"].to_numpy(dtype=np.float64))
    scores = outcomes["max_score"].to_numpy(dtype=np.float64)
    w = _weights(truth, active, frame, weight)

    values = _prevalence(truth, active, alarmed, scores, w, frame.duration)
    if frame.reviews_per_day is not None:
        queue = outcomes if review_ts is None else outcomes.assign(alarm_ts=np.asarray(review_ts, dtype=np.float64))
        budget = budget_outcome(
            queue, frame.reviews_per_day, frame.duration, order=frame.review_order, priority=priority, weight=w
        )
        ranked = ranked_at_budget(
            truth[active], scores[active], frame.reviews_per_day * frame.duration / DAY, w[active]
        )
        values |= {
            "budget_precision": budget.precision,
            "budget_recall": budget.recall,
            "budget_detection_rate": budget.detection_rate,
            "budget_backlog": budget.backlog,
            "ranked_precision_at_budget": ranked[0],
            "ranked_recall_at_budget": ranked[1],
        }
    if calibration is not None:
        values |= _calibration(outcomes, calibration, w, frame, review_ts)
    if requests is not None:
        values |= request_outcome(requests).figures()
    return {name: float(values[name]) for name in DEPLOYMENT_METRICS if name in values}


def evaluate_deployment_ranking(
    outcomes: pd.DataFrame, frame: DeploymentFrame, *, weight: ArrayLike | None = None
) -> dict[str, float]:
    """The :data:`~simulator.metrics.catalogue.DEPLOYMENT_RANKING_METRICS` of a ranking of
    accounts alone (each active account's ``max_score``; alarm times are not read), as
    :func:`evaluate_deployment` computes them with the same ``weight`` and ``frame``
    (the ranked budget figures only when ``frame.reviews_per_day`` is set)."""
    truth = outcomes["is_attacker"].to_numpy(dtype=bool)
    active = outcomes["requests"].to_numpy() > 0
    scores = outcomes["max_score"].to_numpy(dtype=np.float64)
    w = _weights(truth, active, frame, weight)
    t, s, wa = truth[active], scores[active], w[active]
    values = {
        "deployment_auprc": auprc(t, s, wa),
        "fpr_resolution": fpr_resolution(t, wa),
        "recall_at_zero_fp": recall_at_zero_fp(t, s, wa),
    }
    for target in RECALL_FPRS:
        values[f"deployment_recall_at_fpr_{target:g}"] = deployment_recall_at_fpr(t, s, target, wa)
    if frame.reviews_per_day is not None:
        precision, recall = ranked_at_budget(t, s, frame.reviews_per_day * frame.duration / DAY, wa)
        values |= {"ranked_precision_at_budget": precision, "ranked_recall_at_budget": recall}
    return {name: float(values[name]) for name in DEPLOYMENT_RANKING_METRICS if name in values}
