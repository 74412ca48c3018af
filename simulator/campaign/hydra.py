"""The hydra pool: many accounts behind rotating proxies, each kept under its limits.

Every ``plan_interval`` the campaign gives each live account a share of work:
``min(requests_per_account, limit_fraction × the account's binding limit)``
requests per second, where the binding limit is the smallest of the request
limit and the token limits divided by the campaign's mean token lengths. With
``synchronised`` timing, all accounts fire on one shared schedule (plus
``jitter``), the lockstep that synchrony detectors look for; otherwise each
account's requests fall independently. Banned accounts are replaced (see
:class:`~simulator.campaign.base.Replacement`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Literal

import numpy as np
import simpy
from pydantic import Field

from simulator.actor import Actor
from simulator.campaign.base import CampaignActor, CampaignBase
from simulator.config import StrictModel
from simulator.units import Duration, Rate

__all__ = ["HydraCampaign", "HydraPool", "LoadPlan"]


class LoadPlan(StrictModel):
    """How a campaign spreads its load over accounts."""

    requests_per_account: Rate = Field(default=100 / 86400, description="Target rate per account, e.g. '100/day'.")
    limit_fraction: float = Field(
        default=0.5, gt=0, le=1, description="Never more than this fraction of an account's binding limit."
    )
    synchronised: bool = Field(default=True, description="Whether accounts fire on one shared schedule.")
    jitter: Duration = Field(default=2.0, description="Random offset around the shared schedule, in seconds.")
    plan_interval: Duration = Field(default=600.0, gt=0, description="How often work is handed out, e.g. '10m'.")


class HydraCampaign(CampaignBase):
    """A hydra cluster: a pool of fraudulent accounts behind proxies (2026 reports)."""

    kind: Literal["hydra"] = Field(description="A hydra pool of accounts behind rotating proxies.")
    load: LoadPlan = Field(default_factory=LoadPlan, description="Load spreading over accounts.")

    def build(self, name: str, index: int, ctx: Any) -> Actor:
        return HydraPool(self, name, index, ctx)


class HydraPool(CampaignActor):
    """The actor of a :class:`HydraCampaign`."""

    def processes(self) -> list[Generator[simpy.Event, Any, Any]]:
        return [self._harvest(), self.replace_banned()]

    def _harvest(self) -> Generator[simpy.Event, Any, Any]:
        cfg: HydraCampaign = self.config
        load = cfg.load
        step = float(load.plan_interval)
        end = float(cfg.end) if cfg.end is not None else np.inf
        if cfg.start > self.env.now:
            yield self.env.timeout(cfg.start - self.env.now)
        p = cfg.prompts
        per_request = np.array([1.0, p.input_tokens.mean, p.output_tokens.mean])
        while self.env.now < end and not self.goal_reached():
            t0 = self.env.now
            t1 = min(t0 + step, end)
            rows = self.active_members()
            if rows.size:
                limits = self.ctx.gateway.limits_of(self.members.column("code")[rows])
                binding = (limits / per_request).min(axis=1)
                rate = np.minimum(load.requests_per_account, load.limit_fraction * binding)
                counts = self.rng.poisson(rate * (t1 - t0))
                if counts.sum():
                    self.ctx.gateway.submit(self.render(*self._schedule(rows, counts, t0, t1)))
            yield self.env.timeout(max(t1 - t0, 1e-9))

    def _schedule(self, rows: np.ndarray, counts: np.ndarray, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """(member rows, timestamps) of this step's requests."""
        load = self.config.load
        who = np.repeat(rows, counts)
        if load.synchronised:
            # one shared grid of firing times; account i takes its first counts[i] slots
            slots = np.sort(self.rng.uniform(t0, t1, size=int(counts.max())))
            first = np.r_[0, np.cumsum(counts)[:-1]]
            position = np.arange(who.size) - np.repeat(first, counts)
            ts = slots[position] + self.rng.normal(0.0, load.jitter, size=who.size)
        else:
            ts = self.rng.uniform(t0, t1, size=who.size)
        return who, np.clip(ts, t0, np.nextafter(t1, t0))
