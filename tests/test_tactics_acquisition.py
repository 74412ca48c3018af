"""Acquisition tactics: sign-up waves, ageing, tier targets, spend seeding, reserve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from traffic_helpers import campaign_actor, campaign_scenario, run

from simulator.campaign.state import HARVEST, RESERVE
from simulator.scenario.loading import ScenarioError, parse_scenario
from simulator.world import World

HOUR = 3600.0
DAY = 86400.0


def test_sign_up_waves_come_every_so_often_each_spread_over_a_few_hours() -> None:
    scenario = campaign_scenario(
        {
            "accounts": 30,
            "acquisition": {"creation": {"kind": "waves", "waves": 3, "first": "-2h", "every": "1h", "spread": "10m"}},
        },
        duration="3h",
    )
    world = World(scenario)
    published = []
    for traffic in world.ticks():
        accounts = traffic.batch.accounts
        # every registry row is visible in the tick it is created in, never before
        assert (accounts.created_ts < traffic.batch.end).all()
        published.append(accounts.assign(tick_start=traffic.batch.start))
    actor = campaign_actor(world)
    created = np.sort(actor.members.column("created"))
    starts = np.array([-2 * HOUR, -HOUR, 0.0])
    wave = np.searchsorted(starts, created, side="right") - 1
    assert np.bincount(wave).tolist() == [10, 10, 10]
    assert (created - starts[wave] <= 600).all()
    # the last wave signs up during the run and appears in the batches of those minutes
    in_run = [frame[frame.created_ts >= 0] for frame in published]
    rows = sum(len(frame) for frame in in_run)
    assert rows == 10
    assert all(((frame.created_ts >= frame.tick_start) | frame.empty).all() for frame in in_run)


def test_aged_accounts_of_a_late_campaign_are_registered_when_created_not_at_the_start() -> None:
    scenario = campaign_scenario(
        {"start": "2h", "acquisition": {"creation": {"kind": "aged", "age": {"min": "10m", "max": "1h"}}}},
        duration="3h",
    )
    world = World(scenario)
    first_seen = {}
    for traffic in world.ticks():
        for account_id, created in zip(
            traffic.batch.accounts.account_id, traffic.batch.accounts.created_ts, strict=True
        ):
            first_seen[account_id] = (traffic.batch.start, created)
    attackers = set(world.registry.label_frame().query("is_attacker").account_id)
    assert attackers <= set(first_seen)
    for account in attackers:
        tick_start, created = first_seen[account]
        assert created > 0 and tick_start <= created < tick_start + 60


def test_accounts_wait_for_their_age_and_target_tier_before_harvesting() -> None:
    # default tiers: tier-2 needs 7 days and $40; prepaid spend pays the $40
    scenario = campaign_scenario(
        {
            "accounts": 6,
            "acquisition": {
                "creation": {"kind": "aged", "age": {"min": "6d", "max": "6d"}},
                "target_tier": "tier-2",
                "seeding": {"kind": "prepaid"},
            },
            "load": {"requests_per_account": "2000/day", "plan_interval": "5m"},
        },
        duration="36h",
        gateway={},
    )
    requests, world = run(scenario, ("ts", "account_id", "status"))
    attack = requests[requests.attacker]
    # the accounts turn seven days old one day in; the hourly tier review promotes them
    assert attack.ts.min() >= DAY
    assert attack.ts.min() <= DAY + 2 * HOUR
    actor = campaign_actor(world)
    assert world.gateway.tier_names_of(actor.members.column("code")) == ["tier-2"] * 6
    assert actor.ledger.spent["seeding"] == pytest.approx(6 * 40.0)


def test_warm_up_traffic_seeds_spend_before_harvesting() -> None:
    scenario = campaign_scenario(
        {
            "accounts": 4,
            "acquisition": {"seeding": {"kind": "warmup", "spend": 2.0, "requests_per_account": "20/min"}},
            "load": {"requests_per_account": "600/day", "plan_interval": "5m"},
        },
        duration="4h",
    )
    requests, world = run(scenario, ("ts", "account_id", "output_tokens", "status", "conversation_id"))
    attack = requests[requests.attacker]
    first_harvest = attack[attack.template_id >= 0].groupby("account_id").ts.min()
    # every warm-up conversation opens before the account's first harvest (its follow-ups may end later)
    warm_up = attack[attack.template_id < 0]
    last_warm_up = (
        warm_up.groupby("conversation_id").ts.min().groupby(warm_up.groupby("conversation_id").account_id.first()).max()
    )
    assert len(first_harvest) == 4
    assert (last_warm_up < first_harvest).all()
    # each account spent its two dollars on warm-up first
    spend = world.gateway.accounts.spend[campaign_actor(world).members.column("code")]
    assert (spend >= 2.0).all()


def test_reserve_accounts_sleep_until_a_ban_wakes_one() -> None:
    world = World(campaign_scenario({"accounts": 10, "acquisition": {"reserve": 0.5}}, duration="2h"))
    actor = None
    silent: set[str] = set()
    for traffic in world.ticks():
        if traffic.batch.tick == 0:
            actor = campaign_actor(world)
            state = actor.members.column("state")
            assert (state == RESERVE).sum() == 5 and (state != RESERVE).sum() == 10
            ids = world.registry.visible.column("account_id")
            silent = set(ids[actor.members.column("code")[state == RESERVE]])
        assert not traffic.batch.requests.account_id.isin(silent).any() or traffic.batch.tick > 60
        if traffic.batch.tick == 60:
            codes = actor.members.column("code")[actor.members.column("state") == HARVEST][:2]
            world.gateway.ban(codes)
    assert actor is not None
    assert actor.replaced == 2 and actor.enlisted == 15
    assert (actor.members.column("state") == RESERVE).sum() == 3


def test_seeding_without_a_spend_or_a_target_tier_is_a_located_error() -> None:
    text = """
version: 1
name: bad
start: 2026-03-02T00:00:00Z
duration: 1h
campaigns:
  - kind: hydra
    name: c
    accounts: 3
    acquisition:
      seeding: {kind: prepaid}
"""
    with pytest.raises(ScenarioError, match="seeding to give a spend, or a target_tier"):
        parse_scenario(text, "bad.yaml")
    with pytest.raises(ScenarioError, match=r"aim for a tier among \['tier-1'"):
        parse_scenario(text.replace("seeding: {kind: prepaid}", "target_tier: tier-9"), "bad.yaml")


def registry_frame(world: World) -> pd.DataFrame:
    """The visible registry with each account's hidden label and e-mail style."""
    from simulator.audit.email import email_style

    codes = np.arange(len(world.registry))
    frame = world.registry.account_frame(codes)
    truth = world.registry.label_frame()
    frame["attacker"] = truth.is_attacker.to_numpy()
    frame["style"] = [email_style(str(domain)) for domain in frame.email_domain]
    return frame


def test_a_campaign_on_defaults_signs_up_like_the_customers() -> None:
    population = [
        {"kind": "chat", "accounts": 600},
        {
            "kind": "agent",
            "accounts": 300,
            "signup_pathways": {"startup": 1},
            "countries": {"JP": 1},
            "verified_share": 0.5,
            "account_age": {"min": "100d", "max": "100d"},
        },
    ]
    world = World(campaign_scenario({"accounts": 900}, population=population, duration="10m"))
    list(world.ticks())
    frame = registry_frame(world)
    attack, legit = frame[frame.attacker], frame[~frame.attacker]
    for column in ("signup_pathway", "declared_country", "style"):
        shares = pd.concat(
            [attack[column].value_counts(normalize=True), legit[column].value_counts(normalize=True)], axis=1
        ).fillna(0.0)
        assert (shares.iloc[:, 0] - shares.iloc[:, 1]).abs().max() < 0.06, column
    assert attack.verified.mean() == pytest.approx(legit.verified.mean(), abs=0.06)
    # a third of the accounts are exactly 100 days old, the rest log-uniform over 1 day – 2 years
    age = -attack.created_ts / DAY
    assert (np.abs(age - 100) < 0.01).mean() == pytest.approx(1 / 3, abs=0.05)
    assert age.min() >= 1 and age.max() <= 730
    # and the keys they send through: direct API, or the agents' cloud marketplace
    attackers = np.flatnonzero(world.registry.truth.column("is_attacker"))
    pathways = world.registry.keys.column("pathway")[np.isin(world.registry.keys.column("account"), attackers)]
    assert len(set(pathways.tolist())) == 2


def test_explicit_sign_up_settings_override_the_customers() -> None:
    acquisition = {
        "signup_pathways": {"education": 1},
        "declared_countries": {"SG": 1},
        "email_styles": {"disposable": 1},
        "verified_share": 0.0,
        "creation": {"kind": "aged", "age": {"min": "2d", "max": "3d"}},
    }
    world = World(campaign_scenario({"accounts": 30, "acquisition": acquisition}, duration="10m"))
    list(world.ticks())
    attack = registry_frame(world).query("attacker")
    assert set(attack.signup_pathway) == {"education"} and set(attack.declared_country) == {"SG"}
    assert set(attack["style"]) == {"disposable"} and not attack.verified.any()
    assert (-attack.created_ts / DAY).between(2, 3).all()


def test_the_customer_mix_is_account_weighted_and_never_signs_up_through_a_reseller() -> None:
    from simulator.campaign.customers import CustomerMix
    from simulator.scenario.population import ChatUsers, PopulationBase, Resellers

    mix = CustomerMix.of(
        [
            ChatUsers(kind="chat", accounts=300, signup_pathways={"direct": 1}, verified_share=1.0),
            ChatUsers(kind="chat", accounts=100, signup_pathways={"education": 1}, verified_share=0.0),
            Resellers(kind="reseller", accounts=600),
        ]
    )
    assert mix.signup_pathways == pytest.approx({"direct": 0.75, "education": 0.25})
    reseller_verified = Resellers(kind="reseller", accounts=1).verified_share
    assert mix.verified_share == pytest.approx((300 + 600 * reseller_verified) / 1000)
    assert mix.age_weights.tolist() == pytest.approx([0.3, 0.1, 0.6])
    empty = CustomerMix.of([])
    base = PopulationBase(accounts=1)
    assert "reseller" not in empty.signup_pathways and sum(empty.signup_pathways.values()) == pytest.approx(1.0)
    assert set(empty.signup_pathways) <= set(base.signup_pathways)
    assert empty.verified_share == pytest.approx(base.verified_share)
