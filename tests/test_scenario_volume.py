"""A scenario's description and its traffic agree: the volumes a shipped scenario
states are those its spec sends (simulator.scenario.volume), and the estimate from
the spec follows what the world generates."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simulator.scenario import load_scenario, parse_scenario
from simulator.scenario.volume import expected_requests, total_expected_requests
from simulator.world import World

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

FLAT = """
version: 1
name: flat-volumes
seed: 5
start: 2026-03-02T00:00:00Z
duration: 2d
tick: 15m
population:
  - {kind: chat, accounts: 300, volume_sigma: 0}
  - {kind: power_user, accounts: 60, volume_sigma: 0}
  - {kind: coding_assistant, accounts: 40, volume_sigma: 0}
  - {kind: agent, accounts: 20, volume_sigma: 0}
  - {kind: batch, accounts: 60, volume_sigma: 0, requests_per_job: {median: 100, sigma: 0.5}}
  - {kind: eval_harness, accounts: 120, volume_sigma: 0, requests_per_job: {median: 100, sigma: 0.5}}
  - {kind: data_labelling, accounts: 60, volume_sigma: 0, requests_per_job: {median: 100, sigma: 0.5}}
  - {kind: api_integration, accounts: 30, volume_sigma: 0}
  - {kind: reseller, accounts: 200, volume_sigma: 0}
campaigns:
  - kind: hydra
    name: flat
    accounts: 50
    load: {requests_per_account: 100/day, volume_sigma: 0}
"""
"""Every archetype once, without the heavy tail of activity (whose mean over a few
hundred accounts is far noisier than the formula's other terms), and jobs small
enough that a group runs many of them in two days."""


def test_the_estimate_follows_the_traffic_every_archetype_generates() -> None:
    scenario = parse_scenario(FLAT)
    world = World(scenario)
    counts = np.zeros(0)
    for traffic in world.ticks():
        tick = np.bincount(traffic.account_codes, minlength=counts.size)
        counts = np.r_[counts, np.zeros(tick.size - counts.size)] + tick
    actor = world.registry.truth.column("actor")[: counts.size]
    volumes = expected_requests(scenario)
    assert [v.kind for v in volumes] == [g.kind for g in scenario.population] + ["hydra"]
    for index, group in enumerate(volumes):
        simulated = counts[actor == index].sum()
        assert simulated == pytest.approx(group.requests, rel=0.3), group.name
    assert counts.sum() == pytest.approx(sum(v.requests for v in volumes), rel=0.1)


def test_heavy_tailed_activity_raises_the_mean_above_the_median_customer() -> None:
    heavy = parse_scenario(FLAT.replace("{kind: chat, accounts: 300, volume_sigma: 0}", "{kind: chat, accounts: 300}"))
    flat, tailed = expected_requests(parse_scenario(FLAT))[0], expected_requests(heavy)[0]
    assert tailed.requests / flat.requests == pytest.approx(math.exp(2.27**2 / 2))  # log-normal mean, σ 2.27


def test_a_campaign_sends_over_its_own_span() -> None:
    late = parse_scenario(FLAT.replace("    name: flat\n", "    name: flat\n    start: 1d\n"))
    assert expected_requests(late)[-1].requests == pytest.approx(50 * 100)  # one day of 50 accounts at 100/day


# What each shipped scenario's description states, as (text quoted from the
# description, the figure it stands for, the value stated). The quoted text must
# appear in the description, so a reworded description fails here until its
# figures are checked again.
STATED: dict[str, list[tuple[str, str, float]]] = {
    "burst-harvest": [
        ("Ten accounts", "attack accounts", 10),
        ("3,400 legitimate accounts", "legitimate accounts", 3_400),
    ],
    "hydra-cluster": [
        ("About 2,000 attacker accounts", "attack accounts", 2_000),
        ("around 150 requests a day", "hydra-main per account per day", 150),
        ("14,100 legitimate accounts", "legitimate accounts", 14_100),
    ],
    "hydra-resale": [
        ("About 2,000 attacker accounts", "attack accounts", 2_000),
        ("around 150 requests a day", "hydra-resold per account per day", 150),
        ("14,100 legitimate accounts", "legitimate accounts", 14_100),
    ],
    "legit-only": [
        ("about 6,000 legitimate accounts", "legitimate accounts", 6_000),
        ("no attack", "attack accounts", 0),
    ],
    "low-and-slow": [
        ("3,000 attacker accounts", "attack accounts", 3_000),
        ("about 25 requests a day", "slow-drip per account per day", 25),
        ("13,400 legitimate accounts", "legitimate accounts", 13_400),
    ],
    "mimicry": [
        ("800 attacker accounts", "attack accounts", 800),
        ("5,600 legitimate accounts", "legitimate accounts", 5_600),
    ],
    "model-pivot": [
        ("600-account campaign", "attack accounts", 600),
        ("4,400 legitimate accounts", "legitimate accounts", 4_400),
    ],
    "multilingual-cot": [
        ("500 attacker accounts", "attack accounts", 500),
        ("4,400 legitimate accounts", "legitimate accounts", 4_400),
    ],
    "quickstart": [
        ("40-account hydra pool", "attack accounts", 40),
    ],
    "qwen-scale": [
        ("25,000-account campaign", "attack accounts", 25_000),
        ("about 28.8 million requests", "attack requests", 28.8e6),
        ("19,700 legitimate accounts", "legitimate accounts", 19_700),
    ],
    "report-scale-2026": [
        ("1,000, 5,000 and 18,000 accounts", "attack accounts", 24_000),
        ("about 150k, 3.4M and 13M requests", "reasoning-rubric requests", 150e3),
        ("about 150k, 3.4M and 13M requests", "agentic-vision requests", 3.4e6),
        ("about 150k, 3.4M and 13M requests", "agentic-coding requests", 13e6),
        ("45,120 legitimate accounts", "legitimate accounts", 45_120),
        ("about 70 million requests", "legitimate requests", 70e6),
    ],
    "reseller-mix": [
        ("600 end-customer accounts", "relay accounts", 600),
        ("300 attack accounts", "attack accounts", 300),
        ("5,500 direct legitimate accounts", "direct legitimate accounts", 5_500),
    ],
}

PENDING: dict[tuple[str, str], str] = {}
"""Statements known to disagree with their scenario, until the file is fixed."""

TOLERANCE = {"accounts": 0.05, "requests": 0.25, "per account per day": 0.05}
"""Relative tolerance by kind of figure: descriptions round ("about 2,000"); the
request estimate is good to tens of percent (simulator.scenario.volume)."""


def _figure(name: str, what: str) -> float:
    """The value of one kind of figure in the shipped scenario ``name``, from its spec."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    volumes = expected_requests(scenario)
    legitimate, attack = total_expected_requests(scenario)
    by_name = {v.name: v for v in volumes}
    if what == "legitimate requests":
        return legitimate
    if what == "attack requests":
        return attack
    if what == "legitimate accounts":
        return sum(v.accounts for v in volumes if not v.attacker)
    if what == "direct legitimate accounts":
        return sum(v.accounts for v in volumes if not v.attacker and v.kind != "reseller")
    if what == "attack accounts":
        return sum(v.accounts for v in volumes if v.attacker)
    group, _, field = what.partition(" ")
    return {
        "requests": by_name[group].requests,
        "accounts": by_name[group].accounts,
        "per account per day": by_name[group].per_account_per_day,
    }[field]


def _cases() -> list[object]:
    cases = []
    for name, statements in STATED.items():
        for quoted, what, value in statements:
            reason = PENDING.get((name, what))
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            cases.append(pytest.param(name, quoted, what, value, marks=marks, id=f"{name}: {what}"))
    return cases


def test_every_shipped_scenario_has_its_stated_figures_checked() -> None:
    assert sorted(STATED) == sorted(path.stem for path in SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize(("name", "quoted", "what", "value"), _cases())
def test_a_description_states_the_volumes_its_scenario_sends(name: str, quoted: str, what: str, value: float) -> None:
    description = " ".join(load_scenario(SCENARIOS / f"{name}.yaml").description.split())
    assert quoted in description, f"{name}: the description no longer says {quoted!r}; check its figures again"
    kind = next(key for key in TOLERANCE if what.endswith(key))
    assert _figure(name, what) == pytest.approx(value, rel=TOLERANCE[kind], abs=0.5), f"{name}: {quoted!r}"


def test_the_pending_statements_still_disagree() -> None:
    """A pending statement fixed in its file must leave PENDING (so that it is tested again)."""
    for (name, what), _reason in PENDING.items():
        quoted, value = next((q, v) for q, w, v in STATED[name] if w == what)
        description = " ".join(load_scenario(SCENARIOS / f"{name}.yaml").description.split())
        assert quoted in description, f"{name}: {quoted!r} was reworded: update STATED and PENDING"
        kind = next(key for key in TOLERANCE if what.endswith(key))
        assert not math.isclose(_figure(name, what), value, rel_tol=TOLERANCE[kind]), (name, what)
