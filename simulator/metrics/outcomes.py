"""The results data every metric is computed from: what happened to each account,
to each campaign, and the run's frame. Metrics read these tables only, never the world.

* :data:`OUTCOME_SCHEMA`: one row per account that sent at least one request or
  raised an alarm (per detector, per run): its ground truth, its
  traffic totals, the detector's maximum score, its first alarm and what it had
  been served before the alarm and before containment.
* :data:`CAMPAIGN_SCHEMA`: one row per campaign: accounts it created, how many
  were replacements of banned ones, output tokens it was served.
* :class:`RunFrame`: the run's duration and mode.

Times are seconds since the scenario start; tokens are output tokens served
(status 200).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

__all__ = ["CAMPAIGN_SCHEMA", "OUTCOME_SCHEMA", "Mode", "RunFrame"]

Mode = Literal["passive", "active"]

OUTCOME_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string()),
        pa.field("is_attacker", pa.bool_()),
        pa.field("campaign", pa.string()),  # null for legitimate accounts
        pa.field("requests", pa.int64()),  # requests sent, every status
        pa.field("served", pa.int64()),  # requests served (200)
        pa.field("forbidden", pa.int64()),  # requests refused (403)
        pa.field("output_tokens", pa.int64()),  # output tokens served over the run
        pa.field("first_ts", pa.float64()),  # time of the first request; null if none
        pa.field("max_score", pa.float64()),  # highest score the detector gave, 0 if never scored
        pa.field("alarm_ts", pa.float64()),  # end of the tick its score first reached the threshold; null if never
        pa.field("served_before_alarm", pa.int64()),  # requests served up to its alarm (all if none)
        pa.field("output_before_containment", pa.int64()),  # output tokens served up to containment (all if none)
    ]
)
"""Per-account outcome of one detector on one run. Containment is the action the
alarm policy takes ``review_delay`` after the alarm (effective from the next tick);
in passive mode it is counterfactual."""

CAMPAIGN_SCHEMA = pa.schema(
    [
        pa.field("campaign", pa.string()),
        pa.field("accounts", pa.int64()),  # accounts created over the run, replacements included
        pa.field("replacements", pa.int64()),  # accounts created to replace banned ones
        pa.field("output_tokens", pa.int64()),  # output tokens served to the campaign over the run
        pa.field("spent_usd", pa.float64()),  # what the campaign paid over the run (accounts, proxies, tokens, ...)
    ]
)
"""Per-campaign totals of one run."""


@dataclass(frozen=True)
class RunFrame:
    """What a metric needs to know about the run itself."""

    duration: float
    """Simulated span in seconds (the end of the last tick); undetected campaigns are censored here."""
    mode: Mode
    """``passive`` (leakage counterfactual) or ``active`` (leakage actual)."""
    undefended_campaign_tokens: float | None = None
    """Active mode: output tokens the campaigns were served in the same scenario and seed
    with no enforcement (the passive run): the denominator of the leakage share."""
    undefended_customer_tokens: float | None = None
    """Active mode: output tokens the customers were served with no enforcement."""
