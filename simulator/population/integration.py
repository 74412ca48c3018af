"""The single-turn API integrations at work (spec and defaults:
:mod:`simulator.scenario.population.integration`).

Every planning step, each account's request count is Poisson with mean
``requests_per_day · activity · rhythm · burst · step`` and its arrivals are spaced
like a Gamma renewal process with CV ``arrival_cv``
(:func:`~simulator.population.arrivals.renewal_offsets`). Each request belongs to
feature ``⌊F · u²⌋`` of its account's ``F`` features. Everything about a feature is
derived from its key ``splitmix64(splitmix64(code ⊕ salt) + feature)`` without
storage, so it is the same in every step:

* median output ``feature_output.median · exp(σ · z₁)`` and input
  ``feature_input.median · exp(σ · z₂)`` (``z`` hashed normals, clipped to the
  distributions' bounds); a request draws ``median · exp(spread · N(0, 1))``;
* topic (by ``topics``), chain-of-thought (share ``cot_share`` of features), prompt
  template (share ``templated_share``: the template's fingerprint with
  ``template_variation`` of its bits flipped per request; else an unrelated
  fingerprint), system prompt (``system_prompts``, one source per feature),
  ``max_tokens`` (the smallest listed value at least three times the median
  output), and whether the feature runs on the account's second model (with
  probability the account's mixing fraction).

Every request opens a new conversation (turn 0). Reasoning accounts add thinking
tokens to every answer, under their own larger ``max_tokens``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from simulator.hashing import hashed_normal, hashed_uniform, splitmix64
from simulator.population.arrivals import renewal_offsets
from simulator.population.base import CustomerGroup
from simulator.prompts import TOPICS, flip_bits, random_fingerprints
from simulator.scenario.base import normalised
from simulator.scenario.population import ApiIntegrations
from simulator.seeding import stable_key
from simulator.traffic import RequestBlock
from simulator.units import DAY

__all__ = ["IntegrationGroup"]

_FEATURE = stable_key("integration/feature")
_OUTPUT = stable_key("integration/output")
_INPUT = stable_key("integration/input")
_TOPIC = stable_key("integration/topic")
_TEMPLATED = stable_key("integration/templated")
_TEMPLATE = stable_key("integration/template")
_COT = stable_key("integration/cot")
_SECOND_MODEL = stable_key("integration/second-model")


class IntegrationGroup(CustomerGroup):
    """The actor of an :class:`ApiIntegrations` group."""

    def archetype_member_columns(self) -> dict[str, Any]:
        return {"features": np.int64}

    def archetype_member_values(self, n: int) -> dict[str, np.ndarray]:
        return {"features": self.config.features.sample(self.rng, n)}

    def expected_daily_spend(self) -> float:
        cfg: ApiIntegrations = self.config
        per_request = (cfg.feature_input.mean * 3 + cfg.feature_output.mean * 15) / 1e6
        return cfg.requests_per_day * DAY * per_request

    def processes(self) -> list[Generator[simpy.Event, Any, Any]]:
        return [self._plan()]

    def _plan(self) -> Generator[simpy.Event, Any, Any]:
        cfg: ApiIntegrations = self.config
        step = float(cfg.plan_interval)
        offset = self.next_template_ids(max(len(self.members), 1) * int(cfg.features.max))
        while True:
            t0 = self.env.now
            rows = np.arange(len(self.members))
            activity = self.members.column("activity")[rows]
            rate = cfg.requests_per_day * activity * self.rhythm(rows, t0 + step / 2) * self.bursts(rows)
            counts = self.rng.poisson(rate * step)
            if counts.sum():
                ts = t0 + renewal_offsets(self.rng, counts, step, cfg.arrival_cv)
                self.ctx.gateway.submit(self.requests(np.repeat(rows, counts), ts, offset))
            yield self.env.timeout(step)

    def feature_keys(self, member: np.ndarray, feature: np.ndarray) -> np.ndarray:
        """The key of feature ``feature`` of members ``member`` (unique in the world:
        it is derived from the account's registry code)."""
        code = self.members.column("code")[member].astype(np.uint64)
        with np.errstate(over="ignore"):
            return splitmix64(splitmix64(code ^ np.uint64(_FEATURE)) + feature.astype(np.uint64))

    def requests(self, member: np.ndarray, ts: np.ndarray, template_offset: int) -> RequestBlock:
        """One single-turn request per entry of ``member`` at times ``ts``."""
        cfg: ApiIntegrations = self.config
        rng = self.rng
        m = self.members
        n = member.size
        features = m.column("features")[member]
        feature = np.minimum(np.floor(features * rng.random(n) ** 2), features - 1).astype(np.int64)
        key = self.feature_keys(member, feature)

        out, inp = cfg.feature_output, cfg.feature_input
        out_median = np.clip(out.median * np.exp(out.sigma * hashed_normal(key, _OUTPUT)), out.min, out.max)
        in_median = np.clip(inp.median * np.exp(inp.sigma * hashed_normal(key, _INPUT)), inp.min, inp.max)
        answer = np.maximum(np.rint(out_median * np.exp(cfg.output_spread * rng.standard_normal(n))), 1)
        input_tokens = np.maximum(np.rint(in_median * np.exp(cfg.input_spread * rng.standard_normal(n))), 1)

        choices = np.sort(np.asarray(cfg.max_tokens, dtype=np.int64))
        fits = np.minimum(np.searchsorted(choices, 3.0 * out_median), choices.size - 1)
        max_tokens = self.reasoning_max_tokens(member, choices[fits])
        output = np.minimum(answer.astype(np.int64) + self.thinking_tokens(member), max_tokens)

        cumulative = np.cumsum(normalised(cfg.topics, TOPICS))
        topic = np.minimum(np.searchsorted(cumulative, hashed_uniform(key, _TOPIC), side="right"), len(TOPICS) - 1)
        cot = hashed_uniform(key, _COT) < cfg.cot_share
        templated = hashed_uniform(key, _TEMPLATED) < cfg.templated_share
        fingerprint = random_fingerprints(rng, n)
        if templated.any():
            base = splitmix64(key[templated] ^ np.uint64(_TEMPLATE))
            fingerprint[templated] = flip_bits(rng, base, cfg.template_variation)
        template_id = np.where(
            templated, template_offset + member.astype(np.int64) * int(cfg.features.max) + feature, -1
        )

        clients = self.member_clients(member)
        system_hash = cfg.system_prompts.for_keys(key, key, clients)
        model = self.models_at(member, ts, uniform=hashed_uniform(key, _SECOND_MODEL))
        language = m.column("language")[member]
        topic_seen, language_seen, cot_seen = self.noisy_labels(topic.astype(np.int16), language, cot)
        return RequestBlock(
            ts=ts,
            account=m.column("code")[member],
            key=self.member_keys(member),
            ip=self.member_ips(member, second_share=0.02),
            client=clients,
            model=model,
            input_tokens=np.minimum(input_tokens.astype(np.int64), 1_000_000),
            output_tokens=output,
            max_tokens=max_tokens,
            topic=topic_seen,
            language=language_seen,
            cot_requested=cot_seen,
            system_prompt_hash=system_hash,
            prompt_simhash=fingerprint,
            conversation_id=random_fingerprints(rng, n),
            turn=0,
            template_id=template_id,
        )
