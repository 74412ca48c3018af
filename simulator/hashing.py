"""A fast, vectorised 64-bit mixing function for opaque derived values."""

from __future__ import annotations

import numpy as np

__all__ = ["splitmix64"]


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
