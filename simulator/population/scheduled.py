"""The job-based customer groups at work: ``batch``, ``eval_harness`` and
``data_labelling`` (their specs and defaults are in
:mod:`simulator.scenario.population.scheduled`).

An account runs ``jobs per day · activity^¾`` jobs a day: one at its own local
``start_hour`` (with probability ``min(that, 1)``, less at weekends) and, beyond
one a day, ad-hoc jobs at an expected rate ``(that − 1) · rhythm · burst`` spaced
like the interactive archetypes' sessions. A job's size is log-normal times
``activity^¼``: a busy account runs many jobs through the day (a pipeline serving
many internal users), so heavy accounts are steadier, as in ServeGen. A job runs
at ``min(request_rate, limit_fraction × binding limit)`` (see
:class:`~simulator.population.jobs.JobQueue`) on one model: the account's pinned
model, its second model for a share of its jobs, or the new model for a run
triggered by a release. Reasoning accounts add thinking tokens to every answer.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from simulator.hashing import hashed_normal, splitmix64
from simulator.population.arrivals import renewal_offsets
from simulator.population.base import (
    CustomerGroup,
)
from simulator.population.jobs import JobQueue, job_block
from simulator.prompts import TemplateLibrary, flip_bits
from simulator.rhythm import local_hour_and_weekday, weekly_weight
from simulator.scenario.population import Scheduled
from simulator.seeding import stable_key
from simulator.units import DAY

__all__ = ["JobGroup"]

_JOB_OUTPUT = stable_key("job/output-factor")


class JobGroup(CustomerGroup):
    """Job-based archetypes: jobs at a flat rate, planned every ``plan_interval``."""

    def archetype_member_columns(self) -> dict[str, Any]:
        return {"start_hour": np.float64}

    def archetype_member_values(self, n: int) -> dict[str, np.ndarray]:
        low, high = self.config.start_hours
        return {"start_hour": self.rng.uniform(low, high, size=n)}

    def expected_daily_spend(self) -> float:
        cfg: Scheduled = self.config
        per_request = (cfg.input_tokens.median * 3 + cfg.mean_output_tokens() * 15) / 1e6
        return cfg.daily_jobs() * cfg.requests_per_job.median * per_request

    def processes(self) -> list[Generator[simpy.Event, Any, Any]]:
        return [self._plan()]

    def _library(self) -> TemplateLibrary:
        cfg: Scheduled = self.config
        count = cfg.templates if cfg.shared_suite() else cfg.templates * max(len(self.members), 1)
        return TemplateLibrary.build(self.rng, self.next_template_ids(count), cfg.topics, count, concentration=0.5)

    def _plan(self) -> Generator[simpy.Event, Any, Any]:
        cfg: Scheduled = self.config
        step = float(cfg.plan_interval)
        library = self._library()
        queue = JobQueue()
        release, _ = self.model_weights()
        released = {i for i, r in enumerate(release) if r <= 0}
        while True:
            t0, t1 = self.env.now, self.env.now + step
            self._start_jobs(queue, t0, t1)
            if cfg.runs_on_release():
                for model in range(release.size):
                    if model not in released and release[model] < t1:
                        released.add(model)
                        self._start_release_runs(queue, float(max(release[model], t0)), model)
            job, ts, _ = queue.advance(self.rng, t1, cfg.arrival_cv)
            if job.size:
                self.ctx.gateway.submit(self._requests(queue, job, ts, library))
            queue.prune()
            yield self.env.timeout(step)

    def _start_jobs(self, queue: JobQueue, t0: float, t1: float) -> None:
        """Scheduled jobs due in ``[t0, t1)`` and this step's ad-hoc jobs."""
        cfg: Scheduled = self.config
        m = self.members
        rows = np.arange(len(m))
        per_day = cfg.daily_jobs() * m.column("activity")[rows] ** 0.75
        hour, weekday = local_hour_and_weekday(self.ctx.scenario.start, t0, m.column("utc_offset")[rows])
        ahead = (m.column("start_hour")[rows] - hour) % 24.0
        due = ahead * 3600.0 < (t1 - t0)
        weekly = weekly_weight(weekday, cfg.weekend_factor) * (5 + 2 * cfg.weekend_factor) / 7
        starting = due & (self.rng.random(rows.size) < np.minimum(per_day, 1.0) * weekly)
        # beyond one a day, ad-hoc jobs follow the daily rhythm and arrive in bursts
        rate = np.maximum(per_day - 1.0, 0.0) / DAY * self.rhythm(rows, (t0 + t1) / 2) * self.bursts(rows)
        extra = self.rng.poisson(rate * (t1 - t0))
        members = np.r_[rows[starting], np.repeat(rows, extra)]
        starts = np.r_[t0 + ahead[starting] * 3600.0, t0 + renewal_offsets(self.rng, extra, t1 - t0, cfg.arrival_cv)]
        if members.size:
            self._add_jobs(queue, members, starts, self.models_at(members, starts))

    def _start_release_runs(self, queue: JobQueue, released_at: float, model: int) -> None:
        rows = np.arange(len(self.members))
        starts = released_at + self.config.release_delay.sample(self.rng, rows.size).astype(np.float64)
        self._add_jobs(queue, rows, starts, np.full(rows.size, model, dtype=np.int16))

    def _add_jobs(self, queue: JobQueue, members: np.ndarray, starts: np.ndarray, model: np.ndarray) -> None:
        cfg: Scheduled = self.config
        m = self.members
        # a busier account runs more jobs (activity^¾) and somewhat larger ones (activity^¼)
        scale = m.column("activity")[members] ** 0.25
        size = np.maximum(1, np.rint(cfg.requests_per_job.sample(self.rng, members.size) * scale)).astype(np.int64)
        # the binding limit: requests, or tokens divided by the mean tokens per request
        per_request = np.array([1.0, cfg.input_tokens.mean, cfg.mean_output_tokens()])
        binding = (self.ctx.gateway.limits_of(m.column("code")[members]) / per_request).min(axis=1)
        rate = np.minimum(cfg.request_rate, cfg.limit_fraction * binding)
        template = (
            np.full(members.size, -1)
            if cfg.shared_suite()
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

    def _requests(self, queue: JobQueue, job: np.ndarray, ts: np.ndarray, library: TemplateLibrary) -> Any:
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
        client = m.column("client0")[member]
        # a job's output factor and system prompt: derived once per job in the block
        jobs, of_job = np.unique(job, return_inverse=True)
        job_key, job_member = queue.conversation_seed[jobs], queue.member[jobs]
        job_factor = np.exp(cfg.job_output_sigma * hashed_normal(job_key, _JOB_OUTPUT))[of_job]
        job_prompt = cfg.system_prompts.for_keys(job_key, m.column("code")[job_member], m.column("client0")[job_member])
        output = cfg.output_tokens.sample(rng, n) * job_factor * np.where(cot, cfg.cot_output_factor, 1.0)
        # reasoning accounts: thinking tokens on top of the answer, under their larger budget
        output = output + self.thinking_tokens(member)
        return job_block(
            ts=ts,
            account=m.column("code")[member],
            key=self.member_keys(member),
            ip=self.member_ips(member, second_share=0.05),
            client=client,
            model=queue.model[job],
            input_tokens=cfg.input_tokens.sample(rng, n),
            output_tokens=np.maximum(np.rint(output), 1).astype(np.int64),
            max_tokens=self.reasoning_max_tokens(member, cfg.max_tokens),
            labels=self.noisy_labels(topic, language, cot),
            system_prompt_hash=job_prompt[of_job],
            fingerprint=fingerprint,
            # every request of a job is its own single-turn conversation
            conversation_id=splitmix64(queue.conversation_seed[job] + np.arange(n, dtype=np.uint64)),
            template_id=library.ids[template],
        )
