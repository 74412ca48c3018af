"""What every actor (customer group or campaign) shares: its context, its own random
stream, and the creation of organisations, accounts and keys.

An actor is built from its scenario entry, creates its initial accounts in
:meth:`Actor.setup` and then runs as SimPy process(es) started by
:meth:`Actor.start`; the constructor does no work. Processes wake per session,
burst or planning decision and submit whole :class:`~simulator.traffic.RequestBlock`
objects to the gateway: there is never a SimPy event per request.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from simulator.columns import ColumnStore
from simulator.gateway import Enforcement, Gateway
from simulator.geography import COUNTRIES
from simulator.identity import IdFactory, ProfileFactory
from simulator.network import Network
from simulator.prompts import LANGUAGES, TOPICS, classify, language_code
from simulator.registry import NewAccounts, Registry
from simulator.seeding import SeedStreams
from simulator.vocabulary import ACCESS_PATHWAYS

if TYPE_CHECKING:
    from simulator.scenario.schema import Scenario
    from simulator.traffic import TickTraffic

__all__ = ["MEMBER_COLUMNS", "Actor", "WorldContext"]

CHALLENGE_SECONDS = (120.0, 1.0, 20.0, 3600.0)
"""How long a person takes to pass a challenge: log-normal (median, sigma, min, max) in seconds."""

VERIFICATION_SIGMA = 1.0
"""Spread (log-normal sigma) of the time a person takes to pass an identity verification
around the procedure's median (:attr:`simulator.gateway.Enforcement.median_delay`)."""


def verification_delays(rng: np.random.Generator, n: int, median: float) -> np.ndarray:
    """Seconds ``n`` people take to pass an identity verification whose median is ``median``:
    log-normal(ln median, :data:`VERIFICATION_SIGMA`), clipped to [60 s, 7 days]. Customers
    and campaigns that pass draw from the same law, so the pass time labels nobody."""
    return np.clip(rng.lognormal(np.log(max(median, 1.0)), VERIFICATION_SIGMA, n), 60.0, 7 * 86400.0)


TEMPLATE_ID_STRIDE = 1 << 32
"""Template ids of actor ``i`` lie in ``[i·stride, (i+1)·stride)``: unique per scenario."""

MEMBER_COLUMNS: dict[str, Any] = {
    "code": np.int64,
    "key0": np.int64,
    "key1": np.int64,
    "ip0": np.int64,
    "ip1": np.int64,
    "client0": np.int64,
    "client1": np.int64,
    "country": np.int16,
    "utc_offset": np.float64,
    "language": np.int16,
    "activity": np.float64,
}
"""Per-account columns every actor keeps about its own accounts (row = member)."""


@dataclass
class WorldContext:
    """Shared services of one simulated world, handed to every actor."""

    env: simpy.Environment
    scenario: Scenario
    gateway: Gateway
    registry: Registry
    network: Network
    ids: IdFactory
    streams: SeedStreams
    profiles: ProfileFactory
    """Faker vocabularies shared by all actors (each actor picks with its own generator)."""
    actors: dict[str, Actor] = field(default_factory=dict)
    """Every actor by name (filled before any ``setup``), for actors that build on
    another's assets, such as a campaign hiding behind a reseller's organisation."""


class Actor(ABC):
    """Base of customer groups and campaigns."""

    role_is_attacker: bool = False

    def __init__(self, config: Any, name: str, index: int, ctx: WorldContext) -> None:
        self.config = config
        self.name = name
        self.index = index
        self.ctx = ctx
        self.rng = ctx.streams.generator(f"actor/{name}")
        self._challenge_rng = ctx.streams.generator(f"actor/{name}/challenges")
        self._verification_rng = ctx.streams.generator(f"actor/{name}/verification")
        self.profiles = ctx.profiles
        self.members = ColumnStore({**MEMBER_COLUMNS, **self.extra_member_columns()})
        self._serials: dict[str, int] = {}
        self._template_offset = index * TEMPLATE_ID_STRIDE

    # -- lifecycle ---------------------------------------------------------------------

    @abstractmethod
    def setup(self) -> None:
        """Create the accounts that exist when the scenario starts."""

    @abstractmethod
    def processes(self) -> list[Generator[simpy.Event, Any, Any]]:
        """The SimPy process generators of this actor."""

    def start(self) -> None:
        """Register this actor's processes with the environment."""
        for process in self.processes():
            self.ctx.env.process(process)

    def on_enforcement(self, event: Enforcement) -> None:
        """Called when accounts of this actor are banned, throttled or challenged.

        Default: bans and throttles are accepted silently; a challenge is passed
        the way a person passes one, after a log-normal delay of about two minutes
        (:data:`CHALLENGE_SECONDS`), drawn from a stream of its own so that the
        actor's traffic draws do not shift. An identity verification (step-up) is
        given up by a share ``event.abandon`` of the owners (the account falls
        silent: churn) and passed by the others after :func:`verification_delays`.
        """
        if event.action == "verify":
            rng = self._verification_rng
            stay = rng.random(event.accounts.size) >= event.abandon
            delay = verification_delays(rng, int(stay.sum()), event.median_delay)
            self.ctx.gateway.pass_challenge(event.accounts[stay], at=event.time + delay)
        elif event.action == "challenge":
            median, sigma, low, high = CHALLENGE_SECONDS
            delay = np.clip(self._challenge_rng.lognormal(np.log(median), sigma, event.accounts.size), low, high)
            self.ctx.gateway.pass_challenge(event.accounts, at=event.time + delay)

    def on_tick(self, traffic: TickTraffic) -> None:  # noqa: B027 - optional hook
        """Called at the end of every tick with its traffic, so that an actor can read
        the responses its own requests got (status, tokens served), as a client does.
        Implementations must read only their own accounts' rows (default: ignore)."""

    def extra_member_columns(self) -> dict[str, Any]:
        """Additional per-member columns a subclass keeps (name → dtype)."""
        return {}

    # -- helpers -----------------------------------------------------------------------

    @property
    def env(self) -> simpy.Environment:
        return self.ctx.env

    def next_template_ids(self, count: int) -> int:
        """Reserve ``count`` template ids; returns the first."""
        first = self._template_offset
        self._template_offset += count
        return first

    def _serial_range(self, prefix: str, n: int) -> range:
        first = self._serials.get(prefix, 0)
        self._serials[prefix] = first + n
        return range(first, first + n)

    def make_ids(self, prefix: str, n: int) -> np.ndarray:
        """``n`` new opaque ids with ``prefix`` (same procedure for every actor)."""
        return self.ctx.ids.make(prefix, self.name, self._serial_range(prefix, n))

    def new_orgs(self, created_ts: np.ndarray, names: np.ndarray) -> np.ndarray:
        """Create organisations; returns their codes."""
        ids = self.make_ids("org", len(created_ts))
        return self.ctx.registry.add_orgs(ids, names, created_ts)

    def new_accounts(self, accounts: NewAccounts) -> np.ndarray:
        """Register accounts owned by this actor; returns their codes."""
        ids = self.make_ids("acct", len(accounts.created_ts))
        return self.ctx.registry.add_accounts(ids, accounts, self.index)

    def new_keys(self, accounts: np.ndarray, pathways: np.ndarray) -> np.ndarray:
        """One API key per entry of ``accounts`` with the given access pathway codes."""
        ids = self.make_ids("key", len(accounts))
        return self.ctx.registry.add_keys(ids, accounts, pathways)

    def pathway_codes(self, weights: dict[str, float], n: int) -> np.ndarray:
        """Access-pathway codes drawn from ``weights`` over :data:`ACCESS_PATHWAYS`."""
        p = np.array([weights.get(name, 0.0) for name in ACCESS_PATHWAYS], dtype=np.float64)
        return self.rng.choice(len(ACCESS_PATHWAYS), size=n, p=p / p.sum()).astype(np.int8)

    def utc_offsets(self, countries: np.ndarray) -> np.ndarray:
        """UTC offsets (hours) for people in ``countries``; large countries span zones."""
        base = np.array([COUNTRIES[int(c)].utc_offset_hours for c in countries.tolist()], dtype=np.float64)
        wide = np.isin(countries, [i for i, c in enumerate(COUNTRIES) if c.code in ("US", "CA", "BR", "AU", "RU")])
        spread = self.rng.integers(-2, 2, size=countries.size) if countries.size else np.zeros(0)
        return base + np.where(wide, spread, 0)

    def home_languages(self, countries: np.ndarray, english_share: float = 0.35) -> np.ndarray:
        """Language codes: the country's language, or English with ``english_share``."""
        local = np.array([language_code(COUNTRIES[int(c)].language) for c in countries.tolist()], dtype=np.int16)
        english = self.rng.random(countries.size) < english_share
        return np.where(english, language_code("en"), local).astype(np.int16)

    def noisy_labels(
        self, topic: np.ndarray, language: np.ndarray, cot: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the provider's classifiers say about true labels (scenario noise)."""
        noise = self.ctx.scenario.classifier_noise
        return (
            classify(self.rng, topic, len(TOPICS), noise.topic).astype(np.int16),
            classify(self.rng, language, len(LANGUAGES), noise.language).astype(np.int16),
            classify(self.rng, cot.astype(np.int8), 2, noise.cot_requested).astype(bool),
        )
