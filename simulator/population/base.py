"""What every legitimate customer group does: it creates its accounts, with
organisations, keys, locations, client software and egress pools, when the
scenario starts, and offers its archetype the per-account helpers (keys,
addresses, clients, model choice, rhythm, bursts) that traffic is drawn with.

The fields it reads are in :mod:`simulator.scenario.population.base` (with the
calibrated defaults and the egress-pool formula); the archetypes
(:mod:`~simulator.population.interactive`, :mod:`~simulator.population.scheduled`,
:mod:`~simulator.population.reseller`) add the traffic shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from simulator.actor import Actor
from simulator.geography import country_codes, default_country_weights
from simulator.hashing import splitmix64
from simulator.identity import payment_fingerprints
from simulator.network import AsnKind
from simulator.population.adoption import adoption_delays, choose_models, model_exponentials
from simulator.population.arrivals import burst_multipliers
from simulator.registry import NewAccounts
from simulator.rhythm import diurnal_weight, local_hour_and_weekday, weekly_weight
from simulator.scenario.base import normalised
from simulator.scenario.population import PopulationBase, Rhythmic
from simulator.seeding import stable_key
from simulator.units import DAY
from simulator.vocabulary import SIGNUP_PATHWAYS

__all__ = ["ABROAD_WEIGHTS", "AGE_ACTIVITY_CORRELATION", "EGRESS_MAX", "CustomerGroup", "abroad_countries"]


AGE_ACTIVITY_CORRELATION = 0.6
"""Correlation (Gaussian copula) between an account's log activity and its age."""

EGRESS_MAX = 5000
"""Most addresses in one account's egress pool."""

ABROAD_WEIGHTS: dict[str, float] = {
    "US": 0.40,
    "DE": 0.08,
    "NL": 0.07,
    "GB": 0.07,
    "SG": 0.07,
    "JP": 0.05,
    "FR": 0.04,
    "CA": 0.04,
    "SE": 0.03,
    "IN": 0.03,
    "AU": 0.03,
    "HK": 0.03,
    "KR": 0.02,
    "BR": 0.02,
    "ES": 0.01,
    "PL": 0.01,
    "IL": 0.01,
    "AE": 0.01,
    "ID": 0.01,
    "MX": 0.01,
}
"""Relative weights of the foreign countries an account's traffic leaves from when it
leaves abroad: where cloud regions, VPN exits and hosting concentrate (most of it
in the United States, the rest in a few European and Asian hubs). A judgement from
public region lists and traffic reports, not a fit; countries missing here get a
weight of 0.005."""

_REASONING_MAX_SALT = stable_key("customer/reasoning-max-tokens")


def abroad_countries(rng: np.random.Generator, declared: np.ndarray) -> np.ndarray:
    """A foreign country (index into :data:`~simulator.geography.COUNTRIES`) for each
    of ``declared``: drawn by :data:`ABROAD_WEIGHTS`, never the declared country itself."""
    codes = country_codes()
    weights = np.array([ABROAD_WEIGHTS.get(code, 0.005) for code in codes], dtype=np.float64)
    declared = np.asarray(declared, dtype=np.int64)
    p = np.broadcast_to(weights, (declared.size, weights.size)).copy()
    p[np.arange(declared.size), declared] = 0.0
    cumulative = np.cumsum(p, axis=1)
    draws = rng.random(declared.size) * cumulative[:, -1]
    return np.minimum((cumulative <= draws[:, None]).sum(axis=1), len(codes) - 1).astype(np.int16)


_NETWORK_KINDS = {
    "residential": AsnKind.RESIDENTIAL,
    "mobile": AsnKind.MOBILE,
    "corporate": AsnKind.CORPORATE,
    "datacenter": AsnKind.DATACENTER,
    "education": AsnKind.EDUCATION,
}


class CustomerGroup(Actor):
    """A group of legitimate accounts created before the scenario starts."""

    role_is_attacker = False

    def setup(self) -> None:
        self.egress_ips = np.empty(0, dtype=np.int64)
        self.add_members(int(self.config.accounts))

    def extra_member_columns(self) -> dict[str, Any]:
        return {
            "adoption_delay": np.float64,
            "model_seed": np.uint64,
            "mix_fraction": np.float64,
            "reasoning": np.bool_,
            "egress_start": np.int64,
            "egress_count": np.int64,
            **self.archetype_member_columns(),
        }

    def archetype_member_columns(self) -> dict[str, Any]:
        """Per-member columns an archetype keeps beyond the common ones (name → dtype)."""
        return {}

    def archetype_member_values(self, n: int) -> dict[str, np.ndarray]:
        """Values of :meth:`archetype_member_columns` for ``n`` new members."""
        return {}

    def expected_daily_spend(self) -> float:
        """Typical spend of a median account per day in USD (sets initial spend,
        hence the starting tier, of aged accounts)."""
        return 0.5

    @property
    def personal_orgs(self) -> bool:
        """Whether each account is its own "Personal" organisation (else: named companies)."""
        return self.config.org_size == 1

    def org_layout(self, n: int) -> np.ndarray:
        """Organisation index (0 … n_orgs − 1) of each of ``n`` new accounts:
        consecutive blocks of ``org_size``."""
        size = self.config.org_size
        return np.repeat(np.arange(-(-n // size)), size)[:n]

    def account_keys(self, codes: np.ndarray, org_of: np.ndarray, orgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first, second) API key of each new account: its own keys."""
        access = self.pathway_codes(self.config.access_pathways, codes.size)
        key0 = self.new_keys(codes, access)
        key1 = self.new_keys(codes, access) if self.config.keys_per_account > 1 else key0
        return key0, key1

    def home_countries(self, declared: np.ndarray) -> np.ndarray:
        """The country of each new account's home network: the declared one, or for a
        share ``egress.home_abroad`` of accounts a foreign one (:func:`abroad_countries`)."""
        home = declared.copy()
        abroad = self.rng.random(declared.size) < self.config.egress.home_abroad
        home[abroad] = abroad_countries(self.rng, declared[abroad])
        return home

    def account_network(
        self, countries: np.ndarray, home: np.ndarray, org_of: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(home address, second address, client, second client) of each new account:
        a home network of the configured kinds in its ``home`` country plus a mobile
        address in its declared country; one client install, a second one for 30%
        of accounts."""
        cfg = self.config
        rng = self.rng
        n = countries.size
        # each account's home network, plus a second address (a phone)
        ip0 = self.network_addresses(home)
        ip1 = self.ctx.network.allocate(rng, n, AsnKind.MOBILE, countries)
        browser = rng.random(n) < cfg.browser_share
        client0 = self.ctx.network.new_clients(rng, browser)
        second = rng.random(n) < 0.3
        client1 = np.where(second, self.ctx.network.new_clients(rng, np.zeros(n, dtype=bool)), client0)
        return ip0, ip1, client0, client1

    def network_addresses(self, countries: np.ndarray) -> np.ndarray:
        """An address in each of ``countries`` (one per address), on a network of a kind
        drawn by the group's ``networks`` weights."""
        networks = self.config.networks
        kinds = sorted(networks)
        weights = np.array([networks[kind] for kind in kinds], dtype=np.float64)
        kind_of = self.rng.choice(len(kinds), size=countries.size, p=weights / weights.sum())
        addresses = np.empty(countries.size, dtype=np.int64)
        for k, kind in enumerate(kinds):
            rows = np.flatnonzero(kind_of == k)
            if rows.size:
                addresses[rows] = self.ctx.network.allocate(self.rng, rows.size, _NETWORK_KINDS[kind], countries[rows])
        return addresses

    def egress_pools(self, countries: np.ndarray, activity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start, count) of each new account's egress pool in ``self.egress_ips``
        (see the module docstring); the pool's addresses are allocated here."""
        cfg = self.config
        rng = self.rng
        size = np.rint(cfg.egress.pool * np.sqrt(activity) * np.exp(0.8 * rng.standard_normal(countries.size)))
        size = np.clip(size, 0, EGRESS_MAX).astype(np.int64)
        owner = np.repeat(np.arange(countries.size), size)
        where = countries[owner].copy()
        abroad = rng.random(owner.size) < cfg.egress.abroad
        where[abroad] = abroad_countries(rng, where[abroad])
        addresses = self.network_addresses(where)
        start = self.egress_ips.size + np.r_[0, np.cumsum(size)[:-1]].astype(np.int64)
        self.egress_ips = np.concatenate([self.egress_ips, addresses])
        return start, size

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
        activity = self.draw_activity(n)
        created = self.creation_times(activity)

        org_of = self.org_layout(n)
        n_orgs = int(org_of.max()) + 1
        org_created = np.full(n_orgs, np.inf)
        np.minimum.at(org_created, org_of, created)
        if self.personal_orgs:
            org_names = np.full(n_orgs, "Personal", dtype=object)
        else:
            first_member = np.unique(org_of, return_index=True)[1]
            org_names = self.profiles.companies(rng, countries[first_member])
        orgs = self.new_orgs(org_created, org_names)

        styles = np.array(sorted(cfg.email_styles), dtype=object)
        style_p = np.array([cfg.email_styles[s] for s in styles], dtype=np.float64)
        style = styles[rng.choice(styles.size, size=n, p=style_p / style_p.sum())]
        names, emails, domains = self.profiles.people(rng, countries, style)
        pathways = rng.choice(len(SIGNUP_PATHWAYS), size=n, p=normalised(cfg.signup_pathways, SIGNUP_PATHWAYS)).astype(
            np.int8
        )
        floor = scenario.gateway.tier_index(cfg.min_tier) if cfg.min_tier else 0
        age_days = -created / DAY
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
        key0, key1 = self.account_keys(codes, org_of, orgs)
        home = self.home_countries(countries)
        ip0, ip1, client0, client1 = self.account_network(countries, home, org_of)
        egress_start, egress_count = self.egress_pools(home, activity)
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
            adoption_delay=adoption_delays(rng.random(n), cfg.adoption),
            model_seed=rng.integers(0, np.iinfo(np.int64).max, size=n).astype(np.uint64),
            mix_fraction=self.mix_fractions(n),
            reasoning=rng.random(n) < cfg.reasoning.share,
            egress_start=egress_start,
            egress_count=egress_count,
        )
        members.update(self.archetype_member_values(n))
        self.members.append(**members)
        return codes

    def role_name(self) -> str:
        """The ground-truth role of this group's accounts: the archetype's kind."""
        return str(getattr(self.config, "kind", "customer"))

    def creation_times(self, activity: np.ndarray) -> np.ndarray:
        """Creation times (s, ≤ 0) of accounts with the given activity: log-uniform
        ages over ``account_age``, rank-correlated with activity (Gaussian copula,
        ρ = :data:`AGE_ACTIVITY_CORRELATION`): heavy users are mostly established
        customers, who have reached higher rate-limit tiers."""
        ages = self.config.account_age
        low, high = np.log(max(ages.min, 1.0)), np.log(max(ages.max, 1.0))
        z = np.log(np.maximum(activity, 1e-300))
        z = (z - z.mean()) / z.std() if activity.size > 1 and z.std() > 0 else np.zeros_like(z)
        rho = AGE_ACTIVITY_CORRELATION
        quantile = stats.norm.cdf(rho * z + np.sqrt(1 - rho**2) * self.rng.standard_normal(activity.size))
        return -np.exp(low + (high - low) * quantile)

    def draw_activity(self, n: int) -> np.ndarray:
        """Per-account activity multipliers: log-normal with median 1 and σ ``volume_sigma``."""
        sigma = getattr(self.config, "volume_sigma", 0.0)
        return np.exp(self.rng.normal(0.0, sigma, size=n))

    def member_keys(self, rows: np.ndarray) -> np.ndarray:
        """An API key per request of members ``rows`` (either of the member's keys)."""
        m = self.members
        second = self.rng.random(rows.size) < 0.5
        return np.where(second, m.column("key1")[rows], m.column("key0")[rows])

    def member_ips(self, rows: np.ndarray, second_share: float = 0.2) -> np.ndarray:
        """An address per request (or session) of members ``rows``: one of the egress
        pool for a share ``egress.share``, else the mobile address for ``second_share``,
        else the home address."""
        m = self.members
        second = self.rng.random(rows.size) < second_share
        ips = np.where(second, m.column("ip1")[rows], m.column("ip0")[rows])
        count = m.column("egress_count")[rows]
        pooled = np.flatnonzero((self.rng.random(rows.size) < self.config.egress.share) & (count > 0))
        if pooled.size:
            pick = np.floor(self.rng.random(pooled.size) * count[pooled]).astype(np.int64)
            ips[pooled] = self.egress_ips[m.column("egress_start")[rows[pooled]] + pick]
        return ips

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

    def mix_fractions(self, n: int) -> np.ndarray:
        """Share of each new account's traffic on its second model: 0 for single-model
        accounts, uniform in ``model_use.mixed_traffic`` for a share ``mixed_share``."""
        use = self.config.model_use
        low, high = use.mixed_traffic
        mixed = self.rng.random(n) < use.mixed_share
        return np.where(mixed, self.rng.uniform(low, high, size=n), 0.0)

    def models_at(self, rows: np.ndarray, t: np.ndarray, uniform: np.ndarray | None = None) -> np.ndarray:
        """Model codes for requests (sessions, jobs) of members ``rows`` at times ``t``:
        each account's pinned model, its second model for a share of its traffic, and
        a switch at its own adoption time (:func:`~simulator.population.adoption.choose_models`).
        ``uniform`` decides the second model per row (default: fresh draws)."""
        release, base = self.model_weights()
        m = self.members
        names = [model.name for model in self.ctx.scenario.models]
        if uniform is None:
            uniform = self.rng.random(np.size(rows))
        return choose_models(
            release,
            base,
            t,
            m.column("adoption_delay")[rows],
            model_exponentials(m.column("model_seed")[rows], names),
            m.column("mix_fraction")[rows],
            uniform,
        )

    def thinking_tokens(self, rows: np.ndarray) -> np.ndarray:
        """Thinking tokens of one request per entry of ``rows`` (members): drawn from
        ``reasoning.thinking_tokens`` for reasoning accounts, 0 for the others."""
        reasoning = self.members.column("reasoning")[rows]
        out = np.zeros(np.size(rows), dtype=np.int64)
        if reasoning.any():
            out[reasoning] = self.config.reasoning.thinking_tokens.sample(self.rng, int(reasoning.sum()))
        return out

    def reasoning_max_tokens(self, rows: np.ndarray, default: np.ndarray | int) -> np.ndarray:
        """``max_tokens`` of requests by members ``rows``: for reasoning accounts their own
        choice among ``reasoning.max_tokens`` (fixed per account), else ``default``."""
        choices = np.asarray(self.config.reasoning.max_tokens, dtype=np.int64)
        m = self.members
        own = choices[
            splitmix64(m.column("code")[rows].astype(np.uint64) ^ np.uint64(_REASONING_MAX_SALT)) % choices.size
        ]
        return np.where(m.column("reasoning")[rows], own, default).astype(np.int64)

    def bursts(self, rows: np.ndarray) -> np.ndarray:
        """Mean-one Gamma multipliers for members ``rows`` for one planning step, of
        shape ``burst_shape · activity^burst_scaling``."""
        cfg: Rhythmic = self.config
        shape = cfg.burst_shape * self.members.column("activity")[rows] ** cfg.burst_scaling
        return burst_multipliers(self.rng, np.clip(shape, 1e-3, 1e4), rows.size)

    def rhythm(self, rows: np.ndarray, t: float) -> np.ndarray:
        """Diurnal times weekly weight (mean one) of members ``rows`` at time ``t``."""
        cfg: Rhythmic = self.config
        offsets = self.members.column("utc_offset")[rows]
        hour, weekday = local_hour_and_weekday(self.ctx.scenario.start, t, offsets)
        return diurnal_weight(hour, cfg.peak_hour, cfg.peak_to_trough) * weekly_weight(weekday, cfg.weekend_factor)
