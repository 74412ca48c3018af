"""Camouflage at work: benign filler requests in the shape of rendered harvest
requests (template id −1), for the share of traffic the spec
(:mod:`simulator.scenario.campaign.camouflage`) asks, and for warm-up traffic.
"""

from __future__ import annotations

import numpy as np

from simulator.campaign.conversations import Layout
from simulator.hashing import splitmix64
from simulator.prompts import TOPICS, random_fingerprints
from simulator.scenario.base import LogNormal, normalised
from simulator.scenario.campaign.camouflage import Camouflage
from simulator.scenario.system_prompts import SystemPromptMix

__all__ = ["FILLER_SYSTEM_PROMPTS", "filler_requests"]


FILLER_SYSTEM_PROMPTS = SystemPromptMix()
"""Filler requests' system prompts come from where customers' do (the default mix)."""


def filler_requests(
    rng: np.random.Generator,
    camouflage: Camouflage,
    codes: np.ndarray,
    account_language: np.ndarray,
    salt: int,
    layout: Layout,
    output_tokens: LogNormal | None = None,
) -> dict[str, np.ndarray]:
    """Columns of the filler requests of ``layout``'s conversations by accounts ``codes``
    (one per request), in the shape of :meth:`~simulator.campaign.prompts.PhaseLibrary.render`;
    template id -1. A conversation keeps one topic, chain-of-thought request and
    system prompt. ``output_tokens`` overrides the answer lengths (warm-up traffic)."""
    n, s = layout.n, layout.size
    topic = rng.choice(len(TOPICS), size=s, p=normalised(camouflage.topics, TOPICS)).astype(np.int16)
    lengths = output_tokens or camouflage.output_tokens
    max_tokens = max(camouflage.max_tokens, int(lengths.max)) if output_tokens else camouflage.max_tokens
    owners = codes[layout.first].astype(np.uint64)
    return {
        "template_id": np.full(n, -1, dtype=np.int64),
        "topic": layout.spread(topic),
        "language": account_language,
        "cot": layout.spread(rng.random(s) < camouflage.cot_share),
        "input_tokens": camouflage.input_tokens.sample(rng, n),
        "output_tokens": np.minimum(lengths.sample(rng, n), max_tokens),
        "max_tokens": np.full(n, max_tokens),
        "fingerprint": random_fingerprints(rng, n),
        # the account's own prompts (a product integration's), as a customer's
        "system_prompt_hash": layout.spread(FILLER_SYSTEM_PROMPTS.draw(rng, splitmix64(owners ^ np.uint64(salt)))),
    }
