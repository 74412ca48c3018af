"""What a scenario's customers look like at sign-up, for campaigns left on defaults.

A campaign's sign-up settings (pathways, e-mail styles, declared countries,
verified share, account ages; a direct campaign's access pathways) default to
``None``: "like the customers". :func:`like_customers` resolves them when the
campaign is set up, from the account-weighted mix of the scenario's population
groups' settings (:class:`CustomerMix`), so that a campaign on defaults is not
told apart by one registry column (DESIGN.md, boundary 5). Behind a reseller,
the customers are the reseller group's end customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.geography import country_codes, default_country_weights
from simulator.scenario.base import AgeRange, normalised
from simulator.scenario.campaign import CampaignBase
from simulator.scenario.population import PopulationBase
from simulator.scenario.schema import Scenario
from simulator.vocabulary import ACCESS_PATHWAYS, EMAIL_STYLES, SIGNUP_PATHWAYS

__all__ = ["CustomerMix", "like_customers"]


@dataclass(frozen=True)
class CustomerMix:
    """What a scenario's customers look like at sign-up: the account-weighted mix of
    their groups' settings. With ``a_g`` accounts in group ``g`` and ``p_g`` its
    (normalised) weights, a mixed weight is ``Σ a_g·p_g / Σ a_g`` (pathways: without
    ``reseller``, renormalised); the verified
    share is ``Σ a_g·v_g / Σ a_g``; an age is drawn from group ``g``'s range with
    probability ``a_g / Σ a_g``. Without groups, the population defaults."""

    signup_pathways: dict[str, float]
    """Without ``reseller`` (a campaign behind a reseller takes the reseller's own path)."""
    email_styles: dict[str, float]
    countries: dict[str, float]
    verified_share: float
    access_pathways: dict[str, float]
    """Without ``reseller``: over ``direct_api`` and ``cloud_marketplace``."""
    age_weights: np.ndarray
    ages: tuple[AgeRange, ...]

    @classmethod
    def of(cls, groups: Sequence[PopulationBase]) -> CustomerMix:
        groups = [group for group in groups if group.accounts > 0]
        if not groups:
            groups = [PopulationBase(accounts=1)]
        weights = np.array([float(group.accounts) for group in groups])
        weights /= weights.sum()
        countries = country_codes()

        def mixed(vectors: list[np.ndarray], names: tuple[str, ...], drop: str = "") -> dict[str, float]:
            total = np.sum([w * v for w, v in zip(weights, vectors, strict=True)], axis=0)
            kept = {name: float(x) for name, x in zip(names, total, strict=True) if x > 0 and name != drop}
            return {name: x / sum(kept.values()) for name, x in kept.items()} if kept else {}

        # a campaign of its own signs up and sends like the customers who do not come through a reseller
        signup = mixed([normalised(g.signup_pathways, SIGNUP_PATHWAYS) for g in groups], SIGNUP_PATHWAYS, "reseller")
        access = mixed([normalised(g.access_pathways, ACCESS_PATHWAYS) for g in groups], ACCESS_PATHWAYS, "reseller")
        return cls(
            signup_pathways=signup or {"direct": 1.0},
            email_styles=mixed([normalised(g.email_styles, EMAIL_STYLES) for g in groups], EMAIL_STYLES),
            countries=mixed(
                [normalised(g.countries, countries) if g.countries else default_country_weights() for g in groups],
                countries,
            ),
            verified_share=float(np.dot(weights, [g.verified_share for g in groups])),
            access_pathways=access or {"direct_api": 1.0},
            age_weights=weights,
            ages=tuple(group.account_age for group in groups),
        )

    def ages_created(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Creation times (s, ≤ 0) relative to a start of ``n`` accounts aged like the customers."""
        group = rng.choice(len(self.ages), size=n, p=self.age_weights)
        created = np.empty(n)
        for g, ages in enumerate(self.ages):
            rows = np.flatnonzero(group == g)
            created[rows] = ages.sample_created(rng, rows.size)
        return created


def like_customers(spec: CampaignBase, scenario: Scenario) -> tuple[CampaignBase, CustomerMix]:
    """The campaign ``spec`` with its unset sign-up settings (sign-up pathways, e-mail
    styles, declared countries, verified share; a direct campaign's access pathways)
    filled in like the customers', and the :class:`CustomerMix` they come from (its
    ages serve accounts ``aged`` without an ``age``). The customers are the
    scenario's population groups, or the reseller group a campaign hides behind."""
    reseller = spec.access.reseller_name()
    groups = [
        group for i, group in enumerate(scenario.population) if reseller is None or group.actor_name(i) == reseller
    ]
    mix = CustomerMix.of(groups)
    acq = spec.acquisition
    filled = {
        "signup_pathways": mix.signup_pathways,
        "email_styles": mix.email_styles,
        "declared_countries": mix.countries,
        "verified_share": mix.verified_share,
    }
    update: dict[str, object] = {
        "acquisition": acq.model_copy(update={k: v for k, v in filled.items() if getattr(acq, k) is None})
    }
    update["access"] = spec.access.with_default_pathways(mix.access_pathways)
    return spec.model_copy(update=update), mix
