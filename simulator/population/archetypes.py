"""Legitimate customer archetypes: the traffic shapes a detector must not ban.

* ``chat``: people in a chat product or script; multi-turn conversations by day.
* ``coding_assistant``: developers' IDE assistants; bursts of many short
  completions over large file context while someone codes.
* ``batch``: enterprise pipelines; a nightly job of thousands of templated,
  single-turn requests at a flat rate near the limit.
* ``eval_harness``: evaluation and benchmark runs; suites of public-benchmark
  items across many capabilities, with chain-of-thought, shared templates across
  teams, and a run soon after every model release (the same shape as a
  model-pivot attack).

Every archetype draws a heavy-tailed activity level per account (log-normal
with ``volume_sigma``), follows a daily rhythm in the account's local time and
a weekly one, and varies hour to hour (a gamma multiplier with shape
``burst_shape``: smaller is burstier).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Literal

import numpy as np
import simpy
from pydantic import Field

from simulator.actor import Actor, choose_models
from simulator.config import LogNormal, TopicWeights, normalised
from simulator.hashing import splitmix64
from simulator.population.base import CustomerGroup, PopulationBase
from simulator.population.jobs import JobQueue, job_block
from simulator.population.sessions import SessionShape, account_templates, session_requests
from simulator.prompts import TOPICS, TemplateLibrary, flip_bits
from simulator.rhythm import diurnal_weight, local_hour_and_weekday, weekly_weight
from simulator.seeding import stable_key
from simulator.units import Duration, Rate

__all__ = ["BatchJobs", "ChatUsers", "CodingAssistants", "EvalHarness"]

DAY = 86400.0


class _Rhythm(PopulationBase):
    volume_sigma: float = Field(
        default=1.8, ge=0, le=4, description="Log-normal sigma of per-account activity (heavier tail when larger)."
    )
    burst_shape: float = Field(
        default=0.5, gt=0, description="Gamma shape of the hourly activity multiplier (smaller: burstier)."
    )
    peak_hour: float = Field(default=14.0, ge=0, lt=24, description="Local hour of peak activity.")
    peak_to_trough: float = Field(default=3.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.6, ge=0, description="Weekend activity relative to weekdays.")
    plan_interval: Duration = Field(default=3600.0, gt=0, description="How often the group plans its traffic.")


class _Interactive(_Rhythm):
    sessions_per_day: Rate = Field(description="Median sessions per account per day, e.g. '3/day'.")
    session: SessionShape = Field(default_factory=SessionShape, description="Shape of one session.")

    def build(self, name: str, index: int, ctx: Any) -> Actor:
        return InteractiveGroup(self, name, index, ctx)


class ChatUsers(_Interactive):
    """People chatting through a product or their own scripts."""

    kind: Literal["chat"] = Field(description="Chat users.")
    sessions_per_day: Rate = Field(default=2.0 / DAY, description="Median sessions per account per day.")


def _coding_session() -> SessionShape:
    return SessionShape(
        single_turn_share=0.15,
        mean_extra_turns=12,
        max_turns=200,
        think_time=LogNormal(median=6, sigma=1.2, min=0.2, max=900),
        input_tokens=LogNormal(median=2500, sigma=0.9, min=50, max=100_000),
        output_tokens=LogNormal(median=15, sigma=1.4, min=1, max=4000),
        carry_context=False,
        system_prompt_tokens=LogNormal(median=800, sigma=0.5, min=0, max=8000),
        max_tokens=[256, 512, 1024],
        topics={"coding": 10, "agentic_tool_use": 1, "general_qa": 0.5},
        topic_focus=0.2,
        cot_share=0.02,
        templated_share=0.6,
        template_variation=0.12,
    )


class CodingAssistants(_Interactive):
    """Developers' IDE assistants: bursts of short completions over file context."""

    kind: Literal["coding_assistant"] = Field(description="Coding assistants in IDEs.")
    sessions_per_day: Rate = Field(default=4.0 / DAY, description="Median coding bursts per account per day.")
    session: SessionShape = Field(default_factory=_coding_session, description="Shape of one coding burst.")
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")
    peak_hour: float = Field(default=15.0, ge=0, lt=24, description="Local hour of peak activity.")
    weekend_factor: float = Field(default=0.3, ge=0, description="Weekend activity relative to weekdays.")


class InteractiveGroup(CustomerGroup):
    """Chat users and coding assistants: sessions planned every ``plan_interval``."""

    def extra_member_columns(self) -> dict[str, Any]:
        return {"favourite_topic": np.int16}

    def extra_member_values(self, n: int) -> dict[str, np.ndarray]:
        weights = normalised(self.config.session.topics, TOPICS)
        return {"favourite_topic": self.rng.choice(len(TOPICS), size=n, p=weights).astype(np.int16)}

    def favourite_topics(self, rows: np.ndarray) -> np.ndarray:
        return self.members.column("favourite_topic")[rows]

    def draw_activity(self, n: int) -> np.ndarray:
        return np.exp(self.rng.normal(0.0, self.config.volume_sigma, size=n))

    def expected_daily_spend(self) -> float:
        shape: SessionShape = self.config.session
        turns = 1 + (1 - shape.single_turn_share) * shape.mean_extra_turns
        tokens_in = shape.input_tokens.median + shape.system_prompt_tokens.median
        per_request = (tokens_in * 3 + shape.output_tokens.median * 15) / 1e6
        return self.config.sessions_per_day * DAY * turns * per_request

    def processes(self) -> list[Generator[simpy.Event, Any, Any]]:
        return [self._plan()]

    def _plan(self) -> Generator[simpy.Event, Any, Any]:
        cfg = self.config
        step = float(cfg.plan_interval)
        offset = self.next_template_ids(len(self.members) * 4 + 4)
        while True:
            t0 = self.env.now
            rows = np.arange(len(self.members))
            rate = self.hourly_rate(rows, t0 + step / 2) * step
            counts = self.rng.poisson(rate)
            if counts.sum():
                starters = np.repeat(rows, counts)
                starts = t0 + self.rng.uniform(0.0, step, size=starters.size)
                self.ctx.gateway.submit(session_requests(self, starters, starts, cfg.session, offset))
            yield self.env.timeout(step)

    def hourly_rate(self, rows: np.ndarray, t: float) -> np.ndarray:
        """Expected sessions per second of members ``rows`` around time ``t``."""
        cfg = self.config
        m = self.members
        hour, weekday = local_hour_and_weekday(self.ctx.scenario.start, t, m.column("utc_offset")[rows])
        rhythm = diurnal_weight(hour, cfg.peak_hour, cfg.peak_to_trough) * weekly_weight(weekday, cfg.weekend_factor)
        burst = self.rng.gamma(cfg.burst_shape, 1.0 / cfg.burst_shape, size=rows.size)
        return cfg.sessions_per_day * m.column("activity")[rows] * rhythm * burst


class _Jobs(_Rhythm):
    requests_per_job: LogNormal = Field(description="Requests in one job.")
    request_rate: Rate = Field(
        default=10.0, gt=0, description="Requests per second a job sends at most, e.g. '600/min'."
    )
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
    start_hours: tuple[float, float] = Field(default=(0.0, 6.0), description="Local hours between which jobs start.")
    jitter: float = Field(default=0.2, ge=0, le=0.5, description="Timing jitter as a fraction of the request interval.")
    volume_sigma: float = Field(default=1.2, ge=0, le=4, description="Log-normal sigma of per-account job sizes.")

    def build(self, name: str, index: int, ctx: Any) -> Actor:
        return JobGroup(self, name, index, ctx)


class BatchJobs(_Jobs):
    """Enterprise batch pipelines: nightly templated jobs at a flat rate."""

    kind: Literal["batch"] = Field(description="Enterprise batch jobs.")
    jobs_per_day: float = Field(default=1.0, ge=0, description="Jobs per account per day (scheduled plus ad hoc).")
    requests_per_job: LogNormal = Field(
        default_factory=lambda: LogNormal(median=1500, sigma=1.0, min=10, max=500_000),
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
    email_styles: dict[Literal["corporate", "freemail", "edu", "disposable"], float] = Field(
        default_factory=lambda: {"corporate": 1.0}, description="Weights over e-mail styles."
    )
    networks: dict[Literal["residential", "mobile", "corporate", "datacenter", "education"], float] = Field(
        default_factory=lambda: {"datacenter": 0.7, "corporate": 0.3},
        description="Weights over the kinds of network customers connect from.",
    )
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")


class EvalHarness(_Jobs):
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
    org_size: int = Field(default=3, ge=1, description="Accounts per organisation.")
    email_styles: dict[Literal["corporate", "freemail", "edu", "disposable"], float] = Field(
        default_factory=lambda: {"corporate": 0.7, "edu": 0.3}, description="Weights over e-mail styles."
    )
    networks: dict[Literal["residential", "mobile", "corporate", "datacenter", "education"], float] = Field(
        default_factory=lambda: {"datacenter": 0.5, "corporate": 0.3, "education": 0.2},
        description="Weights over the kinds of network customers connect from.",
    )
    browser_share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a browser client.")
    start_hours: tuple[float, float] = Field(default=(8.0, 20.0), description="Local hours between which runs start.")


class JobGroup(CustomerGroup):
    """Batch pipelines and evaluation harnesses: jobs at a flat rate."""

    def extra_member_columns(self) -> dict[str, Any]:
        return {"start_hour": np.float64}

    def extra_member_values(self, n: int) -> dict[str, np.ndarray]:
        low, high = self.config.start_hours
        return {"start_hour": self.rng.uniform(low, high, size=n)}

    def draw_activity(self, n: int) -> np.ndarray:
        return np.exp(self.rng.normal(0.0, self.config.volume_sigma, size=n))

    def expected_daily_spend(self) -> float:
        cfg = self.config
        per_day = getattr(cfg, "jobs_per_day", getattr(cfg, "runs_per_week", 0.0) / 7)
        per_request = (cfg.input_tokens.median * 3 + cfg.output_tokens.median * 15) / 1e6
        return per_day * cfg.requests_per_job.median * per_request

    def processes(self) -> list[Generator[simpy.Event, Any, Any]]:
        return [self._plan()]

    def _library(self) -> TemplateLibrary:
        cfg = self.config
        count = cfg.templates if cfg.kind == "eval_harness" else cfg.templates * max(len(self.members), 1)
        return TemplateLibrary.build(self.rng, self.next_template_ids(count), cfg.topics, count, concentration=0.5)

    def _plan(self) -> Generator[simpy.Event, Any, Any]:
        cfg = self.config
        step = float(cfg.plan_interval)
        library = self._library()
        queue = JobQueue()
        release, base = self.model_weights()
        released = {i for i, r in enumerate(release) if r <= 0}
        actor_key = stable_key(self.name)
        while True:
            t0, t1 = self.env.now, self.env.now + step
            self._start_scheduled(queue, t0, t1, release, base)
            if cfg.kind == "eval_harness" and cfg.release_runs:
                for model in range(release.size):
                    if model not in released and release[model] < t1:
                        released.add(model)
                        self._start_release_runs(queue, float(max(release[model], t0)), model)
            job, ts, _ = queue.advance(self.rng, t1, cfg.jitter)
            if job.size:
                self.ctx.gateway.submit(self._requests(queue, job, ts, library, actor_key))
            queue.prune()
            yield self.env.timeout(step)

    def _start_scheduled(self, queue: JobQueue, t0: float, t1: float, release: np.ndarray, base: np.ndarray) -> None:
        cfg = self.config
        m = self.members
        rows = np.arange(len(m))
        per_day = cfg.jobs_per_day if cfg.kind == "batch" else cfg.runs_per_week / 7.0
        hour, weekday = local_hour_and_weekday(self.ctx.scenario.start, t0, m.column("utc_offset")[rows])
        start_hour = m.column("start_hour")[rows]
        ahead = (start_hour - hour) % 24.0
        due = ahead * 3600.0 < (t1 - t0)
        weekly = weekly_weight(weekday, cfg.weekend_factor) * (5 + 2 * cfg.weekend_factor) / 7
        starting = due & (self.rng.random(rows.size) < min(per_day, 1.0) * weekly)
        # beyond one a day, ad-hoc jobs arrive as a Poisson stream
        extra = self.rng.poisson(max(per_day - 1.0, 0.0) * (t1 - t0) / DAY, size=rows.size)
        members = np.r_[rows[starting], np.repeat(rows, extra)]
        starts = np.r_[t0 + ahead[starting] * 3600.0, t0 + self.rng.uniform(0, t1 - t0, size=int(extra.sum()))]
        if members.size:
            model = choose_models(self.rng, release, base, starts, cfg.adoption)
            self._add_jobs(queue, members, starts, model)

    def _start_release_runs(self, queue: JobQueue, released_at: float, model: int) -> None:
        rows = np.arange(len(self.members))
        starts = released_at + self.config.release_delay.sample(self.rng, rows.size).astype(np.float64)
        self._add_jobs(queue, rows, starts, np.full(rows.size, model, dtype=np.int16))

    def _add_jobs(self, queue: JobQueue, members: np.ndarray, starts: np.ndarray, model: np.ndarray) -> None:
        cfg = self.config
        m = self.members
        activity = m.column("activity")[members]
        size = np.maximum(1, np.rint(cfg.requests_per_job.sample(self.rng, members.size) * activity)).astype(np.int64)
        # the binding limit: requests, or tokens divided by the mean tokens per request
        per_request = np.array([1.0, cfg.input_tokens.mean, cfg.output_tokens.mean])
        binding = (self.ctx.gateway.limits_of(m.column("code")[members]) / per_request).min(axis=1)
        rate = np.minimum(cfg.request_rate, cfg.limit_fraction * binding)
        template = (
            np.full(members.size, -1)
            if cfg.kind == "eval_harness"
            else members * cfg.templates + self.rng.integers(0, cfg.templates, size=members.size)
        )
        queue.add(
            members,
            starts,
            size,
            1.0 / np.maximum(rate, 1e-6),
            model,
            template,
            self.rng.integers(0, np.iinfo(np.int64).max, size=members.size).astype(np.uint64),
        )

    def _requests(
        self, queue: JobQueue, job: np.ndarray, ts: np.ndarray, library: TemplateLibrary, actor_key: int
    ) -> Any:
        cfg = self.config
        rng = self.rng
        m = self.members
        member = queue.member[job]
        template = queue.template[job]
        suite = template < 0
        if suite.any():
            template = template.copy()
            template[suite] = library.draw(rng, int(suite.sum()))
        n = job.size
        topic = library.topics[template]
        cot = rng.random(n) < cfg.cot_share
        language = m.column("language")[member]
        fingerprint = flip_bits(rng, library.fingerprints[template], cfg.template_variation)
        _, system_base = account_templates(actor_key, member, np.zeros(n, dtype=np.int64), 0)
        return job_block(
            ts=ts,
            account=m.column("code")[member],
            key=self.member_keys(member),
            ip=self.member_ips(member, second_share=0.05),
            client=m.column("client0")[member],
            model=queue.model[job],
            input_tokens=cfg.input_tokens.sample(rng, n),
            output_tokens=cfg.output_tokens.sample(rng, n),
            max_tokens=cfg.max_tokens,
            labels=self.noisy_labels(topic, language, cot),
            system_prompt_hash=system_base,
            fingerprint=fingerprint,
            # every request of a job is its own single-turn conversation
            conversation_id=splitmix64(queue.conversation_seed[job] + np.arange(n, dtype=np.uint64)),
            template_id=library.ids[template],
        )
