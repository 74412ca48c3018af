"""Scheduled jobs, vectorised: batch pipelines and evaluation runs.

A job is a stream of single-turn requests from one account at a steady rate until
it has sent its size: each planning step a job sends exactly the requests its rate
allows, spaced inside that stretch like a Gamma renewal process with the
archetype's ``arrival_cv`` (real clients' arrivals are bursty even when their
throughput is flat; ServeGen measures window CVs of 1 and above). Jobs start on
a schedule (a fixed local hour per account) or on events (a model release).
Each planning step emits every running job's requests that fall inside the
step, so memory holds one step of requests, not whole jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.population.arrivals import renewal_offsets
from simulator.traffic import RequestBlock

__all__ = ["JobQueue"]


@dataclass
class JobQueue:
    """Running jobs as parallel arrays (one entry per job)."""

    member: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    next_ts: np.ndarray = field(default_factory=lambda: np.empty(0))
    remaining: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    interval: np.ndarray = field(default_factory=lambda: np.empty(0))
    model: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int16))
    template: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """Template index of the job (batch: one per job), or -1 for suites drawing per request."""
    conversation_seed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))

    def __len__(self) -> int:
        return self.member.size

    def add(
        self,
        member: np.ndarray,
        start: np.ndarray,
        size: np.ndarray,
        interval: np.ndarray,
        model: np.ndarray,
        template: np.ndarray,
        conversation_seed: np.ndarray,
    ) -> None:
        self.member = np.concatenate([self.member, member.astype(np.int64)])
        self.next_ts = np.concatenate([self.next_ts, start.astype(np.float64)])
        self.remaining = np.concatenate([self.remaining, size.astype(np.int64)])
        self.interval = np.concatenate([self.interval, interval.astype(np.float64)])
        self.model = np.concatenate([self.model, model.astype(np.int16)])
        self.template = np.concatenate([self.template, template.astype(np.int64)])
        self.conversation_seed = np.concatenate([self.conversation_seed, conversation_seed.astype(np.uint64)])

    def advance(self, rng: np.random.Generator, until: float, cv: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Requests of running jobs up to ``until``: (job index, timestamp, position in
        job) per request. A job sends ``ceil((until − next) / interval)`` requests (at
        most what remains), spread over ``count · interval`` seconds from its next
        slot; finished jobs are removed afterwards by :meth:`prune`."""
        if len(self) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0, dtype=np.int64)
        due = np.ceil((until - self.next_ts) / self.interval).astype(np.int64)
        count = np.clip(due, 0, self.remaining)
        job = np.repeat(np.arange(len(self)), count)
        first = np.r_[0, np.cumsum(count)[:-1]]
        position = np.arange(job.size) - np.repeat(first, count)
        ts = self.next_ts[job] + renewal_offsets(rng, count, count * self.interval, cv)
        self.next_ts = self.next_ts + count * self.interval
        self.remaining = self.remaining - count
        return job, ts, position

    def prune(self) -> None:
        keep = self.remaining > 0
        for name in ("member", "next_ts", "remaining", "interval", "model", "template", "conversation_seed"):
            setattr(self, name, getattr(self, name)[keep])


def job_block(
    *,
    ts: np.ndarray,
    account: np.ndarray,
    key: np.ndarray,
    ip: np.ndarray,
    client: np.ndarray,
    model: np.ndarray,
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    max_tokens: np.ndarray | int,
    labels: tuple[np.ndarray, np.ndarray, np.ndarray],
    system_prompt_hash: np.ndarray,
    fingerprint: np.ndarray,
    conversation_id: np.ndarray,
    template_id: np.ndarray,
) -> RequestBlock:
    """A block of single-turn job requests (turn 0)."""
    topic, language, cot = labels
    return RequestBlock(
        ts=ts,
        account=account,
        key=key,
        ip=ip,
        client=client,
        model=model,
        input_tokens=input_tokens,
        output_tokens=np.minimum(output_tokens, max_tokens),
        max_tokens=max_tokens,
        topic=topic,
        language=language,
        cot_requested=cot,
        system_prompt_hash=system_prompt_hash,
        prompt_simhash=fingerprint,
        conversation_id=conversation_id,
        turn=0,
        template_id=template_id,
    )
