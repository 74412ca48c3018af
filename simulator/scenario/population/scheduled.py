"""Scheduled archetypes: jobs of many single-turn templated requests at a flat rate.

* ``batch``: enterprise pipelines; a nightly job of hundreds to thousands of
  templated, single-turn requests at a flat rate (1 request/s by default, or
  ``limit_fraction`` of the account's limit when that is lower).
* ``eval_harness``: evaluation and benchmark runs; suites of public-benchmark
  items across many capabilities, with chain-of-thought, shared templates across
  teams, and a run soon after every model release (the same shape as a
  model-pivot attack).
* ``data_labelling``: data-labelling and synthetic-data businesses; many large
  templated jobs a day, around the clock, across classification, extraction,
  grading, rewriting and reasoning traces. Legitimately high volume and
  repetitive: the closest legitimate look-alike of an extraction campaign.

The actor that runs them is :class:`simulator.population.scheduled.JobGroup`.
"""

from __future__ import annotations

from typing import Literal

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

__all__ = ["BatchJobs", "DataLabelling", "EvalHarness", "Scheduled"]


class Scheduled(Rhythmic):
    """Fields of every job-based archetype."""

    requests_per_job: LogNormal = Field(description="Requests in one job.")
    request_rate: Rate = Field(default=1.0, gt=0, description="Requests per second a job sends at most, e.g. '60/min'.")
    limit_fraction: float = Field(
        default=0.7, gt=0, le=1, description="Jobs send at most this fraction of the account's request limit."
    )
    input_tokens: LogNormal = Field(description="Input tokens per request.")
    output_tokens: LogNormal = Field(description="Output tokens per request.")
    max_tokens: int = Field(default=4096, ge=1, description="max_tokens sent with every request.")
    topics: TopicWeights = Field(description="Weights over topics of the templates.")
    templates: int = Field(default=4, ge=1, description="Templates per account (batch) or in the suite (evaluation).")
    template_variation: float = Field(
        default=0.03, ge=0, le=0.5, description="Bit-flip probability of rendered prompt fingerprints."
    )
    cot_share: float = Field(
        default=0.0, ge=0, le=1, description="Share of requests asking for step-by-step reasoning."
    )
    cot_output_factor: float = Field(
        default=2.0, ge=1, description="Answers to step-by-step requests are this many times longer."
    )
    job_output_sigma: float = Field(
        default=0.4,
        ge=0,
        le=3,
        description="Log-normal sigma of a job's output-length factor: one job classifies, another writes documents.",
    )
    system_prompts: SystemPromptMix = Field(
        default_factory=lambda: SystemPromptMix(none_share=0.3, stock_share=0.1),
        description="Where jobs' system prompts come from (one per job): none, stock, or the account's own.",
    )
    start_hours: tuple[float, float] = Field(default=(0.0, 6.0), description="Local hours between which jobs start.")
    volume_sigma: float = Field(default=0.8, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    egress: Egress = Field(
        default_factory=lambda: Egress(pool=6.0, share=0.6, abroad=0.25, home_abroad=0.3),
        description="Further addresses the traffic leaves from (workers behind autoscaling, in several cloud regions, "
        "often in another country's).",
    )

    def mean_output_tokens(self) -> float:
        """Mean output tokens per request before max_tokens: the log-normal mean times
        the mean job factor ``exp(job_output_sigma² / 2)`` and the chain-of-thought factor."""
        import numpy as np  # here, not at import: validating a scenario file needs no numpy

        cot = 1.0 + self.cot_share * (self.cot_output_factor - 1.0)
        return self.output_tokens.mean * float(np.exp(self.job_output_sigma**2 / 2)) * cot

    def daily_jobs(self) -> float:
        """Expected jobs per account per day."""
        raise NotImplementedError

    def shared_suite(self) -> bool:
        """Whether all accounts draw items from one shared suite (else: own templates per job)."""
        return False

    def runs_on_release(self) -> bool:
        """Whether every model release starts a job on the new model."""
        return False


class BatchJobs(Scheduled):
    """Enterprise batch pipelines: nightly templated jobs at a flat rate."""

    kind: Literal["batch"] = Field(description="Enterprise batch jobs.")
    jobs_per_day: float = Field(default=1.0, ge=0, description="Jobs per account per day (scheduled plus ad hoc).")
    requests_per_job: LogNormal = Field(
        default_factory=lambda: LogNormal(median=800, sigma=1.0, min=10, max=500_000),
        description="Requests in one job.",
    )
    input_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=1200, sigma=0.8, min=20, max=150_000),
        description="Input tokens per request.",
    )
    output_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=120, sigma=0.9, min=1, max=8000),
        description="Output tokens per request.",
    )
    topics: TopicWeights = Field(
        default_factory=lambda: {
            "classification": 2,
            "information_extraction": 2,
            "summarization": 2,
            "translation": 1,
            "rewrite": 1,
            "customer_support": 1,
        },
        description="Weights over topics of the pipelines' templates.",
    )
    org_size: int = Field(default=4, ge=1, description="Accounts per organisation.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {"enterprise": 0.45, "direct": 0.25, "marketplace": 0.22, "startup": 0.08},
        description="Weights over sign-up pathways (enterprise contracts, cloud marketplaces).",
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"corporate": 0.95, "freemail": 0.04, "edu": 0.01},
        description="Weights over e-mail styles.",
    )
    verified_share: float = Field(default=0.97, ge=0, le=1, description="Share of accounts with verified identity.")
    account_age: AgeRange = Field(
        default_factory=lambda: AgeRange(min=30 * DAY, max=3 * 365 * DAY), description="Account age at the start."
    )
    networks: NetworkWeights = Field(
        default_factory=lambda: {"datacenter": 0.7, "corporate": 0.3},
        description="Weights over the kinds of network customers connect from.",
    )
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.15),
        description="How accounts spread their jobs over models (one pipeline on a cheaper model).",
    )
    reasoning: Reasoning = Field(
        default_factory=lambda: Reasoning(share=0.05),
        description="Accounts whose pipelines run a reasoning model: thinking tokens in their outputs.",
    )
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")
    adoption: Duration = Field(
        default=30 * DAY,
        gt=0,
        description="Mean delay before an account moves to a newly released model (pipelines pin versions).",
    )

    def daily_jobs(self) -> float:
        return self.jobs_per_day


class EvalHarness(Scheduled):
    """Evaluation teams running benchmark suites, also right after model releases."""

    kind: Literal["eval_harness"] = Field(description="Evaluation and benchmark harnesses.")
    runs_per_week: float = Field(default=2.0, ge=0, description="Scheduled suite runs per account per week.")
    release_runs: bool = Field(default=True, description="Whether every model release triggers a run on it.")
    release_delay: LogNormal = Field(
        default_factory=lambda: LogNormal(median=6 * 3600, sigma=0.8, min=600, max=5 * DAY),
        description="Seconds from a release to the run on the new model.",
    )
    requests_per_job: LogNormal = Field(
        default_factory=lambda: LogNormal(median=3000, sigma=0.7, min=50, max=100_000),
        description="Benchmark items in one run.",
    )
    input_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=700, sigma=0.9, min=20, max=64_000),
        description="Input tokens per item.",
    )
    output_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=600, sigma=1.0, min=1, max=16_000),
        description="Output tokens per item.",
    )
    topics: TopicWeights = Field(
        default_factory=lambda: {
            "reasoning": 2,
            "math": 2,
            "coding": 2,
            "general_qa": 1.5,
            "agentic_tool_use": 1,
            "rubric_grading": 0.5,
            "data_analysis": 0.5,
            "vision": 0.3,
            "translation": 0.3,
            "summarization": 0.3,
            "creative_writing": 0.2,
        },
        description="Weights over capabilities covered by the suite.",
    )
    templates: int = Field(default=24, ge=1, description="Benchmarks in the suite (shared by every account).")
    cot_share: float = Field(default=0.7, ge=0, le=1, description="Share of items asking for step-by-step reasoning.")
    job_output_sigma: float = Field(
        default=0.6, ge=0, le=3, description="Log-normal sigma of a run's output-length factor (benchmarks differ)."
    )
    system_prompts: SystemPromptMix = Field(
        default_factory=lambda: SystemPromptMix(none_share=0.5, stock_share=0.15),
        description="Where runs' system prompts come from (one per run): most benchmarks send none.",
    )
    org_size: int = Field(default=3, ge=1, description="Accounts per organisation.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {
            "research": 0.35,
            "education": 0.2,
            "direct": 0.2,
            "enterprise": 0.1,
            "startup": 0.1,
            "marketplace": 0.05,
        },
        description="Weights over sign-up pathways (researcher-access and university programmes).",
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"corporate": 0.55, "edu": 0.35, "freemail": 0.1},
        description="Weights over e-mail styles (evaluation teams at universities).",
    )
    account_age: AgeRange = Field(
        default_factory=lambda: AgeRange(min=7 * DAY, max=2 * 365 * DAY), description="Account age at the start."
    )
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.6),
        description="How accounts spread their scheduled runs over models (comparing two models).",
    )
    reasoning: Reasoning = Field(
        default_factory=lambda: Reasoning(share=0.3),
        description="Accounts evaluating a reasoning model: thinking tokens in their outputs.",
    )
    networks: NetworkWeights = Field(
        default_factory=lambda: {"datacenter": 0.5, "corporate": 0.3, "education": 0.2},
        description="Weights over the kinds of network customers connect from.",
    )
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")
    start_hours: tuple[float, float] = Field(default=(8.0, 20.0), description="Local hours between which runs start.")
    adoption: Duration = Field(
        default=DAY, gt=0, description="Mean delay before scheduled runs move to a newly released model."
    )

    def daily_jobs(self) -> float:
        return self.runs_per_week / 7.0

    def shared_suite(self) -> bool:
        return True

    def runs_on_release(self) -> bool:
        return self.release_runs


class DataLabelling(Scheduled):
    """Data-labelling and synthetic-data businesses: many large templated jobs, around the clock."""

    kind: Literal["data_labelling"] = Field(description="Data-labelling and synthetic-data businesses.")
    jobs_per_day: float = Field(default=2.0, ge=0, description="Jobs per account per day (scheduled plus ad hoc).")
    requests_per_job: LogNormal = Field(
        default_factory=lambda: LogNormal(median=1000, sigma=1.0, min=50, max=1_000_000),
        description="Requests in one job.",
    )
    limit_fraction: float = Field(
        default=0.8, gt=0, le=1, description="Jobs send at most this fraction of the account's binding limit."
    )
    input_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=600, sigma=0.8, min=20, max=64_000),
        description="Input tokens per request.",
    )
    output_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=400, sigma=0.9, min=1, max=16_000),
        description="Output tokens per request.",
    )
    topics: TopicWeights = Field(
        default_factory=lambda: {
            "classification": 2,
            "information_extraction": 2,
            "rubric_grading": 1.5,
            "rewrite": 1.5,
            "creative_writing": 1,
            "translation": 1,
            "summarization": 1,
            "reasoning": 1,
            "math": 0.5,
            "coding": 0.5,
        },
        description="Weights over topics of the labelling and generation templates.",
    )
    templates: int = Field(default=40, ge=1, description="Templates per account.")
    template_variation: float = Field(
        default=0.04, ge=0, le=0.5, description="Bit-flip probability of rendered prompt fingerprints."
    )
    cot_share: float = Field(default=0.3, ge=0, le=1, description="Share of requests asking for reasoning traces.")
    job_output_sigma: float = Field(
        default=0.9,
        ge=0,
        le=3,
        description="Log-normal sigma of a job's output-length factor: labels are short, synthetic documents long.",
    )
    start_hours: tuple[float, float] = Field(default=(0.0, 24.0), description="Local hours between which jobs start.")
    peak_to_trough: float = Field(default=1.5, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.9, ge=0, description="Weekend activity relative to weekdays.")
    volume_sigma: float = Field(default=0.8, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    org_size: int = Field(default=5, ge=1, description="Accounts per organisation.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {"direct": 0.35, "startup": 0.25, "enterprise": 0.2, "marketplace": 0.2},
        description="Weights over sign-up pathways.",
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"corporate": 0.85, "freemail": 0.12, "edu": 0.03},
        description="Weights over e-mail styles.",
    )
    verified_share: float = Field(default=0.95, ge=0, le=1, description="Share of accounts with verified identity.")
    account_age: AgeRange = Field(
        default_factory=lambda: AgeRange(min=14 * DAY, max=2 * 365 * DAY), description="Account age at the start."
    )
    networks: NetworkWeights = Field(
        default_factory=lambda: {"datacenter": 1.0}, description="Weights over the kinds of network customers use."
    )
    egress: Egress = Field(
        default_factory=lambda: Egress(pool=6.0, share=0.6, abroad=0.25, home_abroad=0.4),
        description="Further addresses the traffic leaves from (workers in cloud regions, often abroad).",
    )
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.3),
        description="How accounts spread their jobs over models (labels on a cheap model, generation on a flagship).",
    )
    reasoning: Reasoning = Field(
        default_factory=lambda: Reasoning(share=0.2),
        description="Accounts generating with a reasoning model (reasoning traces as synthetic data).",
    )
    access_pathways: AccessWeights = Field(
        default_factory=lambda: {"direct_api": 0.6, "cloud_marketplace": 0.4},
        description="Weights over how requests reach the API.",
    )
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")
    adoption: Duration = Field(
        default=5 * DAY, gt=0, description="Mean delay before an account moves to a newly released model."
    )

    def daily_jobs(self) -> float:
        return self.jobs_per_day
