"""What every extraction campaign is made of: a composition of tactic blocks.

A campaign names its accounts and time span and then picks a tactic from each
family (every family documented in its own module, variants discriminated on
``kind``):

==================  =======================================================
block               module
==================  =======================================================
``acquisition``     :mod:`~simulator.campaign.acquisition` (creation, sign-up, ageing, seeding, reserve)
``access``          :mod:`~simulator.campaign.access` (direct, or behind a reseller)
``infrastructure``  :mod:`~simulator.campaign.infrastructure` (proxies, rotation, clients, payment)
``load``            :mod:`~simulator.campaign.load` (load spreading, timing, rhythm)
``conversations``   :mod:`~simulator.campaign.conversations` (single turns, threads, trajectories)
``prompts``         :mod:`~simulator.campaign.prompts` (templates, CoT, languages; ``phases``)
``pivot``           :mod:`~simulator.campaign.pivot` (move to a new model)
``camouflage``      :mod:`~simulator.campaign.camouflage` (benign filler)
``resale``          :mod:`~simulator.campaign.resale` (resold customers' traffic through the accounts)
``adaptation``      :mod:`~simulator.campaign.adaptation` (on ban, throttle, challenge)
``budget``          :mod:`~simulator.campaign.budget`
``goal``            :mod:`~simulator.campaign.goal`
==================  =======================================================

Sources for the defaults: provider disclosures of 2026 (about 24,000 fraudulent
accounts and 16 million exchanges; 25,000 accounts and 28.8 million
interactions in 44 days; proxy "hydra" networks of 20,000+ accounts; sign-up
through education, research and start-up programmes; shared payment; templated
prompts concentrated on reasoning, coding and agentic capabilities, eliciting
chain-of-thought).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulator.scenario.base import AccountCount, StrictModel, scale_count
from simulator.scenario.campaign.access import Access, DirectAccess
from simulator.scenario.campaign.acquisition import Acquisition
from simulator.scenario.campaign.adaptation import Adaptation
from simulator.scenario.campaign.budget import Budget
from simulator.scenario.campaign.camouflage import Camouflage
from simulator.scenario.campaign.conversations import Conversations, Threads
from simulator.scenario.campaign.goal import Goal
from simulator.scenario.campaign.infrastructure import Infrastructure
from simulator.scenario.campaign.load import LoadPlan
from simulator.scenario.campaign.pivot import ModelPivot
from simulator.scenario.campaign.prompts import PromptPhase, PromptPlan
from simulator.scenario.campaign.resale import NoResale, Resale
from simulator.scenario.signals import SIGNALS
from simulator.units import Duration

Signal = Literal[SIGNALS]  # type: ignore[valid-type]

__all__ = ["CampaignBase"]


class CampaignBase(StrictModel):
    """Fields shared by every campaign kind: one tactic per family."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Campaign name (ground truth label).")
    signals: list[Signal] = Field(
        default_factory=list,
        description="The signals this campaign's tactics are meant to leave (see docs/audit.md), e.g. "
        "[exits, payment]: `extractbench audit` fails a scenario in which a feature of an undeclared signal "
        "separates attackers from customers.",
    )
    accounts: AccountCount = Field(description="Accounts in the pool (all waves together); '2k' allowed.")
    start: Duration = Field(default=0.0, description="When the campaign starts, relative to the scenario start.")
    end: Duration | None = Field(default=None, description="When it stops (default: the end of the scenario).")
    model: str | None = Field(
        default=None, description="Model harvested (default: the newest model released when the campaign starts)."
    )
    models: dict[str, Annotated[float, Field(ge=0)]] | None = Field(
        default=None,
        description="Weights over the models harvested, instead of one 'model' (default: one model). Each "
        "conversation (or account, see model_mix) draws one among those released by then.",
    )
    model_mix: Literal["conversation", "account"] = Field(
        default="conversation",
        description="With 'models': draw the model for every conversation, or once per account (pinned).",
    )
    pivot: ModelPivot | None = Field(default=None, description="Move traffic to a newly released model (default: no).")
    acquisition: Acquisition = Field(default_factory=Acquisition, description="How accounts are obtained and readied.")
    access: Access = Field(
        default_factory=lambda: DirectAccess(kind="direct"),
        description="Own organisations and keys ('direct'), or a reseller's ('reseller').",
    )
    infrastructure: Infrastructure = Field(
        default_factory=Infrastructure, description="Proxies, rotation, client fingerprints and payment."
    )
    load: LoadPlan = Field(default_factory=LoadPlan, description="Load spreading over accounts and time.")
    conversations: Conversations = Field(
        default_factory=lambda: Threads(kind="threads"),
        description="How requests are threaded into conversations: single_turn, threads (default: like chat "
        "customers') or trajectories (agent and coding sessions).",
    )
    prompts: PromptPlan = Field(default_factory=PromptPlan, description="What the campaign asks from its start.")
    phases: list[PromptPhase] = Field(
        default_factory=list, description="Later prompt plans, each from its 'after' on (in order)."
    )
    camouflage: Camouflage = Field(default_factory=Camouflage, description="Benign filler mixed into the traffic.")
    resale: Resale = Field(
        default_factory=lambda: NoResale(kind="none"),
        description="Unrelated customers' conversations resold through the accounts: none (default), or "
        "{kind: customers, share: 0.4, profile: chat} (per request labelled benign; the accounts stay the attacker's).",
    )
    adaptation: Adaptation = Field(
        default_factory=Adaptation, description="Reactions to bans, throttles and challenges."
    )
    budget: Budget = Field(default_factory=Budget, description="Money available and unit prices.")
    goal: Goal = Field(default_factory=Goal, description="What the campaign wants to collect.")

    @model_validator(mode="after")
    def _ordered(self) -> CampaignBase:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"an end after the start ({self.start:g}s), got {self.end:g}s")
        afters = [phase.after for phase in self.phases]
        if afters != sorted(set(afters)):
            raise ValueError(f"phases in order of 'after', each at its own time, got {afters}")
        names = [phase.name for phase in self.phases]
        if len(set(names)) != len(names):
            raise ValueError(f"unique phase names, got {names}")
        if self.model is not None and self.models is not None:
            raise ValueError(
                f"either one 'model' or weights over 'models', got both ({self.model!r} and {self.models})"
            )
        if self.models is not None and sum(self.models.values()) <= 0:
            raise ValueError(f"'models' weights that add up to more than 0, got {self.models}")
        return self

    def actor_name(self, index: int) -> str:
        return self.name

    def model_names(self) -> list[str]:
        """Models this campaign names (checked against the scenario's models)."""
        names = [self.model] if self.model else sorted(self.models or {})
        if self.pivot is not None and self.pivot.to is not None:
            names.append(self.pivot.to)
        return names

    def check_against(self, group_kinds: Mapping[str, str], tiers: Sequence[str]) -> None:
        """Raise ``ValueError`` when the campaign refers to something the scenario lacks:
        the reseller group it hides behind (``group_kinds``: population group name →
        kind), or the rate-limit tier it aims for (``tiers``: tier names)."""
        reseller = self.access.reseller_name()
        if reseller is not None:
            if reseller not in group_kinds:
                raise ValueError(
                    f"campaign {self.name!r} to route through a population group, but {reseller!r} is not among "
                    f"{sorted(group_kinds)}"
                )
            kind = group_kinds[reseller]
            if kind != "reseller":
                raise ValueError(
                    f"campaign {self.name!r} to route through a group of kind reseller, "
                    f"but {reseller!r} is a {kind} group"
                )
        moved = getattr(self.adaptation.on_audit, "reseller", None)
        if moved is not None and group_kinds.get(moved) != "reseller":
            found = f"a {group_kinds[moved]} group" if moved in group_kinds else f"not among {sorted(group_kinds)}"
            raise ValueError(
                f"campaign {self.name!r} to move after an audit behind a population group of kind reseller, but "
                f"{moved!r} is {found}"
            )
        acq = self.acquisition
        if acq.target_tier is not None and acq.target_tier not in tiers:
            raise ValueError(
                f"campaign {self.name!r} to aim for a tier among {list(tiers)}, but {acq.target_tier!r} is not one "
                "of them"
            )
        seeding = acq.seeding
        if seeding.kind != "none" and seeding.spend is None and acq.target_tier is None:
            raise ValueError(f"campaign {self.name!r} seeding to give a spend, or a target_tier to take it from")

    def scaled(self, factor: float) -> CampaignBase:
        """A copy with accounts, shared infrastructure, the goal and the budget multiplied by ``factor``."""
        goal, total = self.goal.output_tokens, self.budget.total
        return self.model_copy(
            update={
                "accounts": scale_count(self.accounts, factor),
                "infrastructure": self.infrastructure.scaled(factor),
                "goal": self.goal.model_copy(update={"output_tokens": None if goal is None else goal * factor}),
                "budget": self.budget.model_copy(update={"total": None if total is None else total * factor}),
            }
        )
