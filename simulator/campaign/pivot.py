"""Model pivot at work: the model of every request of a campaign, moving to a new
release as :mod:`simulator.scenario.campaign.pivot` describes (``p(t)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.hashing import hashed_uniform
from simulator.scenario.campaign.pivot import ModelPivot

__all__ = ["ModelChoice"]

_PIVOT_SALT = 0x5049564F54


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

    def choose(self, opened: np.ndarray, conversations: np.ndarray) -> np.ndarray:
        """Model codes of requests of ``conversations`` (their opaque ids) opened at
        ``opened``: a conversation stays on one model, the pivot model with probability
        ``p(opened)`` (decided by a uniform value hashed from the conversation id)."""
        moved = hashed_uniform(conversations, _PIVOT_SALT) < self.share_at(opened)
        return np.where(moved, self.target if self.target is not None else self.base, self.base).astype(np.int16)
