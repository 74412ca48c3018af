"""Each shipped scenario's tactic is present in the traffic it generates.

Every test runs its scenario small (``--scale``, ``--duration``) and measures the
claimed tactic from the visible requests, helped by ground truth only to know
which rows are the attacker's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from traffic_helpers import fingerprint_spread, load, run

DAY = 86400.0
HOUR = 3600.0
TICK = 600.0
"""Ten-minute ticks for the tests that measure requests by their own times (``ts``),
not by tick: the actors plan the same requests whatever the tick (mimicry at scale
0.1 over three days: 329,646 at either), and a world costs about 3 ms of CPU per
tick whatever its traffic, so a tenth of the ticks is most of the cost saved."""


def hour_profile(requests: pd.DataFrame) -> np.ndarray:
    """Mean over accounts of each account's share of requests per UTC hour,
    smoothed over five hours (circularly)."""
    hour = ((requests.ts // HOUR) % 24).astype(int)
    counts = requests.groupby([requests.account_id, hour]).size().unstack(fill_value=0)
    profile = counts.div(counts.sum(axis=1), axis=0).mean().reindex(range(24), fill_value=0.0).to_numpy()
    padded = np.r_[profile[-2:], profile, profile[:2]]
    return np.convolve(padded, np.ones(5) / 5, mode="valid")


def test_hydra_cluster_shares_infrastructure_and_fires_in_lockstep() -> None:
    requests, world = run(
        load("hydra-cluster", scale=0.1, duration=12 * HOUR), ("ts", "account_id", "client_fingerprint", "status")
    )
    attack, legit = requests[requests.attacker], requests[~requests.attacker]
    accounts = attack.account_id.nunique()
    assert accounts >= 150
    # a dozen client installs (scaled) behind hundreds of accounts; a fingerprint belongs to
    # the client software, so customers running the same SDK share theirs too
    assert attack.client_fingerprint.nunique() <= 2
    pairs = legit.drop_duplicates(["account_id", "client_fingerprint"])
    sharing = pairs.groupby("client_fingerprint").account_id.transform("size")
    assert (sharing >= 3).mean() > 0.5
    registry = world.registry.visible
    cards = registry.column("payment_fingerprint")[world.registry.truth.column("is_attacker")]
    assert len(set(cards)) <= 6
    # lockstep: within each 10-minute planning step most attack requests fall in one minute
    step = (attack.ts // 600).astype(int)
    minute = (attack.ts // 60).astype(int)
    busiest = attack.groupby([step, minute]).size().groupby(level=0).max() / attack.groupby(step).size()
    assert busiest.median() > 0.4
    legit_step, legit_minute = (legit.ts // 600).astype(int), (legit.ts // 60).astype(int)
    legit_busiest = (
        legit.groupby([legit_step, legit_minute]).size().groupby(level=0).max() / legit.groupby(legit_step).size()
    )
    assert legit_busiest.median() < 0.3


def test_low_and_slow_accounts_send_what_customers_send_per_day() -> None:
    requests, world = run(load("low-and-slow", scale=0.02, duration=2 * DAY, tick=TICK), ("ts", "account_id", "status"))
    daily = requests.groupby([requests.account_id, (requests.ts // DAY).astype(int)]).size().groupby(level=0).mean()
    attacker = requests.groupby("account_id").attacker.first().loc[daily.index]
    attack, legit = daily[attacker], daily[~attacker]
    assert len(attack) >= 50
    assert legit.quantile(0.25) <= attack.median() <= legit.quantile(0.75)
    inside = attack.between(legit.quantile(0.05), legit.quantile(0.95)).mean()
    assert inside >= 0.9
    # daily volume alone does not separate the two
    assert abs(roc_auc_score(attacker, daily) - 0.5) < 0.2
    # far under their limits: the busiest attack account never tops a few requests a minute
    assert requests[requests.attacker].groupby([requests.account_id, (requests.ts // 60)]).size().max() <= 10
    # the last sign-up wave registers accounts during the run, as new registry rows
    created = world.registry.visible.column("created_ts")[world.registry.truth.column("is_attacker")]
    assert (created > 0).sum() > 0 and (created < 0).sum() > 0


def test_burst_harvest_accounts_run_near_their_limits() -> None:
    scenario = load("burst-harvest", scale=0.2, duration=8 * HOUR)
    from simulator.world import World

    world = World(scenario)
    usage = []
    for traffic in world.ticks():
        table, codes = traffic.batch.table, traffic.account_codes
        mine = world.registry.truth.column("is_attacker")[codes] & (table.column("status").to_numpy() == 200)
        if mine.any():
            # each attack account's requests, input and output tokens in this one-minute tick, over its
            # limits per minute (numpy per tick: a pandas groupby per tick was most of this test's time)
            accounts, row_account = np.unique(codes[mine], return_inverse=True)
            used = np.column_stack(
                [np.bincount(row_account)]
                + [
                    np.bincount(row_account, table.column(c).to_numpy()[mine])
                    for c in ("input_tokens", "output_tokens")
                ]
            )
            usage.append((used / (world.gateway.limits_of(accounts) * 60)).max(axis=1))
    usage = np.concatenate(usage)
    # in-shift minutes (01:00-13:00 UTC) at 90% of the binding limit, allowing for Poisson noise
    assert len(usage) > 300
    assert np.median(usage) > 0.75
    assert world.registry.truth.column("is_attacker").sum() == 2


def test_reseller_mix_puts_attack_and_legitimate_accounts_in_one_org_and_key() -> None:
    requests, _ = run(load("reseller-mix", scale=0.1, duration=8 * HOUR), ("ts", "account_id", "org_id", "key_id"))
    mixed_orgs = requests.groupby("org_id").attacker.agg(["any", "all"])
    assert ((mixed_orgs["any"]) & ~(mixed_orgs["all"])).sum() >= 1
    keys = requests.groupby("key_id").attacker.agg(["any", "all"])
    assert ((keys["any"]) & ~(keys["all"])).sum() >= 1


def test_model_pivot_moves_most_of_the_campaign_within_a_day_of_the_release() -> None:
    release = 36 * HOUR
    requests, _ = run(
        load("model-pivot", scale=0.03, duration=release + 25 * HOUR, tick=TICK), ("ts", "account_id", "model")
    )
    new = requests.model == "frontier-pro-2"
    attack = requests.attacker
    assert not new[requests.ts < release].any()
    window = requests.ts.between(release + 12 * HOUR, release + 24 * HOUR)
    attack_share = new[attack & window].mean()
    chat_share = new[(requests.role == "chat") & window].mean()
    assert attack_share >= 0.4
    assert chat_share < attack_share / 2


def test_multilingual_cot_speaks_many_languages_and_elicits_reasoning() -> None:
    scenario = load("multilingual-cot", scale=0.03, duration=54 * HOUR, tick=TICK)
    requests, _ = run(scenario, ("ts", "account_id", "language", "cot_requested", "topic", "output_tokens"))
    attack, legit = requests[requests.attacker], requests[~requests.attacker]
    languages = attack.language.value_counts(normalize=True)
    assert (languages >= 0.04).sum() >= 6
    assert attack.cot_requested.mean() >= 0.85
    assert legit.cot_requested.mean() < 0.4
    # phase two (from 50 h) narrows to reasoning and math with longer answers
    phase_two = attack.ts >= 50 * HOUR
    focus = attack.topic.isin(["reasoning", "math"])
    assert focus[phase_two].mean() > focus[~phase_two].mean() + 0.15
    assert attack.output_tokens[phase_two].mean() > attack.output_tokens[~phase_two].mean()


def test_mimicry_keeps_human_hours_paraphrases_and_hides_in_filler() -> None:
    requests, _ = run(
        load("mimicry", scale=0.1, duration=3 * DAY, tick=TICK),
        ("ts", "account_id", "status", "prompt_simhash", "user_agent"),
    )
    attack = requests[requests.attacker]
    customers = requests[requests.role.isin(["chat", "coding_assistant"])]
    assert np.corrcoef(hour_profile(attack), hour_profile(customers))[0, 1] >= 0.6
    assert (attack.template_id < 0).mean() == pytest.approx(0.4, abs=0.05)
    hydra, _ = run(
        load("hydra-cluster", scale=0.02, duration=12 * HOUR, tick=TICK), ("ts", "account_id", "prompt_simhash")
    )
    mimic_spread, hydra_spread = fingerprint_spread(attack), fingerprint_spread(hydra[hydra.attacker])
    assert mimic_spread > 3 * hydra_spread
    # one client install per account, like customers
    per_account = attack.groupby("account_id").user_agent.nunique()
    assert (per_account == 1).mean() > 0.95


def test_report_scale_2026_at_one_percent_keeps_the_disclosed_proportions() -> None:
    scenario = load("report-scale-2026", scale=0.01, duration=DAY, tick=TICK)
    requests, world = run(scenario, ("ts", "account_id", "status"))
    truth = world.registry.truth
    assert truth.column("is_attacker").sum() == pytest.approx(240, abs=5)
    per_campaign = requests[requests.attacker].groupby("campaign").size()
    assert set(per_campaign.index) == {"reasoning-rubric", "agentic-vision", "agentic-coding"}
    # 14 days at full size: about 16.5 million attack requests, and at least as much legitimate traffic
    assert per_campaign.sum() * 14 / 0.01 == pytest.approx(16.5e6, rel=0.15)
    assert (~requests.attacker).sum() >= requests.attacker.sum()


def test_qwen_scale_at_one_percent_keeps_the_disclosed_rate() -> None:
    requests, world = run(load("qwen-scale", scale=0.01, duration=DAY, tick=TICK), ("ts", "account_id", "status"))
    attackers = int(world.registry.truth.column("is_attacker").sum())
    assert attackers == pytest.approx(250 * 1.05, abs=3)
    # 44 days at full size: about 28.8 million requests from 25,000 accounts
    assert requests.attacker.sum() * 44 / 0.01 == pytest.approx(28.8e6, rel=0.15)
