"""Over-dispersed arrivals, vectorised over accounts.

Real clients do not arrive as Poisson processes. ServeGen (Xiang et al. 2025)
fits each client's inter-arrival times per ten-minute window with a Gamma or
Weibull law whose coefficient of variation (CV) is around 2 for the typical
client, and the window rates themselves swing from hour to hour. Two mechanisms
reproduce this here, both drawing whole arrays per planning step:

* :func:`burst_multipliers`: the expected count of each account in a step is
  multiplied by a mean-one Gamma variable of shape ``k`` (CV ``1/√k``), so counts
  are negative-binomial rather than Poisson. Heavy clients are far smoother than
  light ones (ServeGen: the squared CV of a client's hourly rate falls as its
  volume to the power −0.77), so an account ``x`` times as active as the median
  gets shape ``k · x^0.77``;
* :func:`renewal_offsets`: given each account's count in the step, the arrivals
  are spaced like a Gamma renewal process with inter-arrival CV ``cv``,
  conditioned on the count. The spacings of ``c`` arrivals on a circle of the
  step's length are ``Dirichlet(k, …, k)`` with ``k = 1/cv²``, turned by a uniform
  rotation: for ``cv = 1`` this is the uniform placement of a Poisson process,
  for ``cv > 1`` arrivals bunch together, and a single arrival stays uniform
  (no pile-up at step boundaries).
"""

from __future__ import annotations

import numpy as np

__all__ = ["burst_multipliers", "renewal_offsets"]


def burst_multipliers(rng: np.random.Generator, shape: float | np.ndarray, n: int) -> np.ndarray:
    """``n`` mean-one Gamma multipliers of shape ``shape`` (one, or one per draw;
    variance ``1/shape``)."""
    shape = np.asarray(shape, dtype=np.float64)
    return rng.gamma(shape, 1.0 / shape, size=n)


def renewal_offsets(rng: np.random.Generator, counts: np.ndarray, width: float | np.ndarray, cv: float) -> np.ndarray:
    """Offsets in ``[0, width)`` of ``counts[i]`` arrivals for each group ``i``, grouped
    in order (``np.repeat(groups, counts)`` lines up with the result); ``width`` is
    one length for all groups or one per group.

    Within a group the gaps between consecutive arrivals (on a circle of length
    ``width``) are ``width · Dirichlet(k, …, k)`` with ``k = 1/cv²``; the whole
    pattern is rotated by a uniform offset. The CV of the gaps tends to ``cv`` as
    the count grows.

    >>> offsets = renewal_offsets(np.random.default_rng(0), np.array([3, 0, 2]), 60.0, 1.0)
    >>> offsets.shape, bool(((offsets >= 0) & (offsets < 60)).all())
    ((5,), True)
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.float64)
    k = 1.0 / max(cv, 1e-3) ** 2
    groups = np.repeat(np.arange(counts.size), counts)
    gaps = rng.gamma(k, 1.0, size=total)
    # a group's gaps are Dirichlet once divided by their sum
    sums = np.bincount(groups, weights=gaps, minlength=counts.size)
    gaps = gaps / np.maximum(sums[groups], 1e-300)
    ends = np.cumsum(counts)
    before = np.r_[0.0, np.cumsum(gaps)][(ends - counts)[groups]]
    position = np.cumsum(gaps) - gaps - before
    rotation = rng.random(counts.size)[groups]
    widths = np.broadcast_to(np.asarray(width, dtype=np.float64), counts.shape)[groups]
    return np.mod(position + rotation, 1.0) * widths
