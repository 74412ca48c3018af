"""Access tactics: a hydra pool behind a reseller (population kind ``reseller``, whose
actor exposes ``org_codes()`` and ``shared_keys(org_code)``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from traffic_helpers import campaign_actor, campaign_scenario, run

from simulator.scenario.loading import ScenarioError, parse_scenario
from simulator.vocabulary import SIGNUP_PATHWAYS


def reseller_scenario(campaign: dict, **overrides: Any):
    population = [
        {"kind": "chat", "accounts": 30},
        {"kind": "reseller", "name": "relay", "accounts": 40, "resellers": 4, "sessions_per_day": "20/day"},
    ]
    return campaign_scenario(
        {"accounts": 12, "access": {"kind": "reseller", "reseller": "relay"}, **campaign},
        population=population,
        **overrides,
    )


def test_a_campaign_behind_a_reseller_shares_its_orgs_and_keys_with_end_customers() -> None:
    requests, world = run(
        reseller_scenario({"load": {"requests_per_account": "300/day"}}),
        ("ts", "account_id", "org_id", "key_id", "status"),
    )
    attack = requests[requests.attacker]
    assert len(attack) > 0
    relay_rows = requests[requests.role == "reseller"]
    by_org = requests[requests.org_id.isin(attack.org_id)].groupby("org_id").attacker.agg(["any", "all"])
    assert (by_org["any"] & ~by_org["all"]).all()
    # every key the campaign uses belongs to the reseller's end customers, and some carry both
    keys = world.registry.keys
    owner = dict(zip(keys.column("key_id"), keys.column("account"), strict=True))
    roles = world.registry.truth.column("role")
    assert {roles[owner[key]] for key in attack.key_id.unique()} == {"reseller"}
    assert set(attack.key_id) & set(relay_rows.key_id)
    # accounts join the way the reseller's end customers do
    actor = campaign_actor(world)
    pathways = world.registry.visible.column("signup_pathway")[actor.members.column("code")]
    assert set(pathways.tolist()) == {SIGNUP_PATHWAYS.index("reseller")}
    assert actor.route.price_factor == pytest.approx(0.7)


def test_reseller_tokens_cost_the_discounted_price() -> None:
    requests, world = run(reseller_scenario({"access": {"kind": "reseller", "reseller": "relay", "discount": 0.5}}))
    actor = campaign_actor(world)
    served = requests[requests.attacker & (requests.status == 200)]
    assert len(served) > 0
    spend = world.gateway.spend_of(actor.members.column("code")).sum()
    assert actor.ledger.spent["tokens"] == pytest.approx(0.5 * spend, rel=1e-6)


def test_a_campaign_naming_a_missing_or_non_reseller_group_is_a_located_error() -> None:
    text = """
version: 1
name: bad
start: 2026-03-02T00:00:00Z
duration: 1h
population:
  - kind: chat
    name: relay
    accounts: 5
campaigns:
  - kind: hydra
    name: c
    accounts: 3
    access: {kind: reseller, reseller: RELAY}
"""
    with pytest.raises(ScenarioError, match=r"'RELAY' is not among \['relay'\]"):
        parse_scenario(text, "bad.yaml")
    with pytest.raises(ScenarioError, match=r"group of kind reseller, but 'relay' is a chat group"):
        parse_scenario(text.replace("reseller: RELAY", "reseller: relay"), "bad.yaml")


def test_behind_a_reseller_the_campaign_sends_from_its_servers_with_its_sdk_and_card() -> None:
    requests, world = run(
        reseller_scenario({"load": {"requests_per_account": "300/day"}}),
        ("ts", "account_id", "org_id", "ip", "client_fingerprint", "status"),
    )
    attack, relay = requests[requests.attacker], requests[requests.role == "reseller"]
    assert len(attack) > 0

    # per organisation, the campaign's exits (the reseller's servers, one /24) and clients are the end customers'
    def subnet(ips: pd.Series) -> set[str]:
        return {ip.rsplit(".", 1)[0] for ip in ips}

    for org, rows in attack.groupby("org_id"):
        theirs = relay[relay.org_id == org]
        assert subnet(rows.ip) == subnet(theirs.ip) and len(subnet(rows.ip)) == 1
        assert set(rows.client_fingerprint) == set(theirs.client_fingerprint)
    frame = world.registry.account_frame(np.arange(len(world.registry)))
    labels = world.registry.label_frame()
    cards = frame.groupby("org_id").payment_fingerprint.nunique()
    assert (cards[frame[labels.is_attacker.to_numpy()].org_id.unique()] == 1).all()
    actor = campaign_actor(world)
    assert actor.exits.pool_size == 0 and actor.ledger.spent["proxies"] == 0


def test_a_campaign_keeping_its_own_infrastructure_behind_a_reseller_exits_from_its_proxies() -> None:
    campaign = {
        "access": {"kind": "reseller", "reseller": "relay", "own_infrastructure": True},
        "infrastructure": {"proxy_pool": 200},
        "load": {"requests_per_account": "300/day"},
    }
    requests, world = run(reseller_scenario(campaign), ("ts", "account_id", "ip", "status"))
    attack, relay = requests[requests.attacker], requests[requests.role == "reseller"]
    assert len(attack) > 0 and not set(attack.ip) & set(relay.ip)
    assert campaign_actor(world).exits.pool_size == 200


def test_behind_a_reseller_the_accounts_declare_what_its_end_customers_declare() -> None:
    population = [
        {"kind": "chat", "accounts": 200, "countries": {"BR": 1}},
        {"kind": "reseller", "name": "relay", "accounts": 200, "resellers": 2, "countries": {"JP": 1}},
    ]
    scenario = campaign_scenario(
        {"accounts": 40, "access": {"kind": "reseller", "reseller": "relay"}}, population=population, duration="10m"
    )
    world = run(scenario)[1]
    codes = campaign_actor(world).members.column("code")
    declared = world.registry.account_frame(codes).declared_country.astype(str)
    assert set(declared) == {"JP"}
