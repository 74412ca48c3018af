"""The alarm policy: when a score becomes an alarm, and what the provider then does.

Deciding alarms is not a detector's job. The policy does it outside:

* an account is **alarmed** at the end of the first tick at which its score is at
  or above ``threshold`` (once per account);
* an analyst reviews the alarm for ``review_delay``; the account is then
  **contained** at the end of the tick in which the review ends, i.e.
  ``ceil(review_delay / tick)`` ticks after the alarm tick, and the action
  applies from the following tick (the gateway's rule for bans);
* the action is ``ban`` (403 from then on; a hydra replaces the account),
  ``throttle`` (limits scaled by ``throttle_factor`` for ``throttle_duration``)
  or ``challenge`` (403 until the account's owner passes a check).

In passive mode nothing is enforced: containment is the counterfactual that
leakage is measured against. The default (threshold 0.5, no review delay, ban)
is the most favourable case for the defender: an automated ban at the first alarm.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field

from simulator.scenario.base import StrictModel
from simulator.units import DAY, Duration

__all__ = ["AlarmPolicy"]


class AlarmPolicy(StrictModel):
    """Threshold, review delay and action that turn scores into enforcement."""

    threshold: float = Field(
        default=0.5, gt=0, le=1, description="Operating threshold: an account is alarmed once its score reaches it."
    )
    review_delay: Duration = Field(
        default=0.0, description="Time from an alarm to the action (an analyst's review), e.g. '30m'."
    )
    action: Literal["ban", "throttle", "challenge"] = Field(
        default="ban", description="What the gateway does to an alarmed account in active mode."
    )
    throttle_factor: float = Field(
        default=0.1, gt=0, le=1, description="For 'throttle': the factor applied to the account's rate limits."
    )
    throttle_duration: Duration = Field(
        default=DAY, gt=0, description="For 'throttle': how long the reduced limits last, e.g. '1d'."
    )

    def containment_lag(self, tick_seconds: float) -> int:
        """Ticks from the alarm tick to the containment tick: ``ceil(review_delay / tick)``."""
        return math.ceil(float(self.review_delay) / tick_seconds - 1e-9)

    def enforce(self, gateway: Any, accounts: np.ndarray) -> None:
        """Apply the action to ``accounts`` (registry codes) from the next tick on."""
        if accounts.size == 0:
            return
        if self.action == "ban":
            gateway.ban(accounts)
        elif self.action == "throttle":
            gateway.throttle(accounts, self.throttle_factor, float(self.throttle_duration))
        else:
            gateway.challenge(accounts)
