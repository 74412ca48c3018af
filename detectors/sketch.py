"""Fixed-size sketches for per-account distinct counts.

How many IP addresses, /24 networks, ASNs or client fingerprints has an account
used? Exact answers need a set per account, which grows with traffic. A
HyperLogLog sketch (Flajolet, Fusy, Gandouet and Meunier, 2007) answers within a
few tens of percent with ``m`` one-byte registers per account, whatever the
traffic, and is updated for a whole tick at once with ``numpy.maximum.at``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hll_estimate", "hll_update"]

_ALPHA = {16: 0.673, 32: 0.697, 64: 0.709}

_POWERS = np.exp2(-np.arange(256.0))
"""``2^-r`` for every register value ``r`` (exact: looked up rather than computed per register)."""


def _alpha(m: int) -> float:
    return _ALPHA.get(m, 0.7213 / (1 + 1.079 / m))


def hll_update(registers: np.ndarray, rows: np.ndarray, hashes: np.ndarray) -> None:
    """Add items (64-bit ``hashes``) to the sketches of ``rows`` of ``registers``
    (a C-contiguous uint8 array of shape (accounts, m), m a power of two), in place.

    The low ``log2 m`` bits of a hash choose the register; the register keeps the
    largest ``1 +`` number of trailing zeros seen in the remaining bits.
    """
    m = registers.shape[1]
    p = m.bit_length() - 1
    h = np.asarray(hashes, dtype=np.uint64)
    register = (h & np.uint64(m - 1)).astype(np.int64)
    rest = h >> np.uint64(p)
    # trailing zeros of rest: popcount((rest & -rest) - 1), at most 63 - p where rest has a
    # bit set (it has 64 - p bits); rest == 0 counts 64, and the cap gives it the maximum rank
    lowest = rest & (~rest + np.uint64(1))
    with np.errstate(over="ignore"):
        rank = np.bitwise_count(lowest - np.uint64(1)).astype(np.uint8) + np.uint8(1)
    rank = np.minimum(rank, np.uint8(64 - p + 1))
    np.maximum.at(registers.reshape(-1), np.asarray(rows, dtype=np.int64) * m + register, rank)


def hll_estimate(registers: np.ndarray) -> np.ndarray:
    """Estimated distinct items per row of ``registers`` (float64), with the
    linear-counting correction for small counts: ``m ln(m / zeros)`` while the raw
    estimate is below ``2.5 m`` and some register is still zero.

    >>> from simulator.hashing import splitmix64
    >>> regs = np.zeros((2, 64), dtype=np.uint8)
    >>> hll_update(regs, np.zeros(1000, dtype=np.int64), splitmix64(np.arange(1000)))
    >>> hll_update(regs, np.ones(3, dtype=np.int64), splitmix64(np.array([5, 5, 9])))
    >>> est = hll_estimate(regs); bool(700 < est[0] < 1300), round(float(est[1]), 1)
    (True, 2.0)
    """
    m = registers.shape[1]
    if registers.shape[0] == 0:
        return np.empty(0, dtype=np.float64)
    raw = _alpha(m) * m * m / _POWERS[registers].sum(axis=1)
    zeros = (registers == 0).sum(axis=1)
    with np.errstate(divide="ignore"):
        linear = m * np.log(m / np.maximum(zeros, 1))
    return np.where((raw <= 2.5 * m) & (zeros > 0), linear, raw)
