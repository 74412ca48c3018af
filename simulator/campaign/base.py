"""What every extraction campaign has: fraudulent accounts, infrastructure, a
prompt plan, a reaction to bans and a goal.

The schema pieces here (:class:`Acquisition`, :class:`Infrastructure`,
:class:`PromptPlan`, :class:`Replacement`, :class:`Goal`) are shared by the
campaign kinds; :class:`CampaignActor` creates accounts through them, renders
prompts, and replaces banned accounts, so that a kind only decides *when* and
*how much* its accounts send.

Sources for the defaults: provider disclosures of 2026 (about 24,000 fraudulent
accounts and 16 million exchanges; 25,000 accounts and 28.8 million interactions
in 44 days; proxy "hydra" networks of 20,000+ accounts; sign-up through
education, research and start-up programmes; shared payment; templated prompts
concentrated on reasoning, coding and agentic capabilities, eliciting
chain-of-thought).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import Field

from simulator.actor import Actor
from simulator.config import (
    AccountCount,
    AgeRange,
    CountryWeights,
    LanguageWeights,
    LogNormal,
    PathwayWeights,
    StrictModel,
    TopicWeights,
    normalised,
)
from simulator.gateway import Enforcement
from simulator.geography import country_codes
from simulator.identity import SIGNUP_PATHWAYS, payment_fingerprints
from simulator.network import AsnKind
from simulator.population.base import scale_count
from simulator.prompts import LANGUAGES, TemplateLibrary
from simulator.registry import NewAccounts
from simulator.traffic import RequestBlock
from simulator.units import Count, Duration

__all__ = [
    "Acquisition",
    "CampaignActor",
    "CampaignBase",
    "Goal",
    "Infrastructure",
    "PromptPlan",
    "Replacement",
]


class Acquisition(StrictModel):
    """How the campaign's accounts are obtained."""

    account_age: AgeRange = Field(
        default_factory=lambda: AgeRange(min=86400.0, max=30 * 86400.0),
        description="Age of the initial accounts at the campaign start (aged accounts climb tiers).",
    )
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {"education": 0.4, "research": 0.3, "startup": 0.3},
        description="Weights over sign-up pathways (the weakest verification paths).",
    )
    email_styles: dict[Literal["corporate", "freemail", "edu", "disposable"], Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {"freemail": 0.6, "edu": 0.25, "disposable": 0.15},
        description="Weights over e-mail styles of the fake identities.",
    )
    declared_countries: CountryWeights = Field(
        default_factory=lambda: {"US": 0.6, "GB": 0.2, "SG": 0.2},
        description="Weights over the countries the accounts claim.",
    )
    verified_share: float = Field(default=0.3, ge=0, le=1, description="Share of accounts passing verification.")
    access_pathways: dict[Literal["cloud_marketplace", "direct_api", "reseller"], Annotated[float, Field(ge=0)]] = (
        Field(default_factory=lambda: {"direct_api": 1.0}, description="Weights over how requests reach the API.")
    )
    initial_spend: float = Field(
        default=0.0, ge=0, description="USD spent per account before the start (tier seeding)."
    )


class Infrastructure(StrictModel):
    """Proxies, client fingerprints and payment instruments behind the accounts."""

    proxies: Literal["residential", "datacenter", "mobile"] = Field(
        default="residential", description="Kind of proxy network the traffic comes through."
    )
    proxy_pool: Count = Field(default=5000, description="Number of proxy exit addresses available.")
    proxy_subnets: int | None = Field(
        default=None, ge=1, description="Pack the exit addresses into this many /24 networks (default: spread out)."
    )
    proxy_countries: CountryWeights | None = Field(
        default=None, description="Weights over exit countries (default: the global customer mix)."
    )
    rotation: Literal["request", "session", "account"] = Field(
        default="request", description="How often an account changes exit address."
    )
    fingerprints: int = Field(
        default=20, ge=0, description="Shared client fingerprints across all accounts (0: a fresh one per account)."
    )
    payment_instruments: int = Field(default=50, ge=1, description="Payment cards shared by all accounts.")


class PromptPlan(StrictModel):
    """What the campaign asks: templates over the capability taxonomy."""

    topics: TopicWeights = Field(
        default_factory=lambda: {
            "reasoning": 4,
            "coding": 3,
            "agentic_tool_use": 2,
            "math": 2,
            "rubric_grading": 1,
            "rewrite": 1,
        },
        description="Weights over targeted capabilities.",
    )
    templates: int = Field(default=200, ge=1, description="Number of prompt templates.")
    concentration: float = Field(default=1.0, ge=0, description="Zipf exponent of template popularity.")
    variation: float = Field(
        default=0.04,
        ge=0,
        le=0.5,
        description="Bit-flip probability of rendered fingerprints (paraphrasing raises it).",
    )
    cot_share: float = Field(default=0.8, ge=0, le=1, description="Share of prompts eliciting chain-of-thought.")
    languages: LanguageWeights = Field(default_factory=lambda: {"en": 1.0}, description="Weights over languages.")
    input_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=450, sigma=0.7, min=20, max=32_000),
        description="Input tokens per request.",
    )
    output_tokens: LogNormal = Field(
        default_factory=lambda: LogNormal(median=900, sigma=0.7, min=20, max=16_000),
        description="Output tokens per response.",
    )
    max_tokens: int = Field(default=8192, ge=1, description="max_tokens sent with every request.")


class Replacement(StrictModel):
    """How the campaign reacts when an account is banned."""

    enabled: bool = Field(default=True, description="Whether banned accounts are replaced.")
    delay: Duration = Field(default=0.0, description="Time from a ban to the replacement account's creation.")


class Goal(StrictModel):
    """What the campaign wants; it stops when the goal is reached."""

    output_tokens: Count | None = Field(default=None, description="Output tokens to collect (default: no limit).")


class CampaignBase(StrictModel):
    """Fields shared by every campaign kind."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Campaign name (ground truth label).")
    accounts: AccountCount = Field(description="Accounts active at once; '2k' allowed.")
    start: Duration = Field(default=0.0, description="When the campaign starts, relative to the scenario start.")
    end: Duration | None = Field(default=None, description="When it stops (default: the end of the scenario).")
    model: str | None = Field(default=None, description="Target model (default: the newest released model).")
    acquisition: Acquisition = Field(default_factory=Acquisition, description="How accounts are obtained.")
    infrastructure: Infrastructure = Field(default_factory=Infrastructure, description="Proxies and shared assets.")
    prompts: PromptPlan = Field(default_factory=PromptPlan, description="What the campaign asks.")
    replacement: Replacement = Field(default_factory=Replacement, description="Reaction to bans.")
    goal: Goal = Field(default_factory=Goal, description="What the campaign wants to collect.")

    def actor_name(self, index: int) -> str:
        return self.name

    def model_names(self) -> list[str]:
        return [self.model] if self.model else []

    def scaled(self, factor: float) -> CampaignBase:
        """A copy with accounts, shared infrastructure and the goal multiplied by ``factor``."""
        infra = self.infrastructure
        goal = self.goal.output_tokens
        return self.model_copy(
            update={
                "accounts": scale_count(self.accounts, factor),
                "infrastructure": infra.model_copy(
                    update={
                        "proxy_pool": scale_count(int(infra.proxy_pool), factor),
                        "payment_instruments": scale_count(infra.payment_instruments, factor),
                        "fingerprints": scale_count(infra.fingerprints, factor),
                    }
                ),
                "goal": self.goal.model_copy(update={"output_tokens": None if goal is None else goal * factor}),
            }
        )


class CampaignActor(Actor):
    """Account creation, prompt rendering and replacement shared by campaign kinds."""

    role_is_attacker = True
    role = "harvester"

    def setup(self) -> None:
        cfg: CampaignBase = self.config
        infra = cfg.infrastructure
        rng = self.rng
        exit_countries = (
            np.flatnonzero(normalised(infra.proxy_countries, country_codes()) > 0) if infra.proxy_countries else None
        )
        kind = {"residential": AsnKind.RESIDENTIAL, "datacenter": AsnKind.DATACENTER, "mobile": AsnKind.MOBILE}
        self.proxies = self.ctx.network.allocate(
            rng, max(1, int(infra.proxy_pool)), kind[infra.proxies], exit_countries, infra.proxy_subnets
        )
        self.cards = payment_fingerprints(rng, infra.payment_instruments)
        self.shared_clients = np.array(
            [self.ctx.network.new_client(rng) for _ in range(infra.fingerprints)], dtype=np.int64
        )
        p = cfg.prompts
        self.library = TemplateLibrary.build(
            rng, self.next_template_ids(p.templates), p.topics, p.templates, p.concentration
        )
        self.ban_notices: simpy.Store = simpy.Store(self.env)
        self.replaced = 0
        created = cfg.start + cfg.acquisition.account_age.sample_created(rng, cfg.accounts)
        self.enlist(created)

    def enlist(self, created_ts: np.ndarray) -> np.ndarray:
        """Create accounts at ``created_ts`` with identities from the campaign's pools."""
        n = created_ts.size
        if n == 0:
            return np.empty(0, dtype=np.int64)
        cfg: CampaignBase = self.config
        acq = cfg.acquisition
        rng = self.rng
        codes_all = country_codes()
        declared = rng.choice(len(codes_all), size=n, p=normalised(acq.declared_countries, codes_all)).astype(np.int16)
        orgs = self.new_orgs(created_ts, np.full(n, "Personal", dtype=object))
        styles = np.array(sorted(acq.email_styles), dtype=object)
        style_p = np.array([acq.email_styles[s] for s in styles])
        style = styles[rng.choice(styles.size, size=n, p=style_p / style_p.sum())]
        names, emails, domains = self.profiles.people(rng, declared, style)
        codes = self.new_accounts(
            NewAccounts(
                org=orgs,
                created_ts=created_ts,
                signup_pathway=rng.choice(
                    len(SIGNUP_PATHWAYS), size=n, p=normalised(acq.signup_pathways, SIGNUP_PATHWAYS)
                ).astype(np.int8),
                tier_floor=np.zeros(n, dtype=np.int8),
                name=names,
                email=emails,
                email_domain=domains,
                payment_fingerprint=self.cards[rng.integers(0, self.cards.size, size=n)],
                declared_country=declared,
                verified=rng.random(n) < acq.verified_share,
                initial_spend=np.full(n, acq.initial_spend),
                is_attacker=True,
                campaign=cfg.name,
                role=self.role,
            )
        )
        keys = self.new_keys(codes, self.pathway_codes(acq.access_pathways, n))
        if self.shared_clients.size:
            client = self.shared_clients[rng.integers(0, self.shared_clients.size, size=n)]
        else:
            client = np.array([self.ctx.network.new_client(rng) for _ in range(n)], dtype=np.int64)
        home = self.proxies[rng.integers(0, self.proxies.size, size=n)]
        languages = rng.choice(len(LANGUAGES), size=n, p=normalised(cfg.prompts.languages, LANGUAGES))
        self.members.append(
            code=codes,
            key0=keys,
            key1=keys,
            ip0=home,
            ip1=home,
            client0=client,
            client1=client,
            country=declared,
            utc_offset=self.utc_offsets(declared),
            language=languages.astype(np.int16),
            activity=np.ones(n),
        )
        return codes

    def active_members(self) -> np.ndarray:
        """Rows of members not banned."""
        codes = self.members.column("code")
        return np.flatnonzero(~self.ctx.gateway.is_banned(codes)) if codes.size else np.empty(0, dtype=np.int64)

    def collected(self) -> int:
        """Output tokens served to the campaign so far."""
        codes = self.members.column("code")
        return int(self.ctx.gateway.accounts.output_served[codes].sum()) if codes.size else 0

    def goal_reached(self) -> bool:
        goal = self.config.goal.output_tokens
        return goal is not None and self.collected() >= goal

    def target_model(self, t: float) -> int:
        """Code of the model the campaign harvests at time ``t``."""
        models = self.ctx.scenario.models
        if self.config.model:
            return next(i for i, m in enumerate(models) if m.name == self.config.model)
        released = [(m.released, i) for i, m in enumerate(models) if m.released <= t]
        return max(released)[1] if released else 0

    def render(self, rows: np.ndarray, ts: np.ndarray) -> RequestBlock:
        """Requests of members ``rows`` (one per entry) at ``ts``: templated prompts,
        chain-of-thought elicitation, proxy rotation, the target model."""
        cfg: CampaignBase = self.config
        p = cfg.prompts
        rng = self.rng
        m = self.members
        n = rows.size
        template = self.library.draw(rng, n)
        if cfg.infrastructure.rotation == "request":
            ip = self.proxies[rng.integers(0, self.proxies.size, size=n)]
        else:
            ip = m.column("ip0")[rows]
        cot = rng.random(n) < p.cot_share
        language = m.column("language")[rows]
        topic, language_seen, cot_seen = self.noisy_labels(self.library.topics[template], language, cot)
        return RequestBlock(
            ts=ts,
            account=m.column("code")[rows],
            key=m.column("key0")[rows],
            ip=ip,
            client=m.column("client0")[rows],
            model=self.target_model(float(ts.min())) if n else 0,
            input_tokens=p.input_tokens.sample(rng, n),
            output_tokens=np.minimum(p.output_tokens.sample(rng, n), p.max_tokens),
            max_tokens=p.max_tokens,
            topic=topic,
            language=language_seen,
            cot_requested=cot_seen,
            system_prompt_hash=0,
            prompt_simhash=self.library.render(rng, template, p.variation),
            conversation_id=rng.integers(0, np.iinfo(np.int64).max, size=n).astype(np.uint64),
            turn=0,
            template_id=self.library.ids[template],
        )

    # -- reaction to enforcement --------------------------------------------------------

    def on_enforcement(self, event: Enforcement) -> None:
        if event.action == "ban" and self.config.replacement.enabled:
            self.ban_notices.put(event.accounts)

    def replace_banned(self) -> Generator[simpy.Event, Any, Any]:
        """Process: create one new account per banned account, after the configured delay."""
        delay = float(self.config.replacement.delay)
        while True:
            banned = yield self.ban_notices.get()
            if delay > 0:
                yield self.env.timeout(delay)
            if self.goal_reached():
                continue
            self.enlist(np.full(len(banned), float(self.env.now)))
            self.replaced += len(banned)
