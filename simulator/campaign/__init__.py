"""Extraction campaigns at work: the actor that runs a campaign and its tactics' behaviours.

The specs (what a scenario may say) are in :mod:`simulator.scenario.campaign`.
Here, one module per tactic family holds the behaviour of each of its variants
in a table keyed by ``kind`` (:mod:`.acquisition`, :mod:`.access`,
:mod:`.infrastructure`, :mod:`.load`, :mod:`.conversations`, :mod:`.resale`, :mod:`.adaptation`;
:mod:`.prompts`, :mod:`.pivot`, :mod:`.camouflage`, :mod:`.budget` and :mod:`.goal`
have a single behaviour); every behaviour works on a :class:`~.state.CampaignState`.
:mod:`.customers` resolves the settings a campaign leaves to the customers.
:mod:`.engine` runs them, and :data:`CAMPAIGNS` maps each campaign ``kind`` to
its actor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulator.campaign.access import ROUTES
from simulator.campaign.acquisition import CREATION, SEEDING
from simulator.campaign.adaptation import (
    ON_AUDIT,
    ON_BAN,
    ON_CHALLENGE,
    ON_TAKEDOWN,
    ON_THROTTLE,
    ON_VERIFY,
    ON_WATERMARK,
)
from simulator.campaign.conversations import CONVERSATIONS
from simulator.campaign.engine import CampaignActor, CampaignOutcome
from simulator.campaign.infrastructure import CLIENTS, GEOGRAPHIES, ROTATIONS
from simulator.campaign.load import RHYTHMS, TIMINGS
from simulator.campaign.resale import RESALES

__all__ = ["CAMPAIGNS", "TACTICS", "CampaignActor", "CampaignOutcome"]

TACTICS: dict[str, Mapping[str, Callable[..., Any]]] = {
    "acquisition.creation": CREATION,
    "acquisition.seeding": SEEDING,
    "access": ROUTES,
    "infrastructure.geography": GEOGRAPHIES,
    "infrastructure.clients": CLIENTS,
    "infrastructure.rotation": ROTATIONS,
    "load.timing": TIMINGS,
    "load.rhythm": RHYTHMS,
    "conversations": CONVERSATIONS,
    "resale": RESALES,
    "adaptation.on_ban": ON_BAN,
    "adaptation.on_throttle": ON_THROTTLE,
    "adaptation.on_challenge": ON_CHALLENGE,
    "adaptation.on_verify": ON_VERIFY,
    "adaptation.on_takedown": ON_TAKEDOWN,
    "adaptation.on_audit": ON_AUDIT,
    "adaptation.on_watermark": ON_WATERMARK,
}
"""Every tactic family whose variants differ in behaviour, by its field path in a
campaign spec, with the table that maps each variant's ``kind`` (for
``infrastructure.rotation``: its value) to the behaviour."""

CAMPAIGNS: dict[str, type[CampaignActor]] = {"hydra": CampaignActor}
"""The actor class of each campaign ``kind``."""
