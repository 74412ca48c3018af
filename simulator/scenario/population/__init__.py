"""Legitimate customer archetypes as a scenario declares them (the ``population`` section).

:data:`ArchetypeConfig` is the discriminated union (on ``kind``) of every
archetype's schema. These are specs only; the actors that generate each
archetype's traffic are in :mod:`simulator.population`. The ground-truth
``role`` of every account is its group's ``kind``.

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
``api_integration``       product backends: single-turn requests per feature
========================  ======================================================
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulator.scenario.population.base import Egress, ModelUse, PopulationBase, Reasoning, Rhythmic
from simulator.scenario.population.integration import ApiIntegrations
from simulator.scenario.population.interactive import (
    AgentFrameworks,
    ChatUsers,
    CodingAssistants,
    Interactive,
    PowerUsers,
)
from simulator.scenario.population.reseller import Resellers
from simulator.scenario.population.scheduled import BatchJobs, DataLabelling, EvalHarness, Scheduled
from simulator.scenario.population.sessions import SessionShape

__all__ = [
    "ARCHETYPES",
    "AgentFrameworks",
    "ApiIntegrations",
    "ArchetypeConfig",
    "BatchJobs",
    "ChatUsers",
    "CodingAssistants",
    "DataLabelling",
    "Egress",
    "EvalHarness",
    "Interactive",
    "ModelUse",
    "PopulationBase",
    "PowerUsers",
    "Reasoning",
    "Resellers",
    "Rhythmic",
    "Scheduled",
    "SessionShape",
]

ArchetypeConfig = Annotated[
    ChatUsers
    | PowerUsers
    | CodingAssistants
    | AgentFrameworks
    | BatchJobs
    | EvalHarness
    | DataLabelling
    | Resellers
    | ApiIntegrations,
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
    "api_integration": ApiIntegrations,
}
"""Archetype specs by ``kind``."""
