"""The layers hold: specs load without the simulation, every kind has its behaviour, and every
tactic variant runs in a world."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, get_args

import pytest
from pydantic import BaseModel
from traffic_helpers import campaign_actor, campaign_scenario

from simulator.campaign import CAMPAIGNS, TACTICS
from simulator.population import GROUPS
from simulator.scenario.campaign import CampaignBase, CampaignConfig
from simulator.scenario.campaign.infrastructure import Infrastructure
from simulator.scenario.population import ARCHETYPES
from simulator.world import ACTORS, World

SIMULATION = ("simpy", "faker", "simulator.world", "simulator.gateway", "simulator.actor")
BEHAVIOUR = ("simulator.campaign", "simulator.population", "simulator.bench")


def loaded_after(statement: str) -> set[str]:
    """Modules a fresh interpreter holds after running ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


def test_validating_a_scenario_loads_no_simulation() -> None:
    modules = loaded_after(
        "from simulator.scenario import parse_scenario\n"
        "parse_scenario('version: 1\\nname: t\\nstart: 2026-03-02T00:00:00Z\\nduration: 1h\\n')"
    )
    assert not {name for name in modules if name in SIMULATION or name.startswith(BEHAVIOUR)}


def tactic_families(model: type[BaseModel], prefix: str = "") -> dict[str, set[str]]:
    """Every discriminated union (on ``kind``) inside a campaign spec, by field path,
    with the kinds of its variants."""
    found: dict[str, set[str]] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if field.discriminator == "kind":
            found[prefix + name] = {get_args(v.model_fields["kind"].annotation)[0] for v in get_args(annotation)}
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.update(tactic_families(annotation, f"{prefix}{name}."))
    return found


def test_every_tactic_family_has_one_table_with_a_behaviour_for_each_kind() -> None:
    families = tactic_families(CampaignBase)
    families["infrastructure.rotation"] = set(get_args(Infrastructure.model_fields["rotation"].annotation))
    assert {path: set(table) for path, table in TACTICS.items()} == families


def test_every_kind_has_an_actor() -> None:
    union = get_args(CampaignConfig)[0]
    campaign_kinds = {get_args(v.model_fields["kind"].annotation)[0] for v in get_args(union) or (union,)}
    assert set(GROUPS) == set(ARCHETYPES)
    assert set(CAMPAIGNS) == campaign_kinds
    assert set(ACTORS) == set(ARCHETYPES) | campaign_kinds


VARIANTS: dict[str, dict[str, Any]] = {
    "acquisition.creation": {
        "aged": {"kind": "aged"},
        "waves": {"kind": "waves", "waves": 2, "first": "-30m", "every": "40m", "spread": "10m"},
    },
    "acquisition.seeding": {
        "none": {"kind": "none"},
        "prepaid": {"kind": "prepaid", "spend": 20},
        "warmup": {"kind": "warmup", "spend": 0.05, "requests_per_account": "2000/day"},
    },
    "access": {"direct": {"kind": "direct"}, "reseller": {"kind": "reseller", "reseller": "shop"}},
    "infrastructure.clients": {
        "shared": {"kind": "shared", "count": 3},
        "spoofed": {"kind": "spoofed"},
        "rotating": {"kind": "rotating", "count": 5},
    },
    "infrastructure.rotation": {kind: kind for kind in ("request", "interval", "account")},
    "infrastructure.geography": {
        "declared": {"kind": "declared", "abroad": 0.2, "abroad_requests": 0.1},
        "fixed": {"kind": "fixed", "countries": {"JP": 1, "BR": 1}},
    },
    "load.timing": {
        "queue": {"kind": "queue", "workers": 2},
        "synchronised": {"kind": "synchronised"},
        "independent": {"kind": "independent"},
    },
    "load.rhythm": {"flat": {"kind": "flat"}, "human": {"kind": "human"}, "shift": {"kind": "shift"}},
    "conversations": {
        "single_turn": {"kind": "single_turn"},
        "threads": {"kind": "threads"},
        "trajectories": {"kind": "trajectories", "context": "file"},
    },
    "resale": {"none": {"kind": "none"}, "customers": {"kind": "customers", "share": 0.4}},
    "adaptation.on_ban": {"replace": {"kind": "replace"}, "none": {"kind": "none"}},
    "adaptation.on_throttle": {
        "ignore": {"kind": "ignore"},
        "slow_down": {"kind": "slow_down"},
        "spread": {"kind": "spread"},
    },
    "adaptation.on_challenge": {"solve": {"kind": "solve", "delay": "5m"}, "abandon": {"kind": "abandon"}},
    "adaptation.on_verify": {"buy": {"kind": "buy", "success": 0.5}, "abandon": {"kind": "abandon"}},
    "adaptation.on_takedown": {"same": {"kind": "same"}, "fresh": {"kind": "fresh"}},
    "adaptation.on_audit": {"stay": {"kind": "stay"}, "reseller": {"kind": "reseller", "reseller": "shop"}},
    "adaptation.on_watermark": {
        "none": {"kind": "none"},
        "paraphrase": {"kind": "paraphrase"},
        "filter": {"kind": "filter"},
    },
}
"""One runnable spec for every kind of every family (what the test below runs)."""


def test_the_variants_run_below_cover_every_kind() -> None:
    assert {path: set(kinds) for path, kinds in VARIANTS.items()} == {
        path: set(table) for path, table in TACTICS.items()
    }


def nested(path: str, value: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: nested(rest, value) if rest else value}


def enforce(world: World) -> None:
    """Ban (after an alarm, a link, an audit), throttle, challenge and ask to verify harvesting accounts."""
    codes = campaign_actor(world).members.column("code")
    world.gateway.ban(codes[:1])
    world.gateway.ban(codes[1:2], reason="linked")
    world.gateway.ban(codes[8:9], reason="audit")
    world.gateway.throttle(codes[2:4], 0.25, 1800.0)
    world.gateway.challenge(codes[4:6])
    world.gateway.verify(codes[6:8], median_delay=600.0, abandon=0.1)


CASES = [(path, kind) for path, kinds in VARIANTS.items() for kind in kinds]


@pytest.mark.parametrize(("path", "kind"), CASES, ids=[f"{path}={kind}" for path, kind in CASES])
def test_every_kind_of_every_family_runs_in_a_world(path: str, kind: str) -> None:
    campaign = {"load": {"requests_per_account": "3000/day"}}
    override = nested(path, VARIANTS[path][kind])
    for section, value in override.items():
        campaign[section] = {**campaign.get(section, {}), **value} if isinstance(value, dict) else value
    scenario = campaign_scenario(
        campaign,
        population=[{"kind": "chat", "accounts": 10}, {"kind": "reseller", "name": "shop", "accounts": 10}],
        duration="90m",
        tick="5m",
    )
    world = World(scenario)
    campaign_rows = 0
    for traffic in world.ticks():
        mine = world.registry.truth.column("is_attacker")[traffic.account_codes]
        campaign_rows += int(mine.sum())
        if traffic.batch.tick == 6:
            enforce(world)
    outcome = campaign_actor(world).outcome()
    assert campaign_rows > 0 and outcome.requests == campaign_rows
    assert (outcome.banned, outcome.throttled, outcome.challenged, outcome.verified) == (3, 2, 2, 2)
