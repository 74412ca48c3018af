"""Model choice with per-account adoption of newly released models.

A customer does not shift a few percent of its traffic to a new model every day:
it switches when someone in the team decides to, and the population's switch
times spread over days to weeks (early adopters first, enterprises pinned to a
version last). Each account ``a`` has an adoption quantile ``uₐ ∈ (0, 1)`` drawn
once; its delay after any release is ``dₐ = −τ · ln(uₐ)`` (exponential with mean
``τ``, the archetype's ``adoption``), so the same accounts adopt early every time.
A model released at ``r`` is available to ``a`` from ``r + dₐ`` on, and each
request picks among the models available to its account by base weight. The
population's share on a new model therefore rises as ``1 − exp(−(t − r)/τ)``,
while each account switches at one moment.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adoption_delays", "choose_adopted_models"]


def adoption_delays(quantiles: np.ndarray, adoption_seconds: float) -> np.ndarray:
    """Per-account delays (s) from a release to its adoption: ``−τ · ln(u)``."""
    return -max(float(adoption_seconds), 1.0) * np.log(np.clip(quantiles, 1e-12, 1.0))


def choose_adopted_models(
    rng: np.random.Generator,
    release_times: np.ndarray,
    base_weights: np.ndarray,
    t: np.ndarray,
    delays: np.ndarray,
) -> np.ndarray:
    """Model codes (int16) for requests at times ``t`` by accounts with adoption
    ``delays`` (one per request). A request whose account has adopted no weighted
    model yet stays on a model it has adopted (or else any released model, or
    else the first to be released), whatever its weight."""
    t = np.asarray(t, dtype=np.float64)
    if t.size == 0:
        return np.zeros(0, dtype=np.int16)
    since = t[:, None] - release_times[None, :]
    adopted = since >= np.asarray(delays, dtype=np.float64)[:, None]
    weights = np.where(adopted, base_weights[None, :], 0.0)
    none = weights.sum(axis=1) <= 0
    if none.any():
        first = np.zeros(release_times.size, dtype=bool)
        first[int(np.argmin(release_times))] = True
        fallback = adopted[none]
        fallback = np.where(fallback.any(axis=1, keepdims=True), fallback, since[none] >= 0)
        fallback = np.where(fallback.any(axis=1, keepdims=True), fallback, first[None, :])
        weights[none] = fallback.astype(np.float64)
    cumulative = np.cumsum(weights, axis=1)
    draws = rng.random(t.size) * cumulative[:, -1]
    return (cumulative <= draws[:, None]).sum(axis=1).astype(np.int16)
