"""Helpers for tests that measure tactics in generated traffic: run a scenario small
and keep the visible columns of every request beside its hidden truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from conftest import SCENARIOS

from simulator.prompts import hamming
from simulator.scenario import Scenario
from simulator.scenario.loading import load_scenario
from simulator.world import World

__all__ = [
    "campaign_actor",
    "campaign_scenario",
    "fingerprint_spread",
    "load",
    "run",
    "scenario_path",
    "template_centres",
]

DEFAULT_COLUMNS = ("ts", "account_id", "org_id", "key_id", "model", "status", "output_tokens")


def load(
    name: str, *, scale: float = 1.0, duration: float | None = None, seed: int | None = None, tick: float | None = None
) -> Scenario:
    """A shipped scenario, resolved small (``tick``: seconds, coarser ticks for tests that
    read the requests' own times, not the ticks: the same requests at a fraction of
    the per-tick cost)."""
    return load_scenario(SCENARIOS / f"{name}.yaml").resolved(scale=scale, duration=duration, seed=seed, tick=tick)


def run(scenario: Scenario | World, columns: tuple[str, ...] = DEFAULT_COLUMNS) -> tuple[pd.DataFrame, World]:
    """Every request's ``columns`` plus hidden ``attacker``, ``campaign``, ``role``
    and ``template_id``; and the world after the run."""
    world = scenario if isinstance(scenario, World) else World(scenario)
    tables, codes, templates = [], [], []
    for traffic in world.ticks():
        tables.append(traffic.batch.table.select(list(columns)))
        codes.append(traffic.account_codes)
        templates.append(traffic.template_id)
    # one conversion for every tick: a conversion per tick (thousands of small tables)
    # cost about a third of the CPU time of the tests reading traffic, for the same frame
    requests = pa.concat_tables(tables).to_pandas()
    requests["template_id"] = np.concatenate(templates)
    truth = world.registry.truth
    code = np.concatenate(codes)
    requests["attacker"] = truth.column("is_attacker")[code]
    requests["campaign"] = truth.column("campaign")[code]
    requests["role"] = truth.column("role")[code]
    return requests, world


def template_centres(requests: pd.DataFrame) -> pd.Series:
    """Per template id, the bitwise majority of its rendered fingerprints (an
    estimate of the template's own fingerprint)."""
    bits = np.unpackbits(requests.prompt_simhash.to_numpy(np.uint64).view(np.uint8).reshape(-1, 8), axis=1)
    groups = pd.DataFrame(bits).groupby(requests.template_id.to_numpy()).mean() > 0.5
    packed = np.packbits(groups.to_numpy(np.uint8), axis=1).view(np.uint64).ravel()
    return pd.Series(packed, index=groups.index)


def fingerprint_spread(requests: pd.DataFrame) -> float:
    """Mean Hamming distance (bits) of templated requests to their template's centre."""
    templated = requests[requests.template_id >= 0]
    centres = template_centres(templated)
    return float(
        hamming(templated.prompt_simhash.to_numpy(np.uint64), centres.loc[templated.template_id].to_numpy()).mean()
    )


def scenario_path(name: str) -> Path:
    return SCENARIOS / f"{name}.yaml"


def campaign_scenario(campaign: dict, *, population: list | None = None, **overrides: object) -> Scenario:
    """A tiny scenario with one hydra campaign (``name`` defaults to 'c') and a few
    chat users; ``overrides`` replace scenario fields (duration, gateway…)."""
    from conftest import tiny_scenario

    entry = {"kind": "hydra", "name": "c", "accounts": 10, **campaign}
    fields: dict[str, object] = {
        "population": population if population is not None else [{"kind": "chat", "accounts": 20}],
        "campaigns": [entry],
        "duration": "2h",
        **overrides,
    }
    return tiny_scenario(**fields)


def campaign_actor(world: World):
    """The (last) campaign actor of a world."""
    return world.actors[-1]
