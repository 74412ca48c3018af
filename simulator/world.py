"""The simulated world: a SimPy environment, its actors and the gateway, stepped tick by tick.

:meth:`World.ticks` is a generator: it advances the SimPy clock to the end of
each tick (actors submit request blocks on their own schedules), lets the
gateway decide the tick's statuses, and yields a
:class:`~simulator.traffic.TickTraffic`. Between two yields the consumer may
act on the gateway (``world.gateway.ban(...)``, ``.throttle``, ``.challenge``);
the action applies from the next tick on, and the actor owning an affected
account hears of it at once. Before a tick is yielded, actors that want to
(campaigns) read the responses their own requests got in it (:meth:`Actor.on_tick`).

Causality: ``env.run(until=T)`` processes every event strictly before ``T``; a
request is always submitted at or before its timestamp, so all requests of a
tick ending at ``T`` are in the gateway when it is processed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import simpy

from simulator.actor import Actor, WorldContext
from simulator.campaign import CAMPAIGNS, CampaignActor, CampaignOutcome
from simulator.gateway import Enforcement, Gateway
from simulator.identity import IdFactory, ProfileFactory
from simulator.network import Network
from simulator.population import GROUPS
from simulator.registry import Registry
from simulator.scenario import Scenario
from simulator.seeding import SeedStreams, stable_key
from simulator.traffic import TickTraffic

__all__ = ["ACTORS", "World"]

ACTORS: dict[str, type[Actor]] = {**GROUPS, **CAMPAIGNS}
"""The actor class that runs each ``kind`` of population group and campaign."""


class World:
    """One run of a scenario with one seed."""

    def __init__(self, scenario: Scenario, seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else int(seed)
        self.actors: list[Actor] = []
        self._started = False

    def build(self) -> None:
        """Create the environment, registry, gateway and actors, and the accounts
        that exist at the start. Called by :meth:`ticks` if not called before."""
        if self._started:
            return
        streams = SeedStreams(self.seed)
        scenario = self.scenario
        self.env = simpy.Environment()
        self.registry = Registry(tuple(tier.name for tier in scenario.gateway.tiers))
        self.network = Network(streams.generator("network"))
        self.gateway = Gateway(
            scenario, self.registry, self.network, request_id_key=stable_key(f"requests/{self.seed}")
        )
        self.context = WorldContext(
            env=self.env,
            scenario=scenario,
            gateway=self.gateway,
            registry=self.registry,
            network=self.network,
            ids=IdFactory(streams.secret("ids")),
            streams=streams,
            profiles=ProfileFactory(seed=int(streams.generator("profiles").integers(1 << 31))),
        )
        configs = [*scenario.population, *scenario.campaigns]
        for index, config in enumerate(configs):
            actor = ACTORS[config.kind](config, config.actor_name(index), index, self.context)
            self.actors.append(actor)
            self.context.actors[actor.name] = actor
        # customer groups set up before campaigns, in scenario order
        for actor in self.actors:
            actor.setup()
        self.gateway.add_listener(self._route)
        for actor in self.actors:
            actor.start()
        self._started = True

    def _route(self, event: Enforcement) -> None:
        """Forward an enforcement to the actors owning the affected accounts."""
        owners = self.registry.truth.column("actor")[event.accounts]
        for actor_index in sorted(set(owners.tolist())):
            mine = event.accounts[owners == actor_index]
            self.actors[actor_index].on_enforcement(replace(event, accounts=mine))

    def campaign_outcomes(self) -> list[CampaignOutcome]:
        """What each campaign did and got so far, in scenario order (hidden truth)."""
        return [actor.outcome() for actor in self.actors if isinstance(actor, CampaignActor)]

    def ticks(self) -> Iterator[TickTraffic]:
        """Run the world, yielding each processed tick in order."""
        self.build()
        tick = float(self.scenario.tick)
        duration = float(self.scenario.duration)
        observers = [actor for actor in self.actors if type(actor).on_tick is not Actor.on_tick]
        for k in range(self.scenario.n_ticks):
            self.env.run(until=min((k + 1) * tick, duration))
            traffic = self.gateway.process_tick(k)
            for actor in observers:
                actor.on_tick(traffic)
            yield traffic
