"""Every shipped scenario validates and runs small."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SCENARIOS

from simulator.loading import load_scenario
from simulator.world import World

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_scenarios_are_shipped() -> None:
    assert {p.stem for p in SHIPPED} >= {"quickstart", "hydra-cluster"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_shipped_scenario_runs_small(path: Path) -> None:
    scenario = load_scenario(path)
    small = scenario.resolved(
        scale=min(1.0, 400 / max(1, sum(g.accounts for g in scenario.population))),
        duration=min(scenario.duration, 4 * 3600.0),
    )
    world = World(small)
    rows = sum(len(traffic.batch) for traffic in world.ticks())
    assert rows > 0
    assert len(world.registry) > 0
