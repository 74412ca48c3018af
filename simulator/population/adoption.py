"""Model choice: pinned models, a second model for some features, and per-account
adoption of newly released models.

A customer does not draw a model at random for every request: an integration
names one model, and changes it when someone in the team decides to. Three
mechanisms, all per account and vectorised over requests:

* **Adoption.** Each account ``a`` has an adoption quantile ``uₐ ∈ (0, 1)`` drawn
  once; its delay after any release is ``dₐ = −τ · ln(uₐ)`` (exponential with mean
  ``τ``, the archetype's ``adoption``), so the same accounts adopt early every
  time. A model released at ``r`` is *adopted* by ``a`` from ``r + dₐ`` on.
* **Pinning (an exponential race).** Each (account, model) pair has a fixed key
  ``k = Eₐₘ / wₘ``, with ``Eₐₘ`` a unit exponential hashed from the account's model
  seed and the model's name, and ``wₘ`` the model's base weight (``k = ∞`` when
  ``wₘ = 0``). At time ``t`` the account's *first* model is the adopted model with
  the smallest key. With every model adopted, the first model is model ``m`` with
  probability ``wₘ / Σ w`` (the property of a race of exponentials), so the
  population splits by base weight; when a new model is adopted the account
  switches to it only if its key beats the current one, with probability
  ``w_new / Σ_{adopted} w``, and otherwise keeps its model: nobody moves between
  old models. The population's share on a new model therefore rises as
  ``w_new / Σ w · (1 − exp(−(t − r)/τ))``, while each account switches once, at
  its adoption time.
* **Mixing.** An account with mixing fraction ``fₐ > 0`` (a share ``mixed_share``
  of accounts, ``fₐ`` uniform in ``mixed_traffic``) sends each request (session,
  job, feature) to its *second* model, the adopted model with the next smallest
  key, with probability ``fₐ``: a flagship for one feature, a cheap model for
  another.

An account that has adopted no model with a positive weight yet stays on the
model it has adopted with the smallest unweighted key ``Eₐₘ`` (or else on a
released one, or else on the first to be released).
"""

from __future__ import annotations

import numpy as np

from simulator.hashing import hashed_uniform
from simulator.seeding import stable_key

__all__ = ["adoption_delays", "choose_models", "model_exponentials"]


def adoption_delays(quantiles: np.ndarray, adoption_seconds: float) -> np.ndarray:
    """Per-account delays (s) from a release to its adoption: ``−τ · ln(u)``."""
    return -max(float(adoption_seconds), 1.0) * np.log(np.clip(quantiles, 1e-12, 1.0))


def model_exponentials(seeds: np.ndarray, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """Unit exponentials ``Eₐₘ = −ln U`` (shape: accounts × models), ``U`` hashed from
    each account's model seed and each model's name: the same account and model
    always give the same value, and adding a model changes no other column."""
    seeds = np.asarray(seeds, dtype=np.uint64)
    out = np.empty((seeds.size, len(names)), dtype=np.float64)
    for m, name in enumerate(names):
        out[:, m] = -np.log(hashed_uniform(seeds, stable_key(f"model-race/{name}")))
    return out


def choose_models(
    release_times: np.ndarray,
    base_weights: np.ndarray,
    t: np.ndarray,
    delays: np.ndarray,
    exponentials: np.ndarray,
    mix: np.ndarray,
    uniform: np.ndarray,
) -> np.ndarray:
    """Model codes (int16) of requests at times ``t`` (see the module docstring).

    One row per request: its account's adoption ``delays``, race ``exponentials``
    (``len(t) × models``) and mixing fraction ``mix``; ``uniform`` (in [0, 1)) decides
    whether the request goes to the second model (when ``uniform < mix`` and the
    account has adopted a second weighted model)."""
    t = np.asarray(t, dtype=np.float64)
    n = t.size
    if n == 0:
        return np.zeros(0, dtype=np.int16)
    release_times = np.asarray(release_times, dtype=np.float64)
    since = t[:, None] - release_times[None, :]
    adopted = since >= np.asarray(delays, dtype=np.float64)[:, None]
    with np.errstate(divide="ignore"):
        keys = np.where(adopted & (base_weights[None, :] > 0), exponentials / base_weights[None, :], np.inf)
    rows = np.arange(n)
    first = np.argmin(keys, axis=1)
    none = ~np.isfinite(keys[rows, first])
    if none.any():
        fallback = adopted[none]
        fallback = np.where(fallback.any(axis=1, keepdims=True), fallback, since[none] >= 0)
        earliest = np.zeros(release_times.size, dtype=bool)
        earliest[int(np.argmin(release_times))] = True
        fallback = np.where(fallback.any(axis=1, keepdims=True), fallback, earliest[None, :])
        first[none] = np.argmin(np.where(fallback, exponentials[none], np.inf), axis=1)
    model = first.copy()
    if release_times.size > 1:
        keys[rows, first] = np.inf
        second = np.argmin(keys, axis=1)
        use = (np.asarray(uniform) < np.asarray(mix)) & np.isfinite(keys[rows, second]) & ~none
        model[use] = second[use]
    return model.astype(np.int16)
