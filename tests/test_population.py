"""The archetype library: kinds, roles, arrivals, adoption, token lengths, resellers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import tiny_scenario
from pydantic import ValidationError
from scipy import stats

from simulator.audit.email import email_styles
from simulator.population import ResellerGroup
from simulator.population.adoption import adoption_delays, choose_models, model_exponentials
from simulator.population.arrivals import burst_multipliers, renewal_offsets
from simulator.population.jobs import JobQueue
from simulator.scenario import Scenario
from simulator.scenario.lengths import Mode, TokenLengths
from simulator.scenario.population import ARCHETYPES
from simulator.vocabulary import ACCESS_PATHWAYS, EMAIL_STYLES, SIGNUP_PATHWAYS
from simulator.world import World

DAY = 86400.0


def run(scenario: Scenario) -> tuple[World, pd.DataFrame]:
    """Every request of ``scenario`` with its account code, key code and role."""
    world = World(scenario)
    columns = ["ts", "key_id", "account_id", "org_id", "pathway", "model", "status"]
    tables, accounts = [], []
    for traffic in world.ticks():
        tables.append(traffic.table.select(columns))
        accounts.append(traffic.account_codes)
    requests = pa.concat_tables(tables).to_pandas()  # one conversion, not one per tick: the same frame
    requests["account"] = np.concatenate(accounts)
    requests["role"] = np.asarray(world.registry.truth.column("role"), dtype=str)[requests.account.to_numpy()]
    return world, requests


def test_every_kind_builds_and_sends_traffic_under_its_own_role() -> None:
    population = [{"kind": kind, "accounts": 12} for kind in ARCHETYPES]
    scenario = tiny_scenario(population=population, duration="6h", tick="5m")
    world, requests = run(scenario)
    roles = set(np.asarray(world.registry.truth.column("role"), dtype=str))
    assert roles == set(ARCHETYPES)
    assert set(requests.role) >= set(ARCHETYPES) - {"eval_harness", "batch"}
    assert not world.registry.truth.column("is_attacker").any()


def test_the_original_kind_names_still_validate() -> None:
    for kind in ("chat", "coding_assistant", "batch", "eval_harness"):
        assert tiny_scenario(population=[{"kind": kind, "accounts": 3}]).population[0].kind == kind


def test_a_mistyped_kind_lists_the_valid_ones() -> None:
    with pytest.raises(ValidationError, match="reseller"):
        tiny_scenario(population=[{"kind": "resseller", "accounts": 3}])


def test_token_lengths_without_modes_draw_like_a_log_normal() -> None:
    lengths = TokenLengths(median=100, sigma=0.5)
    draws = lengths.sample(np.random.default_rng(0), 20_000)
    assert np.median(draws) == pytest.approx(100, rel=0.05)


def test_token_length_modes_take_their_share_of_draws() -> None:
    lengths = TokenLengths(median=100, sigma=0.3, modes=[Mode(share=0.3, median=400, sigma=0.05)])
    draws = lengths.sample(np.random.default_rng(1), 50_000)
    assert ((draws > 330) & (draws < 480)).mean() == pytest.approx(0.3, abs=0.02)
    assert lengths.mean == pytest.approx(0.7 * 100 * np.exp(0.045) + 0.3 * 400 * np.exp(0.00125))


def test_token_length_mode_shares_must_leave_room_for_the_main_component() -> None:
    with pytest.raises(ValidationError, match="less than 1"):
        TokenLengths(median=10, sigma=1, modes=[Mode(share=0.6, median=5, sigma=1), Mode(share=0.5, median=5, sigma=1)])


def test_renewal_offsets_stay_inside_the_step_and_keep_the_counts() -> None:
    counts = np.array([5, 0, 1, 40])
    offsets = renewal_offsets(np.random.default_rng(2), counts, 3600.0, 2.0)
    assert offsets.shape == (46,)
    assert ((offsets >= 0) & (offsets < 3600)).all()


def _gap_cv(cv: float) -> float:
    offsets = renewal_offsets(np.random.default_rng(3), np.full(200, 100), 600.0, cv).reshape(200, 100)
    gaps = np.diff(np.sort(offsets, axis=1), axis=1)
    return float(np.mean(gaps.std(axis=1) / gaps.mean(axis=1)))


def test_renewal_offsets_are_poisson_at_cv_one_and_bursty_above() -> None:
    assert _gap_cv(1.0) == pytest.approx(1.0, abs=0.1)
    assert _gap_cv(2.0) > 1.6


def test_a_single_arrival_is_uniform_in_its_step_even_when_bursty() -> None:
    offsets = renewal_offsets(np.random.default_rng(4), np.ones(5000, dtype=np.int64), 1.0, 3.0)
    assert stats.kstest(offsets, "uniform").statistic < 0.03


def test_burst_multipliers_have_mean_one_and_the_asked_variance() -> None:
    draws = burst_multipliers(np.random.default_rng(5), 0.5, 200_000)
    assert draws.mean() == pytest.approx(1.0, abs=0.02)
    assert draws.var() == pytest.approx(2.0, rel=0.05)


def test_job_requests_per_step_follow_the_job_rate() -> None:
    queue = JobQueue()
    one = np.ones(1)
    queue.add(np.zeros(1), np.zeros(1), np.array([10_000]), one, np.zeros(1), np.zeros(1), np.zeros(1, np.uint64))
    rng = np.random.default_rng(6)
    job, ts, _ = queue.advance(rng, 600.0, 2.0)
    assert job.size == 600
    assert ts.min() >= 0 and ts.max() < 601
    job, ts, _ = queue.advance(rng, 1200.0, 2.0)
    assert job.size == 600 and ts.min() >= 600


def pinned(release, weights, t, delays, seeds=None, mix=None, uniform=None) -> np.ndarray:
    """Models of requests at ``t`` by accounts with the given delays (one row each)."""
    n = np.size(t)
    seeds = np.arange(n, dtype=np.uint64) if seeds is None else seeds
    names = [f"m{i}" for i in range(len(release))]
    return choose_models(
        np.asarray(release, dtype=float),
        np.asarray(weights, dtype=float),
        np.asarray(t, dtype=float),
        delays,
        model_exponentials(seeds, names),
        np.zeros(n) if mix is None else mix,
        np.ones(n) if uniform is None else uniform,
    )


def test_an_account_switches_to_a_new_model_at_its_own_adoption_time() -> None:
    release = np.array([-100 * DAY, 2 * DAY])
    delays = np.full(4, DAY)
    t = np.array([2.5 * DAY, 2.9 * DAY, 3.1 * DAY, 5 * DAY])
    # only the new model is wanted (base weight 0 on the old): before adoption the account falls back
    assert pinned(release, [0.0, 1.0], t, delays).tolist() == [0, 0, 1, 1]


def test_the_population_adopts_a_new_model_over_days() -> None:
    rng = np.random.default_rng(8)
    delays = adoption_delays(rng.random(20_000), 2 * DAY)
    seeds = rng.integers(0, 2**62, size=20_000).astype(np.uint64)
    release = np.array([-100 * DAY, 0.0])
    share = [(pinned(release, [1.0, 1.0], np.full(20_000, d * DAY), delays, seeds) == 1).mean() for d in (0.5, 2, 6)]
    expected = [0.5 * (1 - np.exp(-d / 2)) for d in (0.5, 2.0, 6.0)]
    assert share == pytest.approx(expected, abs=0.02)


def test_an_account_pins_one_model_and_switches_at_most_once_per_release() -> None:
    # three models (two old, one released on day 1), equal weights, every account adopts after a day
    accounts, times = 2000, np.linspace(0, 5 * DAY, 40)
    seeds = np.repeat(np.arange(accounts, dtype=np.uint64), times.size)
    t = np.tile(times, accounts)
    models = pinned([-200 * DAY, -100 * DAY, DAY], [1.0, 1.0, 1.0], t, np.full(t.size, DAY), seeds)
    per_account = models.reshape(accounts, times.size)
    before, after = per_account[:, times < 2 * DAY], per_account[:, times >= 2 * DAY]
    # one model at a time: the same model before the adoption and the same after it
    assert (before == before[:, :1]).all() and (after == after[:, :1]).all()
    # a third of the accounts move to the new model, the rest keep theirs: none moves between old ones
    moved = after[:, 0] != before[:, 0]
    assert moved.mean() == pytest.approx(1 / 3, abs=0.04)
    assert (after[moved, 0] == 2).all()
    # the old models split the population by their (equal) weights
    assert (before[:, 0] == 0).mean() == pytest.approx(0.5, abs=0.04)


def test_mixing_accounts_send_their_share_to_a_second_model() -> None:
    rng = np.random.default_rng(9)
    n = 50_000
    uniform = rng.random(n)
    seeds = np.zeros(n, dtype=np.uint64)  # one account
    release, weights, t = [-200 * DAY, -100 * DAY], [1.0, 1.0], np.zeros(n)
    single = pinned(release, weights, t, np.zeros(n), seeds, mix=np.zeros(n), uniform=uniform)
    mixed = pinned(release, weights, t, np.zeros(n), seeds, mix=np.full(n, 0.3), uniform=uniform)
    assert np.unique(single).size == 1
    assert (mixed != single).mean() == pytest.approx(0.3, abs=0.01)
    # with one weighted model there is no second one to mix in
    only = pinned(release, [1.0, 0.0], t, np.zeros(n), seeds, mix=np.full(n, 0.3), uniform=uniform)
    assert (only == 0).all()


def test_a_model_released_mid_run_gains_traffic_day_by_day() -> None:
    scenario = tiny_scenario(
        population=[
            {"kind": "chat", "accounts": 300, "adoption": "1d", "sessions_per_day": "20/day", "volume_sigma": 0.5}
        ],
        models=[{"name": "old", "released": "-100d"}, {"name": "new", "released": "12h"}],
        duration="4d",
        tick="10m",
    )
    _, requests = run(scenario)
    day = (requests.ts // DAY).astype(int)
    share = (requests.model == "new").groupby(day).mean()
    assert share[0] < 0.1
    assert share[0] < share[1] < share[2] < share[3] <= 0.5 + 0.05


@pytest.fixture(scope="module")
def reseller_world() -> tuple[World, pd.DataFrame]:
    scenario = tiny_scenario(
        population=[
            {"kind": "reseller", "name": "resale", "accounts": 60, "resellers": 3, "keys_per_org": 4},
            {"kind": "chat", "accounts": 20},
        ],
        duration="1d",
        tick="10m",
    )
    return run(scenario)


def test_a_reseller_exposes_its_orgs_and_shared_keys_right_after_setup() -> None:
    scenario = tiny_scenario(population=[{"kind": "reseller", "name": "resale", "accounts": 30, "resellers": 2}])
    world = World(scenario)
    world.build()
    reseller = world.context.actors["resale"]
    assert isinstance(reseller, ResellerGroup)
    orgs = reseller.org_codes()
    assert orgs.size == 2
    members_org = world.registry.visible.column("org")[reseller.members.column("code")]
    assert set(members_org.tolist()) == set(orgs.tolist())
    for org in orgs.tolist():
        keys = reseller.shared_keys(org)
        assert keys.size == 4
        assert (world.registry.keys.column("pathway")[keys] == ACCESS_PATHWAYS.index("reseller")).all()
        owners = world.registry.keys.column("account")[keys]
        assert (world.registry.visible.column("org")[owners] == org).all()
    with pytest.raises(KeyError, match="not one of reseller"):
        reseller.shared_keys(int(orgs.max()) + 1000)


def test_reseller_end_customers_send_through_the_shared_keys_only(reseller_world) -> None:
    world, requests = reseller_world
    reseller = world.context.actors["resale"]
    shared = np.concatenate([reseller.shared_keys(org) for org in reseller.org_codes()])
    shared_ids = set(world.registry.keys.column("key_id")[shared])
    mine = requests[requests.role == "reseller"]
    assert len(mine) > 0
    assert set(mine.key_id) <= shared_ids
    assert (mine.pathway == "reseller").all()
    # many accounts per key, few organisations: the surface of a hydra cluster
    assert mine.groupby("key_id").account_id.nunique().max() >= 5
    assert mine.org_id.nunique() <= 3
    assert not (requests[requests.role == "chat"].pathway == "reseller").any()


def test_data_labelling_is_high_volume_and_templated() -> None:
    scenario = tiny_scenario(
        population=[{"kind": "data_labelling", "accounts": 8}, {"kind": "chat", "accounts": 30}],
        duration="2d",
        tick="10m",
    )
    _, requests = run(scenario)
    per_account = requests.groupby("role").account.value_counts().groupby(level=0).median()
    assert per_account["data_labelling"] > 20 * per_account["chat"]


def test_customers_leave_from_their_own_country_and_busy_automated_ones_from_many_addresses() -> None:
    from traffic_helpers import load, run

    requests, _ = run(load("legit-only", scale=0.1, duration=DAY, seed=3), ("account_id", "ip", "country"))
    accounts = requests.groupby(["role", "account_id"]).agg(ips=("ip", "nunique"), countries=("country", "nunique"))
    chat, coding = accounts.loc["chat"], accounts.loc["coding_assistant"]
    # home, mobile and most egress addresses are in the account's own country
    assert (chat.countries == 1).mean() > 0.5 and (coding.countries == 1).mean() > 0.5
    # automated accounts spread over egress pools (servers, cloud regions)
    automated = accounts.loc[["batch", "data_labelling", "agent"]]
    assert automated.ips.median() >= 3 and automated.ips.max() >= 20 and automated.countries.max() >= 3
    # client-side apps: an address per end user
    assert chat.ips.max() >= 50


# -- what customers share with attackers (boundary 5): registry, models, exits, lengths, single turns --


def test_every_sign_up_pathway_and_email_style_has_customers_by_default() -> None:
    pathways = {
        p
        for spec in ARCHETYPES.values()
        for p, w in spec.model_fields["signup_pathways"].get_default(call_default_factory=True).items()
        if w > 0
    }
    styles = {
        s
        for spec in ARCHETYPES.values()
        for s, w in spec.model_fields["email_styles"].get_default(call_default_factory=True).items()
        if w > 0
    }
    assert pathways == set(SIGNUP_PATHWAYS)
    assert styles == set(EMAIL_STYLES)


@pytest.fixture(scope="module")
def mixed_world() -> tuple[World, pd.DataFrame, pd.DataFrame]:
    """A day of every kind of customer: requests with hidden roles, and the registry."""
    from traffic_helpers import run as run_columns

    sizes = {"batch": 20, "eval_harness": 20, "data_labelling": 20, "reseller": 60}
    population = [{"kind": kind, "accounts": sizes.get(kind, 150)} for kind in ARCHETYPES]
    scenario = tiny_scenario(population=population, duration="1d", tick="15m", seed=5)
    columns = (
        "ts",
        "account_id",
        "country",
        "model",
        "output_tokens",
        "max_tokens",
        "turn",
        "conversation_id",
        "system_prompt_hash",
        "status",
    )
    requests, world = run_columns(scenario, columns)
    registry = world.registry.account_frame(np.arange(len(world.registry)))
    registry["role"] = world.registry.label_frame().set_index("account_id").role.reindex(registry.account_id).to_numpy()
    return world, requests, registry


def test_customers_sign_up_through_every_pathway_with_every_email_style(mixed_world) -> None:
    _, _, registry = mixed_world
    assert set(registry.signup_pathway.astype(str)) == set(SIGNUP_PATHWAYS)
    styles = email_styles(registry.email_domain.to_numpy(dtype=object))
    assert set(styles) == set(EMAIL_STYLES)
    # students and university teams: edu addresses among chat users and evaluation teams alike
    edu = pd.Series(styles == "edu").groupby(registry.role.to_numpy()).mean()
    assert edu["chat"] > 0.03 and edu["eval_harness"] > 0.1
    assert 0.6 < registry.verified.mean() < 0.95


def test_most_customers_pin_one_model_and_some_mix_in_a_second(mixed_world) -> None:
    _, requests, _ = mixed_world
    served = requests[requests.status == 200]
    busy = served.groupby("account_id").filter(lambda rows: len(rows) >= 30)
    top = busy.groupby("account_id").model.agg(lambda m: m.value_counts(normalize=True).iloc[0])
    assert 0.5 < (top == 1.0).mean() < 0.95
    assert (top < 0.9).mean() > 0.05


def test_cloud_hosted_customers_often_leave_from_another_country_and_people_rarely(mixed_world) -> None:
    _, requests, registry = mixed_world
    main_exit = requests.groupby("account_id").country.agg(lambda c: c.value_counts().index[0])
    declared = registry.set_index("account_id").declared_country.astype(str)
    abroad = (
        (main_exit != declared.reindex(main_exit.index))
        .groupby(registry.set_index("account_id").role.reindex(main_exit.index))
        .mean()
    )
    assert abroad["chat"] < 0.12
    assert abroad["api_integration"] > 0.25 and abroad["agent"] > 0.2 and abroad["data_labelling"] > 0.15
    assert abroad["coding_assistant"] < abroad["agent"]


def test_a_realistic_minority_of_customers_has_long_outputs(mixed_world) -> None:
    _, requests, _ = mixed_world
    served = requests[requests.status == 200]
    per_account = served.groupby(["role", "account_id"]).output_tokens.mean()
    long = (per_account > 1000).groupby(level=0).mean()
    # reasoning models and long-form writing among power users, agents and integrations; chat stays short
    assert long["chat"] < 0.08
    for role in ("power_user", "agent", "api_integration"):
        assert 0.08 < long[role] < 0.6, role
    assert 0.05 < (per_account > 1000).mean() < 0.3
    # thinking needs room: reasoning accounts send budgets of 16k and more
    assert (served.max_tokens >= 16_000).any() and (served[served.role == "chat"].max_tokens >= 16_000).mean() < 0.1


def test_api_integrations_send_single_turn_requests_per_feature(mixed_world) -> None:
    _, requests, _ = mixed_world
    api = requests[requests.role == "api_integration"]
    assert len(api) > 1000
    assert (api.turn == 0).all()
    assert api.conversation_id.is_unique
    per_account = api.groupby("account_id").agg(
        prompts=("system_prompt_hash", "nunique"), requests=("ts", "size"), models=("model", "nunique")
    )
    # a few features, each with its own system prompt; most on one model
    assert per_account.prompts.median() <= 5 and per_account.prompts.max() <= 40
    assert (per_account.models == 1).mean() > 0.6
    # a feature's outputs cluster: within (account, system prompt) the spread is smaller than across
    log_out = np.log(api.output_tokens.clip(lower=1))
    within = log_out.groupby([api.account_id, api.system_prompt_hash]).std().median()
    assert within < log_out.std()
