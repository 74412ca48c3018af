"""Operating points that providers run: an analysts' budget and a threshold chosen on a warm-up.

The alarm policy (:mod:`simulator.bench.policy`) alarms at a fixed threshold on
uncalibrated scores; a provider rather

* reviews what its analysts can: ``reviews_per_day`` alarms a day, first come first
  served (``review_order: arrival``) or highest score at the alarm first (``score``),
  unreviewed alarms carried to the next day (:mod:`simulator.metrics.budget`);
* sets each detector's threshold on a **warm-up** window at the start of the run,
  ``[0, warmup)`` rounded up to whole ticks, taking every account active then as
  legitimate and allowing a share ``target_fpr`` of them to be flagged; the threshold
  is then judged on the rest of the run (:mod:`simulator.metrics.thresholds`).

Neither changes what is simulated or enforced: they are read from each passive
run's outcomes and score logs, at the prevalence the scenario declares
(:class:`~simulator.scenario.schema.Deployment`).

One more reading applies to both modes, in scenarios whose campaigns resell customers'
traffic through their accounts: an account counts as an attacker's when at least
``extraction_share`` of its requests are extraction
(:func:`~simulator.metrics.requests.share_labelled`; default
:data:`~simulator.metrics.requests.EXTRACTION_SHARE_THRESHOLD`, 0.5).

A suite gives them in an ``operating:`` block; ``extractbench run`` in
``--reviews-per-day``, ``--review-order``, ``--warmup``, ``--target-fpr`` and
``--extraction-share``. They are stored in ``run.json`` (``plan.operating``).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from simulator.metrics.requests import EXTRACTION_SHARE_THRESHOLD
from simulator.scenario.base import StrictModel
from simulator.units import Duration

__all__ = ["OperatingPoints", "warmup_ticks"]


class OperatingPoints(StrictModel):
    """The analysts' budget and the warm-up threshold every passive run is read at, and
    the extraction share that makes a mixed-traffic account an attacker's."""

    reviews_per_day: float = Field(
        default=50.0,
        ge=0,
        description="Alarms the analysts review per day (k), counted at deployment weight: precision and recall "
        "within budget.",
    )
    review_order: Literal["arrival", "score"] = Field(
        default="arrival",
        description="Order of the review queue: 'arrival' (first come, first served) or 'score' (highest score at "
        "the alarm first).",
    )
    warmup: Duration = Field(
        default=6 * 3600.0,
        ge=0,
        description="Label-free warm-up at the start of each run, e.g. '6h': each detector's threshold is chosen on "
        "it and judged after it (0: no warm-up threshold).",
    )
    target_fpr: float = Field(
        default=1e-3,
        ge=0,
        lt=1,
        description="Share of the warm-up's accounts the warm-up threshold may flag.",
    )
    extraction_share: float = Field(
        default=EXTRACTION_SHARE_THRESHOLD,
        gt=0,
        le=1,
        description="Scenarios with resale: an account counts as an attacker's when at least this share of its "
        "requests are extraction (the rest being resold customers' requests); both modes.",
    )


def warmup_ticks(warmup: float, tick: float, ticks: int) -> int:
    """Ticks in a warm-up of ``warmup`` seconds: ``ceil(warmup / tick)``, at most ``ticks``.

    Tick k covers [k·tick, (k+1)·tick); the warm-up holds the ticks that start within it.

    >>> warmup_ticks(3600.0, 300.0, 288), warmup_ticks(3601.0, 300.0, 288), warmup_ticks(1e9, 300.0, 288)
    (12, 13, 288)
    """
    return min(ticks, max(0, math.ceil(warmup / tick - 1e-9)))
