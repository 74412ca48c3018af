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

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from simulator.config import StrictModel
from simulator.units import Duration

__all__ = ["ModelChoice", "ModelPivot"]


class ModelPivot(StrictModel):
    """Move part of the traffic to a newly released model."""

    to: str | None = Field(
        default=None, description="Model to pivot to (default: the first model released after the campaign starts)."
    )
    share: float = Field(default=0.5, gt=0, le=1, description="Share of the campaign's traffic that moves.")
    delay: Duration = Field(default=3600.0, description="From the release to the first requests on it, e.g. '1h'.")
    ramp: Duration = Field(default=3 * 3600.0, gt=0, description="Time constant of the move, e.g. '3h'.")


@dataclass(frozen=True)
class ModelChoice:
    """The model code of every request of one campaign."""

    base: int
    """Code of the model harvested before (and beside) the pivot."""
    pivot: ModelPivot | None
    target: int | None
    """Code of the pivot model, or None when there is nothing to pivot to."""
    released: float
    """Release time of the pivot model (s since the scenario start)."""

    @classmethod
    def build(cls, models: list, model: str | None, pivot: ModelPivot | None, campaign_start: float) -> ModelChoice:
        """From the scenario's models (name, released) and the campaign's settings."""
        names = [m.name for m in models]
        release = np.array([m.released for m in models], dtype=np.float64)
        if model is not None:
            base = names.index(model)
        else:
            out = np.flatnonzero(release <= campaign_start)
            base = int(out[np.argmax(release[out])]) if out.size else int(np.argmin(release))
        target = None
        if pivot is not None:
            if pivot.to is not None:
                target = names.index(pivot.to)
            else:
                later = np.flatnonzero(release > campaign_start)
                target = int(later[np.argmin(release[later])]) if later.size else None
        released = float(release[target]) if target is not None else np.inf
        return cls(base, pivot, target, released)

    def share_at(self, t: np.ndarray) -> np.ndarray:
        """Probability that a request at ``t`` goes to the pivot model."""
        t = np.asarray(t, dtype=np.float64)
        if self.pivot is None or self.target is None:
            return np.zeros(t.shape)
        since = t - self.released - float(self.pivot.delay)
        return np.where(since >= 0, self.pivot.share * -np.expm1(-np.maximum(since, 0) / float(self.pivot.ramp)), 0.0)

    def choose(self, rng: np.random.Generator, ts: np.ndarray) -> np.ndarray:
        """Model codes of requests at ``ts``."""
        moved = rng.random(ts.size) < self.share_at(ts)
        return np.where(moved, self.target if self.target is not None else self.base, self.base).astype(np.int16)
