"""Resale at work: ordinary customers' conversations relayed through a campaign's accounts.

The spec is :mod:`simulator.scenario.campaign.resale`; :data:`RESALES` maps each
``kind`` to its behaviour, a :class:`Resold` (share 0 for ``none``).
"""

from __future__ import annotations

import numpy as np

from simulator.campaign.conversations import Layout
from simulator.hashing import splitmix64
from simulator.prompts import TOPICS, random_fingerprints
from simulator.scenario.base import normalised
from simulator.scenario.campaign.resale import CustomerResale, NoResale
from simulator.scenario.population import ARCHETYPES
from simulator.scenario.population.sessions import SessionShape
from simulator.traffic import RESOLD_TEMPLATE

__all__ = ["RESALES", "Resold"]


class Resold:
    """Resold conversations: ``share`` of a harvesting account's conversations, drawn
    like the sessions of ``session`` (None when there is no resale)."""

    def __init__(self, share: float, session: SessionShape | None) -> None:
        self.share = share
        self.session = session

    def mean_tokens(self) -> tuple[float, float]:
        """Mean (input, output) tokens of a resold request's first turn (tokens)."""
        s = self.session
        if s is None:
            return 0.0, 0.0
        system = s.system_prompt_tokens.mean if s.system_prompt_tokens is not None else 0.0
        return s.input_tokens.mean + system, min(s.output_tokens.mean, float(max(s.max_tokens)))

    def requests(
        self, rng: np.random.Generator, codes: np.ndarray, language: np.ndarray, salt: int, layout: Layout
    ) -> dict[str, np.ndarray]:
        """Columns of the resold requests of ``layout``'s conversations by accounts ``codes``
        (one per request; only their number is read), in the shape of rendered harvest requests; template id
        :data:`~simulator.traffic.RESOLD_TEMPLATE`. A conversation keeps one topic,
        chain-of-thought request, max_tokens and system prompt."""
        s = self.session
        if s is None:
            raise ValueError("No resold requests without a resale profile.")
        n, size = layout.n, layout.size
        topic = rng.choice(len(TOPICS), size=size, p=normalised(s.topics, TOPICS)).astype(np.int16)
        max_tokens = layout.spread(rng.choice(np.asarray(s.max_tokens), size=size))
        inputs = s.input_tokens.sample(rng, n)
        if s.system_prompt_tokens is not None:
            inputs = inputs + layout.spread(s.system_prompt_tokens.sample(rng, size))
        return {
            "template_id": np.full(n, RESOLD_TEMPLATE, dtype=np.int64),
            "topic": layout.spread(topic),
            "language": language,
            "cot": layout.spread(rng.random(size) < s.cot_share),
            "input_tokens": inputs,
            "output_tokens": np.minimum(s.output_tokens.sample(rng, n), max_tokens),
            "max_tokens": max_tokens,
            "fingerprint": random_fingerprints(rng, n),
            # each conversation is another end customer's product, not the account's
            "system_prompt_hash": layout.spread(
                s.system_prompts.draw(rng, splitmix64(layout.ids.astype(np.uint64) ^ np.uint64(salt)))
            ),
        }


def _none(spec: NoResale) -> Resold:
    return Resold(0.0, None)


def _customers(spec: CustomerResale) -> Resold:
    session = ARCHETYPES[spec.profile].model_fields["session"].get_default(call_default_factory=True)
    return Resold(spec.share, session)


RESALES = {"none": _none, "customers": _customers}
"""The behaviour of each resale ``kind``."""
