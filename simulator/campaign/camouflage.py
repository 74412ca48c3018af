"""Camouflage tactics: benign filler traffic mixed into the harvest.

A share ``filler_share`` of every harvesting account's requests are ordinary,
non-templated questions over everyday topics with chat-sized answers and the
account's own system prompt, so that per-account topic mixes, template
repetition and chain-of-thought rates look diluted. Warm-up traffic (spend
seeding) is made the same way. Together with a human load rhythm, spoofed
clients and paraphrased prompts this is the *mimicry* the 2026 reports expect
adaptive campaigns to adopt.

Source: DESIGN.md (adaptation: paraphrasing, mimicking human daily rhythms);
Anthropic, "Detecting and preventing distillation attacks" (2026-02-23), on
distillation traffic mixed with unrelated requests.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from simulator.config import LogNormal, StrictModel, TopicWeights, normalised
from simulator.hashing import splitmix64
from simulator.prompts import TOPICS, random_fingerprints
from simulator.system_prompts import SystemPromptMix

__all__ = ["Camouflage", "filler_requests"]


FILLER_SYSTEM_PROMPTS = SystemPromptMix()
"""Filler requests' system prompts come from where customers' do (the default mix)."""


class Camouflage(StrictModel):
    """Benign filler mixed into the campaign's traffic."""

    filler_share: float = Field(
        default=0.0, ge=0, le=0.95, description="Share of harvesting accounts' requests that are benign filler."
    )
    topics: TopicWeights = Field(
        default_factory=lambda: {
            "general_qa": 3,
            "creative_writing": 1.5,
            "summarization": 1,
            "chit_chat": 1,
            "translation": 0.5,
            "customer_support": 0.5,
        },
        description="Weights over the topics of filler questions.",
    )
    cot_share: float = Field(default=0.05, ge=0, le=1, description="Share of filler asking for step-by-step reasoning.")
    input_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=350, sigma=1.0, min=5, max=20_000),
        description="Input tokens of a filler request.",
    )
    output_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=140, sigma=1.0, min=1, max=4000),
        description="Output tokens of a filler answer.",
    )
    max_tokens: int = Field(default=2048, ge=1, description="max_tokens of filler requests.")


def filler_requests(
    rng: np.random.Generator,
    camouflage: Camouflage,
    codes: np.ndarray,
    account_language: np.ndarray,
    salt: int,
    output_tokens: LogNormal | None = None,
) -> dict[str, np.ndarray]:
    """Columns of filler requests by accounts ``codes`` (one per entry), in the shape
    of :meth:`~simulator.campaign.prompts.PhaseLibrary.render`; template id -1.
    ``output_tokens`` overrides the answer lengths (warm-up traffic)."""
    n = codes.size
    topic = rng.choice(len(TOPICS), size=n, p=normalised(camouflage.topics, TOPICS)).astype(np.int16)
    lengths = output_tokens or camouflage.output_tokens
    max_tokens = max(camouflage.max_tokens, int(lengths.max)) if output_tokens else camouflage.max_tokens
    return {
        "template_id": np.full(n, -1, dtype=np.int64),
        "topic": topic,
        "language": account_language,
        "cot": rng.random(n) < camouflage.cot_share,
        "input_tokens": camouflage.input_tokens.sample(rng, n),
        "output_tokens": np.minimum(lengths.sample(rng, n), max_tokens),
        "max_tokens": np.full(n, max_tokens),
        "fingerprint": random_fingerprints(rng, n),
        # the account's own prompts (a product integration's), as a customer's
        "system_prompt_hash": FILLER_SYSTEM_PROMPTS.draw(rng, splitmix64(codes.astype(np.uint64) ^ np.uint64(salt))),
    }
