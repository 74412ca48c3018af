"""Legitimate customer archetypes (the ``population`` section of a scenario).

:data:`ArchetypeConfig` is the discriminated union (on ``kind``) of every
archetype's schema; each model's ``build`` method makes the actor that
generates its traffic. The ground-truth ``role`` of every account is its
group's ``kind``.

========================  ======================================================
kind                      who
========================  ======================================================
``chat``                  casual chat users
``power_user``            professionals living in the assistant
``coding_assistant``      developers' IDE assistants (bursts of completions)
``agent``                 agent frameworks (tool loops, long contexts, many turns)
``batch``                 enterprise batch pipelines (nightly, templated, flat rate)
``eval_harness``          evaluation and benchmark harnesses (suites, releases)
``data_labelling``        data-labelling and synthetic-data businesses
``reseller``              resellers serving many end customers through one org
========================  ======================================================
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulator.population.base import PopulationBase, Rhythmic
from simulator.population.interactive import AgentFrameworks, ChatUsers, CodingAssistants, PowerUsers
from simulator.population.lengths import Mode, TokenLengths
from simulator.population.reseller import ResellerGroup, Resellers
from simulator.population.scheduled import BatchJobs, DataLabelling, EvalHarness
from simulator.population.sessions import SessionShape

__all__ = [
    "ARCHETYPES",
    "AgentFrameworks",
    "ArchetypeConfig",
    "BatchJobs",
    "ChatUsers",
    "CodingAssistants",
    "DataLabelling",
    "EvalHarness",
    "Mode",
    "PopulationBase",
    "PowerUsers",
    "ResellerGroup",
    "Resellers",
    "Rhythmic",
    "SessionShape",
    "TokenLengths",
]

ArchetypeConfig = Annotated[
    ChatUsers | PowerUsers | CodingAssistants | AgentFrameworks | BatchJobs | EvalHarness | DataLabelling | Resellers,
    Field(discriminator="kind"),
]
"""One entry of ``population``, chosen by its ``kind``."""

ARCHETYPES: dict[str, type[PopulationBase]] = {
    "chat": ChatUsers,
    "power_user": PowerUsers,
    "coding_assistant": CodingAssistants,
    "agent": AgentFrameworks,
    "batch": BatchJobs,
    "eval_harness": EvalHarness,
    "data_labelling": DataLabelling,
    "reseller": Resellers,
}
"""Archetype models by ``kind``."""
