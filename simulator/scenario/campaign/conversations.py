"""Conversation tactics: how a campaign's requests are grouped into conversations.

A campaign's load plan (:mod:`.load`) says how many *requests* each account
sends; this family says how they are threaded. Every conversation opens with a
rendered prompt (turn 0); in multi-turn kinds a share ``1 − single_turn_share``
of conversations continues for ``G`` more turns, ``G`` geometric with mean
``mean_extra_turns`` (at most ``max_turns`` turns in all). Turn ``k ≥ 1`` is sent

    ts_k = ts_{k−1} + latency + output_{k−1} / output_speed + think_k

after the previous one (the answer's generation time from the load plan, then a
log-normal ``think_time``), and carries the context so far:

* ``context: growing``: ``input_k = follow_up_k + Σ_{j<k} (input_j' + output_j)``,
  every earlier message resent (chat, tool loops); with a first input ``a``,
  follow-ups ``f`` and answers ``o`` on average, ``input_k ≈ a + k·(f + o)``;
* ``context: file``: ``input_k = input_0 + follow_up_k``: the same document
  (a source file) resent with each new instruction, answers not kept.

Inputs are capped at ``max_context`` tokens (the model's window). So that the
planned requests per account stay as planned, an account starts
``rate / E[T]`` conversations, ``E[T] = 1 + (1 − s)·m`` requests per
conversation (``s`` the single-turn share, ``m`` the mean extra turns).

Kinds:

* ``single_turn``: every request is a conversation of its own (a harness that
  never follows up);
* ``threads`` (default): multi-turn harvesting with follow-ups and corrections.
  The defaults are the chat customers' (Mooncake conversation trace: 70% of
  conversations a single request, 1.85 more requests on average in the others,
  a median think time of about 115 s; see
  :mod:`simulator.scenario.population.sessions`), so that a campaign left on
  defaults is not told apart by its conversation columns;
* ``trajectories``: agentic tool-use and coding sessions: many turns seconds
  apart (the tool's or the test run's time), each over a growing context or the
  same file (defaults from the agent customers' sessions).

Follow-ups of a templated prompt are harvest too: every turn of a conversation
opened by a template carries that template's id (hidden truth) and topic, its
prompt fingerprint is rendered from the same template (the harness's scripted
follow-up), and its answer counts toward the goal like the opening's.

Sources: Mooncake conversation trace (Qin et al., "Mooncake: A KVCache-centric
Disaggregated Architecture for LLM Serving", FAST 2025; the trace's
conversations fitted by ``extractbench calibrate``, ``docs/calibration.md``);
Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
prompts for agentic tool use, coding and computer use, the multi-step
trajectories agents produce.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulator.scenario.base import LogNormal, StrictModel
from simulator.units import Count

__all__ = ["Conversations", "MultiTurn", "SingleTurn", "Threads", "Trajectories"]


class SingleTurn(StrictModel):
    """Every request opens a conversation of its own (turn 0)."""

    kind: Literal["single_turn"] = Field(description="Every request a new conversation.")

    def mean_turns(self) -> float:
        """Requests per conversation: 1."""
        return 1.0

    def mean_context(self, first_input: float, output: float) -> float:
        """Mean input tokens per request added by follow-ups: none."""
        return 0.0


class MultiTurn(StrictModel):
    """Fields of every multi-turn kind (see the module docstring for the formulas)."""

    single_turn_share: float = Field(
        default=0.70, ge=0, le=1, description="Share of conversations with a single request (Mooncake: 0.704)."
    )
    mean_extra_turns: float = Field(
        default=1.85,
        ge=1,
        description="Mean number of turns after the first in multi-turn conversations (geometric; Mooncake: 1.85).",
    )
    max_turns: int = Field(default=50, ge=1, description="Longest conversation, in turns.")
    think_time: LogNormal = Field(
        default_factory=lambda: LogNormal(median=115, sigma=0.93, min=1, max=3600),
        description="Seconds between receiving an answer and sending the next turn (Mooncake: median 115 s).",
    )
    follow_up_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=60, sigma=1.0, min=2, max=8000),
        description="New input tokens of a follow-up turn (a correction, a request to continue or elaborate), "
        "before the context.",
    )
    context: Literal["growing", "file"] = Field(
        default="growing",
        description="What a follow-up resends: every earlier message ('growing'), or the opening's input only "
        "('file': the same document with a new instruction).",
    )
    max_context: Count = Field(
        default=200_000, description="Most input tokens one request carries (the model's context window)."
    )

    def mean_turns(self) -> float:
        """Requests per conversation: ``E[T] = 1 + (1 − s)·m`` (before ``max_turns``)."""
        return 1.0 + (1.0 - self.single_turn_share) * self.mean_extra_turns

    def mean_context(self, first_input: float, output: float) -> float:
        """Mean input tokens per request added by follow-ups and their context, for
        planning (before ``max_turns`` and ``max_context``). With ``a`` the first
        input, ``f`` the mean follow-up, ``o`` the mean answer, ``s`` and ``m`` as in
        :meth:`mean_turns` (``E[T(T−1)/2] = (1 − s)·m²`` for ``T − 1`` geometric):

        * growing: ``input_k = a + k·(f + o)``, so per request ``(f + o)·(1 − s)·m² / E[T]``;
        * file: ``input_k = a + f`` for ``k ≥ 1``, so per request ``f·(1 − s)·m / E[T]``.
        """
        s, m = self.single_turn_share, self.mean_extra_turns
        f = self.follow_up_tokens.mean
        if self.context == "growing":
            return (f + output) * (1.0 - s) * m**2 / self.mean_turns()
        return f * (1.0 - s) * m / self.mean_turns()


class Threads(MultiTurn):
    """Multi-turn harvesting: follow-ups and corrections after a person-like think time."""

    kind: Literal["threads"] = Field(description="Conversations with follow-ups (defaults: chat customers').")


class Trajectories(MultiTurn):
    """Agentic and coding sessions: many turns seconds apart over a growing context or a file."""

    kind: Literal["trajectories"] = Field(description="Agent and coding sessions: many quick turns.")
    single_turn_share: float = Field(
        default=0.1, ge=0, le=1, description="Share of sessions with a single request (agent customers: 0.1)."
    )
    mean_extra_turns: float = Field(
        default=12.0, ge=1, description="Mean number of turns after the first (geometric; agent customers: 12)."
    )
    max_turns: int = Field(default=200, ge=1, description="Longest session, in turns.")
    think_time: LogNormal = Field(
        default_factory=lambda: LogNormal(median=4, sigma=1.5, min=0.2, max=600),
        description="Seconds between an answer and the next turn: running the tool or the tests.",
    )
    follow_up_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=300, sigma=1.2, min=5, max=100_000),
        description="New input tokens of a turn: a tool result, a test log, an edit.",
    )


Conversations = Annotated[SingleTurn | Threads | Trajectories, Field(discriminator="kind")]
"""How requests are grouped into conversations, chosen by ``kind``."""
