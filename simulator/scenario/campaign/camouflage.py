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

from pydantic import Field

from simulator.scenario.base import LogNormal, StrictModel, TopicWeights

__all__ = ["Camouflage"]


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
