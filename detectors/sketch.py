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

_ZERO = 1024.0
"""Weight of an empty register in :data:`_PAIRS`: above any row's sum of ``2^-r`` (at most
``m``, for the ``m`` ≤ 512 that use the table), so that one sum carries both numbers."""


def _pair_table() -> np.ndarray:
    """For two adjacent one-byte registers ``a`` and ``b`` read as one 16-bit number (in
    either byte order: the entry is symmetric), ``2^-a + 2^-b + 1024 · (how many are 0)``."""
    a, b = np.divmod(np.arange(65_536), 256)
    return _POWERS[a] + _POWERS[b] + _ZERO * ((a == 0).astype(np.float64) + (b == 0))


_PAIRS = _pair_table()


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
    paired = _paired_sums(registers)
    if paired is None:
        powers = _POWERS[registers].sum(axis=1)
        zeros = (registers == 0).sum(axis=1)
    else:
        zeros = np.floor(paired / _ZERO)
        powers = paired - _ZERO * zeros
    raw = _alpha(m) * m * m / powers
    with np.errstate(divide="ignore"):
        linear = m * np.log(m / np.maximum(zeros, 1))
    return np.where((raw <= 2.5 * m) & (zeros > 0), linear, raw)


def _paired_sums(registers: np.ndarray) -> np.ndarray | None:
    """Per row, ``Σ 2^-r + 1024 · (registers at 0)`` summed from :data:`_PAIRS` (one
    look-up per two registers), or None where that could differ from the exact value.

    Every term is a multiple of ``2^-R`` (``R`` the largest register) and every partial
    sum is below ``2^k`` (``k`` the bits of ``1025 m``): while ``k + R`` ≤ 53, every
    addition is exact in float64, so the sums are the exact ones whatever their order,
    the same floats as ``Σ 2^-r`` summed register by register, and the count of zeros
    is the part above 1024 (an exact ``floor``)."""
    m = registers.shape[1]
    if m % 2 or m > 512 or registers.dtype != np.uint8:
        return None
    if int(registers.max()) > 53 - int(1025 * m).bit_length():
        return None
    pairs = np.ascontiguousarray(registers).view(np.uint16)
    return np.take(_PAIRS, pairs).sum(axis=1)  # take: a plain gather, faster than indexing
