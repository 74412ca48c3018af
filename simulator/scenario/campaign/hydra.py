"""The hydra pool (``kind: hydra``): many fraudulent accounts, one operator.

Every campaign of the 2026 disclosures was a hydra pool: a set of accounts run
as one, behind proxies or a reseller, each kept under its limits, replaced when
banned. Its behaviour is entirely the composition of the tactic blocks of
:class:`~simulator.scenario.campaign.base.CampaignBase`; this kind adds no fields.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.scenario.campaign.base import CampaignBase

__all__ = ["HydraCampaign"]


class HydraCampaign(CampaignBase):
    """A hydra cluster: a pool of fraudulent accounts run as one (2026 reports)."""

    kind: Literal["hydra"] = Field(description="A pool of accounts run as one, behind proxies or a reseller.")
