"""Resellers: one business serving many end customers through its own organisation(s).

A reseller (an API aggregator, a white-label assistant, a regional distributor)
signs its end customers up as accounts inside its organisation(s) and routes
their traffic through a handful of shared API keys (access pathway
``reseller``), from its own servers' addresses, with its own SDK. Seen from the
provider, hundreds of accounts share one organisation, one payment card, a few
keys, a few datacenter addresses and one client fingerprint, while each
account's traffic is an ordinary person's: the surface of a hydra cluster
without the extraction. It is the false positive an infrastructure-sharing
detector must survive, and the cover a campaign may buy
(:mod:`simulator.campaign` registers its own accounts into these organisations).

End customers are spread over ``resellers`` organisations with Zipf-like sizes
(the first reseller is the largest); each organisation has ``keys_per_org``
shared keys, registered to its first account (the reseller's service account),
``servers_per_org`` egress addresses in one /24 network, and one client install.
Traffic is session-based, like :class:`~simulator.scenario.population.interactive.ChatUsers`.
``org_size``, ``keys_per_account``, ``networks`` and ``browser_share`` do not apply:
the reseller's organisations, keys, servers and SDK replace them.
The actor is :class:`simulator.population.reseller.ResellerGroup`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.scenario.base import EmailStyleWeights, PathwayWeights
from simulator.scenario.population.base import Egress, ModelUse, Reasoning
from simulator.scenario.population.interactive import Interactive
from simulator.scenario.population.sessions import SessionShape
from simulator.units import DAY, Duration, Rate

__all__ = ["Resellers"]


def _reseller_session() -> SessionShape:
    return SessionShape(
        topics={
            "general_qa": 3,
            "coding": 2,
            "creative_writing": 1.5,
            "summarization": 1,
            "rewrite": 1,
            "chit_chat": 1,
            "translation": 1,
            "customer_support": 0.5,
            "reasoning": 0.5,
            "math": 0.5,
            "data_analysis": 0.5,
        },
        templated_share=0.15,
    )


class Resellers(Interactive):
    """A reseller's end customers: accounts in its organisations, behind its shared keys."""

    kind: Literal["reseller"] = Field(description="Resellers serving many end customers through one organisation.")
    resellers: int = Field(default=1, ge=1, description="Reseller organisations the end customers are spread over.")
    keys_per_org: int = Field(default=4, ge=1, description="Shared API keys per organisation (pathway 'reseller').")
    servers_per_org: int = Field(default=6, ge=1, description="Egress addresses per organisation (one /24 network).")
    egress: Egress = Field(
        default_factory=lambda: Egress(pool=0),
        description="None: end customers' requests leave from the reseller's servers only.",
    )
    sessions_per_day: Rate = Field(default=3.0 / DAY, description="Median sessions per end customer per day.")
    session: SessionShape = Field(default_factory=_reseller_session, description="Shape of one session.")
    volume_sigma: float = Field(default=1.6, ge=0, le=4, description="Log-normal sigma of per-account activity.")
    peak_hour: float = Field(default=16.0, ge=0, lt=24, description="Local hour of peak activity (end customers).")
    peak_to_trough: float = Field(default=4.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.7, ge=0, description="Weekend activity relative to weekdays.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {"reseller": 1.0}, description="Weights over sign-up pathways."
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"freemail": 0.65, "corporate": 0.22, "edu": 0.08, "disposable": 0.05},
        description="Weights over e-mail styles.",
    )
    verified_share: float = Field(
        default=0.6, ge=0, le=1, description="Share of accounts with verified identity (the reseller vouches for them)."
    )
    model_use: ModelUse = Field(
        default_factory=lambda: ModelUse(mixed_share=0.25),
        description="How end customers spread their traffic over the models the reseller offers.",
    )
    reasoning: Reasoning = Field(
        default_factory=lambda: Reasoning(share=0.05),
        description="End customers choosing a reasoning model: thinking tokens in their outputs.",
    )
    adoption: Duration = Field(
        default=2 * DAY, gt=0, description="Mean delay before an end customer moves to a newly released model."
    )
