"""The scenario schema: what a YAML scenario file may say, validated and frozen.

A scenario fixes the world: when it starts and for how long, how the gateway
limits traffic, which models exist, how noisy the provider's classifiers are,
which legitimate customers use the API (``population``) and which extraction
campaigns attack it (``campaigns``). Population entries and campaigns are
discriminated unions on ``kind``; their models live in
:mod:`simulator.scenario.population` and :mod:`simulator.scenario.campaign`.
An optional ``deployment`` section says which real customer base the simulated
customers stand for; it changes how a run is evaluated, never what is simulated.

Loading a file with located error messages is :mod:`simulator.scenario.loading`'s job;
this module only defines the models.
"""

from __future__ import annotations

import difflib
import itertools
import math
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from simulator.scenario.base import AccountCount, StrictModel
from simulator.scenario.campaign import CampaignConfig
from simulator.scenario.paths import PathError, check_path, check_value
from simulator.scenario.population import ArchetypeConfig
from simulator.scenario.search import SearchParam
from simulator.units import DAY, Duration, Rate, SignedDuration

__all__ = [
    "ClassifierNoise",
    "Deployment",
    "GatewayConfig",
    "Limits",
    "ModelRelease",
    "Pricing",
    "Scenario",
    "Tier",
    "check_search",
]

SCHEMA_VERSION = 1


class Limits(StrictModel):
    """Sustained rate limits of one token bucket; the bucket holds ``burst`` seconds
    of each limit (see :class:`GatewayConfig`)."""

    requests: Rate = Field(description="Requests per second; YAML may say '50/min'.")
    input_tokens: Rate = Field(description="Input tokens per second; YAML may say '40k/min'.")
    output_tokens: Rate = Field(description="Output tokens per second; YAML may say '8k/min'.")

    def scaled(self, factor: float) -> Limits:
        return Limits(
            requests=self.requests * factor,
            input_tokens=self.input_tokens * factor,
            output_tokens=self.output_tokens * factor,
        )


class Tier(StrictModel):
    """A rate-limit tier. An account (or organisation) is in the highest tier whose
    age and cumulative spend requirements it meets."""

    name: str = Field(min_length=1, description="Tier name, shown in the account registry.")
    min_age: Duration = Field(default=0.0, description="Minimum account age to reach this tier, e.g. '7d'.")
    min_spend: float = Field(default=0.0, ge=0, description="Minimum cumulative spend in USD to reach this tier.")
    account: Limits = Field(description="Limits of each account in this tier.")
    org: Limits | None = Field(
        default=None, description="Limits of each organisation in this tier (default: 20 times the account limits)."
    )

    @property
    def org_limits(self) -> Limits:
        return self.org if self.org is not None else self.account.scaled(20.0)


def _default_tiers() -> list[Tier]:
    per_min = 1 / 60
    rows = [
        ("tier-1", 0.0, 5.0, 50, 50_000, 10_000),
        ("tier-2", 7 * DAY, 40.0, 1_000, 450_000, 90_000),
        ("tier-3", 14 * DAY, 200.0, 2_000, 800_000, 160_000),
        ("tier-4", 30 * DAY, 400.0, 4_000, 2_000_000, 400_000),
    ]
    return [
        Tier(
            name=name,
            min_age=age,
            min_spend=spend,
            account=Limits(requests=rpm * per_min, input_tokens=itpm * per_min, output_tokens=otpm * per_min),
        )
        for name, age, spend, rpm, itpm, otpm in rows
    ]


class Pricing(StrictModel):
    """List prices, used for spend (tier promotion) and campaign budgets."""

    input_per_mtok: float = Field(default=3.0, ge=0, description="USD per million input tokens.")
    output_per_mtok: float = Field(default=15.0, ge=0, description="USD per million output tokens.")


class GatewayConfig(StrictModel):
    """The API gateway: rate-limit tiers, prices and how often tiers are reviewed."""

    tiers: list[Tier] = Field(
        default_factory=_default_tiers, min_length=1, description="Rate-limit tiers, lowest first."
    )
    pricing: Pricing = Field(default_factory=Pricing, description="List prices in USD.")
    burst: Duration = Field(
        default=60.0, gt=0, description="Bucket capacity in seconds of the sustained limit ('60s': one minute's worth)."
    )
    tier_review: Duration = Field(default=3600.0, gt=0, description="How often tiers are recomputed, e.g. '1h'.")

    @field_validator("tiers")
    @classmethod
    def _unique_and_ordered(cls, tiers: list[Tier]) -> list[Tier]:
        names = [tier.name for tier in tiers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"unique tier names, got {duplicates} more than once")
        for lower, upper in itertools.pairwise(tiers):
            if upper.min_spend < lower.min_spend or upper.min_age < lower.min_age:
                raise ValueError(f"tiers ordered by requirements, but {upper.name!r} asks less than {lower.name!r}")
        return tiers

    def tier_index(self, name: str) -> int:
        for i, tier in enumerate(self.tiers):
            if tier.name == name:
                return i
        raise KeyError(f"Unknown tier {name!r}; tiers: {', '.join(t.name for t in self.tiers)}")


class ModelRelease(StrictModel):
    """A model served by the API and when it was released."""

    name: str = Field(min_length=1, description="Model name as it appears in requests.")
    released: SignedDuration = Field(
        default=-180 * DAY,
        description="Release time relative to the scenario start; negative means before it ('-90d').",
    )


def _default_models() -> list[ModelRelease]:
    return [
        ModelRelease(name="frontier-pro-1", released=-200 * DAY),
        ModelRelease(name="frontier-flash-1", released=-120 * DAY),
    ]


class ClassifierNoise(StrictModel):
    """Error rates of the provider's classifiers behind the noisy visible labels.

    Each label is replaced by a wrong one with this probability (uniform over the
    other labels; for ``cot_requested`` the flag is flipped)."""

    topic: float = Field(default=0.10, ge=0, le=1, description="Error rate of the topic classifier.")
    cot_requested: float = Field(
        default=0.05, ge=0, le=1, description="Error rate of the chain-of-thought-request detector."
    )
    language: float = Field(default=0.02, ge=0, le=1, description="Error rate of language identification.")


class Deployment(StrictModel):
    """The customer base a scenario stands for: the prevalence its figures are read at.

    A scenario simulates thousands of customers beside campaigns at the size of the
    public reports, so attackers are 10–60% of its active accounts; a provider has
    millions of customers. For the figures at deployment conditions
    (:mod:`simulator.metrics.weights`), every simulated **active** customer (one that
    sent a request in the run) of a population group ``g`` stands for

        w_g = represented_g / simulated active customers of g      (accounts per account)

    customers, where ``represented_g`` is ``groups[g]`` for a listed group and, for the
    groups not listed, their share of what is left, ``customers − Σ groups``, in
    proportion to their active customers (one weight for all of them). A group with no
    active customer in a run stands for nobody in that run. Attacker accounts stand for
    ``1 / scale`` accounts each (themselves at full size), so that a scaled-down run
    estimates the full scenario's figures at this prevalence.

    ``customers`` counts the customers active over the scenario's span (a week for a
    week-long scenario), like the simulated customers it is compared with. It does not
    change what is simulated, only how it is evaluated; ``--scale`` leaves it as it is.
    """

    customers: AccountCount = Field(
        gt=0,
        description="Active customer accounts of the real customer base the simulated active customers stand for, "
        "e.g. '2M'.",
    )
    groups: dict[str, AccountCount] = Field(
        default_factory=dict,
        description="Represented customers per population group name (e.g. {'batch-4': '20k'}); groups not listed "
        "share the rest of 'customers' in proportion to their simulated active customers.",
    )

    @model_validator(mode="after")
    def _groups_within_customers(self) -> Deployment:
        listed = sum(self.groups.values())
        if listed > self.customers:
            raise ValueError(f"groups adding up to at most customers ({self.customers:,}; they add up to {listed:,})")
        zero = sorted(name for name, count in self.groups.items() if count <= 0)
        if zero:
            raise ValueError(f"groups standing for at least one customer each, got 0 for {zero}")
        return self


def _located(loc: tuple[str, ...], message: str, given: object) -> ValidationError:
    """A validation error at ``loc`` (so that the loader points at that key's line), saying
    what was expected (``message``) and what was given."""
    return ValidationError.from_exception_data(
        "Scenario", [InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=given)]
    )


def check_search(param: SearchParam) -> None:
    """Raise :class:`ValueError` unless ``param`` names a scenario field (by path) and
    gives either a range (``low`` and ``high``) or ``choices``, every one of which fits
    that field."""
    try:
        types_ = check_path(param.path, Scenario)
    except PathError as exc:
        raise ValueError(str(exc)) from None
    ranged = param.low is not None and param.high is not None
    if ranged == (param.choices is not None) or (param.low is None) != (param.high is None):
        raise ValueError(f"either low and high or choices for {param.path}, got neither or both")
    for value in param.choices or [param.low, param.high]:
        reason = check_value(types_, value)
        if reason is not None:
            raise ValueError(f"values that fit {param.path} ({reason}), got {value!r}")


def _searchable(value: object, handler: ValidatorFunctionWrapHandler) -> SearchParam:
    # a wrap validator, so that an error names the entry as written, like a field error does
    param = handler(value)
    check_search(param)
    return param


class Scenario(StrictModel):
    """One simulated world: legitimate customers, extraction campaigns and the gateway."""

    version: Literal[1] = Field(description="Scenario schema version; currently 1.")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="Short identifier (lowercase, digits, '-', '_').")
    description: str = Field(default="", description="What this scenario models and why.")
    seed: int = Field(default=0, ge=0, description="Root random seed; the command line may override it.")
    start: AwareDatetime = Field(description="UTC start time, e.g. 2026-03-02T00:00:00Z.")
    duration: Duration = Field(gt=0, description="Simulated time span, e.g. '7d'.")
    tick: Duration = Field(default=60.0, gt=0, description="Gateway tick: detectors see one batch per tick, e.g. '1m'.")
    gateway: GatewayConfig = Field(default_factory=GatewayConfig, description="Rate limits, tiers and prices.")
    models: list[ModelRelease] = Field(
        default_factory=_default_models, min_length=1, description="Models served, with release times."
    )
    classifier_noise: ClassifierNoise = Field(
        default_factory=ClassifierNoise, description="Error rates of the noisy visible labels."
    )
    population: list[ArchetypeConfig] = Field(
        default_factory=list, description="Legitimate customer groups (discriminated on 'kind')."
    )
    campaigns: list[CampaignConfig] = Field(
        default_factory=list, description="Extraction campaigns (discriminated on 'kind')."
    )
    deployment: Deployment | None = Field(
        default=None,
        description="The real customer base the simulated customers stand for (the prevalence figures at deployment "
        "conditions are read at); default: evaluated as simulated.",
    )
    search: list[Annotated[SearchParam, WrapValidator(_searchable)]] | None = Field(
        default=None,
        exclude=True,
        description="Campaign parameters the red-team search may vary, with their bounds (default: accounts, rate, "
        "limit fraction, rotation, proxy kind, timing, camouflage share and sign-up mix of the first campaign).",
    )

    @field_validator("start")
    @classmethod
    def _utc(cls, start: datetime) -> datetime:
        return start.astimezone(UTC)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.tick > self.duration:
            raise ValueError(f"tick ({self.tick:g}s) no longer than duration ({self.duration:g}s)")
        names = [actor.actor_name(i) for i, actor in enumerate(self.population)]
        names += [campaign.name for campaign in self.campaigns]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"unique names for population groups and campaigns, got {duplicates} more than once")
        model_names = [model.name for model in self.models]
        if len(set(model_names)) != len(model_names):
            raise ValueError(f"unique model names, got {model_names}")
        for actor in [*self.population, *self.campaigns]:
            for model in actor.model_names():
                if model not in model_names:
                    raise ValueError(f"{actor.kind} group uses model {model!r}, which is not in models {model_names}")
        group_kinds = {group.actor_name(i): group.kind for i, group in enumerate(self.population)}
        tiers = [tier.name for tier in self.gateway.tiers]
        for campaign in self.campaigns:
            campaign.check_against(group_kinds, tiers)
        if self.deployment is not None:
            self._check_deployment(self.deployment, list(group_kinds))
        return self

    @staticmethod
    def _check_deployment(deployment: Deployment, groups: list[str]) -> None:
        if not groups:
            raise _located(("deployment",), "a population for the customers to stand for (no population group)", None)
        for name in deployment.groups:
            if name not in groups:
                close = difflib.get_close_matches(name, groups, n=1, cutoff=0.5)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise _located(
                    ("deployment", "groups", name),
                    f"a population group name ({hint}groups here: {', '.join(groups)})",
                    name,
                )
        listed = sum(deployment.groups.values())
        if set(groups) <= set(deployment.groups) and listed != deployment.customers:
            raise _located(
                ("deployment", "groups"),
                f"groups adding up to customers ({deployment.customers:,}) when every population group is listed "
                f"(they add up to {listed:,})",
                dict(deployment.groups),
            )

    @property
    def group_names(self) -> list[str]:
        """Population group names, in scenario order (``name``, or ``<kind>-<index>``)."""
        return [group.actor_name(i) for i, group in enumerate(self.population)]

    def resolved(
        self, *, seed: int | None = None, duration: float | None = None, scale: float = 1.0, tick: float | None = None
    ) -> Scenario:
        """This scenario with command-line overrides applied and validated again:
        another root ``seed``, another ``duration`` (seconds), another ``tick``
        (seconds; coarser ticks cut the per-tick cost of quick runs), and account
        counts, shared infrastructure and goals multiplied by ``scale``."""
        if not math.isfinite(scale) or scale <= 0:
            raise ValueError(f"The 'scale' must be a finite number in the range (0, inf). Got {scale} instead.")
        update: dict[str, object] = {
            "population": [group.scaled(scale) for group in self.population],
            "campaigns": [campaign.scaled(scale) for campaign in self.campaigns],
        }
        if seed is not None:
            update["seed"] = seed
        if duration is not None:
            update["duration"] = duration
        if tick is not None:
            update["tick"] = tick
        update["tick"] = min(float(update.get("tick", self.tick)), float(update.get("duration", self.duration)))
        return Scenario.model_validate(self.model_copy(update=update).model_dump())

    @property
    def n_ticks(self) -> int:
        """Number of ticks: ``ceil(duration / tick)``."""
        return int(-(-self.duration // self.tick))
