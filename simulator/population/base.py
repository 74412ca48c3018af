"""What every legitimate customer group has: accounts, organisations, keys,
locations, client software, model preferences and a share of heavy users.

:class:`PopulationBase` holds the schema fields common to every archetype;
:class:`CustomerGroup` creates the group's accounts when the scenario starts.
The archetypes themselves (:mod:`simulator.population.archetypes`) add the
traffic shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from simulator.actor import Actor
from simulator.config import AccountCount, AgeRange, CountryWeights, PathwayWeights, StrictModel, normalised
from simulator.geography import country_codes, default_country_weights
from simulator.identity import ACCESS_PATHWAYS, SIGNUP_PATHWAYS, payment_fingerprints
from simulator.network import AsnKind
from simulator.registry import NewAccounts
from simulator.units import Duration

__all__ = ["CustomerGroup", "PopulationBase", "scale_count"]


def scale_count(count: int, factor: float) -> int:
    """``round(count · factor)``, but never 0 when ``count`` was positive."""
    return max(1, round(count * factor)) if count > 0 else 0


EmailStyleWeights = dict[Literal["corporate", "freemail", "edu", "disposable"], Annotated[float, Field(ge=0)]]
NetworkWeights = dict[
    Literal["residential", "mobile", "corporate", "datacenter", "education"], Annotated[float, Field(ge=0)]
]
AccessWeights = dict[Literal[ACCESS_PATHWAYS], Annotated[float, Field(ge=0)]]  # type: ignore[valid-type]

_NETWORK_KINDS = {
    "residential": AsnKind.RESIDENTIAL,
    "mobile": AsnKind.MOBILE,
    "corporate": AsnKind.CORPORATE,
    "datacenter": AsnKind.DATACENTER,
    "education": AsnKind.EDUCATION,
}


class PopulationBase(StrictModel):
    """Fields shared by every legitimate customer archetype."""

    name: str | None = Field(default=None, description="Group name (default: the kind, numbered when repeated).")
    accounts: AccountCount = Field(description="Number of accounts in the group; '2k' allowed.")
    countries: CountryWeights | None = Field(
        default=None, description="Weights over country codes (default: a global customer mix)."
    )
    account_age: AgeRange = Field(default_factory=AgeRange, description="Account age at the scenario start.")
    signup_pathways: PathwayWeights = Field(
        default_factory=lambda: {"direct": 1.0}, description="Weights over sign-up pathways."
    )
    access_pathways: AccessWeights = Field(
        default_factory=lambda: {"direct_api": 1.0}, description="Weights over how requests reach the API."
    )
    email_styles: EmailStyleWeights = Field(
        default_factory=lambda: {"freemail": 0.6, "corporate": 0.4}, description="Weights over e-mail styles."
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
    models: dict[str, Annotated[float, Field(ge=0)]] | None = Field(
        default=None, description="Base weights over model names (default: equal over all models)."
    )
    adoption: Duration = Field(
        default=7 * 86400.0, gt=0, description="Time constant for moving to a newly released model, e.g. '7d'."
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

    def build(self, name: str, index: int, ctx: Any) -> Actor:  # pragma: no cover - overridden
        raise NotImplementedError


class CustomerGroup(Actor):
    """A group of legitimate accounts created before the scenario starts."""

    role_is_attacker = False

    def setup(self) -> None:
        self.add_members(int(self.config.accounts))

    def expected_daily_spend(self) -> float:
        """Typical spend of a median account per day in USD (sets initial spend,
        hence the starting tier, of aged accounts)."""
        return 0.5

    def add_members(self, n: int) -> np.ndarray:
        """Create ``n`` accounts with organisations, keys, addresses and clients."""
        if n == 0:
            return np.empty(0, dtype=np.int64)
        cfg: PopulationBase = self.config
        rng = self.rng
        scenario = self.ctx.scenario
        codes_all = country_codes()
        weights = normalised(cfg.countries, codes_all) if cfg.countries else default_country_weights()
        countries = rng.choice(len(codes_all), size=n, p=weights).astype(np.int16)
        created = cfg.account_age.sample_created(rng, n)

        n_orgs = -(-n // cfg.org_size)
        org_of = np.repeat(np.arange(n_orgs), cfg.org_size)[:n]
        org_created = np.full(n_orgs, np.inf)
        np.minimum.at(org_created, org_of, created)
        org_country = countries[np.r_[0, np.flatnonzero(np.diff(org_of)) + 1]]
        if cfg.org_size == 1:
            org_names = np.full(n_orgs, "Personal", dtype=object)
        else:
            org_names = self.profiles.companies(rng, org_country)
        orgs = self.new_orgs(org_created, org_names)

        styles = np.array(sorted(cfg.email_styles), dtype=object)
        style_p = np.array([cfg.email_styles[s] for s in styles], dtype=np.float64)
        style = styles[rng.choice(styles.size, size=n, p=style_p / style_p.sum())]
        names, emails, domains = self.profiles.people(rng, countries, style)
        pathways = rng.choice(len(SIGNUP_PATHWAYS), size=n, p=normalised(cfg.signup_pathways, SIGNUP_PATHWAYS)).astype(
            np.int8
        )
        activity = self.draw_activity(n)
        floor = scenario.gateway.tier_index(cfg.min_tier) if cfg.min_tier else 0
        age_days = -created / 86400.0
        # an organisation pays with one card; individuals with their own
        org_cards = payment_fingerprints(rng, n_orgs)
        codes = self.new_accounts(
            NewAccounts(
                org=orgs[org_of],
                created_ts=created,
                signup_pathway=pathways,
                tier_floor=np.full(n, floor, dtype=np.int8),
                name=names,
                email=emails,
                email_domain=domains,
                payment_fingerprint=org_cards[org_of],
                declared_country=countries,
                verified=rng.random(n) < cfg.verified_share,
                initial_spend=age_days * self.expected_daily_spend() * activity,
                is_attacker=False,
                campaign=None,
                role=self.role_name(),
            )
        )
        access = self.pathway_codes(cfg.access_pathways, n)
        key0 = self.new_keys(codes, access)
        key1 = self.new_keys(codes, access) if cfg.keys_per_account > 1 else key0

        kinds = np.array(sorted(cfg.networks), dtype=object)
        kind_p = np.array([cfg.networks[k] for k in kinds], dtype=np.float64)
        kind_of = kinds[rng.choice(kinds.size, size=n, p=kind_p / kind_p.sum())]
        ip0 = np.empty(n, dtype=np.int64)
        ip1 = np.empty(n, dtype=np.int64)
        for kind in kinds:
            rows = np.flatnonzero(kind_of == kind)
            if rows.size == 0:
                continue
            # each account's home network, plus a second address (office, phone)
            ip0[rows] = self.ctx.network.allocate(rng, rows.size, _NETWORK_KINDS[kind], countries[rows])
            ip1[rows] = self.ctx.network.allocate(rng, rows.size, AsnKind.MOBILE, countries[rows])
        browser = rng.random(n) < cfg.browser_share
        client0 = np.array([self.ctx.network.new_client(rng, browser=bool(b)) for b in browser], dtype=np.int64)
        client1 = np.where(rng.random(n) < 0.3, [self.ctx.network.new_client(rng) for _ in range(n)], client0).astype(
            np.int64
        )
        members = dict(
            code=codes,
            key0=key0,
            key1=key1,
            ip0=ip0,
            ip1=ip1,
            client0=client0,
            client1=client1,
            country=countries,
            utc_offset=self.utc_offsets(countries),
            language=self.home_languages(countries, cfg.english_share),
            activity=activity,
        )
        members.update(self.extra_member_values(n))
        self.members.append(**members)
        return codes

    def role_name(self) -> str:
        """The ground-truth role of this group's accounts: the archetype's kind."""
        return str(getattr(self.config, "kind", "customer"))

    def draw_activity(self, n: int) -> np.ndarray:
        """Per-account activity multipliers (median 1); archetypes make them heavy-tailed."""
        return np.ones(n)

    def extra_member_values(self, n: int) -> dict[str, np.ndarray]:
        """Values of :meth:`extra_member_columns` for ``n`` new members."""
        return {}

    def member_keys(self, rows: np.ndarray) -> np.ndarray:
        """An API key per request of members ``rows`` (either of the member's keys)."""
        m = self.members
        second = self.rng.random(rows.size) < 0.5
        return np.where(second, m.column("key1")[rows], m.column("key0")[rows])

    def member_ips(self, rows: np.ndarray, second_share: float = 0.2) -> np.ndarray:
        m = self.members
        second = self.rng.random(rows.size) < second_share
        return np.where(second, m.column("ip1")[rows], m.column("ip0")[rows])

    def member_clients(self, rows: np.ndarray) -> np.ndarray:
        m = self.members
        second = self.rng.random(rows.size) < 0.2
        return np.where(second, m.column("client1")[rows], m.column("client0")[rows])

    def model_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(release times, base weights) over the scenario's models."""
        models = self.ctx.scenario.models
        release = np.array([m.released for m in models], dtype=np.float64)
        if self.config.models:
            base = np.array([self.config.models.get(m.name, 0.0) for m in models], dtype=np.float64)
        else:
            base = np.ones(len(models))
        return release, base
