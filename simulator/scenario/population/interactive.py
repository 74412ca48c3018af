"""Interactive archetypes: people and agents in sessions (conversations).

* ``chat``: casual chat users in a product or their own scripts; a few short
  conversations a day, mostly single requests, evenings and weekends included.
* ``power_user``: professionals living in the assistant: many longer sessions a
  day, pasted documents, reasoning and coding, step-by-step answers.
* ``coding_assistant``: developers' IDE assistants; bursts of many short
  completions over large file context while someone codes, in working hours.
* ``agent``: agent frameworks running tool loops: many turns seconds apart, each
  resending a growing context (tool schemas, tool results), templated prompts,
  around the clock from servers.

The actor that runs them is :class:`simulator.population.interactive.InteractiveGroup`.

Calibrated defaults (``extractbench calibrate``, ``docs/calibration.md``): chat
output lengths and session structure as in :mod:`~simulator.scenario.population.sessions`;
coding input and output lengths from the Azure 2023 code trace (input: a body at
median 1,891 tokens, σ 0.79, plus 21% short prompts near 148, σ 1.02; output: a
body at median 10.5, σ 0.37, plus 33% longer completions near 37, σ 0.88); agent
output lengths from the Mooncake trace (median 412, σ 0.35, plus 33% short
replies near 49, σ 1.61).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.scenario.base import AgeRange, EmailStyleWeights, LogNormal, PathwayWeights
from simulator.scenario.lengths import Mode, TokenLengths
from simulator.scenario.population.base import (
    AccessWeights,
    Egress,
    ModelUse,
    NetworkWeights,
    Reasoning,
    Rhythmic,
)
from simulator.scenario.population.sessions import SessionShape
from simulator.scenario.system_prompts import SystemPromptMix
from simulator.units import DAY, Duration, Rate

__all__ = ["AgentFrameworks", "ChatUsers", "CodingAssistants", "Interactive", "PowerUsers"]


class Interactive(Rhythmic):
    """Fields of every session-based archetype."""

    sessions_per_day: Rate = Field(description="Median sessions per account per day, e.g. '3/day'.")
    session: SessionShape = Field(default_factory=SessionShape, description="Shape of one session.")


class ChatUsers(Interactive):
    """Casual chat users: a few conversations a day, mostly single requests."""

    kind: Literal["chat"] = Field(description="Casual chat users.")
    sessions_per_day: Rate = Field(default=2.0 / DAY, description="Median sessions per account per day.")
    volume_sigma: float = Field(default=2.27, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    peak_hour: float = Field(default=17.0, ge=0, lt=24, description="Local hour of peak activity (fit: 17.3).")
    peak_to_trough: float = Field(default=4.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.8, ge=0, description="Weekend activity relative to weekdays.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {
            "direct": 0.85,
            "education": 0.07,
            "startup": 0.02,
            "marketplace": 0.02,
            "enterprise": 0.02,
            "research": 0.02,
        },
        description="Weights over sign-up pathways (students through education programmes).",
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"freemail": 0.68, "corporate": 0.15, "edu": 0.13, "disposable": 0.04},
        description="Weights over e-mail styles (students' university addresses, privacy and throwaway inboxes).",
    )
    verified_share: float = Field(default=0.8, ge=0, le=1, description="Share of accounts with verified identity.")
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.1),
        description="How accounts spread their traffic over models (pinned, mixed).",
    )
    reasoning: Reasoning = Field(
        default_factory=lambda: Reasoning(share=0.02),
        description="Accounts running a reasoning model: thinking tokens in their outputs.",
    )


def _power_session() -> SessionShape:
    return SessionShape(
        # the chat fit plus long-form answers: reports, documents, whole files
        output_tokens=TokenLengths(
            median=100,
            sigma=0.77,
            min=1,
            max=16_000,
            modes=[Mode(share=0.31, median=406, sigma=0.05), Mode(share=0.1, median=1800, sigma=0.5)],
        ),
        single_turn_share=0.5,
        mean_extra_turns=4,
        think_time=LogNormal(median=60, sigma=1.3, min=1, max=3600),
        input_tokens=TokenLengths(median=900, sigma=1.2, min=5, max=150_000),
        system_prompt_tokens=TokenLengths(median=400, sigma=1.0, min=0, max=20_000),
        context_budget=None,
        topics={
            "coding": 2,
            "reasoning": 1.5,
            "data_analysis": 1.5,
            "general_qa": 1.5,
            "summarization": 1,
            "creative_writing": 1,
            "math": 1,
            "rewrite": 1,
            "information_extraction": 0.5,
            "translation": 0.5,
        },
        topic_focus=0.5,
        cot_share=0.25,
        templated_share=0.1,
    )


class PowerUsers(Interactive):
    """Professionals who live in the assistant: many long sessions, documents, reasoning."""

    kind: Literal["power_user"] = Field(description="Power users.")
    sessions_per_day: Rate = Field(default=10.0 / DAY, description="Median sessions per account per day.")
    session: SessionShape = Field(default_factory=_power_session, description="Shape of one session.")
    volume_sigma: float = Field(default=1.5, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    peak_hour: float = Field(default=15.0, ge=0, lt=24, description="Local hour of peak activity.")
    peak_to_trough: float = Field(default=4.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.5, ge=0, description="Weekend activity relative to weekdays.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {
            "direct": 0.72,
            "enterprise": 0.08,
            "startup": 0.07,
            "education": 0.05,
            "research": 0.05,
            "marketplace": 0.03,
        },
        description="Weights over sign-up pathways.",
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"corporate": 0.55, "freemail": 0.33, "edu": 0.09, "disposable": 0.03},
        description="Weights over e-mail styles (researchers and students at universities among them).",
    )
    account_age: AgeRange = Field(
        default_factory=lambda: AgeRange(min=7 * DAY, max=2 * 365 * DAY), description="Account age at the start."
    )
    networks: NetworkWeights = Field(
        default_factory=lambda: {"corporate": 0.5, "residential": 0.4, "mobile": 0.1},
        description="Weights over the kinds of network customers connect from.",
    )
    egress: Egress = Field(
        default_factory=lambda: Egress(home_abroad=0.08),
        description="Further addresses the account's traffic leaves from (offices, corporate VPNs, travel).",
    )
    browser_share: float = Field(default=0.3, ge=0, le=1, description="Share of accounts using a browser client.")
    adoption: Duration = Field(
        default=2 * DAY, gt=0, description="Mean delay before an account moves to a newly released model."
    )
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.35),
        description="How accounts spread their traffic over models (a flagship for hard tasks, a cheap one else).",
    )
    reasoning: Reasoning = Field(
        default_factory=lambda: Reasoning(share=0.3),
        description="Accounts running a reasoning model: thinking tokens in their outputs.",
    )


def _coding_session() -> SessionShape:
    return SessionShape(
        single_turn_share=0.15,
        mean_extra_turns=25,
        max_turns=300,
        think_time=LogNormal(median=1.5, sigma=1.5, min=0.1, max=900),
        input_tokens=TokenLengths(
            median=1891, sigma=0.79, min=5, max=100_000, modes=[Mode(share=0.21, median=148, sigma=1.02)]
        ),
        output_tokens=TokenLengths(
            median=10.5, sigma=0.37, min=1, max=4000, modes=[Mode(share=0.33, median=37, sigma=0.88)]
        ),
        carry_context=False,
        context_budget=None,
        system_prompt_tokens=None,
        max_tokens=[256, 512, 1024],
        # the IDE extension sends its own prompt; everyone on one build shares it
        system_prompts=SystemPromptMix(none_share=0.05, stock_share=0.05, client_share=0.7),
        topics={"coding": 10, "agentic_tool_use": 1, "general_qa": 0.5},
        topic_focus=0.2,
        cot_share=0.02,
        templated_share=0.6,
        template_variation=0.12,
    )


class CodingAssistants(Interactive):
    """Developers' IDE assistants: bursts of short completions over file context."""

    kind: Literal["coding_assistant"] = Field(description="Coding assistants in IDEs.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {
            "direct": 0.68,
            "startup": 0.1,
            "enterprise": 0.08,
            "education": 0.08,
            "marketplace": 0.04,
            "research": 0.02,
        },
        description="Weights over sign-up pathways (students, start-up credits, company contracts).",
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"freemail": 0.45, "corporate": 0.42, "edu": 0.1, "disposable": 0.03},
        description="Weights over e-mail styles.",
    )
    verified_share: float = Field(default=0.85, ge=0, le=1, description="Share of accounts with verified identity.")
    egress: Egress = Field(
        default_factory=lambda: Egress(home_abroad=0.1),
        description="Further addresses the traffic leaves from (offices, corporate VPNs, cloud development boxes).",
    )
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.3),
        description="How accounts spread their traffic over models (completions on a cheap model, chat on a flagship).",
    )
    sessions_per_day: Rate = Field(default=3.0 / DAY, description="Median coding bursts per account per day.")
    session: SessionShape = Field(
        default_factory=_coding_session, description="Shape of one coding burst (token lengths: Azure 2023 code fit)."
    )
    volume_sigma: float = Field(default=1.8, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")
    peak_hour: float = Field(default=15.0, ge=0, lt=24, description="Local hour of peak activity.")
    peak_to_trough: float = Field(default=4.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.3, ge=0, description="Weekend activity relative to weekdays.")
    adoption: Duration = Field(
        default=3 * DAY, gt=0, description="Mean delay before an account moves to a newly released model."
    )


def _agent_session() -> SessionShape:
    return SessionShape(
        single_turn_share=0.1,
        mean_extra_turns=12,
        max_turns=200,
        think_time=LogNormal(median=4, sigma=1.5, min=0.2, max=600),
        input_tokens=TokenLengths(median=300, sigma=1.2, min=5, max=100_000),
        # the Mooncake fit plus files and reports written in one turn
        output_tokens=TokenLengths(
            median=412,
            sigma=0.35,
            min=1,
            max=16_000,
            modes=[Mode(share=0.33, median=49, sigma=1.61), Mode(share=0.05, median=2500, sigma=0.6)],
        ),
        carry_context=True,
        context_budget=None,
        system_prompt_tokens=TokenLengths(median=1500, sigma=0.6, min=200, max=60_000),
        max_tokens=[4096, 8192],
        # the framework's built-in agent prompt, or the account's own agents'
        system_prompts=SystemPromptMix(
            none_share=0.02, stock_share=0.1, client_share=0.4, prompts=LogNormal(median=4, sigma=1.0, min=1, max=200)
        ),
        topics={
            "agentic_tool_use": 5,
            "coding": 3,
            "computer_use": 1,
            "data_analysis": 1,
            "information_extraction": 1,
            "reasoning": 1,
        },
        topic_focus=0.6,
        cot_share=0.3,
        templated_share=0.6,
        template_variation=0.15,
    )


class AgentFrameworks(Interactive):
    """Agent frameworks: tool loops of many turns over long, growing contexts."""

    kind: Literal["agent"] = Field(description="Agent frameworks running tool loops.")
    egress: Egress = Field(
        default_factory=lambda: Egress(pool=6.0, share=0.5, abroad=0.25, home_abroad=0.35),
        description="Further addresses the traffic leaves from (cloud workers, in several regions, often in "
        "another country's).",
    )
    sessions_per_day: Rate = Field(default=6.0 / DAY, description="Median agent runs per account per day.")
    session: SessionShape = Field(
        default_factory=_agent_session, description="Shape of one agent run (output lengths: Mooncake fit)."
    )
    volume_sigma: float = Field(default=2.0, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    peak_to_trough: float = Field(default=2.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.7, ge=0, description="Weekend activity relative to weekdays.")
    org_size: int = Field(default=2, ge=1, description="Accounts per organisation.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {
            "direct": 0.5,
            "startup": 0.22,
            "marketplace": 0.14,
            "enterprise": 0.09,
            "research": 0.03,
            "education": 0.02,
        },
        description="Weights over sign-up pathways (start-up credit programmes, cloud marketplaces).",
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"corporate": 0.72, "freemail": 0.2, "edu": 0.05, "disposable": 0.03},
        description="Weights over e-mail styles.",
    )
    account_age: AgeRange = Field(
        default_factory=lambda: AgeRange(min=3 * DAY, max=540 * DAY), description="Account age at the start."
    )
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.4),
        description="How accounts spread their traffic over models (sub-tasks routed to a cheap model).",
    )
    reasoning: Reasoning = Field(
        default_factory=lambda: Reasoning(share=0.15),
        description="Accounts running a reasoning model: thinking tokens in their outputs.",
    )
    networks: NetworkWeights = Field(
        default_factory=lambda: {"datacenter": 0.8, "corporate": 0.2},
        description="Weights over the kinds of network customers connect from.",
    )
    access_pathways: AccessWeights = Field(
        default_factory=lambda: {"direct_api": 0.7, "cloud_marketplace": 0.3},
        description="Weights over how requests reach the API.",
    )
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")
    adoption: Duration = Field(
        default=3 * DAY, gt=0, description="Mean delay before an account moves to a newly released model."
    )
