"""Interactive sessions, vectorised: conversations of one or more turns.

Given the members starting sessions and the start times, :func:`session_requests`
draws every request of every session at once: the number of turns, think times
between turns, token lengths (with context carried over, so input grows along
a conversation; reasoning accounts add thinking tokens to every answer), topic,
chain-of-thought requests, language, model (one per session: the account's
pinned model, or its second one), prompt fingerprints and system prompts. One
call produces one :class:`~simulator.traffic.RequestBlock`.

The shape's fields and their calibrated defaults are in
:mod:`simulator.scenario.population.sessions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.hashing import splitmix64
from simulator.prompts import TOPICS, flip_bits, random_fingerprints
from simulator.scenario.base import normalised
from simulator.scenario.population import SessionShape
from simulator.seeding import stable_key
from simulator.traffic import RequestBlock

if TYPE_CHECKING:
    from simulator.population.base import CustomerGroup

__all__ = ["account_templates", "session_requests"]

_TEMPLATES_PER_ACCOUNT = 4


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
    # reasoning accounts send their own, larger budget: it must leave room for the thinking
    account_max = group.reasoning_max_tokens(rows, session_max)[session]
    answer = shape.output_tokens.sample(rng, n)
    # thinking tokens are output tokens (billed and logged), but not carried into the next turn
    output = np.minimum(answer + group.thinking_tokens(member), account_max)
    answer = np.minimum(answer, output)
    system = shape.system_prompt_tokens
    system_tokens = system.sample(rng, s)[session] if system is not None else np.zeros(n, dtype=np.int64)
    if shape.carry_context:
        history = np.cumsum(new_input + answer) - (new_input + answer)
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
