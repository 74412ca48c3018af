"""Prompt tactics at work: one phase's templates and system prompts, ready to render
requests (the plans and phases are specified in :mod:`simulator.scenario.campaign.prompts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.prompts import LANGUAGES, TemplateLibrary
from simulator.scenario.base import normalised
from simulator.scenario.campaign.prompts import PromptPlan
from simulator.scenario.system_prompts import SystemPromptMix
from simulator.seeding import stable_key

__all__ = ["PhaseLibrary"]


@dataclass(frozen=True)
class PhaseLibrary:
    """One phase's templates and system prompts, ready to render requests."""

    plan: PromptPlan
    library: TemplateLibrary
    system_prompts: SystemPromptMix
    """See :meth:`PromptPlan.system_prompt_mix`."""
    harness: np.uint64
    """Owner key of the harness prompts (one per phase)."""

    @classmethod
    def build(cls, rng: np.random.Generator, plan: PromptPlan, first_id: int, salt: str) -> PhaseLibrary:
        library = TemplateLibrary.build(rng, first_id, plan.topics, plan.templates, plan.concentration)
        return cls(plan, library, plan.system_prompt_mix(), np.uint64(stable_key(salt)))

    def render(self, rng: np.random.Generator, account_language: np.ndarray) -> dict[str, np.ndarray]:
        """True labels and prompt columns of ``account_language.size`` requests:
        ``template_id`` (global, hidden truth), ``topic``, ``language``, ``cot``, ``input_tokens``,
        ``output_tokens``, ``max_tokens``, ``fingerprint``, ``system_prompt_hash``."""
        plan = self.plan
        n = account_language.size
        template = self.library.draw(rng, n)
        cot = rng.random(n) < plan.cot_share
        if plan.language_mix == "request":
            language = rng.choice(len(LANGUAGES), size=n, p=normalised(plan.languages, LANGUAGES)).astype(np.int16)
        else:
            language = account_language
        output = plan.output_tokens.sample(rng, n)
        output = np.where(cot, np.rint(output * plan.cot_output_factor), output).astype(np.int64)
        return {
            "template_id": self.library.ids[template],
            "topic": self.library.topics[template],
            "language": language,
            "cot": cot,
            "input_tokens": plan.input_tokens.sample(rng, n),
            "output_tokens": np.minimum(output, plan.max_tokens),
            "max_tokens": np.full(n, plan.max_tokens),
            "fingerprint": self.library.render(rng, template, plan.variation),
            "system_prompt_hash": self.system_prompts.draw(rng, np.full(n, self.harness)),
        }
