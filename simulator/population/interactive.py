"""The session-based customer groups at work: ``chat``, ``power_user``,
``coding_assistant`` and ``agent`` (their specs and calibrated defaults are in
:mod:`simulator.scenario.population.interactive`).

Every account starts sessions at an expected rate ``sessions_per_day ·
activity · rhythm · burst`` (see :class:`~simulator.scenario.population.base.Rhythmic`);
the count per planning step is Poisson given that rate (so negative binomial
overall), and the starts inside the step are spaced like a Gamma renewal process
with CV ``arrival_cv`` (:func:`~simulator.population.arrivals.renewal_offsets`).
Sessions are drawn by :func:`~simulator.population.sessions.session_requests`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from simulator.population.arrivals import renewal_offsets
from simulator.population.base import (
    CustomerGroup,
)
from simulator.population.sessions import SessionShape, session_requests
from simulator.prompts import TOPICS
from simulator.scenario.base import normalised
from simulator.units import DAY

__all__ = ["InteractiveGroup"]


class InteractiveGroup(CustomerGroup):
    """Session-based archetypes: sessions planned every ``plan_interval``."""

    def archetype_member_columns(self) -> dict[str, Any]:
        return {"favourite_topic": np.int16}

    def archetype_member_values(self, n: int) -> dict[str, np.ndarray]:
        weights = normalised(self.config.session.topics, TOPICS)
        return {"favourite_topic": self.rng.choice(len(TOPICS), size=n, p=weights).astype(np.int16)}

    def favourite_topics(self, rows: np.ndarray) -> np.ndarray:
        return self.members.column("favourite_topic")[rows]

    def expected_daily_spend(self) -> float:
        shape: SessionShape = self.config.session
        turns = 1 + (1 - shape.single_turn_share) * shape.mean_extra_turns
        system = shape.system_prompt_tokens.median if shape.system_prompt_tokens is not None else 0.0
        tokens_in = shape.input_tokens.median + system
        per_request = (tokens_in * 3 + shape.output_tokens.median * 15) / 1e6
        return self.config.sessions_per_day * DAY * turns * per_request

    def processes(self) -> list[Generator[simpy.Event, Any, Any]]:
        return [self._plan()]

    def _plan(self) -> Generator[simpy.Event, Any, Any]:
        cfg = self.config
        step = float(cfg.plan_interval)
        offset = self.next_template_ids(len(self.members) * 4 + 4)
        while True:
            t0 = self.env.now
            rows = np.arange(len(self.members))
            counts = self.rng.poisson(self.session_rate(rows, t0 + step / 2) * step)
            if counts.sum():
                starts = t0 + renewal_offsets(self.rng, counts, step, cfg.arrival_cv)
                self.ctx.gateway.submit(session_requests(self, np.repeat(rows, counts), starts, cfg.session, offset))
            yield self.env.timeout(step)

    def session_rate(self, rows: np.ndarray, t: float) -> np.ndarray:
        """Expected sessions per second of members ``rows`` around time ``t``."""
        activity = self.members.column("activity")[rows]
        return self.config.sessions_per_day * activity * self.rhythm(rows, t) * self.bursts(rows)
