"""Interactive sessions, vectorised: conversations of one or more turns.

:class:`SessionShape` says how many turns a session has, how long people think
between them, token lengths (with context carried over, so input grows along a
conversation), topics, chain-of-thought requests and system prompts;
:func:`simulator.population.sessions.session_requests` draws sessions from it.

Calibrated defaults (Mooncake conversation trace, conversations marked by shared
prefix blocks; ``extractbench calibrate``): 70% of conversations are a single
request (0.704), the others have 1.85 more requests on average (geometric), and
consecutive requests are a median 117 s apart (log-normal, σ 0.93 of the log),
of which about 2 s is generation. Output lengths are the Azure 2023
conversation fit: a log-normal body (median 100, σ 0.77) plus a mode of
length-targeted answers (31% near 406 tokens). Conversation inputs in that
trace sit in a few tight clusters (application prompts) that a smooth model
does not follow; the default system prompts (most near 950 tokens, 30% near
300), short user turns, carried context and a 4,096-token budget reproduce their
median (KS about 0.23; see ``docs/calibration.md``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulator.scenario.base import LogNormal, StrictModel, TopicWeights
from simulator.scenario.lengths import Mode, TokenLengths
from simulator.scenario.system_prompts import SystemPromptMix
from simulator.units import Count

__all__ = ["SessionShape"]


class SessionShape(StrictModel):
    """The shape of one interactive session (conversation)."""

    single_turn_share: float = Field(
        default=0.70, ge=0, le=1, description="Share of sessions with a single request (fit: Mooncake 0.704)."
    )
    mean_extra_turns: float = Field(
        default=1.85,
        ge=1,
        description="Mean number of turns after the first in multi-turn sessions (geometric; fit: Mooncake 1.85).",
    )
    max_turns: int = Field(default=50, ge=1, description="Longest session, in turns.")
    think_time: LogNormal = Field(
        default_factory=lambda: LogNormal(median=115, sigma=0.93, min=1, max=3600),
        description="Seconds between receiving an answer and sending the next turn (fit: Mooncake gaps).",
    )
    input_tokens: TokenLengths = Field(
        default_factory=lambda: TokenLengths(median=40, sigma=1.3, min=1, max=120_000),
        description="New input tokens per turn (the user's message, pasted content).",
    )
    output_tokens: TokenLengths = Field(
        default_factory=lambda: TokenLengths(
            median=100, sigma=0.77, min=1, max=16_000, modes=[Mode(share=0.31, median=406, sigma=0.05)]
        ),
        description="Output tokens per response before max_tokens (fit: Azure 2023 conversation trace).",
    )
    carry_context: bool = Field(default=True, description="Whether each turn resends the conversation so far as input.")
    context_budget: Count | None = Field(
        default=4096,
        description="Most input tokens a request may carry: front ends drop older turns and cut long pastes beyond "
        "it (null: no limit; Azure 2023 conversation inputs pile up at 4,096).",
    )
    system_prompt_tokens: TokenLengths | None = Field(
        default_factory=lambda: TokenLengths(
            median=950, sigma=0.25, min=0, max=20_000, modes=[Mode(share=0.3, median=300, sigma=0.5)]
        ),
        description="System prompt tokens sent with every turn (null: none, or counted in input_tokens).",
    )
    max_tokens: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=lambda: [1024, 2048, 4096, 8192],
        min_length=1,
        description="max_tokens values accounts choose from (one per account, the default of its product).",
    )
    max_tokens_switch: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Share of sessions sending another of the max_tokens values (another feature of the product).",
    )
    system_prompts: SystemPromptMix = Field(
        default_factory=SystemPromptMix,
        description="Where sessions' system prompts come from: none, stock, the client's, or the account's own.",
    )
    output_speed: float = Field(default=60.0, gt=0, description="Generation speed in output tokens per second.")
    topics: TopicWeights = Field(
        default_factory=lambda: {
            "general_qa": 3,
            "creative_writing": 1.5,
            "coding": 1.5,
            "summarization": 1,
            "rewrite": 1,
            "chit_chat": 1,
            "translation": 0.5,
            "math": 0.5,
            "reasoning": 0.5,
            "data_analysis": 0.5,
            "information_extraction": 0.3,
        },
        description="Weights over topics of sessions.",
    )
    topic_focus: float = Field(
        default=0.4, ge=0, le=1, description="Probability a session is on the account's own favourite topic."
    )
    cot_share: float = Field(
        default=0.08, ge=0, le=1, description="Share of sessions asking for step-by-step reasoning."
    )
    templated_share: float = Field(
        default=0.05, ge=0, le=1, description="Share of prompts built from one of the account's own templates."
    )
    template_variation: float = Field(
        default=0.05, ge=0, le=0.5, description="Bit-flip probability of templated prompt fingerprints."
    )
