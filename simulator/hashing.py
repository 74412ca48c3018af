"""A fast, vectorised 64-bit mixing function for opaque derived values, and random
values derived from keys by it (the same key always gives the same value, with no
storage)."""

from __future__ import annotations

import numpy as np

__all__ = ["hashed_normal", "hashed_uniform", "splitmix64"]


def splitmix64(values: np.ndarray | int) -> np.ndarray:
    """The SplitMix64 finaliser applied element-wise to 64-bit unsigned integers.

    A bijection on 64-bit integers with good avalanche: consecutive inputs give
    unrelated-looking outputs and distinct inputs never collide.
    """
    with np.errstate(over="ignore"):
        z = np.asarray(values, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hashed_uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    """A uniform value in (0, 1) per key: the top 53 bits of ``splitmix64(key ^ salt)``."""
    bits = splitmix64(np.asarray(keys).astype(np.uint64) ^ np.uint64(salt)) >> np.uint64(11)
    return (bits.astype(np.float64) + 0.5) * 2.0**-53


def hashed_normal(keys: np.ndarray, salt: int) -> np.ndarray:
    """A standard normal value per key: the normal quantile of :func:`hashed_uniform`."""
    # scipy is imported here so that validating a scenario (whose specs import this module) does not load it
    from scipy.special import ndtri

    return ndtri(hashed_uniform(keys, salt))
