"""Metrics: pure functions of results data (per-account outcomes, per-campaign
totals, the run's frame), with formulas and units in their docstrings.

They never read the world: the benchmark harness (:mod:`simulator.bench`) turns
a run into the tables of :mod:`simulator.metrics.outcomes`, and everything here
is computed from those.

:func:`evaluate` gives the rows of ``metrics.csv``; :func:`evaluate_deployment` the
figures at deployment conditions (prevalence weights, analyst budget, warm-up
thresholds, request-level figures for mixed-traffic accounts).
"""

from __future__ import annotations

from simulator.metrics.accounts import Confusion, auprc, recall_at_fpr
from simulator.metrics.budget import (
    BudgetOutcome,
    ReviewOrder,
    ReviewSchedule,
    budget_outcome,
    ranked_at_budget,
    review_schedule,
)
from simulator.metrics.campaigns import (
    accounts_caught,
    campaign_detection,
    detection_rate,
    leakage_share,
    leakage_tokens,
    served_before_alarm,
    ttd_quantile,
)
from simulator.metrics.catalogue import (
    BUDGET_METRICS,
    CALIBRATION_METRICS,
    CATALOGUE,
    DEPLOYMENT_METRICS,
    DEPLOYMENT_RANKING_METRICS,
    HARNESS_DEPLOYMENT_METRICS,
    METRICS,
    OWNERSHIP_METRICS,
    PREVALENCE_METRICS,
    RANKING_METRICS,
    REFERENCE_ROWS,
    REQUEST_METRICS,
    MetricInfo,
)
from simulator.metrics.collateral import (
    alarms_per_day,
    legit_denied_share,
    legit_flagged,
    legit_flagged_token_share,
    legit_output_lost_share,
)
from simulator.metrics.deployment import (
    CALIBRATION_COLUMNS,
    RECALL_FPRS,
    DeploymentFrame,
    evaluate_deployment,
    evaluate_deployment_ranking,
)
from simulator.metrics.evaluate import evaluate, evaluate_ranking
from simulator.metrics.outcomes import CAMPAIGN_SCHEMA, OUTCOME_SCHEMA, Mode, RunFrame
from simulator.metrics.requests import (
    EXTRACTION_SHARE_THRESHOLD,
    REQUEST_SPLIT_SCHEMA,
    RequestOutcome,
    extraction_truth,
    request_outcome,
    share_labelled,
)
from simulator.metrics.thresholds import WarmupCalibration, threshold_outcome, warmup_threshold, window_max_score
from simulator.metrics.weights import (
    account_weights,
    customer_weight,
    deployment_alarms_per_day,
    deployment_recall_at_fpr,
    fpr_resolution,
    group_weights,
    population_weights,
    recall_at_zero_fp,
)

__all__ = [
    "BUDGET_METRICS",
    "CALIBRATION_COLUMNS",
    "CALIBRATION_METRICS",
    "CAMPAIGN_SCHEMA",
    "CATALOGUE",
    "DEPLOYMENT_METRICS",
    "DEPLOYMENT_RANKING_METRICS",
    "EXTRACTION_SHARE_THRESHOLD",
    "HARNESS_DEPLOYMENT_METRICS",
    "METRICS",
    "OUTCOME_SCHEMA",
    "OWNERSHIP_METRICS",
    "PREVALENCE_METRICS",
    "RANKING_METRICS",
    "RECALL_FPRS",
    "REFERENCE_ROWS",
    "REQUEST_METRICS",
    "REQUEST_SPLIT_SCHEMA",
    "BudgetOutcome",
    "Confusion",
    "DeploymentFrame",
    "MetricInfo",
    "Mode",
    "RequestOutcome",
    "ReviewOrder",
    "ReviewSchedule",
    "RunFrame",
    "WarmupCalibration",
    "account_weights",
    "accounts_caught",
    "alarms_per_day",
    "auprc",
    "budget_outcome",
    "campaign_detection",
    "customer_weight",
    "deployment_alarms_per_day",
    "deployment_recall_at_fpr",
    "detection_rate",
    "evaluate",
    "evaluate_deployment",
    "evaluate_deployment_ranking",
    "evaluate_ranking",
    "extraction_truth",
    "fpr_resolution",
    "group_weights",
    "leakage_share",
    "leakage_tokens",
    "legit_denied_share",
    "legit_flagged",
    "legit_flagged_token_share",
    "legit_output_lost_share",
    "population_weights",
    "ranked_at_budget",
    "recall_at_fpr",
    "recall_at_zero_fp",
    "request_outcome",
    "review_schedule",
    "served_before_alarm",
    "share_labelled",
    "threshold_outcome",
    "ttd_quantile",
    "warmup_threshold",
    "window_max_score",
]
