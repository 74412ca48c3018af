"""Conversation tactics at work: how a campaign's requests are threaded into conversations.

The specs and formulas are in :mod:`simulator.scenario.campaign.conversations`.
A planner decides how many conversations each account opens in a step; the
behaviour of the campaign's ``conversations.kind`` (:data:`CONVERSATIONS`) then

* lays them out (:meth:`Threading.layout`): turns per conversation, and for every
  request its conversation and turn number, with one opaque conversation id per
  conversation;
* carries the context (:meth:`Threading.inputs`): follow-up inputs with the
  conversation so far;
* times the follow-ups (:meth:`Threading.times`): after the previous answer's
  response time and a think time. Follow-ups are submitted with their opening,
  ahead of their ticks, as customers' sessions are.

Requests of one step are kept conversation by conversation (a :class:`Layout`),
so that per-conversation draws (template, topic, language, system prompt,
model) are made once and spread over the conversation's turns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.campaign.load import schedule
from simulator.campaign.state import CampaignState, Requests
from simulator.prompts import random_fingerprints
from simulator.scenario.campaign.conversations import MultiTurn, SingleTurn, Threads, Trajectories

__all__ = [
    "CONVERSATIONS",
    "Layout",
    "MultiTurnThreading",
    "SingleTurnThreading",
    "Threading",
    "converse",
    "interleave",
]


@dataclass(frozen=True)
class Layout:
    """The requests of ``turns.size`` conversations, conversation by conversation."""

    turns: np.ndarray
    """Requests per conversation (≥ 1)."""
    conversation: np.ndarray
    """Per request: its conversation (0 … conversations − 1), non-decreasing."""
    turn: np.ndarray
    """Per request: its turn (0 for the opening)."""
    first: np.ndarray
    """Per conversation: the row of its opening."""
    ids: np.ndarray
    """Per conversation: its opaque id (uint64, nonzero)."""

    @classmethod
    def build(cls, turns: np.ndarray, ids: np.ndarray) -> Layout:
        turns = np.asarray(turns, dtype=np.int64)
        n = int(turns.sum())
        first = np.r_[0, np.cumsum(turns)[:-1]].astype(np.int64) if turns.size else np.empty(0, dtype=np.int64)
        conversation = np.repeat(np.arange(turns.size), turns)
        turn = np.arange(n) - np.repeat(first, turns)
        return cls(turns, conversation, turn.astype(np.int64), first, ids)

    @property
    def n(self) -> int:
        """Number of requests."""
        return self.conversation.size

    @property
    def size(self) -> int:
        """Number of conversations."""
        return self.turns.size

    def spread(self, per_conversation: np.ndarray) -> np.ndarray:
        """A per-conversation column repeated over each conversation's requests."""
        return np.asarray(per_conversation)[self.conversation]

    def subset(self, conversations: np.ndarray) -> tuple[Layout, np.ndarray]:
        """The layout of the conversations where the mask ``conversations`` is true, and
        the mask of their requests (in this layout's order)."""
        requests = np.asarray(conversations, dtype=bool)[self.conversation]
        return Layout.build(self.turns[conversations], self.ids[conversations]), requests


class Threading:
    """How one campaign threads its requests (see the module docstring)."""

    def mean_turns(self) -> float:
        """Mean requests per conversation."""
        raise NotImplementedError

    def mean_context(self, first_input: float, output: float) -> float:
        """Mean input tokens per request added by follow-ups and their context."""
        raise NotImplementedError

    def layout(self, rng: np.random.Generator, n: int) -> Layout:
        """The layout of ``n`` new conversations (turns drawn, ids drawn)."""
        raise NotImplementedError

    def inputs(self, rng: np.random.Generator, layout: Layout, rendered: np.ndarray, output: np.ndarray) -> np.ndarray:
        """Input tokens of every request: the ``rendered`` prompt's size for openings,
        follow-ups with the context they carry."""
        raise NotImplementedError

    def times(self, rng: np.random.Generator, layout: Layout, starts: np.ndarray, response: np.ndarray) -> np.ndarray:
        """Send time (s) of every request, conversations opening at ``starts``;
        ``response`` is each request's response time (s)."""
        raise NotImplementedError


class SingleTurnThreading(Threading):
    """Every request a conversation of its own."""

    def __init__(self, spec: SingleTurn) -> None:
        self.spec = spec

    def mean_turns(self) -> float:
        return 1.0

    def mean_context(self, first_input: float, output: float) -> float:
        return 0.0

    def layout(self, rng: np.random.Generator, n: int) -> Layout:
        return Layout.build(np.ones(n, dtype=np.int64), random_fingerprints(rng, n))

    def inputs(self, rng: np.random.Generator, layout: Layout, rendered: np.ndarray, output: np.ndarray) -> np.ndarray:
        return rendered

    def times(self, rng: np.random.Generator, layout: Layout, starts: np.ndarray, response: np.ndarray) -> np.ndarray:
        return np.asarray(starts, dtype=np.float64)


class MultiTurnThreading(Threading):
    """Conversations that continue for a geometric number of turns (``threads`` and
    ``trajectories`` differ in their defaults only)."""

    def __init__(self, spec: MultiTurn) -> None:
        self.spec = spec

    def mean_turns(self) -> float:
        return self.spec.mean_turns()

    def mean_context(self, first_input: float, output: float) -> float:
        return self.spec.mean_context(first_input, output)

    def layout(self, rng: np.random.Generator, n: int) -> Layout:
        """Turns ``T = 1`` with probability ``single_turn_share``, else ``1 + G`` with
        ``G`` geometric of mean ``mean_extra_turns``; at most ``max_turns``."""
        spec = self.spec
        multi = rng.random(n) >= spec.single_turn_share
        turns = np.ones(n, dtype=np.int64)
        turns[multi] += rng.geometric(1.0 / spec.mean_extra_turns, size=int(multi.sum()))
        return Layout.build(np.minimum(turns, spec.max_turns), random_fingerprints(rng, n))

    def inputs(self, rng: np.random.Generator, layout: Layout, rendered: np.ndarray, output: np.ndarray) -> np.ndarray:
        """``growing``: ``x_k + Σ_{j<k}(x_j + o_j)`` with ``x_0`` the rendered prompt and
        ``x_k`` a follow-up; ``file``: ``x_0`` for the opening, ``x_0 + x_k`` after;
        capped at ``max_context``."""
        spec = self.spec
        follow = layout.turn > 0
        new = np.asarray(rendered, dtype=np.int64).copy()
        new[follow] = spec.follow_up_tokens.sample(rng, int(follow.sum()))
        if spec.context == "growing":
            sent = new + np.asarray(output, dtype=np.int64)
            before = np.cumsum(sent) - sent
            context = before - layout.spread(before[layout.first])
        else:
            context = np.where(follow, layout.spread(new[layout.first]), 0)
        return np.minimum(new + context, int(spec.max_context))

    def times(self, rng: np.random.Generator, layout: Layout, starts: np.ndarray, response: np.ndarray) -> np.ndarray:
        """``ts_k = ts_{k−1} + response_{k−1} + think_k`` from the opening at ``starts``."""
        n = layout.n
        gaps = np.zeros(n)
        if n > 1:
            gaps[1:] = np.asarray(response, dtype=np.float64)[:-1] + self.spec.think_time.sample(rng, n - 1)
        gaps[layout.first] = 0.0
        offsets = np.cumsum(gaps)
        offsets -= layout.spread(offsets[layout.first])
        return layout.spread(np.asarray(starts, dtype=np.float64)) + offsets


def _multi(spec: Threads | Trajectories) -> Threading:
    return MultiTurnThreading(spec)


CONVERSATIONS: dict[str, Callable[..., Threading]] = {
    "single_turn": SingleTurnThreading,
    "threads": _multi,
    "trajectories": _multi,
}
"""The threading of each ``conversations.kind``."""


def interleave(first: dict[str, np.ndarray], second: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    """Columns with ``first``'s rows where ``mask`` is true and ``second``'s elsewhere, in order."""
    out = {}
    for name, a in first.items():
        b = second[name]
        column = np.empty(mask.size, dtype=np.result_type(a, b))
        column[mask] = a
        column[~mask] = b
        out[name] = column
    return out


def converse(
    state: CampaignState,
    threading: Threading,
    timing: Any,
    rows: np.ndarray,
    counts: np.ndarray,
    layout: Layout,
    content: dict[str, np.ndarray],
    t0: float,
    t1: float,
) -> Requests:
    """The requests of one planning step's conversations: ``counts[i]`` opened by member
    ``rows[i]`` (``layout``: the conversations in that order, with rendered ``content``).
    Openings are placed by ``timing`` (from their response times,
    :meth:`~simulator.scenario.campaign.load.LoadPlan.response_times`), follow-ups are
    timed and given their context by ``threading``; requests after the campaign's end
    are dropped."""
    rng = state.rng
    load = state.spec.load
    response = load.response_times(content["output_tokens"])
    content = {
        **content,
        "input_tokens": threading.inputs(rng, layout, content["input_tokens"], content["output_tokens"]),
    }
    _, starts = schedule(timing, rng, rows, counts, t0, t1, response[layout.first])
    ts = threading.times(rng, layout, starts, response)
    who = layout.spread(np.repeat(rows, counts))
    requests = Requests(who, ts, content, layout.spread(layout.ids), layout.turn, layout.spread(starts))
    end = state.spec.end
    if end is None or ts.size == 0 or ts.max() < end:
        return requests
    keep = ts < end
    return Requests(
        who[keep],
        ts[keep],
        {name: column[keep] for name, column in content.items()},
        requests.conversation[keep],
        requests.turn[keep],
        requests.opened[keep],
    )
