"""Extraction campaigns (the ``campaigns`` section of a scenario).

A campaign is a composition of tactics, one per family, each family in its own
module with its variants discriminated on ``kind``: :mod:`.acquisition`,
:mod:`.access`, :mod:`.infrastructure`, :mod:`.load`, :mod:`.prompts`,
:mod:`.pivot`, :mod:`.camouflage`, :mod:`.adaptation`, :mod:`.budget`,
:mod:`.goal`. :mod:`.engine` runs them; :data:`CampaignConfig` is the
discriminated union (on ``kind``) of campaign kinds, whose ``build`` method
makes the actor.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulator.campaign.base import CampaignBase
from simulator.campaign.engine import CampaignActor, CampaignOutcome
from simulator.campaign.hydra import HydraCampaign

__all__ = ["CAMPAIGNS", "CampaignActor", "CampaignBase", "CampaignConfig", "CampaignOutcome", "HydraCampaign"]

CampaignConfig = Annotated[HydraCampaign, Field(discriminator="kind")]
"""One entry of ``campaigns``, chosen by its ``kind``."""

CAMPAIGNS: dict[str, type[CampaignBase]] = {"hydra": HydraCampaign}
"""Campaign models by ``kind``."""
