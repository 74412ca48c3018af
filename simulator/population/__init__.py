"""The actors of legitimate customer groups: they generate each archetype's traffic.

The archetypes' specs (what a scenario may say about them) are in
:mod:`simulator.scenario.population`; :data:`GROUPS` maps each ``kind`` to the
actor that runs it. One actor serves several kinds where only the numbers
differ: every session-based archetype is an :class:`InteractiveGroup`, every
job-based one a :class:`JobGroup`; resellers and single-turn API integrations have
their own (:class:`ResellerGroup`, :class:`IntegrationGroup`).
"""

from __future__ import annotations

from simulator.population.base import CustomerGroup
from simulator.population.integration import IntegrationGroup
from simulator.population.interactive import InteractiveGroup
from simulator.population.reseller import ResellerGroup
from simulator.population.scheduled import JobGroup

__all__ = ["GROUPS", "CustomerGroup", "IntegrationGroup", "InteractiveGroup", "JobGroup", "ResellerGroup"]

GROUPS: dict[str, type[CustomerGroup]] = {
    "chat": InteractiveGroup,
    "power_user": InteractiveGroup,
    "coding_assistant": InteractiveGroup,
    "agent": InteractiveGroup,
    "batch": JobGroup,
    "eval_harness": JobGroup,
    "data_labelling": JobGroup,
    "reseller": ResellerGroup,
    "api_integration": IntegrationGroup,
}
"""The actor class of each customer archetype ``kind``."""
