"""The campaign's goal: what it wants to collect before it stops, for example 50
million output tokens over reasoning and coding (counted as
:mod:`simulator.campaign.goal` says: served tokens, by the templates' true topics).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from simulator.scenario.base import StrictModel
from simulator.units import Count
from simulator.vocabulary import TOPICS

__all__ = ["Goal"]


class Goal(StrictModel):
    """What the campaign wants to collect; it stops when it has."""

    output_tokens: Count | None = Field(
        default=None, description="Output tokens to collect on the goal's capabilities (default: no limit)."
    )
    capabilities: list[str] | None = Field(
        default=None, description="Topics that count toward the goal (default: every topic the campaign targets)."
    )

    @field_validator("capabilities")
    @classmethod
    def _known(cls, capabilities: list[str] | None) -> list[str] | None:
        unknown = sorted(set(capabilities or ()) - set(TOPICS))
        if unknown:
            raise ValueError(f"topic names among: {', '.join(TOPICS)}, got unknown {', '.join(map(repr, unknown))}")
        return capabilities
