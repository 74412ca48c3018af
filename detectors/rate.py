"""Rate and token-bucket saturation: accounts that live at their limits.

Load spreading keeps each account under its limits, but the accounts that *do*
press on them are the first thing a provider's abuse team looks at: a high
share of ``429`` answers means the account keeps hitting its token bucket, and a
flat request rate pinned near the account's own peak, tick after tick, is a
scripted client running at the speed it is allowed (token buckets as in RFC
2697, ``429 Too Many Requests`` as in RFC 6585; the 2026 disclosures describe
campaigns spreading load to stay under per-account limits and ageing accounts
to climb rate tiers).

Per account, over exponentially decayed counts (``half_life`` seconds):

* ``throttled = 429s / (requests + prior_requests)``;
* ``pinned = ticks at the peak / (active ticks + prior_ticks)``, where a tick is
  *at the peak* when the account sent at least ``near`` × its running peak
  requests per tick (the peak decays with the same half-life);
* ``busy = peak / (peak + half_rate)``: pinning matters for accounts that send a
  lot per tick, not for one request a minute.

    score = noisy_or(throttled, pinned · busy)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from detectors.accounts import DecayedSums
from detectors.base import Constraint, Detector, Interval
from detectors.features import DAY
from detectors.scoring import noisy_or, saturating
from detectors.sharing import shares_scores
from detectors.view import view
from simulator.traffic import RequestBatch

__all__ = ["RateSaturation"]


class RateSaturation(Detector):
    """Accounts answered 429 often or pinned at a flat peak rate (token-bucket saturation)."""

    signal = "volume, time near the limit, 429 share"
    reference = "Token-bucket rate limits (e.g. RFC 2697) and HTTP 429 (RFC 6585): throttling and flat peak rates"
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "near": Interval(float, 0.0, 1.0, closed="right"),
        "half_rate": Interval(float, 0.0, None, closed="neither"),
        "half_life": Interval(float, 0.0, None, closed="neither"),
        "prior_requests": Interval(float, 0.0, None),
        "prior_ticks": Interval(float, 0.0, None),
    }

    def __init__(
        self,
        near: float = 0.8,
        half_rate: float = 30.0,
        half_life: float = DAY,
        prior_requests: float = 20.0,
        prior_ticks: float = 10.0,
    ) -> None:
        self.near = near
        self.half_rate = half_rate
        self.half_life = half_life
        self.prior_requests = prior_requests
        self.prior_ticks = prior_ticks

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "sums_"):
            self.check_params()
            self.sums_ = DecayedSums(
                self.half_life, {"requests": 1, "throttled": 1, "active": 1, "pinned": 1, "peak": 1}
            )
        v = view(batch)
        if v.n == 0:
            return None
        sums = self.sums_
        touched = sums.index.codes_for(v)  # one per account of the batch
        per_tick = v.account_requests.astype(np.float64)
        row = sums.decayed(batch.end, touched)
        requests, throttled, active, pinned, peak = (
            sums.slot(name) for name in ("requests", "throttled", "active", "pinned", "peak")
        )
        row[:, peak] = np.maximum(row[:, peak], per_tick)
        row[:, requests] += v.account_sum("requests")
        row[:, throttled] += v.account_sum("rate_limited")
        row[:, active] += 1.0
        row[:, pinned] += per_tick >= self.near * row[:, peak]
        sums.store(touched, row)
        share_throttled = row[:, throttled] / (row[:, requests] + self.prior_requests)
        share_pinned = row[:, pinned] / (row[:, active] + self.prior_ticks)
        score = noisy_or(share_throttled, share_pinned * saturating(row[:, peak], self.half_rate))
        return sums.index.scores(touched, score)
