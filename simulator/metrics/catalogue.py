"""Every metric the benchmark reports: name, unit, direction, range, and how it
is summarised over seeds."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METRICS", "MetricInfo"]


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
        MetricInfo("served_before_alarm", "requests", "requests served per attacker account before its alarm", False),
        MetricInfo("leakage_tokens", "tokens", "output tokens served to campaigns before containment", False),
        MetricInfo("leakage_share", "share", "leakage as a share of what the campaigns got undefended", False, _SHARE),
        MetricInfo("legit_flagged", "accounts", "active legitimate accounts alarmed", False),
        MetricInfo(
            "legit_flagged_token_share", "share", "flagged customers' share of legitimate tokens", False, _SHARE
        ),
        MetricInfo("alarms_per_day", "alarms/day", "accounts alarmed per simulated day", False),
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
            "replacements", "accounts", "accounts campaigns created to replace banned ones", False, active_only=True
        ),
    ]
}
"""The metrics in report order (``metrics.csv`` rows follow it)."""
