"""Infrastructure, load, prompt, pivot and camouflage tactics, each seen in the traffic."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from traffic_helpers import campaign_actor, campaign_scenario, fingerprint_spread, run

from simulator.campaign.load import rhythm_weight, schedule
from simulator.campaign.pivot import ModelChoice
from simulator.network import AsnKind
from simulator.scenario import ModelRelease
from simulator.scenario.campaign.load import HumanRhythm, ShiftRhythm, Synchronised
from simulator.scenario.campaign.pivot import ModelPivot

HOUR = 3600.0
DAY = 86400.0
COLUMNS = ("ts", "account_id", "ip", "asn", "country", "client_fingerprint", "user_agent", "status")


def test_exit_rotation_per_request_per_interval_or_per_account() -> None:
    exits = {}
    for rotation in ("request", "interval", "account"):
        campaign = {
            "infrastructure": {"rotation": rotation, "rotate_every": "30m", "proxy_pool": 2000},
            "load": {"requests_per_account": "1200/day"},
        }
        requests, _ = run(campaign_scenario(campaign, duration="3h"), COLUMNS)
        attack = requests[requests.attacker & (requests.ts >= 0)]
        exits[rotation] = attack.groupby("account_id").ip.nunique().median()
    assert exits["account"] == 1
    assert 4 <= exits["interval"] <= 7
    assert exits["request"] > 3 * exits["interval"]


def test_proxy_kinds_and_exit_countries_follow_their_weights() -> None:
    campaign = {
        "infrastructure": {
            "proxies": {"residential": 3, "datacenter": 1},
            "proxy_pool": 4000,
            "proxy_countries": {"JP": 1, "BR": 1},
        }
    }
    world = run(campaign_scenario(campaign, duration="10m"), COLUMNS)[1]
    proxies = campaign_actor(world).exits.proxies
    kinds = world.network.ips.store.column("kind")[proxies]
    assert (kinds == AsnKind.RESIDENTIAL).mean() == pytest.approx(0.75, abs=0.03)
    assert (kinds == AsnKind.DATACENTER).mean() == pytest.approx(0.25, abs=0.03)
    countries = world.network.ips.store.column("country")[proxies]
    assert len(np.unique(countries)) == 2
    assert len(np.unique(world.network.ips.store.column("asn")[proxies])) >= 8


@pytest.mark.parametrize(
    ("clients", "per_account", "distinct_at_most"),
    [
        ({"kind": "shared", "count": 3}, 1, 3),
        ({"kind": "spoofed"}, 1, None),
        ({"kind": "rotating", "count": 50}, 10, 50),
    ],
)
def test_client_fingerprints_shared_spoofed_or_rotating(clients: dict, per_account: int, distinct_at_most) -> None:
    campaign = {"accounts": 20, "infrastructure": {"clients": clients}, "load": {"requests_per_account": "1200/day"}}
    requests, _ = run(campaign_scenario(campaign, duration="2h"), COLUMNS)
    attack = requests[requests.attacker]
    assert attack.groupby("account_id").client_fingerprint.nunique().median() >= per_account
    if distinct_at_most is not None:
        assert attack.client_fingerprint.nunique() <= distinct_at_most
    else:
        # an install of its own per account; a fingerprint belongs to the client software, so a few coincide
        assert attack.client_fingerprint.nunique() >= 0.8 * attack.account_id.nunique()
        assert (attack.groupby("account_id").client_fingerprint.nunique() == 1).all()


def test_rhythms_average_to_one_over_a_week() -> None:
    origin = datetime(2026, 3, 2, tzinfo=UTC)
    t = np.arange(0, 7 * DAY, 600.0)
    offsets = np.array([-6.0, 1.0, 9.0])
    for rhythm in (HumanRhythm(kind="human"), ShiftRhythm(kind="shift", hours=(22, 6), off_share=0.1)):
        weights = np.array([rhythm_weight(rhythm, origin, ti, offsets) for ti in t])
        assert weights.mean(axis=0) == pytest.approx(np.ones(3), rel=0.01)


def test_a_shift_puts_nearly_all_traffic_in_the_operators_working_hours() -> None:
    campaign = {
        "accounts": 20,
        "load": {
            "requests_per_account": "500/day",
            "rhythm": {"kind": "shift", "utc_offset": 8, "hours": [9, 21], "off_share": 0.05},
        },
    }
    requests, _ = run(campaign_scenario(campaign, population=[], duration="1d"), COLUMNS)
    attack = requests[requests.attacker]
    local_hour = (attack.ts / HOUR + 8) % 24
    assert local_hour.between(9, 21).mean() == pytest.approx(0.95, abs=0.02)


def test_synchronised_accounts_take_the_same_slots_and_volumes_spread_with_sigma() -> None:
    rng = np.random.default_rng(0)
    who, ts = schedule(Synchronised(kind="synchronised", jitter=0.0), rng, np.arange(5), np.full(5, 3), 0.0, 600.0)
    assert np.array_equal(np.sort(ts[who == 0]), np.sort(ts[who == 4]))
    campaign = {"accounts": 200, "load": {"requests_per_account": "1/min", "volume_sigma": 1.0}}
    world = run(campaign_scenario(campaign, duration="10m"), COLUMNS)[1]
    volume = campaign_actor(world).members.column("activity")
    assert volume.mean() == pytest.approx(1.0, abs=0.2)
    assert np.log(volume).std() == pytest.approx(1.0, abs=0.15)


ALIKE = {"volume_sigma": 0, "rhythm": {"kind": "flat"}}
"""Every account sends alike, round the clock: rates that can be checked against the plan."""

HARNESS_ONLY = {"no_system_prompt_share": 0, "stock_system_prompt_share": 0}
"""Every request carries one of the campaign's harness system prompts."""


def test_phases_switch_templates_and_topics_at_their_time() -> None:
    campaign = {
        "accounts": 20,
        "load": {"requests_per_account": "1000/day"},
        "prompts": {"topics": {"coding": 1}, "templates": 30, "system_prompts": 2, **HARNESS_ONLY},
        "phases": [
            {"name": "traces", "after": "1h", "topics": {"reasoning": 1}, "templates": 5, "system_prompts": 1}
            | HARNESS_ONLY
        ],
    }
    requests, _ = run(
        campaign_scenario(campaign, duration="2h"), (*COLUMNS, "topic", "system_prompt_hash", "conversation_id")
    )
    attack = requests[requests.attacker]
    # a conversation keeps the plan it opened under; a job planned just before the switch may
    # leave the queue after it, so the second phase is judged one planning step (10 min) later
    opened = attack.groupby("conversation_id").ts.transform("min")
    before, after = attack[opened < HOUR], attack[opened >= HOUR + 600]
    assert before.template_id.nunique() <= 30 and after.template_id.nunique() <= 5
    assert not set(before.template_id) & set(after.template_id)
    assert (after.topic == "reasoning").mean() > 0.85 and (before.topic == "coding").mean() > 0.85
    assert before.system_prompt_hash.nunique() == 2 and after.system_prompt_hash.nunique() == 1


def test_paraphrase_moves_fingerprints_by_the_variation_and_languages_vary_per_request() -> None:
    spread = {}
    for variation in (0.03, 0.25):
        campaign = {
            "accounts": 20,
            "load": {"requests_per_account": "1000/day"},
            "prompts": {
                "templates": 10,
                "variation": variation,
                "languages": {"en": 1, "zh": 1, "es": 1},
                "language_mix": "request",
            },
        }
        requests, _ = run(campaign_scenario(campaign, duration="1h"), (*COLUMNS, "prompt_simhash", "language"))
        attack = requests[requests.attacker]
        spread[variation] = fingerprint_spread(attack)
        # every account speaks all three (the language classifier adds a few strays)
        chosen = attack[attack.language.isin(["en", "zh", "es"])]
        assert len(chosen) >= 0.95 * len(attack)
        assert chosen.groupby("account_id").language.nunique().median() == 3
    assert spread[0.03] == pytest.approx(64 * 0.03, abs=0.6)
    assert spread[0.25] == pytest.approx(64 * 0.25, abs=1.5)


def test_a_pivot_moves_its_share_after_the_release_delay() -> None:
    models = [ModelRelease(name="old", released=-DAY), ModelRelease(name="new", released=10 * HOUR)]
    choice = ModelChoice.build(models, None, ModelPivot(share=0.6, delay=HOUR, ramp=2 * HOUR), 0.0)
    assert (choice.base, choice.target) == (0, 1)
    share = choice.share_at(np.array([10.9 * HOUR, 11 * HOUR, 13 * HOUR, 40 * HOUR]))
    assert share[0] == 0 and share[1] == 0
    assert share[2] == pytest.approx(0.6 * (1 - np.exp(-1)))
    assert share[3] == pytest.approx(0.6)
    conversations = np.random.default_rng(1).integers(1, 2**63, size=20_000).astype(np.uint64)
    moved = choice.choose(np.full(20_000, 40 * HOUR), conversations) == 1
    assert moved.mean() == pytest.approx(0.6, abs=0.02)
    # a conversation stays on the model it opened on
    assert (choice.choose(np.full(20_000, 40 * HOUR), conversations) == 1).tolist() == moved.tolist()


def test_filler_is_untemplated_everyday_traffic_in_its_share() -> None:
    campaign = {
        "accounts": 20,
        "load": {"requests_per_account": "1000/day"},
        "camouflage": {"filler_share": 0.3},
        "prompts": {"cot_share": 1.0},
    }
    requests, _ = run(campaign_scenario(campaign, duration="2h"), (*COLUMNS, "topic", "cot_requested"))
    attack = requests[requests.attacker]
    filler = attack.template_id < 0
    assert filler.mean() == pytest.approx(0.3, abs=0.04)
    assert attack.cot_requested[filler].mean() < 0.2 and attack.cot_requested[~filler].mean() > 0.9


@pytest.mark.parametrize("mix", ["conversation", "account"])
def test_a_campaign_mixes_models_by_their_weights_per_conversation_or_per_account(mix: str) -> None:
    models = [
        {"name": "frontier-pro-1", "released": "-200d"},
        {"name": "frontier-flash-1", "released": "-120d"},
        {"name": "frontier-pro-2", "released": "1h"},
    ]
    campaign = {
        "accounts": 60,
        "load": {"requests_per_account": "300/day"},
        "models": {"frontier-pro-1": 3, "frontier-flash-1": 1, "frontier-pro-2": 4},
        "model_mix": mix,
    }
    scenario = campaign_scenario(campaign, population=[], duration="4h", models=models)
    requests, _ = run(scenario, (*COLUMNS, "model", "conversation_id"))
    attack = requests[requests.attacker]
    # nothing on a model before its release; before it, 3:1 between the two released ones
    early = attack[attack.groupby("conversation_id").ts.transform("min") < HOUR]
    assert not (early.model == "frontier-pro-2").any()
    late = attack[attack.groupby("conversation_id").ts.transform("min") >= HOUR]
    unit = "conversation_id" if mix == "conversation" else "account_id"
    shares = late.groupby(unit).model.first().value_counts(normalize=True)
    assert shares["frontier-pro-2"] == pytest.approx(0.5, abs=0.12)
    assert shares["frontier-pro-1"] == pytest.approx(0.375, abs=0.12)
    assert (attack.groupby("conversation_id").model.nunique() == 1).all()
    if mix == "account":
        assert (late.groupby("account_id").model.nunique() == 1).all()


def test_one_model_by_default_and_model_with_models_is_a_located_error() -> None:
    requests, _ = run(campaign_scenario({"accounts": 10}, duration="1h"), (*COLUMNS, "model"))
    assert requests[requests.attacker].model.nunique() == 1
    from simulator.scenario.loading import ScenarioError, parse_scenario

    text = """
version: 1
name: bad
start: 2026-03-02T00:00:00Z
duration: 1h
campaigns:
  - kind: hydra
    name: c
    accounts: 3
    model: frontier-pro-1
    models: {frontier-flash-1: 1}
"""
    with pytest.raises(ScenarioError, match=r"either one 'model' or weights over 'models'"):
        parse_scenario(text, "bad.yaml")
    with pytest.raises(ScenarioError, match=r"uses model 'nope'"):
        parse_scenario(text.replace("    model: frontier-pro-1\n", "").replace("frontier-flash-1", "nope"), "bad.yaml")


def exits_by_account(campaign: dict, duration: str = "3h") -> tuple[pd.DataFrame, object]:
    """Attack requests with each account's declared country."""
    requests, world = run(campaign_scenario(campaign, population=[], duration=duration), COLUMNS)
    attack = requests[requests.attacker].copy()
    frame = world.registry.account_frame(np.arange(len(world.registry)))
    declared = dict(zip(frame.account_id, frame.declared_country.astype(str), strict=True))
    attack["declared"] = attack.account_id.map(declared)
    return attack, world


def test_residential_exits_lie_in_the_declared_country_and_rotate_within_it() -> None:
    campaign = {
        "accounts": 200,
        "acquisition": {"declared_countries": {"US": 2, "DE": 1, "JP": 1, "BR": 1}},
        "infrastructure": {"proxy_pool": 3000, "geography": {"kind": "declared", "abroad": 0.1}},
        "load": {"requests_per_account": "400/day"},
    }
    attack, _ = exits_by_account(campaign)
    per_account = attack.groupby("account_id").agg(
        declared=("declared", "first"),
        main=("country", lambda c: c.mode().iloc[0]),
        countries=("country", "nunique"),
        ips=("ip", "nunique"),
        requests=("ip", "size"),
    )
    assert (per_account.main != per_account.declared).mean() == pytest.approx(0.1, abs=0.05)
    assert (per_account.countries == 1).all()
    # rotation per request, within the country's residential networks
    assert (per_account.ips[per_account.requests >= 5] >= 4).mean() > 0.9
    assert attack.groupby("account_id").asn.nunique().max() <= 4


def test_datacenter_exits_are_in_cloud_regions_and_requests_may_leave_elsewhere() -> None:
    campaign = {
        "accounts": 100,
        "acquisition": {"declared_countries": {"US": 1, "BR": 1, "FR": 1}},
        "infrastructure": {
            "proxies": "datacenter",
            "proxy_pool": 500,
            "geography": {"kind": "declared", "abroad": 0, "abroad_requests": 0.2},
        },
        "load": {"requests_per_account": "600/day", **ALIKE},
    }
    attack, _ = exits_by_account(campaign)
    assert set(attack.country) <= {"US", "DE", "GB", "NL", "JP", "SG", "IN", "AU", "CA"}
    main = attack.groupby("account_id").country.agg(lambda c: c.mode().iloc[0])
    declared = attack.groupby("account_id").declared.first()
    assert (main[declared == "US"] == "US").all()
    # a fifth of the requests leave from another region than the account's
    assert (attack.country != attack.account_id.map(main)).mean() == pytest.approx(0.2, abs=0.04)


def test_proxy_countries_are_fixed_exits_whatever_the_accounts_declare() -> None:
    campaign = {
        "accounts": 60,
        "acquisition": {"declared_countries": {"US": 1}},
        "infrastructure": {"proxy_pool": 600, "proxy_countries": {"JP": 1, "BR": 1}},
    }
    attack, world = exits_by_account(campaign)
    assert set(attack.country) == {"JP", "BR"} and set(attack.declared) == {"US"}
    infrastructure = campaign_actor(world).config.infrastructure
    assert infrastructure.geography.kind == "fixed"


def test_fresh_identities_exit_from_new_addresses_in_the_declared_country() -> None:
    from simulator.world import World

    campaign = {
        "accounts": 20,
        "acquisition": {"declared_countries": {"KR": 1}},
        "infrastructure": {"rotation": "account", "geography": {"kind": "declared", "abroad": 0}},
        "adaptation": {"on_ban": {"kind": "replace", "identity": "fresh"}},
    }
    world = World(campaign_scenario(campaign, population=[], duration="1h"))
    for traffic in world.ticks():
        if traffic.batch.tick == 10:
            actor = campaign_actor(world)
            world.gateway.ban(actor.members.column("code")[:5])
    from simulator.geography import country_codes

    actor = campaign_actor(world)
    new = actor.members.column("ip0")[20:]
    assert new.size == 5 and not set(new) & set(actor.exits.proxies)
    countries = world.network.ips.store.column("country")[new]
    assert {country_codes()[int(c)] for c in countries} == {"KR"}


def test_a_work_queue_keeps_at_most_its_workers_busy_and_sends_in_bursts() -> None:
    from simulator.scenario.campaign.load import Queue

    rng = np.random.default_rng(3)
    counts = np.array([12, 0, 3, 40])
    response = rng.uniform(5, 40, size=counts.sum())
    who, ts = schedule(Queue(kind="queue", workers=3, pickup=1.0), rng, np.arange(4), counts, 0.0, 600.0, response)
    for account in (0, 2):
        start, end = ts[who == account], ts[who == account] + response[who == account]
        busy = [((start <= t) & (t < end - 1e-6)).sum() for t in start]
        assert max(busy) <= 3
        # a burst: the account's jobs back to back from one arrival, within the step
        assert start.min() >= 0 and end.max() <= 600
        assert start.max() - start.min() <= response[who == account].sum() / min(3, (who == account).sum()) + 45
    # forty jobs of ~22 s do not fit three workers in ten minutes: more workers, the step still holds them
    assert ts[who == 3].max() < 600


def test_the_default_queue_keeps_the_planned_rate_and_looks_bursty() -> None:
    campaign = {"accounts": 20, "load": {"requests_per_account": "3000/day", **ALIKE}}
    requests, world = run(campaign_scenario(campaign, population=[], duration="4h"), (*COLUMNS, "turn"))
    assert campaign_actor(world).config.load.timing.kind == "queue"
    attack = requests[requests.attacker]
    assert len(attack) / 20 == pytest.approx(500, rel=0.1)
    # openings of an account come in bursts: most within seconds of the previous one, then an idle gap
    openings = attack[attack.turn == 0].sort_values("ts")
    gaps = openings.groupby("account_id").ts.diff().dropna()
    assert gaps.median() < 0.25 * gaps.mean()
    assert (gaps > 120).sum() / (20 * 24) == pytest.approx(1.0, abs=0.3)
