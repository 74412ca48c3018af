"""What every legitimate customer group has, as a scenario declares it: accounts,
organisations, keys, locations, client software, model preferences, a daily
rhythm and heavy-tailed activity.

:class:`PopulationBase` holds the schema fields common to every archetype and
:class:`Rhythmic` adds the shared rhythm and volume fields; the archetypes
(:mod:`~simulator.scenario.population.interactive`,
:mod:`~simulator.scenario.population.scheduled`,
:mod:`~simulator.scenario.population.reseller`) add the traffic shape. The
actors that generate the traffic are in :mod:`simulator.population`.

Calibrated defaults (``extractbench calibrate`` on the public traces, see
``docs/calibration.md``): ``volume_sigma`` 2.27 is the log-normal σ whose Gini
equals ServeGen's per-client Gini (0.89); ``burst_shape`` 0.36 and
``burst_scaling`` 0.77 fit the Gamma shape of ServeGen clients' hour-to-hour rate
swings against their volume; ``arrival_cv`` 1.96 is the median ServeGen client's
rate-weighted inter-arrival CV in ten-minute windows.

Egress addresses: besides its home network and a mobile address, an account has
a pool of further addresses its traffic leaves from (servers behind autoscaling,
offices, VPN exits, travel): ``pool · activity^½ · exp(0.8 z)`` of them
(rounded, at most :data:`~simulator.population.base.EGRESS_MAX`), a share
``abroad`` of them in other countries, and a share ``share`` of requests (or
sessions) leave through one of them. A share ``home_abroad`` of accounts have
their home network itself in another country than the one they declared (an
application hosted in a foreign cloud region, a corporate VPN that egresses at
headquarters, someone living abroad), so that their main exit country differs
from the declared one; their pool is then in that country too. Foreign
countries are drawn by :data:`~simulator.population.base.ABROAD_WEIGHTS`
(cloud regions and VPN exits concentrate in a few hubs).

Models (:class:`ModelUse`): an account pins one model per integration and moves
to a newer one only when it adopts it; a share ``mixed_share`` of accounts also
send part of their traffic to a second model (a flagship for one feature, a
cheap model for another). The rule is in :mod:`simulator.population.adoption`.

Reasoning (:class:`Reasoning`): a share of accounts run a reasoning model or
extended thinking; their answers carry thinking tokens, billed and logged as
output tokens, so their outputs are thousands of tokens long.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulator.scenario.base import (
    AccountCount,
    AgeRange,
    CountryWeights,
    EmailStyleWeights,
    PathwayWeights,
    StrictModel,
    scale_count,
)
from simulator.scenario.lengths import TokenLengths
from simulator.units import DAY, Duration
from simulator.vocabulary import ACCESS_PATHWAYS

__all__ = [
    "AccessWeights",
    "Egress",
    "ModelUse",
    "NetworkWeights",
    "PopulationBase",
    "Reasoning",
    "Rhythmic",
]


class Egress(StrictModel):
    """An account's pool of further egress addresses (see the module docstring)."""

    pool: float = Field(
        default=2.0, ge=0, description="Median number of addresses in the pool, times activity^½; 0: none."
    )
    share: float = Field(default=0.2, ge=0, le=1, description="Share of requests (sessions) leaving through the pool.")
    abroad: float = Field(
        default=0.05, ge=0, le=1, description="Share of the pool's addresses in other countries (cloud regions, VPNs)."
    )
    home_abroad: float = Field(
        default=0.04,
        ge=0,
        le=1,
        description="Share of accounts whose home network is in another country than the declared one (travel, "
        "VPN, living abroad; for servers: a foreign cloud region).",
    )


class ModelUse(StrictModel):
    """How an account spreads its traffic over the models it has adopted.

    Each account pins one model (its integration's); a share ``mixed_share`` of
    accounts send a share of their requests (sessions, jobs), uniform in
    ``mixed_traffic`` per account, to a second model. See
    :mod:`simulator.population.adoption` for which models and when they change.
    """

    mixed_share: float = Field(
        default=0.15, ge=0, le=1, description="Share of accounts that also use a second model (another feature)."
    )
    mixed_traffic: tuple[float, float] = Field(
        default=(0.1, 0.5),
        description="Range (low, high) of the share of a mixing account's traffic on its second model; uniform "
        "per account.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> ModelUse:
        low, high = self.mixed_traffic
        if not 0 <= low <= high <= 1:
            raise ValueError(f"mixed_traffic as (low, high) with 0 <= low <= high <= 1, got ({low:g}, {high:g})")
        return self


class Reasoning(StrictModel):
    """Accounts that run a reasoning model (or extended thinking) for their integration.

    A request of such an account produces ``answer + thinking`` output tokens, with
    ``thinking`` drawn from ``thinking_tokens``, capped at the request's
    ``max_tokens``, which such an account takes from ``max_tokens`` (the budget
    must exceed the thinking: Anthropic's extended thinking needs at least 1,024
    thinking tokens and ``max_tokens`` above the budget; thinking tokens are
    billed as output). Thinking is not carried over as context in later turns.
    """

    share: float = Field(default=0.0, ge=0, le=1, description="Share of accounts using a reasoning model.")
    thinking_tokens: TokenLengths = Field(
        default_factory=lambda: TokenLengths(median=1200, sigma=1.0, min=64, max=64_000),
        description="Thinking tokens per request before max_tokens (added to the answer's output tokens).",
    )
    max_tokens: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=lambda: [16_000, 32_000, 64_000],
        min_length=1,
        description="max_tokens values reasoning accounts choose from (one per account).",
    )


NetworkWeights = dict[
    Literal["residential", "mobile", "corporate", "datacenter", "education"], Annotated[float, Field(ge=0)]
]
AccessWeights = dict[Literal[ACCESS_PATHWAYS], Annotated[float, Field(ge=0)]]  # type: ignore[valid-type]


class PopulationBase(StrictModel):
    """Fields shared by every legitimate customer archetype."""

    name: str | None = Field(default=None, description="Group name (default: the kind, numbered when repeated).")
    accounts: AccountCount = Field(description="Number of accounts in the group; '2k' allowed.")
    countries: CountryWeights | None = Field(
        default=None, description="Weights over country codes (default: a global customer mix)."
    )
    account_age: AgeRange = Field(default_factory=AgeRange, description="Account age at the scenario start.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {
            "direct": 0.8,
            "education": 0.06,
            "startup": 0.05,
            "marketplace": 0.04,
            "enterprise": 0.03,
            "research": 0.02,
        },
        description="Weights over sign-up pathways.",
    )
    access_pathways: AccessWeights = Field(
        default_factory=lambda: {"direct_api": 1.0}, description="Weights over how requests reach the API."
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"freemail": 0.55, "corporate": 0.33, "edu": 0.08, "disposable": 0.04},
        description="Weights over e-mail styles.",
    )
    org_size: int = Field(default=1, ge=1, description="Accounts per organisation (1: individuals).")
    keys_per_account: int = Field(default=1, ge=1, le=2, description="API keys per account.")
    verified_share: float = Field(default=0.9, ge=0, le=1, description="Share of accounts with verified identity.")
    min_tier: str | None = Field(default=None, description="Lowest rate-limit tier (contracts); default: none.")
    networks: NetworkWeights = Field(
        default_factory=lambda: {"residential": 0.6, "corporate": 0.3, "mobile": 0.1},
        description="Weights over the kinds of network customers connect from.",
    )
    browser_share: float = Field(default=0.2, ge=0, le=1, description="Share of accounts using a browser client.")
    egress: Egress = Field(
        default_factory=Egress, description="Further addresses the account's traffic leaves from (offices, VPNs)."
    )
    models: dict[str, Annotated[float, Field(ge=0)]] | None = Field(
        default=None, description="Base weights over model names (default: equal over all models)."
    )
    model_use: ModelUse = Field(
        default_factory=ModelUse, description="How accounts spread their traffic over models (pinned, mixed)."
    )
    reasoning: Reasoning = Field(
        default_factory=Reasoning, description="Accounts running a reasoning model: thinking tokens in their outputs."
    )
    adoption: Duration = Field(
        default=7 * DAY,
        gt=0,
        description="Mean delay before an account moves to a newly released model (exponential), e.g. '7d'.",
    )
    english_share: float = Field(
        default=0.4, ge=0, le=1, description="Share of non-English-country accounts writing in English."
    )

    def actor_name(self, index: int) -> str:
        return self.name or f"{getattr(self, 'kind', 'group')}-{index}"

    def model_names(self) -> list[str]:
        return sorted(self.models or {})

    def scaled(self, factor: float) -> PopulationBase:
        """A copy with the account count multiplied by ``factor`` (at least 1 if it was)."""
        return self.model_copy(update={"accounts": scale_count(self.accounts, factor)})


class Rhythmic(PopulationBase):
    """Daily and weekly rhythm, heavy-tailed volume and burstiness (every archetype).

    An account's expected activity at simulation time ``t`` is
    ``activity · diurnal(local hour) · weekly(local weekday) · burst``: ``activity``
    is log-normal (median 1, σ ``volume_sigma``) and fixed per account;
    ``diurnal`` is a cosine with its peak at ``peak_hour`` local time and
    ``peak_to_trough`` between busiest and quietest hour; ``weekly`` gives weekend
    days ``weekend_factor`` of a weekday; ``burst`` is a fresh mean-one Gamma draw
    per account and planning step, of shape ``burst_shape · activity^burst_scaling``
    (heavy accounts, which aggregate many users or jobs, are smoother).
    """

    volume_sigma: float = Field(
        default=2.27,
        ge=0,
        le=4,
        description="Log-normal sigma of per-account activity (heavier tail when larger; fit: ServeGen Gini 0.89).",
    )
    burst_shape: float = Field(
        default=0.36,
        gt=0,
        description="Gamma shape of a median account's per-step activity multiplier (smaller: burstier; fit: "
        "ServeGen 0.36).",
    )
    burst_scaling: float = Field(
        default=0.77,
        ge=0,
        le=2,
        description="How much smoother heavier accounts are: shape × activity^scaling (fit: ServeGen 0.77).",
    )
    arrival_cv: float = Field(
        default=1.96,
        gt=0,
        le=10,
        description="Inter-arrival CV of an account's arrivals in a planning step (1: Poisson; fit: ServeGen 1.96).",
    )
    peak_hour: float = Field(default=14.0, ge=0, lt=24, description="Local hour of peak activity.")
    peak_to_trough: float = Field(default=3.0, ge=1, description="Ratio of peak to trough hourly activity.")
    weekend_factor: float = Field(default=0.6, ge=0, description="Weekend activity relative to weekdays.")
    plan_interval: Duration = Field(default=3600.0, gt=0, description="How often the group plans its traffic.")
