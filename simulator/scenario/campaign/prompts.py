"""Prompt tactics: what a campaign asks, and how it changes over the campaign.

A :class:`PromptPlan` is a set of templates over the capability taxonomy
(:data:`simulator.prompts.TOPICS`: reasoning, coding, agentic tool use,
computer use, rubric grading, rewrites, vision, data analysis…), with

* **concentration**: template popularity follows a Zipf law (exponent
  ``concentration``) inside topic weights that may focus on a few areas;
* **paraphrase**: rendered prompts differ from their template's fingerprint by
  ``variation`` bit flips per bit (slot filling ≈ 0.03; paraphrasing to defeat
  similarity detectors ≈ 0.15-0.3; 0.5 is unrelated text);
* **chain-of-thought elicitation** (``cot_share``; answers ``cot_output_factor``
  times longer);
* **languages**: one per account, or drawn for every request (the same
  templates translated);
* **system prompts**: a handful of harness system prompts shared by the
  campaign.

``phases`` switch plans during a campaign: for example broad collection over
the taxonomy, then targeted reconstruction of reasoning traces.
"Censorship-safe rewrites" are ``rewrite`` prompts on policy-sensitive
subjects: a classifier labels them ``rewrite``.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
prompts highly repetitive in structure, concentrated on reasoning, coding,
agentic tool use, computer use, vision, data analysis and rubric-based grading,
eliciting step-by-step reasoning, generating censorship-safe rewrites.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.scenario.base import LanguageWeights, LogNormal, StrictModel, TopicWeights
from simulator.scenario.system_prompts import SystemPromptMix
from simulator.units import Duration

__all__ = ["PromptPhase", "PromptPlan"]


class PromptPlan(StrictModel):
    """Templates over the capability taxonomy, and how they are rendered."""

    topics: TopicWeights = Field(
        default_factory=lambda: {
            "reasoning": 4,
            "coding": 3,
            "agentic_tool_use": 2,
            "math": 2,
            "rubric_grading": 1,
            "rewrite": 1,
        },
        description="Weights over targeted capabilities (topics of the taxonomy).",
    )
    templates: int = Field(default=200, ge=1, description="Number of prompt templates.")
    concentration: float = Field(
        default=1.0, ge=0, description="Zipf exponent of template popularity (0: uniform; larger: a few dominate)."
    )
    variation: float = Field(
        default=0.04,
        ge=0,
        le=0.5,
        description="Bit-flip probability of rendered fingerprints: 0.03 slot filling, 0.15-0.3 paraphrasing.",
    )
    cot_share: float = Field(default=0.8, ge=0, le=1, description="Share of prompts eliciting chain-of-thought.")
    cot_output_factor: float = Field(
        default=1.5, ge=1, description="Answers to chain-of-thought prompts are this many times longer."
    )
    languages: LanguageWeights = Field(default_factory=lambda: {"en": 1.0}, description="Weights over languages.")
    language_mix: Literal["account", "request"] = Field(
        default="account",
        description="Draw the language once per account, or for every request (templates translated).",
    )
    system_prompts: int = Field(default=3, ge=1, description="Harness system prompts shared by the campaign.")
    no_system_prompt_share: float = Field(
        default=0.15, ge=0, le=1, description="Share of requests sent without a system prompt."
    )
    stock_system_prompt_share: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="Share sent with a stock SDK or framework prompt (the rest carry a harness prompt).",
    )
    input_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=450, sigma=0.7, min=20, max=32_000),
        description="Input tokens per request.",
    )
    output_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=900, sigma=0.7, min=20, max=16_000),
        description="Output tokens per response (before the chain-of-thought factor and max_tokens).",
    )
    max_tokens: int = Field(default=8192, ge=1, description="max_tokens sent with every request.")

    @model_validator(mode="after")
    def _system_prompt_shares_fit(self) -> PromptPlan:
        shares = self.no_system_prompt_share + self.stock_system_prompt_share
        if shares > 1.0 + 1e-9:
            raise ValueError(f"no_system_prompt_share + stock_system_prompt_share must be at most 1, got {shares:g}")
        return self

    def system_prompt_mix(self) -> SystemPromptMix:
        """None, a stock prompt, or one of exactly ``system_prompts`` harness prompts."""
        count = self.system_prompts
        return SystemPromptMix(
            none_share=self.no_system_prompt_share,
            stock_share=self.stock_system_prompt_share,
            prompts=LogNormal(median=count, sigma=0, min=count, max=count),
        )

    def mean_tokens(self) -> tuple[float, float]:
        """Mean (input, output) tokens per request, for planning under token limits."""
        output = self.output_tokens.mean * (1 + self.cot_share * (self.cot_output_factor - 1))
        return self.input_tokens.mean, min(output, float(self.max_tokens))


class PromptPhase(PromptPlan):
    """A later phase of the campaign with its own prompt plan."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Phase name, e.g. 'trace-reconstruction'.")
    after: Duration = Field(description="When the phase begins, counted from the campaign start, e.g. '5d'.")
