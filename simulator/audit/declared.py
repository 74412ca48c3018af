"""The signals a scenario's campaigns declare they leave (``signals: [exits, rate]``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["declared_signals"]


def declared_signals(scenario: Any) -> set[str]:
    """The union of the ``signals`` of every campaign of ``scenario``: a validated
    scenario, or the scenario mapping a simulated folder's ``run.json`` holds. A
    campaign without the field declares nothing."""
    campaigns = (scenario.get("campaigns") or []) if isinstance(scenario, Mapping) else scenario.campaigns
    declared: set[str] = set()
    for campaign in campaigns:
        signals = campaign.get("signals") if isinstance(campaign, Mapping) else getattr(campaign, "signals", None)
        declared.update(str(signal) for signal in signals or [])
    return declared
