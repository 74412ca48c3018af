"""Extraction campaigns (the ``campaigns`` section of a scenario).

:data:`CampaignConfig` is the discriminated union (on ``kind``) of every campaign
kind's schema; each model's ``build`` method makes the actor that runs it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulator.campaign.base import CampaignBase
from simulator.campaign.hydra import HydraCampaign

__all__ = ["CAMPAIGNS", "CampaignBase", "CampaignConfig"]

CampaignConfig = Annotated[HydraCampaign, Field(discriminator="kind")]
"""One entry of ``campaigns``, chosen by its ``kind``."""

CAMPAIGNS: dict[str, type[CampaignBase]] = {"hydra": HydraCampaign}
"""Campaign models by ``kind``."""
