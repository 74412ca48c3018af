"""Interactive sessions, vectorised: conversations of one or more turns.

Given the members starting sessions and the start times, :func:`session_requests`
draws every request of every session at once: the number of turns, think times
between turns, token lengths (with context carried over, so input grows along
a conversation), topic, chain-of-thought requests, language, model, prompt
fingerprints and system prompts. One call produces one
:class:`~simulator.traffic.RequestBlock`.

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

from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from simulator.config import LogNormal, StrictModel, TopicWeights, normalised
from simulator.hashing import splitmix64
from simulator.population.lengths import Mode, TokenLengths
from simulator.prompts import TOPICS, flip_bits, random_fingerprints
from simulator.seeding import stable_key
from simulator.system_prompts import SystemPromptMix
from simulator.traffic import RequestBlock
from simulator.units import Count

if TYPE_CHECKING:
    from simulator.population.base import CustomerGroup

__all__ = ["SessionShape", "account_templates", "session_requests"]

_TEMPLATES_PER_ACCOUNT = 4


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


def account_templates(
    actor_key: int, member_rows: np.ndarray, slot: np.ndarray, offset: int
) -> tuple[np.ndarray, np.ndarray]:
    """(template ids, base fingerprints) of members' private templates; each member
    owns :data:`_TEMPLATES_PER_ACCOUNT` templates, derived without storage."""
    local = member_rows.astype(np.int64) * _TEMPLATES_PER_ACCOUNT + slot
    ids = offset + local
    base = splitmix64(local.astype(np.uint64) ^ np.uint64(actor_key))
    return ids.astype(np.int64), base


def session_requests(
    group: CustomerGroup,
    rows: np.ndarray,
    starts: np.ndarray,
    shape: SessionShape,
    template_offset: int,
) -> RequestBlock:
    """All requests of sessions started by members ``rows`` at times ``starts``."""
    rng = group.rng
    s = rows.size
    multi = rng.random(s) >= shape.single_turn_share
    turns = np.ones(s, dtype=np.int64)
    if multi.any():
        extra = rng.geometric(1.0 / shape.mean_extra_turns, size=int(multi.sum()))
        turns[multi] += extra
    turns = np.minimum(turns, shape.max_turns)
    n = int(turns.sum())
    session = np.repeat(np.arange(s), turns)
    first = np.r_[0, np.cumsum(turns)[:-1]]
    turn = (np.arange(n) - np.repeat(first, turns)).astype(np.int64)
    member = rows[session]
    m = group.members

    new_input = shape.input_tokens.sample(rng, n)
    max_tokens_choice = np.asarray(shape.max_tokens, dtype=np.int64)
    session_max = max_tokens_choice[
        splitmix64(m.column("code")[rows].astype(np.uint64)) % np.uint64(max_tokens_choice.size)
    ]
    switch = rng.random(s) < shape.max_tokens_switch
    session_max[switch] = max_tokens_choice[rng.integers(0, max_tokens_choice.size, size=int(switch.sum()))]
    account_max = session_max[session]
    output = np.minimum(shape.output_tokens.sample(rng, n), account_max)
    system = shape.system_prompt_tokens
    system_tokens = system.sample(rng, s)[session] if system is not None else np.zeros(n, dtype=np.int64)
    if shape.carry_context:
        history = np.cumsum(new_input + output) - (new_input + output)
        session_base = np.repeat(history[first], turns)
        context = history - session_base
    else:
        context = np.zeros(n, dtype=np.int64)
    input_tokens = system_tokens + new_input + context
    if shape.context_budget is not None:
        input_tokens = np.minimum(input_tokens, int(shape.context_budget))

    gaps = shape.think_time.sample(rng, n).astype(np.float64) + output / shape.output_speed
    gaps[first] = 0.0
    offsets = np.cumsum(gaps)
    offsets -= np.repeat(offsets[first], turns)
    ts = starts[session] + offsets

    weights = normalised(shape.topics, TOPICS)
    topic_session = rng.choice(len(TOPICS), size=s, p=weights)
    focus = rng.random(s) < shape.topic_focus
    favourite = group.favourite_topics(rows)
    topic_session = np.where(focus, favourite, topic_session).astype(np.int16)
    cot_session = rng.random(s) < shape.cot_share
    language = m.column("language")[member]

    model = group.models_at(rows, starts)[session]

    templated = rng.random(n) < shape.templated_share
    slot = rng.integers(0, _TEMPLATES_PER_ACCOUNT, size=n)
    actor_key = stable_key(group.name)
    template_id, template_base = account_templates(actor_key, member, slot, template_offset)
    fingerprint = random_fingerprints(rng, n)
    if templated.any():
        fingerprint[templated] = flip_bits(rng, template_base[templated], shape.template_variation)
    template_id = np.where(templated, template_id, -1)

    clients = group.member_clients(rows)
    system_hash = shape.system_prompts.draw(rng, m.column("code")[rows], clients)[session]
    conversation = random_fingerprints(rng, s)[session]
    topic, language_seen, cot_seen = group.noisy_labels(topic_session[session], language, cot_session[session])
    return RequestBlock(
        ts=ts,
        account=m.column("code")[member],
        key=np.repeat(group.member_keys(rows), turns),
        ip=np.repeat(group.member_ips(rows), turns),
        client=np.repeat(clients, turns),
        model=model,
        input_tokens=np.minimum(input_tokens, 1_000_000),
        output_tokens=output,
        max_tokens=account_max,
        topic=topic,
        language=language_seen,
        cot_requested=cot_seen,
        system_prompt_hash=system_hash,
        prompt_simhash=fingerprint,
        conversation_id=conversation,
        turn=turn,
        template_id=template_id,
    )
