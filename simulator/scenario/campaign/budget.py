"""Budget: what a campaign can afford, and the unit prices it pays (USD).

How each cost is charged, and how a budget caps requests and sign-ups, is in
:mod:`simulator.campaign.budget`.
"""

from __future__ import annotations

from pydantic import Field

from simulator.scenario.base import StrictModel
from simulator.units import Count

__all__ = ["Budget"]


class Budget(StrictModel):
    """Money available to the campaign and unit prices."""

    total: Count | None = Field(default=None, description="USD available, e.g. 250k (default: unlimited).")
    per_account: float = Field(default=0.0, ge=0, description="USD per account created or bought.")
    per_proxy_ip: float = Field(default=0.0, ge=0, description="USD per proxy exit address per day.")
    token_price: float = Field(
        default=1.0,
        ge=0,
        description="Share of the list token price the campaign pays (0: stolen cards or free credits).",
    )
