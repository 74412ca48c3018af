"""Limits, bans, throttles, tiers and causality at the gateway."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import BareGateway, tiny_scenario


def run_ticks(bare: BareGateway, n: int):
    return [bare.gateway.process_tick(k) for k in range(n)]


def test_an_account_sending_twice_its_limit_is_held_to_the_limit(bare: BareGateway) -> None:
    # 60 requests/min limit, bucket of one minute: 120/min offered for 10 minutes
    ts = np.linspace(0, 600, 1200, endpoint=False)
    bare.gateway.submit(bare.block(0, ts))
    ticks = run_ticks(bare, 10)
    status = np.concatenate([t.batch.requests.status.to_numpy() for t in ticks])
    served = int((status == 200).sum())
    # a full bucket (60) plus the refill over 600 s at 1/s
    assert served == pytest.approx(60 + 600, abs=2)
    assert int((status == 429).sum()) == 1200 - served
    per_minute = [int((t.batch.requests.status == 200).sum()) for t in ticks[2:]]
    assert all(59 <= m <= 61 for m in per_minute)


def test_an_account_under_its_limit_gets_no_429(bare: BareGateway) -> None:
    bare.gateway.submit(bare.block(0, np.linspace(0, 600, 500, endpoint=False)))
    status = np.concatenate([t.batch.requests.status.to_numpy() for t in run_ticks(bare, 10)])
    assert set(status.tolist()) == {200}


def test_token_limits_bind_as_well_as_request_limits() -> None:
    scenario = tiny_scenario(
        gateway={
            "tiers": [
                {"name": "t1", "account": {"requests": "1000/min", "input_tokens": "1k/min", "output_tokens": "1M/min"}}
            ]
        }
    )
    bare = BareGateway(scenario)
    bare.gateway.submit(bare.block(0, np.linspace(0, 600, 300, endpoint=False), input_tokens=100))
    status = np.concatenate([t.batch.requests.status.to_numpy() for t in run_ticks(bare, 10)])
    # 1,000 tokens in the bucket plus 1,000/min refill: 10 + 100 requests of 100 tokens
    assert int((status == 200).sum()) == pytest.approx(110, abs=2)


def test_an_org_limit_caps_its_accounts_together() -> None:
    scenario = tiny_scenario(
        gateway={
            "tiers": [
                {
                    "name": "t1",
                    "account": {"requests": "60/min", "input_tokens": "1M/min", "output_tokens": "1M/min"},
                    "org": {"requests": "60/min", "input_tokens": "1M/min", "output_tokens": "1M/min"},
                }
            ]
        }
    )
    bare = BareGateway(scenario, accounts=2, org_of=[0, 0])
    ts = np.linspace(0, 600, 600, endpoint=False)
    bare.gateway.submit(bare.block(0, ts))
    bare.gateway.submit(bare.block(1, ts + 0.5))
    status = np.concatenate([t.batch.requests.status.to_numpy() for t in run_ticks(bare, 10)])
    assert int((status == 200).sum()) == pytest.approx(660, abs=2)


def test_a_banned_account_gets_403_from_the_next_tick_and_nothing_served(bare: BareGateway) -> None:
    gateway = bare.gateway
    gateway.submit(bare.block(0, np.linspace(0, 300, 100, endpoint=False)))
    gateway.submit(bare.block(1, np.linspace(0, 300, 100, endpoint=False)))
    first = gateway.process_tick(0)
    assert set(first.batch.requests.status.tolist()) == {200}
    newly = gateway.ban([bare.registry.visible.column("account_id")[0]])
    assert newly.tolist() == [0]
    later = [gateway.process_tick(k) for k in range(1, 5)]
    for traffic in later:
        requests = traffic.batch.requests
        mine = requests[requests.account_id == "acct_" + "0" * 20]
        assert len(mine) > 0
        assert set(mine.status.tolist()) == {403}
        assert int(mine.output_tokens.sum()) == 0
        others = requests[requests.account_id != "acct_" + "0" * 20]
        assert set(others.status.tolist()) == {200}
    # only tick 0 was served: 20 requests of 10 output tokens
    served = first.batch.requests
    assert int(served[served.account_id == "acct_" + "0" * 20].output_tokens.sum()) == 10 * len(served) // 2


def test_a_ban_is_announced_to_listeners_once(bare: BareGateway) -> None:
    events = []
    bare.gateway.add_listener(events.append)
    bare.gateway.ban(np.array([1]))
    bare.gateway.ban(np.array([1]))
    assert len(events) == 1
    assert events[0].action == "ban" and events[0].accounts.tolist() == [1] and events[0].effective_tick == 0


def test_a_throttle_scales_limits_until_it_expires(bare: BareGateway) -> None:
    gateway = bare.gateway
    gateway.throttle(np.array([0]), factor=0.5, duration=300)
    assert gateway.limits_of(np.array([0]))[0, 0] == pytest.approx(0.5)
    for k in range(6):
        gateway.process_tick(k)
    assert gateway.limits_of(np.array([0]))[0, 0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"'factor' of a throttle must be in \(0, 1\]"):
        gateway.throttle(np.array([0]), factor=0.0, duration=10)


def test_requests_cannot_be_submitted_into_a_processed_tick(bare: BareGateway) -> None:
    bare.gateway.process_tick(0)
    with pytest.raises(ValueError, match="after tick 0 was processed"):
        bare.gateway.submit(bare.block(0, np.array([30.0])))


def test_ticks_must_be_processed_in_order(bare: BareGateway) -> None:
    with pytest.raises(ValueError, match="expected 0, got 1"):
        bare.gateway.process_tick(1)


def test_requests_come_out_sorted_by_time_within_their_tick(bare: BareGateway) -> None:
    rng = np.random.default_rng(3)
    bare.gateway.submit(bare.block(0, rng.uniform(0, 120, 50)))
    bare.gateway.submit(bare.block(1, rng.uniform(0, 120, 50)))
    for k, traffic in enumerate(run_ticks(bare, 2)):
        ts = traffic.batch.requests.ts.to_numpy()
        assert np.all(np.diff(ts) >= 0)
        assert np.all((ts >= 60 * k) & (ts < 60 * (k + 1)))


def test_accounts_climb_tiers_with_age_and_spend() -> None:
    scenario = tiny_scenario(
        duration="3h",
        gateway={
            "tier_review": "1h",
            "pricing": {"input_per_mtok": 1e6, "output_per_mtok": 0},
            "tiers": [
                {"name": "t1", "account": {"requests": "60/min", "input_tokens": "1M/min", "output_tokens": "1M/min"}},
                {
                    "name": "t2",
                    "min_age": "1d",
                    "min_spend": 100,
                    "account": {"requests": "600/min", "input_tokens": "1M/min", "output_tokens": "1M/min"},
                },
            ],
        },
    )
    bare = BareGateway(scenario)
    gateway = bare.gateway
    assert gateway.tier_names_of(bare.accounts) == ["t1", "t1"]
    # account 0 spends $1 per input token: 200 tokens is $200
    gateway.submit(bare.block(0, np.array([10.0, 20.0]), input_tokens=100))
    for k in range(61):
        gateway.process_tick(k)
    assert gateway.tier_names_of(bare.accounts) == ["t2", "t1"]


def test_a_challenged_account_gets_403_from_the_next_tick_until_it_passes(bare: BareGateway) -> None:
    gateway = bare.gateway
    gateway.submit(bare.block(0, np.linspace(0, 300, 100, endpoint=False)))
    gateway.submit(bare.block(1, np.linspace(0, 300, 100, endpoint=False)))
    first = gateway.process_tick(0)
    assert set(first.batch.requests.status.tolist()) == {200}
    assert gateway.challenge(np.array([0])).tolist() == [0]
    assert gateway.is_challenged(bare.accounts).tolist() == [True, False]
    # still open during tick 1; the owner passes it at t=150 s, in the middle of tick 2
    second = gateway.process_tick(1)
    gateway.pass_challenge(np.array([0]), at=150.0)
    later = [second, *(gateway.process_tick(k) for k in range(2, 5))]
    requests = pd.concat([t.batch.requests for t in later])
    mine = requests[requests.account_id == "acct_" + "0" * 20]
    before, after = mine[mine.ts < 150], mine[mine.ts >= 150]
    assert len(before) > 0 and set(before.status.tolist()) == {403}
    assert int(before.output_tokens.sum()) == 0
    assert len(after) > 0 and set(after.status.tolist()) == {200}
    assert set(requests[requests.account_id != "acct_" + "0" * 20].status.tolist()) == {200}
    assert int((requests.status == 403).sum()) == len(before)


def test_a_challenge_is_announced_once_and_skips_banned_accounts(bare: BareGateway) -> None:
    events = []
    bare.gateway.add_listener(events.append)
    bare.gateway.ban(np.array([1]))
    assert bare.gateway.challenge(np.array([0, 1])).tolist() == [0]
    assert bare.gateway.challenge(np.array([0])).tolist() == []
    challenges = [e for e in events if e.action == "challenge"]
    assert len(challenges) == 1 and challenges[0].accounts.tolist() == [0] and challenges[0].effective_tick == 0


def test_a_challenge_cannot_be_passed_inside_a_processed_tick(bare: BareGateway) -> None:
    gateway = bare.gateway
    gateway.process_tick(0)
    gateway.challenge(np.array([0]))
    with pytest.raises(ValueError, match="before the first unprocessed tick"):
        gateway.pass_challenge(np.array([0]), at=30.0)
