"""Scenarios: the frozen, validated description of one simulated world, and loading it from YAML.

Everything here is data: pydantic models that reject unknown keys, carry a
description on every field and point a YAML error at its line. Nothing here
imports the simulation (SimPy, Faker, the actors or the gateway), so a tool that
only validates a file loads only this package.

* :mod:`~simulator.scenario.schema`: :class:`Scenario` and the gateway, models and classifier-noise sections;
* :mod:`~simulator.scenario.population`: the legitimate customer archetypes (``population``);
* :mod:`~simulator.scenario.campaign`: the extraction campaigns and their tactic families (``campaigns``);
* :mod:`~simulator.scenario.base`, :mod:`~simulator.scenario.lengths`, :mod:`~simulator.scenario.system_prompts`:
  building blocks (strict models, weights, distributions);
* :mod:`~simulator.scenario.loading`: YAML files to scenarios, with located errors.

The behaviour each ``kind`` stands for lives in :mod:`simulator.population` and
:mod:`simulator.campaign`; :mod:`simulator.world` maps kinds to actors.
"""

from __future__ import annotations

from simulator.scenario.loading import Problem, ScenarioError, load_document, load_scenario, parse_scenario
from simulator.scenario.schema import ClassifierNoise, GatewayConfig, Limits, ModelRelease, Pricing, Scenario, Tier
from simulator.scenario.volume import GroupVolume, expected_requests, total_expected_requests

__all__ = [
    "ClassifierNoise",
    "GatewayConfig",
    "GroupVolume",
    "Limits",
    "ModelRelease",
    "Pricing",
    "Problem",
    "Scenario",
    "ScenarioError",
    "Tier",
    "expected_requests",
    "load_document",
    "load_scenario",
    "parse_scenario",
    "total_expected_requests",
]
