"""Acquisition tactics at work: when accounts come to exist, and how they reach the
spend that their target tier asks for.

The specs are in :mod:`simulator.scenario.campaign.acquisition`. Sign-up settings
left unset are resolved when the campaign is set up, like the customers'
(:mod:`simulator.campaign.customers`). Two families vary by ``kind``,
each through its own table:

* creation (:data:`CREATION`): creation times of ``aged`` accounts (log-uniform
  ages before the campaign starts) or of sign-up ``waves``;
* seeding (:data:`SEEDING`): ``none``, ``prepaid`` credit bought at sign-up, or
  ``warmup`` traffic until the spend is reached. A seeding says how much each
  new account prepays, whether accounts are seeded enough to harvest
  (:meth:`Seeding.ready`), and what warm-up traffic they send in a planning step
  (:meth:`Seeding.warm_up`); the two are asked at different moments of a step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulator.campaign.camouflage import filler_requests
from simulator.campaign.conversations import CONVERSATIONS, converse
from simulator.campaign.state import WARMING, CampaignState, Requests
from simulator.campaign.tactic import behaviour
from simulator.scenario.campaign.acquisition import (
    AccountWaves,
    AgedAccounts,
    NoSeeding,
    PrepaidSeeding,
    WarmupSeeding,
)
from simulator.scenario.campaign.load import Independent
from simulator.seeding import stable_key

__all__ = ["CREATION", "SEEDING", "NoSeed", "Prepaid", "Seeding", "WarmUp"]


def _aged(spec: AgedAccounts, state: CampaignState, n: int, campaign_start: float) -> np.ndarray:
    """Creation times (s since the scenario start; negative: before it): ``start − age``,
    ages like the customers' without an ``age``."""
    if spec.age is None:
        return campaign_start + state.customers.ages_created(state.rng, n)
    return campaign_start + spec.age.sample_created(state.rng, n)


def _waves(spec: AccountWaves, state: CampaignState, n: int, campaign_start: float) -> np.ndarray:
    """Creation times: wave ``i mod waves`` at ``start + first + wave·every + U(0, spread)``."""
    rng = state.rng
    wave = rng.permutation(np.arange(n) % spec.waves)
    return campaign_start + spec.first + wave * spec.every + rng.uniform(0.0, spec.spread, size=n)


CREATION: dict[str, Callable[..., np.ndarray]] = {"aged": _aged, "waves": _waves}
"""Creation times by ``creation.kind``: ``(spec, state, n, campaign start) → times``."""


class Seeding:
    """How accounts reach their spend requirement. ``prepaid`` is the credit (USD) each
    new account buys at sign-up (charged to the budget, counted as spend)."""

    prepaid: float = 0.0

    def __init__(self, state: CampaignState) -> None:
        self.state = state

    def ready(self, codes: np.ndarray) -> np.ndarray:
        """Whether each warming account of ``codes`` has spent enough to harvest."""
        return np.ones(codes.size, dtype=bool)

    def warm_up(self, t0: float, t1: float) -> Requests | None:
        """Warm-up traffic of the planning step ``[t0, t1)``, if any."""
        return None


class NoSeed(Seeding):
    """No spend before harvesting: accounts harvest in whatever tier they are."""

    def __init__(self, spec: NoSeeding, state: CampaignState) -> None:
        super().__init__(state)


class Prepaid(Seeding):
    """Credit bought at sign-up: the spec's spend, or the target tier's minimum."""

    def __init__(self, spec: PrepaidSeeding, state: CampaignState) -> None:
        super().__init__(state)
        self.prepaid = spec.spend if spec.spend is not None else state.target_tier_spend()


class WarmUp(Seeding):
    """Benign-looking warm-up traffic (filler prompts, long answers) until each account's
    spend reaches the target (the spec's, or the target tier's minimum)."""

    def __init__(self, spec: WarmupSeeding, state: CampaignState) -> None:
        super().__init__(state)
        self.spec = spec
        self.target = spec.spend if spec.spend is not None else state.target_tier_spend()
        self.salt = stable_key(f"{state.spec.name}/filler")
        self.threading = behaviour(CONVERSATIONS, state.spec.conversations)

    def ready(self, codes: np.ndarray) -> np.ndarray:
        return self.state.world.gateway.spend_of(codes) >= self.target

    def warm_up(self, t0: float, t1: float) -> Requests | None:
        """Each warming account below the target sends filler at ``requests_per_account``
        (at most ``load.limit_fraction`` of its binding limit), in conversations threaded
        as the campaign's, opened at independent times."""
        state = self.state
        m = state.members
        rows = np.flatnonzero(m.column("state") == WARMING)
        if rows.size == 0:
            return None
        gateway = state.world.gateway
        rows = rows[gateway.spend_of(m.column("code")[rows]) < self.target]
        if rows.size == 0:
            return None
        cam = state.spec.camouflage
        mean_in, mean_out = cam.input_tokens.mean, self.spec.output_tokens.mean
        per_request = np.array([1.0, mean_in + self.threading.mean_context(mean_in, mean_out), mean_out])
        binding = (gateway.limits_of(m.column("code")[rows]) / per_request).min(axis=1)
        rate = np.minimum(self.spec.requests_per_account, state.spec.load.limit_fraction * binding)
        counts = state.rng.poisson(rate * (t1 - t0) / self.threading.mean_turns())
        if counts.sum() == 0:
            return None
        layout = self.threading.layout(state.rng, int(counts.sum()))
        who = layout.spread(np.repeat(rows, counts))
        content = filler_requests(
            state.rng,
            cam,
            m.column("code")[who],
            m.column("language")[who],
            self.salt,
            layout,
            output_tokens=self.spec.output_tokens,
        )
        return converse(state, self.threading, _AT_RANDOM, rows, counts, layout, content, t0, t1)


_AT_RANDOM = Independent(kind="independent")
"""Warm-up conversations open at independent random times."""


SEEDING: dict[str, Callable[..., Seeding]] = {"none": NoSeed, "prepaid": Prepaid, "warmup": WarmUp}
"""The seeding behaviour of each ``seeding.kind``."""
