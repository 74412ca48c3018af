"""What a campaign's tactics work on: a narrow view of one campaign.

A tactic's behaviour (:mod:`simulator.campaign`'s family modules) never sees the
actor that runs the campaign. It gets a :class:`CampaignState`: the campaign's
spec, its random stream, its members (one row per account), its budget ledger,
the world's shared services, and the few registration services of its owner
(:class:`Registrar`), and what the customers look like (:class:`~simulator.campaign.customers.CustomerMix`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simulator.actor import WorldContext
from simulator.campaign.budget import Ledger
from simulator.campaign.customers import CustomerMix
from simulator.columns import ColumnStore
from simulator.geography import country_codes
from simulator.scenario.base import normalised
from simulator.scenario.campaign import CampaignBase

__all__ = ["GONE", "HARVEST", "RESERVE", "WARMING", "CampaignState", "Registrar", "Requests"]

HARVEST, WARMING, RESERVE, GONE = 0, 1, 2, 3
"""A member's ``state``: sending the campaign's prompts; created but not ready yet
(too young, below the target tier, or still seeding spend); a dormant spare kept
to replace a banned account; banned or abandoned."""


class Registrar(Protocol):
    """What a tactic may ask the campaign's owner to register: organisations and keys
    (ids are the owner's to make, the same way for every actor)."""

    def new_orgs(self, created_ts: np.ndarray, names: np.ndarray) -> np.ndarray:
        """Create organisations; returns their codes."""

    def new_keys(self, accounts: np.ndarray, pathways: np.ndarray) -> np.ndarray:
        """One API key per entry of ``accounts`` with the given access-pathway codes."""

    def pathway_codes(self, weights: dict[str, float], n: int) -> np.ndarray:
        """Access-pathway codes drawn from ``weights``."""


@dataclass(frozen=True)
class Requests:
    """Requests a tactic wants sent: the member row and time of each, their content
    (true labels and prompt columns, see :meth:`simulator.campaign.prompts.PhaseLibrary.render`)
    and their place in a conversation: its opaque id, the turn, and when it opened (s)."""

    who: np.ndarray
    ts: np.ndarray
    content: dict[str, np.ndarray]
    conversation: np.ndarray
    turn: np.ndarray
    opened: np.ndarray


@dataclass
class CampaignState:
    """One campaign as its tactics see it."""

    spec: CampaignBase
    """The campaign's spec, its sign-up settings resolved (:func:`~simulator.campaign.customers.like_customers`)."""
    rng: np.random.Generator
    """The campaign's own stream (tactics draw from it in a fixed order)."""
    members: ColumnStore
    """One row per account the campaign registered, in registry-code order."""
    ledger: Ledger
    world: WorldContext
    """The world's shared services: clock, scenario, gateway, registry, network, profiles."""
    registrar: Registrar
    customers: CustomerMix
    """What the customers look like at sign-up (for settings left to them)."""

    def declared_countries(self, n: int) -> np.ndarray:
        """Declared country codes of ``n`` fake identities (``acquisition.declared_countries``, resolved)."""
        weights = normalised(self.spec.acquisition.declared_countries, country_codes())
        return self.rng.choice(weights.size, size=n, p=weights).astype(np.int16)

    def target_tier_spend(self) -> float:
        """Minimum spend (USD) of the ``acquisition.target_tier``, or 0 without one."""
        target = self.spec.acquisition.target_tier
        if target is None:
            return 0.0
        gateway = self.world.scenario.gateway
        return float(gateway.tiers[gateway.tier_index(target)].min_spend)
