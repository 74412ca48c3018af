"""Prompt tactics at work: one phase's templates and system prompts, ready to render
requests (the plans and phases are specified in :mod:`simulator.scenario.campaign.prompts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.campaign.conversations import Layout
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

    def render(self, rng: np.random.Generator, account_language: np.ndarray, layout: Layout) -> dict[str, np.ndarray]:
        """True labels and prompt columns of the ``layout.n`` requests of ``layout``'s
        conversations (``account_language`` per request): ``template_id`` (global, hidden
        truth), ``topic``, ``language``, ``cot``, ``input_tokens`` (the rendered prompt;
        follow-ups' context is added by the threading), ``output_tokens``, ``max_tokens``,
        ``fingerprint``, ``system_prompt_hash``. A conversation keeps one template (its
        follow-ups are rendered from it), chain-of-thought request, language and system
        prompt."""
        plan = self.plan
        n, s = layout.n, layout.size
        template = layout.spread(self.library.draw(rng, s))
        cot = layout.spread(rng.random(s) < plan.cot_share)
        if plan.language_mix == "request":
            drawn = rng.choice(len(LANGUAGES), size=s, p=normalised(plan.languages, LANGUAGES)).astype(np.int16)
            language = layout.spread(drawn)
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
            "system_prompt_hash": layout.spread(self.system_prompts.draw(rng, np.full(s, self.harness))),
        }
