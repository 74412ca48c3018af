"""Model-pivot tactic: move a share of the traffic to a newly released model within hours.

A campaign harvests its ``model`` (default: the newest model released when the
campaign starts). With a ``pivot``, once the pivot model is released (at ``r``),
each request goes to it with probability

    p(t) = share · (1 − exp(−(t − r − delay) / ramp))   for t ≥ r + delay, else 0,

so that about ``share`` of the traffic has moved a few ``ramp`` after the
release. Legitimate customers adopt new models over days; evaluation harnesses
run on them within hours, which is what makes this tactic hard to separate.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
one campaign redirected nearly half of its traffic to a new model within 24
hours of its release.
"""

from __future__ import annotations

from pydantic import Field

from simulator.scenario.base import StrictModel
from simulator.units import Duration

__all__ = ["ModelPivot"]


class ModelPivot(StrictModel):
    """Move part of the traffic to a newly released model."""

    to: str | None = Field(
        default=None, description="Model to pivot to (default: the first model released after the campaign starts)."
    )
    share: float = Field(default=0.5, gt=0, le=1, description="Share of the campaign's traffic that moves.")
    delay: Duration = Field(default=3600.0, description="From the release to the first requests on it, e.g. '1h'.")
    ramp: Duration = Field(default=3 * 3600.0, gt=0, description="Time constant of the move, e.g. '3h'.")
