"""Single-turn API integrations: product backends calling the API for their users.

The most common shape of API traffic in production is neither a person chatting
nor a nightly batch: it is a product's backend calling the model once per user
action (summarise this ticket, classify this message, draft this e-mail, extract
these fields, answer this search). Seen from the provider, such an account sends

* **single-turn requests**: every request is a new conversation (turn 0); the
  product keeps whatever state it needs;
* **per feature**: each of the product's features has its own system prompt, its
  own prompt template around the user's content, its own topic and its own output
  length, from a few tokens (labels) to thousands (reports, documents);
* **one pinned model** per feature (most accounts: one model for all; some route a
  cheap feature to a cheap model);
* **at a steady rate that follows its users**: the product's users' daily rhythm,
  smoothed by their number, with the bursty ten-minute arrivals ServeGen measures
  for its clients (who are such applications);
* **from servers**: cloud or datacenter addresses, often in another country's
  cloud region than the company's, through the SDK.

An account's traffic: requests at an expected rate ``requests_per_day · activity ·
rhythm · burst`` (see :class:`~simulator.scenario.population.base.Rhythmic`); each
request is for feature ``⌊F · u²⌋`` of the account's ``F`` features (``u``
uniform: the first features are the busiest). A feature's median output length is
drawn once from ``feature_output`` and each request's from a log-normal of σ
``output_spread`` around it; likewise for inputs. The actor is
:class:`simulator.population.integration.IntegrationGroup`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulator.scenario.base import AgeRange, EmailStyleWeights, LogNormal, PathwayWeights, TopicWeights
from simulator.scenario.population.base import (
    AccessWeights,
    Egress,
    ModelUse,
    NetworkWeights,
    Reasoning,
    Rhythmic,
)
from simulator.scenario.system_prompts import SystemPromptMix
from simulator.units import DAY, Duration, Rate

__all__ = ["ApiIntegrations"]


class ApiIntegrations(Rhythmic):
    """Product backends: single-turn requests per feature, pinned models, from servers."""

    kind: Literal["api_integration"] = Field(description="Product backends calling the API for their users.")
    requests_per_day: Rate = Field(
        default=300.0 / DAY, gt=0, description="Median requests per account per day, e.g. '300/day'."
    )
    features: LogNormal = Field(
        default_factory=lambda: LogNormal(median=3, sigma=0.7, min=1, max=40),
        description="Features per account (each its own system prompt, template, topic and output length).",
    )
    feature_output: LogNormal = Field(
        default_factory=lambda: LogNormal(median=220, sigma=1.1, min=3, max=8000),
        description="Median output tokens of one feature, across features (labels to reports).",
    )
    output_spread: float = Field(
        default=0.5, ge=0, le=3, description="Log-normal sigma of a request's output tokens around its feature's."
    )
    feature_input: LogNormal = Field(
        default_factory=lambda: LogNormal(median=700, sigma=1.0, min=20, max=100_000),
        description="Median input tokens of one feature (system prompt, template and user content), across features.",
    )
    input_spread: float = Field(
        default=0.6, ge=0, le=3, description="Log-normal sigma of a request's input tokens around its feature's."
    )
    max_tokens: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=lambda: [256, 512, 1024, 2048, 4096, 8192, 16_384],
        min_length=1,
        description="max_tokens values a feature chooses from: the smallest at least three times its median "
        "output (the largest if none is).",
    )
    topics: TopicWeights = Field(
        default_factory=lambda: {
            "customer_support": 2,
            "summarization": 2,
            "information_extraction": 2,
            "classification": 1.5,
            "general_qa": 1.5,
            "rewrite": 1,
            "translation": 1,
            "creative_writing": 1,
            "coding": 0.5,
            "data_analysis": 0.5,
            "reasoning": 0.5,
        },
        description="Weights over the topics of features.",
    )
    templated_share: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="Share of features that wrap the user's content in a prompt template (the rest pass it through).",
    )
    template_variation: float = Field(
        default=0.12, ge=0, le=0.5, description="Bit-flip probability of a templated feature's prompt fingerprints."
    )
    cot_share: float = Field(
        default=0.05, ge=0, le=1, description="Share of features whose prompt asks for step-by-step reasoning."
    )
    system_prompts: SystemPromptMix = Field(
        default_factory=lambda: SystemPromptMix(
            none_share=0.05, stock_share=0.05, prompts=LogNormal(median=1, sigma=0, min=1, max=1)
        ),
        description="Where each feature's system prompt comes from (drawn once per feature; 'prompts' counts a "
        "feature's own prompt versions).",
    )
    volume_sigma: float = Field(default=1.8, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    peak_hour: float = Field(default=14.0, ge=0, lt=24, description="Local hour of peak activity (its users').")
    peak_to_trough: float = Field(
        default=2.5, ge=1, description="Ratio of peak to trough hourly activity (users in several time zones)."
    )
    weekend_factor: float = Field(default=0.75, ge=0, description="Weekend activity relative to weekdays.")
    org_size: int = Field(default=2, ge=1, description="Accounts per organisation.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {
            "direct": 0.45,
            "startup": 0.28,
            "marketplace": 0.15,
            "enterprise": 0.1,
            "education": 0.01,
            "research": 0.01,
        },
        description="Weights over sign-up pathways (start-up credit programmes, cloud marketplaces, contracts).",
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"corporate": 0.7, "freemail": 0.24, "edu": 0.03, "disposable": 0.03},
        description="Weights over e-mail styles.",
    )
    verified_share: float = Field(default=0.92, ge=0, le=1, description="Share of accounts with verified identity.")
    account_age: AgeRange = Field(
        default_factory=lambda: AgeRange(min=7 * DAY, max=2 * 365 * DAY), description="Account age at the start."
    )
    networks: NetworkWeights = Field(
        default_factory=lambda: {"datacenter": 0.9, "corporate": 0.1},
        description="Weights over the kinds of network the backend runs on.",
    )
    egress: Egress = Field(
        default_factory=lambda: Egress(pool=8.0, share=0.7, abroad=0.15, home_abroad=0.4),
        description="Further addresses the traffic leaves from (workers behind autoscaling, often in another "
        "country's cloud region).",
    )
    access_pathways: AccessWeights = Field(
        default_factory=lambda: {"direct_api": 0.7, "cloud_marketplace": 0.3},
        description="Weights over how requests reach the API.",
    )
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")
    adoption: Duration = Field(
        default=14 * DAY,
        gt=0,
        description="Mean delay before an account moves to a newly released model (products test before switching).",
    )
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.3, mixed_traffic=(0.2, 0.6)),
        description="How accounts spread their features over models (a cheap model for some features).",
    )
    reasoning: Reasoning = Field(
        default_factory=lambda: Reasoning(share=0.15),
        description="Accounts whose product runs a reasoning model: thinking tokens in their outputs.",
    )
