"""Extraction campaigns as a scenario declares them (the ``campaigns`` section).

A campaign is a composition of tactics, one per family, each family in its own
module with its variants discriminated on ``kind``: :mod:`.acquisition`,
:mod:`.access`, :mod:`.infrastructure`, :mod:`.load`, :mod:`.prompts`,
:mod:`.pivot`, :mod:`.camouflage`, :mod:`.adaptation`, :mod:`.budget`,
:mod:`.goal`. :data:`CampaignConfig` is the discriminated union (on ``kind``)
of campaign kinds. These are specs only; :mod:`simulator.campaign` runs them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulator.scenario.campaign.base import CampaignBase
from simulator.scenario.campaign.hydra import HydraCampaign

__all__ = ["CampaignBase", "CampaignConfig", "HydraCampaign"]

CampaignConfig = Annotated[HydraCampaign, Field(discriminator="kind")]
"""One entry of ``campaigns``, chosen by its ``kind``."""
