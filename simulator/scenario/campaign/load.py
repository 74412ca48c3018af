"""Load-spreading tactics: how much each account sends, when, and how in step.

Every ``plan_interval`` each harvesting account is given

    rate = min(requests_per_account · v · w(t) · s,  limit_fraction · binding limit)

requests per second, where ``v`` is the account's volume multiplier (log-normal
with mean 1 and spread ``volume_sigma``), ``w(t)`` the rhythm weight (mean 1
over a week), ``s`` a slow-down factor after throttles, and the binding limit
the smallest of the account's request limit and its token limits divided by
the campaign's mean tokens per request: many accounts, each kept under a
fraction of its limit.

* **timing** (``kind``): how jobs (conversation openings) are placed in a
  planning step. ``queue`` (default): a work queue; each account runs
  ``workers`` workers, its step's work arrives at one random moment and every
  worker takes the next job as soon as its previous answer is back (response
  time ``latency + output / output_speed``), so work comes in bursts with idle
  gaps when the queue is empty. ``synchronised`` accounts fire on one shared
  schedule (plus ``jitter``), the lockstep synchrony detectors look for;
  ``independent`` accounts fire at independent uniform times.
* **rhythm** (``kind``): ``human`` (default): a daily and weekly rhythm in
  each account's declared time zone, or the operators', like most customers
  (people and the products serving them); ``flat`` round the clock (bots, a
  declared tactic); ``shift``: the operators' working hours in their own time
  zone, whatever the accounts claim.
* **volume** (``volume_sigma``): accounts differ in volume as customers do
  (default 2.27, the customers' spread); 0 makes every account send alike,
  a declared tactic.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
traffic spread across accounts to stay under per-account limits, with
coordinated timing; DESIGN.md (load spreading, human rhythms). A harness that
collects at scale runs a job queue with a pool of concurrent workers per key,
each waiting for its answer before taking the next job (the pattern of batch
clients and SDK concurrency limits).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from simulator.scenario.base import StrictModel
from simulator.units import DAY, Duration, Rate

# numpy is imported by the functions that draw or compute with arrays, not here: validating a
# scenario file needs none of it, and importing it was a large share of `extractbench validate`'s start-up
if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "FlatRhythm",
    "HumanRhythm",
    "Independent",
    "LoadPlan",
    "Queue",
    "Rhythm",
    "ShiftRhythm",
    "Synchronised",
    "Timing",
]


class Synchronised(StrictModel):
    """All accounts fire on one shared schedule, each offset by a little jitter."""

    kind: Literal["synchronised"] = Field(description="Lockstep firing on a shared schedule.")
    jitter: Duration = Field(default=2.0, description="Standard deviation of each request's offset, e.g. '3s'.")


class Independent(StrictModel):
    """Each account's requests fall at independent uniformly random times."""

    kind: Literal["independent"] = Field(description="Independent random timing per account.")


class Queue(StrictModel):
    """A work queue: each account's workers take the next job as soon as they are free."""

    kind: Literal["queue"] = Field(description="A work queue drained by a few workers per account.")
    workers: int = Field(
        default=4,
        ge=1,
        description="Workers per account (more when a step's work would not fit in the step at this many).",
    )
    pickup: Duration = Field(
        default=15.0,
        description="Each worker picks its first job of a step up within this long of the work arriving "
        "(uniformly: workers poll the queue, or finish other work first), e.g. '15s'.",
    )


Timing = Annotated[Queue | Synchronised | Independent, Field(discriminator="kind")]
"""How accounts' requests are placed in time, chosen by ``kind``."""


class FlatRhythm(StrictModel):
    """Round the clock, every day alike."""

    kind: Literal["flat"] = Field(description="Constant rate round the clock.")


class HumanRhythm(StrictModel):
    """A person's day: ``1 + a·cos(2π(h − peak_hour)/24)`` times a weekly factor,
    in each account's declared time zone or in the operators' one."""

    kind: Literal["human"] = Field(description="A daily and weekly human rhythm.")
    clock: Literal["declared", "operator"] = Field(
        default="declared",
        description="Whose local time: each account's declared country ('declared') or the operators' "
        "('operator', see utc_offset).",
    )
    utc_offset: float = Field(default=0.0, ge=-12, le=14, description="Operators' offset from UTC in hours.")
    peak_hour: float = Field(default=14.0, ge=0, lt=24, description="Local hour of peak activity.")
    peak_to_trough: float = Field(default=3.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.6, ge=0, description="Weekend activity relative to weekdays.")


class ShiftRhythm(StrictModel):
    """Operators' working hours in their own time zone: most traffic inside the
    shift, ``off_share`` of it outside."""

    kind: Literal["shift"] = Field(description="The operators' working shift.")
    utc_offset: float = Field(default=8.0, ge=-12, le=14, description="Operators' offset from UTC in hours.")
    hours: tuple[float, float] = Field(
        default=(9.0, 21.0), description="Local hours the shift starts and ends (may wrap past midnight)."
    )
    off_share: float = Field(default=0.05, ge=0, le=1, description="Share of traffic sent outside the shift.")
    weekend_factor: float = Field(default=1.0, ge=0, description="Weekend activity relative to weekdays.")


Rhythm = Annotated[FlatRhythm | HumanRhythm | ShiftRhythm, Field(discriminator="kind")]
"""When in the day and week the campaign is active, chosen by ``kind``."""


class LoadPlan(StrictModel):
    """How a campaign spreads its load over accounts and time."""

    requests_per_account: Rate = Field(
        default=100 / DAY, description="Mean requests per harvesting account, e.g. '100/day'."
    )
    volume_sigma: float = Field(
        default=2.27,
        ge=0,
        le=3,
        description="Log-normal sigma of per-account volume around the mean (0: every account alike; default: the "
        "customers' spread, from ServeGen's per-client Gini, docs/calibration.md).",
    )
    limit_fraction: float = Field(
        default=0.5, gt=0, le=1, description="Never more than this fraction of an account's binding limit."
    )
    timing: Timing = Field(
        default_factory=lambda: Queue(kind="queue"),
        description="How jobs are placed in a step: a work queue (default), synchronised or independent timing.",
    )
    rhythm: Rhythm = Field(
        default_factory=lambda: HumanRhythm(kind="human"),
        description="Daily and weekly rhythm (default: a human day in each account's declared time zone, like "
        "the customers'; 'flat' round the clock is a declared tactic).",
    )
    plan_interval: Duration = Field(default=600.0, gt=0, description="How often work is handed out, e.g. '10m'.")
    output_speed: float = Field(
        default=60.0,
        gt=0,
        description="Output tokens per second the model generates: an answer takes latency + output / output_speed "
        "(what a harness waits for before its next job or turn; customers' sessions use 60).",
    )
    latency: Duration = Field(default=1.0, description="Seconds before an answer's first token, e.g. '1s'.")

    def response_times(self, output_tokens: np.ndarray) -> np.ndarray:
        """Seconds each answer takes: ``latency + output_tokens / output_speed``."""
        import numpy as np

        return float(self.latency) + np.asarray(output_tokens, dtype=np.float64) / self.output_speed

    def volumes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Per-account volume multipliers with mean 1: ``exp(N(−σ²/2, σ))``."""
        import numpy as np

        sigma = self.volume_sigma
        return np.exp(rng.normal(-(sigma**2) / 2, sigma, size=n)) if sigma > 0 else np.ones(n)
