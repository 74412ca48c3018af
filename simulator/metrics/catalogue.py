"""Every metric the benchmark reports: name, unit, direction, range, and how it
is summarised over seeds.

:data:`METRICS` are the figures of every run as simulated; :data:`DEPLOYMENT_METRICS`
are the figures at deployment conditions
(:func:`simulator.metrics.deployment.evaluate_deployment`). ``metrics.csv`` holds, per
(scenario, mode, detector, seed), the :data:`METRICS` rows, then, for passive runs, the
:data:`HARNESS_DEPLOYMENT_METRICS` rows; :data:`CATALOGUE` holds both, and is what the
summary, the leaderboard and the baseline check read."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "BUDGET_METRICS",
    "CALIBRATION_METRICS",
    "CATALOGUE",
    "DEPLOYMENT_METRICS",
    "DEPLOYMENT_RANKING_METRICS",
    "HARNESS_DEPLOYMENT_METRICS",
    "METRICS",
    "OWNERSHIP_METRICS",
    "PREVALENCE_METRICS",
    "RANKING_METRICS",
    "REFERENCE_ROWS",
    "REQUEST_METRICS",
    "MetricInfo",
]


@dataclass(frozen=True)
class MetricInfo:
    """What one metric means and how to read it."""

    name: str
    unit: str
    description: str
    higher_is_better: bool
    bounds: tuple[float, float] | None = None
    """The metric's range, when it has one (intervals are clipped to it)."""
    censored: bool = False
    """Undefined on seeds where nothing was detected: summarised by a median that
    counts those seeds as beyond the end of the run, never by a mean that drops them."""
    active_only: bool = False
    """Only meaningful in the closed loop."""


_SHARE = (0.0, 1.0)
_COUNT = (0.0, math.inf)
"""Counts, rates and token sums: never negative, so an interval over seeds is clipped at 0."""

METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in [
        MetricInfo("precision", "share", "alarmed active accounts that are attackers", True, _SHARE),
        MetricInfo("recall", "share", "active attacker accounts alarmed", True, _SHARE),
        MetricInfo("f1", "share", "harmonic mean of precision and recall", True, _SHARE),
        MetricInfo("fpr", "share", "active legitimate accounts alarmed", False, _SHARE),
        MetricInfo("auprc", "share", "average precision of the accounts' maximum scores", True, _SHARE),
        MetricInfo("recall_at_fpr_0.001", "share", "best recall with at most 0.1% of customers flagged", True, _SHARE),
        MetricInfo("detection_rate", "share", "campaigns with at least one account alarmed", True, _SHARE),
        MetricInfo("ttd_median_s", "s", "median time to detection of the detected campaigns", False, censored=True),
        MetricInfo(
            "ttd_p90_s", "s", "90th percentile time to detection of the detected campaigns", False, censored=True
        ),
        MetricInfo("accounts_caught", "share", "mean share of each campaign's active accounts alarmed", True, _SHARE),
        MetricInfo(
            "served_before_alarm", "requests", "requests served per attacker account before its alarm", False, _COUNT
        ),
        MetricInfo("leakage_tokens", "tokens", "output tokens served to campaigns before containment", False, _COUNT),
        MetricInfo("leakage_share", "share", "leakage as a share of what the campaigns got undefended", False, _SHARE),
        MetricInfo("legit_flagged", "accounts", "active legitimate accounts alarmed", False, _COUNT),
        MetricInfo(
            "legit_flagged_token_share", "share", "flagged customers' share of legitimate tokens", False, _SHARE
        ),
        MetricInfo("alarms_per_day", "alarms/day", "accounts alarmed per simulated day", False, _COUNT),
        MetricInfo(
            "legit_denied_share", "share", "customer requests refused by enforcement", False, _SHARE, active_only=True
        ),
        MetricInfo(
            "legit_output_lost_share",
            "share",
            "customer output tokens lost to enforcement, against the undefended run",
            False,
            active_only=True,
        ),
        MetricInfo(
            "replacements",
            "accounts",
            "accounts campaigns created to replace banned ones",
            False,
            _COUNT,
            active_only=True,
        ),
    ]
}
"""The metrics in report order (``metrics.csv`` rows follow it)."""

RANKING_METRICS: tuple[str, ...] = ("auprc", "recall_at_fpr_0.001")
"""The metrics of a ranking of accounts alone (a score per account, no alarm times):
all that the reference rows report."""

REFERENCE_ROWS: tuple[str, ...] = ("artefacts", "supervised-ceiling")
"""Rows the harness adds beside the baselines of passive runs, computed with the
ground truth (see :mod:`simulator.bench.references`): the best single undeclared
feature (a label-free artefact) and a cross-validated supervised model."""

DEPLOYMENT_METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in [
        # prevalence weights (simulator.metrics.weights)
        MetricInfo(
            "deployment_precision",
            "share",
            "alarmed active accounts that are attackers, customers weighted to the represented population",
            True,
            _SHARE,
        ),
        MetricInfo("deployment_fpr", "share", "represented legitimate accounts alarmed", False, _SHARE),
        MetricInfo(
            "deployment_auprc", "share", "average precision of the maximum scores, customers weighted", True, _SHARE
        ),
        MetricInfo(
            "deployment_alarms_per_day", "alarms/day", "accounts alarmed per day, customers weighted", False, _COUNT
        ),
        MetricInfo("deployment_legit_flagged", "accounts", "represented legitimate accounts alarmed", False, _COUNT),
        MetricInfo(
            "fpr_resolution",
            "share",
            "smallest non-zero FPR the simulated customers can show (one customer)",
            False,
            _SHARE,
        ),
        MetricInfo(
            "recall_at_zero_fp",
            "share",
            "best recall flagging no simulated customer (bound below the resolution)",
            True,
            _SHARE,
        ),
        MetricInfo(
            "deployment_recall_at_fpr_0.001",
            "share",
            "best recall at FPR ≤ 0.1%; NaN below the resolution",
            True,
            _SHARE,
        ),
        MetricInfo(
            "deployment_recall_at_fpr_0.0001",
            "share",
            "best recall at FPR ≤ 0.01%; NaN below the resolution",
            True,
            _SHARE,
        ),
        MetricInfo(
            "deployment_recall_at_fpr_1e-05",
            "share",
            "best recall at FPR ≤ 0.001%; NaN below the resolution",
            True,
            _SHARE,
        ),
        # analyst budget (simulator.metrics.budget)
        MetricInfo("budget_precision", "share", "reviewed alarms that are attackers, at k reviews a day", True, _SHARE),
        MetricInfo("budget_recall", "share", "active attacker accounts reviewed, at k reviews a day", True, _SHARE),
        MetricInfo(
            "budget_detection_rate", "share", "campaigns with an account reviewed, at k reviews a day", True, _SHARE
        ),
        MetricInfo("budget_backlog", "alarms", "alarms not reviewed by the end of the run", False, _COUNT),
        MetricInfo(
            "ranked_precision_at_budget", "share", "attackers among the k·days highest maximum scores", True, _SHARE
        ),
        MetricInfo(
            "ranked_recall_at_budget",
            "share",
            "attacker accounts among the k·days highest maximum scores",
            True,
            _SHARE,
        ),
        # warm-up threshold (simulator.metrics.thresholds)
        MetricInfo(
            "calibrated_precision", "share", "precision after the warm-up at its target-FPR threshold", True, _SHARE
        ),
        MetricInfo("calibrated_recall", "share", "recall after the warm-up at its target-FPR threshold", True, _SHARE),
        MetricInfo("calibrated_fpr", "share", "FPR after the warm-up at its target-FPR threshold", False, _SHARE),
        MetricInfo(
            "calibrated_alarms_per_day",
            "alarms/day",
            "alarms per day after the warm-up at its threshold",
            False,
            _COUNT,
        ),
        MetricInfo(
            "calibrated_ttd_median_s",
            "s",
            "median time to detection at the warm-up's target-FPR threshold (alarms from the warm-up's end)",
            False,
            censored=True,
        ),
        # mixed-traffic accounts (simulator.metrics.requests)
        MetricInfo("extraction_requests_stopped_share", "share", "extraction requests after containment", True, _SHARE),
        MetricInfo(
            "extraction_tokens_stopped_share", "share", "extraction output tokens after containment", True, _SHARE
        ),
        MetricInfo("legit_requests_blocked", "requests", "legitimate requests after containment", False, _COUNT),
        MetricInfo(
            "legit_requests_blocked_share", "share", "legitimate requests after containment, as a share", False, _SHARE
        ),
        MetricInfo("legit_tokens_blocked", "tokens", "legitimate output tokens after containment", False, _COUNT),
        MetricInfo(
            "legit_tokens_blocked_share",
            "share",
            "legitimate output tokens after containment, as a share",
            False,
            _SHARE,
        ),
        MetricInfo(
            "resold_requests_blocked_share",
            "share",
            "resold customers' requests through attacker accounts after containment",
            False,
            _SHARE,
        ),
        MetricInfo(
            "resold_tokens_blocked_share",
            "share",
            "resold customers' output tokens through attacker accounts after containment",
            False,
            _SHARE,
        ),
    ]
}
"""Figures at deployment conditions, in report order."""

PREVALENCE_METRICS: tuple[str, ...] = (
    "deployment_precision",
    "deployment_fpr",
    "deployment_auprc",
    "deployment_alarms_per_day",
    "deployment_legit_flagged",
    "fpr_resolution",
    "recall_at_zero_fp",
    "deployment_recall_at_fpr_0.001",
    "deployment_recall_at_fpr_0.0001",
    "deployment_recall_at_fpr_1e-05",
)
"""Customers weighted to the represented population (:mod:`simulator.metrics.weights`)."""

BUDGET_METRICS: tuple[str, ...] = (
    "budget_precision",
    "budget_recall",
    "budget_detection_rate",
    "budget_backlog",
    "ranked_precision_at_budget",
    "ranked_recall_at_budget",
)
"""The analysts' budget of k reviews a day (:mod:`simulator.metrics.budget`)."""

CALIBRATION_METRICS: tuple[str, ...] = (
    "calibrated_precision",
    "calibrated_recall",
    "calibrated_fpr",
    "calibrated_alarms_per_day",
    "calibrated_ttd_median_s",
)
"""The threshold chosen on a label-free warm-up (:mod:`simulator.metrics.thresholds`)."""

REQUEST_METRICS: tuple[str, ...] = (
    "extraction_requests_stopped_share",
    "extraction_tokens_stopped_share",
    "legit_requests_blocked",
    "legit_requests_blocked_share",
    "legit_tokens_blocked",
    "legit_tokens_blocked_share",
    "resold_requests_blocked_share",
    "resold_tokens_blocked_share",
)
"""Request-level figures of mixed-traffic accounts (:mod:`simulator.metrics.requests`); the
harness adds them to ``metrics.csv`` for the passive and active cells of scenarios with
resale (passive: counterfactual, after the alarm's containment; active: the gateway's refusals)."""

OWNERSHIP_METRICS: tuple[str, ...] = ("leakage_tokens", "leakage_share", "legit_output_lost_share")
"""The :data:`METRICS` that stay labelled by ownership (a campaign's account is an
attacker's) in scenarios with resale, where every other figure labels accounts by
extraction share (:func:`~simulator.metrics.requests.share_labelled`): token totals
measured against the campaigns' output and the customers' undefended output, which
are totals by ownership. :data:`REQUEST_METRICS` split the same tokens by request."""

HARNESS_DEPLOYMENT_METRICS: tuple[str, ...] = PREVALENCE_METRICS + BUDGET_METRICS + CALIBRATION_METRICS
"""The deployment figures the harness adds to ``metrics.csv`` for every detector of a
passive run (NaN where undefined); :data:`REQUEST_METRICS` follow them for scenarios
whose campaigns resell customers' traffic (per-request truth)."""

DEPLOYMENT_RANKING_METRICS: tuple[str, ...] = (
    "deployment_auprc",
    "fpr_resolution",
    "recall_at_zero_fp",
    "deployment_recall_at_fpr_0.001",
    "deployment_recall_at_fpr_0.0001",
    "deployment_recall_at_fpr_1e-05",
    "ranked_precision_at_budget",
    "ranked_recall_at_budget",
)
"""The deployment figures of a ranking of accounts alone (maximum scores, no alarm
times): what the reference rows report at deployment weight, beside :data:`RANKING_METRICS`."""

CATALOGUE: dict[str, MetricInfo] = {**METRICS, **DEPLOYMENT_METRICS}
"""Every metric ``metrics.csv`` may hold, in its row order."""
