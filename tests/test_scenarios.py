"""Every shipped scenario validates and runs small."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SCENARIOS

from simulator.scenario.loading import load_scenario
from simulator.world import World

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_scenarios_are_shipped() -> None:
    assert {p.stem for p in SHIPPED} >= {
        "quickstart",
        "hydra-cluster",
        "low-and-slow",
        "burst-harvest",
        "reseller-mix",
        "model-pivot",
        "multilingual-cot",
        "mimicry",
        "report-scale-2026",
        "qwen-scale",
    }


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


def test_resolved_overrides_seed_duration_scale_and_tick() -> None:
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    small = scenario.resolved(seed=5, duration=7200, scale=0.5, tick=300)
    assert (small.seed, small.duration, small.tick, small.n_ticks) == (5, 7200, 300, 24)
    assert small.population[0].accounts == round(scenario.population[0].accounts / 2)
    # a tick longer than the run is cut to the run
    assert scenario.resolved(duration=600, tick=3600).tick == 600
    with pytest.raises(ValueError, match="scale"):
        scenario.resolved(scale=0)
