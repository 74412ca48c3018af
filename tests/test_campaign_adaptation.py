"""Closed-loop adaptation (bans, throttles, challenges), budgets, goals and outcomes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from traffic_helpers import campaign_actor, campaign_scenario, run

from simulator.campaign.state import GONE
from simulator.scenario.loading import load_scenario
from simulator.world import World

HOUR = 3600.0


def drive(scenario, at_tick: int, action) -> tuple[World, pd.DataFrame]:
    """Run ``scenario``; at the end of tick ``at_tick`` call ``action(world)``."""
    world = World(scenario)
    tables, codes = [], []
    for traffic in world.ticks():
        tables.append(traffic.batch.table.select(["ts", "account_id", "client_fingerprint", "status"]))
        codes.append(traffic.account_codes)
        if traffic.batch.tick == at_tick:
            action(world)
    requests = pa.concat_tables(tables).to_pandas()  # one conversion, not one per tick: the same frame
    requests["code"] = np.concatenate(codes)
    return world, requests


def ban_five(world: World) -> None:
    actor = campaign_actor(world)
    world.gateway.ban(actor.members.column("code")[:5])


def test_banned_accounts_are_replaced_after_the_delay_with_matching_or_fresh_identities() -> None:
    for identity in ("matching", "fresh"):
        campaign = {"adaptation": {"on_ban": {"kind": "replace", "delay": "30m", "identity": identity}}}
        world, requests = drive(campaign_scenario(campaign), 29, ban_five)
        actor = campaign_actor(world)
        assert actor.banned == 5 and actor.replaced == 5 and len(actor.members) == 15
        created = actor.members.column("created")
        assert np.allclose(created[10:], 30 * 60 + 30 * 60)
        old, new = actor.members.column("code")[:5], actor.members.column("code")[10:]
        cards = world.registry.visible.column("payment_fingerprint")
        clients = actor.members.column("client0")
        if identity == "matching":
            assert (cards[new] == cards[old]).all() and (clients[10:] == clients[:5]).all()
        else:
            assert not set(cards[new]) & set(cards[actor.members.column("code")[:10]])
            assert not set(clients[10:]) & set(clients[:10])
        assert (requests[requests.code.isin(new)].ts >= 3600).all()


def test_without_replacement_the_pool_shrinks() -> None:
    world, _ = drive(campaign_scenario({"adaptation": {"on_ban": {"kind": "none"}}}), 10, ban_five)
    actor = campaign_actor(world)
    assert actor.replaced == 0 and len(actor.members) == 10
    assert (actor.members.column("state") == GONE).sum() == 5


def throttle_half(world: World) -> None:
    actor = campaign_actor(world)
    world.gateway.throttle(actor.members.column("code")[:5], factor=0.25, duration=HOUR)


def test_slowing_down_on_a_throttle_cuts_the_throttled_accounts_rate() -> None:
    load = {"requests_per_account": "3000/day", "timing": {"kind": "independent"}, "volume_sigma": 0}
    world, requests = drive(
        campaign_scenario({"load": load | {"rhythm": {"kind": "flat"}}}, duration="3h"), 59, throttle_half
    )
    codes = campaign_actor(world).members.column("code")
    during = requests[requests.ts.between(HOUR, 2 * HOUR)]
    slowed = during.code.isin(codes[:5]).sum()
    others = during.code.isin(codes[5:]).sum()
    assert slowed / others == pytest.approx(0.25, abs=0.08)
    assert campaign_actor(world).throttled == 5


def test_spreading_wider_on_a_throttle_enlists_new_accounts() -> None:
    campaign = {"adaptation": {"on_throttle": {"kind": "spread", "extra": 1.0, "max_growth": 1.0}}}
    world, _ = drive(campaign_scenario(campaign), 30, throttle_half)
    actor = campaign_actor(world)
    # five throttled accounts lost three quarters of their capacity: four new accounts
    assert actor.on_throttle.added == 4 and len(actor.members) == 14 and actor.replaced == 0


def challenge_all(world: World) -> None:
    codes = world.registry.truth.column("is_attacker")
    world.gateway.challenge(np.flatnonzero(codes))
    world.gateway.challenge(np.flatnonzero(~codes)[:10])


def test_challenges_are_solved_after_a_delay_at_a_cost_and_customers_pass_in_minutes() -> None:
    campaign = {
        "load": {"requests_per_account": "2000/day"},
        "adaptation": {"on_challenge": {"kind": "solve", "delay": "40m", "cost": 1.5}},
    }
    population = [{"kind": "chat", "accounts": 40, "sessions_per_day": "100/day"}]
    world, requests = drive(campaign_scenario(campaign, population=population, duration="3h"), 29, challenge_all)
    actor = campaign_actor(world)
    assert actor.challenged == 10 and actor.ledger.spent["challenges"] == pytest.approx(15.0)
    attack = requests[world.registry.truth.column("is_attacker")[requests.code.to_numpy()]]
    # paused while solving: nothing sent between the challenge and the pass, served after
    assert not attack.ts.between(30 * 60, 70 * 60 - 1).any()
    assert set(attack[attack.ts >= 70 * 60].status) == {200}
    customers = requests[requests.code.isin(np.flatnonzero(~world.registry.truth.column("is_attacker"))[:10])]
    refused = customers[customers.status == 403]
    assert len(refused) > 0 and refused.ts.max() < 30 * 60 + 3600
    assert (customers[customers.ts >= 30 * 60 + 3600].status == 200).all()


def test_abandoning_challenged_accounts_replaces_them() -> None:
    campaign = {"adaptation": {"on_challenge": {"kind": "abandon", "replace": True}}}
    world, _ = drive(campaign_scenario(campaign), 20, challenge_all)
    actor = campaign_actor(world)
    assert (actor.members.column("state")[:10] == GONE).all()
    assert actor.replaced == 10 and len(actor.members) == 20


def test_a_campaign_stops_when_its_goal_is_reached() -> None:
    campaign = {
        "load": {"requests_per_account": "5000/day", "plan_interval": "5m"},
        "goal": {"output_tokens": "500k"},
    }
    requests, world = run(campaign_scenario(campaign, duration="6h"))
    outcome = campaign_actor(world).outcome()
    assert outcome.goal_reached and outcome.finish_reason == "goal"
    # overshoot: at most about one planning step's output (10 accounts · 5000/day · 5 min · 1,600 tokens)
    assert 500_000 <= outcome.harvest_output_tokens < 800_000
    # follow-ups due after the stop are never sent
    assert requests[requests.attacker].ts.max() <= outcome.finished_at
    assert outcome.served == (requests.attacker & (requests.status == 200)).sum()


def test_goal_capabilities_count_only_their_topics() -> None:
    campaign = {
        "load": {"requests_per_account": "3000/day"},
        "prompts": {"topics": {"coding": 1, "reasoning": 1}},
        "goal": {"output_tokens": "300k", "capabilities": ["coding"]},
    }
    world = run(campaign_scenario(campaign, duration="6h"))[1]
    extraction = campaign_actor(world).extraction
    assert extraction.reached
    coding = extraction.by_capability()["coding"]
    assert coding >= 300_000 and extraction.by_capability()["reasoning"] > 0.5 * coding


def test_a_budget_caps_accounts_and_stops_the_campaign_when_spent() -> None:
    campaign = {
        "accounts": 20,
        "load": {"requests_per_account": "3000/day", "plan_interval": "5m"},
        "budget": {"total": 40, "per_account": 1.5, "per_proxy_ip": 0.01},
        "infrastructure": {"proxy_pool": 100},
    }
    requests, world = run(campaign_scenario(campaign, duration="6h"))
    outcome = campaign_actor(world).outcome()
    assert outcome.accounts == 20 and outcome.spent["accounts"] == pytest.approx(30.0)
    assert outcome.finish_reason == "budget"
    # overspend is bounded by one planning step of expected cost
    assert sum(outcome.spent.values()) < 40 * 1.1
    assert requests[requests.attacker].ts.max() < 6 * HOUR - HOUR
    poor = {**campaign, "budget": {"total": 10, "per_account": 1.5}}
    assert campaign_actor(run(campaign_scenario(poor, duration="10m"))[1]).enlisted == 6


def test_the_same_seed_gives_the_same_traffic_with_every_tactic(tmp_path: Path) -> None:
    campaign = {
        "accounts": 15,
        "acquisition": {"creation": {"kind": "waves", "waves": 2, "first": "-1h", "every": "1h"}, "reserve": 0.2},
        "infrastructure": {"rotation": "interval", "clients": {"kind": "rotating", "count": 7}},
        "load": {"rhythm": {"kind": "human"}, "volume_sigma": 0.5, "timing": {"kind": "independent"}},
        "prompts": {"languages": {"en": 1, "ja": 1}, "language_mix": "request"},
        "camouflage": {"filler_share": 0.2},
        "pivot": {"share": 0.5},
    }
    scenario = campaign_scenario(campaign, duration="2h")
    columns = ("ts", "account_id", "ip", "client_fingerprint", "prompt_simhash", "language", "model", "status")
    first, second = run(scenario, columns)[0], run(scenario, columns)[0]
    pd.testing.assert_frame_equal(first, second)


def test_campaign_request_ids_system_prompts_and_conversations_look_like_customers(quickstart_path: Path) -> None:
    from scipy.stats import binomtest

    requests, _ = run(
        load_scenario(quickstart_path).resolved(duration=3 * HOUR),
        ("ts", "account_id", "system_prompt_hash", "conversation_id"),
    )
    for column in ("system_prompt_hash", "conversation_id"):
        values = requests[column].to_numpy(np.uint64)
        assert (values != 0).all(), column
        # both groups' distinct values are uniform 64-bit hashes: their top bits are fair coins
        # (a few shared system prompts are a real coordination signal, so values, not rows, count)
        for attacker in (True, False):
            distinct = np.unique(values[requests.attacker.to_numpy() == attacker])
            top = int((distinct >> np.uint64(63)).sum())
            assert binomtest(top, distinct.size).pvalue > 1e-3, (column, attacker, top, distinct.size)
