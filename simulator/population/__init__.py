"""Legitimate customer archetypes (the ``population`` section of a scenario).

:data:`ArchetypeConfig` is the discriminated union (on ``kind``) of every
archetype's schema; each model's ``build`` method makes the actor that
generates its traffic.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulator.population.archetypes import BatchJobs, ChatUsers, CodingAssistants, EvalHarness
from simulator.population.base import PopulationBase

__all__ = ["ARCHETYPES", "ArchetypeConfig", "PopulationBase"]

ArchetypeConfig = Annotated[
    ChatUsers | CodingAssistants | BatchJobs | EvalHarness,
    Field(discriminator="kind"),
]
"""One entry of ``population``, chosen by its ``kind``."""

ARCHETYPES: dict[str, type[PopulationBase]] = {
    "chat": ChatUsers,
    "coding_assistant": CodingAssistants,
    "batch": BatchJobs,
    "eval_harness": EvalHarness,
}
"""Archetype models by ``kind``."""
