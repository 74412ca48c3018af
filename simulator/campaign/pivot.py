"""Models at work: the model of every request of a campaign. A conversation (or, with
``model_mix: account``, an account) is on one model: the campaign's ``model``, or one
drawn from its ``models`` weights among the models released by the time it opens;
then a pivot moves it to a new release as :mod:`simulator.scenario.campaign.pivot`
describes (``p(t)``). Draws are uniform values hashed from the conversation id (or
the account code), so every turn of a conversation lands on the same model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.hashing import hashed_uniform
from simulator.scenario.campaign.pivot import ModelPivot

__all__ = ["ModelChoice"]

_PIVOT_SALT = 0x5049564F54
_MIX_SALT = 0x4D4F44454C53


@dataclass(frozen=True)
class ModelChoice:
    """The model code of every request of one campaign."""

    base: int
    """Code of the model harvested before (and beside) the pivot, without ``models``."""
    pivot: ModelPivot | None
    target: int | None
    """Code of the pivot model, or None when there is nothing to pivot to."""
    released: float
    """Release time of the pivot model (s since the scenario start)."""
    weights: np.ndarray | None = None
    """Weights over the scenario's models (by code) of the ``models`` mix, or None."""
    releases: np.ndarray | None = None
    """Release time of every model (s), for the mix."""
    per_account: bool = False
    """Whether the mix is drawn once per account (``model_mix: account``)."""

    @classmethod
    def build(
        cls,
        models: list,
        model: str | None,
        pivot: ModelPivot | None,
        campaign_start: float,
        mix: dict[str, float] | None = None,
        per: str = "conversation",
    ) -> ModelChoice:
        """From the scenario's models (name, released) and the campaign's settings
        (``model``, ``pivot``, the ``models`` weights ``mix`` and ``model_mix`` ``per``)."""
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
        weights = None if not mix else np.array([float(mix.get(name, 0.0)) for name in names])
        return cls(base, pivot, target, released, weights, release, per == "account")

    def mixed(self, opened: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Model codes drawn from the ``models`` weights among the models released by
        ``opened`` (the default model where none is), one per key (conversation id or
        account code): the inverse weight distribution at a uniform hashed from the key."""
        opened = np.asarray(opened, dtype=np.float64)
        if self.weights is None or self.releases is None:
            return np.full(opened.shape, self.base, dtype=np.int64)
        w = self.weights[None, :] * (self.releases[None, :] <= opened[:, None])
        total = w.sum(axis=1)
        u = hashed_uniform(keys, _MIX_SALT) * total
        drawn = np.minimum((np.cumsum(w, axis=1) <= u[:, None]).sum(axis=1), self.weights.size - 1)
        return np.where(total > 0, drawn, self.base).astype(np.int64)

    def share_at(self, t: np.ndarray) -> np.ndarray:
        """Probability that a request at ``t`` goes to the pivot model."""
        t = np.asarray(t, dtype=np.float64)
        if self.pivot is None or self.target is None:
            return np.zeros(t.shape)
        since = t - self.released - float(self.pivot.delay)
        return np.where(since >= 0, self.pivot.share * -np.expm1(-np.maximum(since, 0) / float(self.pivot.ramp)), 0.0)

    def choose(self, opened: np.ndarray, conversations: np.ndarray, accounts: np.ndarray | None = None) -> np.ndarray:
        """Model codes of requests of ``conversations`` (their opaque ids) opened at
        ``opened`` by ``accounts`` (codes): a conversation stays on one model, its
        account's or its own draw from the mix, moved to the pivot model with
        probability ``p(opened)`` (decided by a uniform value hashed from the
        conversation id)."""
        keys = accounts if self.per_account and accounts is not None else conversations
        base = self.mixed(opened, keys)
        moved = hashed_uniform(conversations, _PIVOT_SALT) < self.share_at(opened)
        return np.where(moved, self.target if self.target is not None else base, base).astype(np.int16)
