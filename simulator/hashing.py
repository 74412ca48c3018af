"""A fast, vectorised 64-bit mixing function for opaque derived values, random
values derived from keys by it (the same key always gives the same value, with no
storage), and the stable 64-bit hash of a text."""

from __future__ import annotations

import numpy as np

__all__ = ["hashed_normal", "hashed_uniform", "splitmix64", "text_hashes"]


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


def text_hashes(texts: np.ndarray) -> np.ndarray:
    """pandas' stable 64-bit hash of each text (SipHash-2-4 of its UTF-8 bytes under
    pandas' fixed key; ``pandas.util.hash_array``): the same in every run and on
    every platform, so that a text's hash can be computed once and reused."""
    # pandas is imported here so that validating a scenario (whose specs import this module) does not load it
    from pandas.util import hash_array

    values = np.asarray(texts, dtype=object)
    if values.size == 0:
        return np.empty(0, dtype=np.uint64)
    return hash_array(values, categorize=False).astype(np.uint64)
