"""Conversation tactics: single turns, threads with follow-ups, agentic trajectories."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from traffic_helpers import campaign_actor, campaign_scenario, run

from simulator.campaign.conversations import Layout, MultiTurnThreading
from simulator.scenario.campaign.conversations import Threads, Trajectories
from simulator.scenario.loading import ScenarioError, parse_scenario

HOUR = 3600.0
DAY = 86400.0
COLUMNS = (
    "ts",
    "account_id",
    "status",
    "conversation_id",
    "turn",
    "input_tokens",
    "output_tokens",
    "prompt_simhash",
    "model",
)


def attack_requests(conversations: dict, **campaign: object) -> pd.DataFrame:
    scenario = campaign_scenario(
        {"accounts": 20, "load": {"requests_per_account": "600/day"}, "conversations": conversations, **campaign},
        population=[],
        duration="12h",
    )
    requests, _ = run(scenario, COLUMNS)
    return requests[requests.attacker].sort_values(["conversation_id", "turn"]).reset_index(drop=True)


@functools.cache
def _default_threads() -> pd.DataFrame:
    """:func:`attack_requests` of the default threads, simulated once for the tests that read them."""
    return attack_requests({"kind": "threads"})


def by_conversation(requests: pd.DataFrame) -> pd.core.groupby.DataFrameGroupBy:
    return requests.groupby("conversation_id")


def test_threads_by_default_have_the_chat_customers_shape() -> None:
    requests = _default_threads().copy()
    conversations = by_conversation(requests)
    turns = conversations.size()
    # Mooncake: 70% single requests, 1.85 more turns in the others
    assert (turns == 1).mean() == pytest.approx(0.70, abs=0.04)
    assert (turns[turns > 1] - 1).mean() == pytest.approx(1.85, abs=0.2)
    # turns count 0, 1, 2 … within one conversation, which stays on one account
    assert (conversations.turn.apply(lambda t: list(t) == list(range(len(t))))).all()
    assert (conversations.account_id.nunique() == 1).all()
    # follow-ups come after the answer and a think time of median ~115 s
    gaps = conversations.ts.diff().dropna()
    assert (gaps > 0).all()
    assert gaps.median() == pytest.approx(115 + 20, rel=0.25)
    # requests per account stay as planned: 600/day over 12 h (the first conversations ramp up)
    assert len(requests) / 20 == pytest.approx(300, rel=0.12)


def test_the_default_is_threads() -> None:
    default = _default_threads().copy()
    assert attack_requests({"kind": "threads"}).equals(default)
    scenario = campaign_scenario({"accounts": 20, "load": {"requests_per_account": "600/day"}}, duration="1h")
    assert campaign_actor(run(scenario)[1]).threading.mean_turns() == pytest.approx(1 + 0.3 * 1.85)


def test_single_turn_opens_a_new_conversation_with_every_request() -> None:
    requests = attack_requests({"kind": "single_turn"})
    assert (requests.turn == 0).all()
    assert requests.conversation_id.is_unique
    assert len(requests) / 20 == pytest.approx(300, rel=0.1)


def test_follow_ups_carry_the_growing_context() -> None:
    requests = attack_requests({"kind": "threads", "single_turn_share": 0.0})
    for _, conversation in list(by_conversation(requests))[:200]:
        sent = conversation.input_tokens.to_numpy()
        if len(sent) > 1:
            # each turn resends the previous turn's input and answer
            previous = sent[:-1] + conversation.output_tokens.to_numpy()[:-1]
            assert (sent[1:] > previous).all()


def test_trajectories_are_many_quick_turns_and_a_file_context_is_resent_unchanged() -> None:
    requests = attack_requests({"kind": "trajectories", "context": "file"})
    conversations = by_conversation(requests)
    turns = conversations.size()
    assert (turns == 1).mean() == pytest.approx(0.1, abs=0.04)
    assert turns.mean() == pytest.approx(1 + 0.9 * 12, rel=0.2)
    gaps = conversations.ts.diff().dropna()
    # seconds apart: a tool's run after the answer (about 25 s of generation)
    assert gaps.median() < 60
    # the opening's document comes back with each turn, answers are not kept
    opening = conversations.input_tokens.transform("first")
    follow = requests.turn > 0
    assert (requests.input_tokens[follow] > opening[follow]).all()
    assert ((requests.input_tokens - opening)[follow] < 100_000).all()
    assert len(requests) / 20 == pytest.approx(300, rel=0.2)


def test_follow_ups_of_a_template_are_harvest_from_the_same_template() -> None:
    requests = attack_requests({"kind": "threads"}, camouflage={"filler_share": 0.3})
    per_conversation = by_conversation(requests).template_id.nunique()
    assert (per_conversation == 1).all()
    harvest = requests[requests.template_id >= 0]
    # a follow-up is rendered from its conversation's template: close to the opening's fingerprint
    opening = harvest.groupby("conversation_id").prompt_simhash.transform("first").to_numpy(np.uint64)
    follow = harvest.turn.to_numpy() > 0
    distance = np.unpackbits((harvest.prompt_simhash.to_numpy(np.uint64) ^ opening).view(np.uint8)).reshape(-1, 64)
    assert distance.sum(axis=1)[follow].mean() < 8
    # filler conversations are untemplated throughout; about 30% of conversations
    filler = by_conversation(requests).template_id.first() < 0
    assert filler.mean() == pytest.approx(0.3, abs=0.05)


def test_a_conversation_stays_on_one_model() -> None:
    requests = attack_requests({"kind": "threads"}, pivot={"share": 0.5, "delay": "0s", "ramp": "1s"})
    assert (by_conversation(requests).model.nunique() == 1).all()


def test_follow_ups_of_a_banned_account_are_not_sent() -> None:
    from simulator.world import World

    scenario = campaign_scenario(
        {"accounts": 10, "load": {"requests_per_account": "2000/day"}, "adaptation": {"on_ban": {"kind": "none"}}},
        population=[],
        duration="3h",
    )
    world = World(scenario)
    banned = None
    refused = []
    for traffic in world.ticks():
        frame = traffic.batch.requests
        if banned is not None:
            refused.append(frame[frame.account_id.isin(banned)])
        if traffic.batch.tick == 24:
            codes = campaign_actor(world).members.column("code")[:5]
            world.gateway.ban(codes)
            banned = set(world.registry.visible.column("account_id")[codes])
    after = pd.concat(refused)
    # what was already sent for the current planning step (to 30 min) is refused; nothing later is sent
    assert len(after) > 0 and set(after.status) == {403}
    assert after.ts.max() < 1800


def test_a_layout_spreads_per_conversation_values_and_times_follow_ups() -> None:
    layout = Layout.build(np.array([1, 3, 2]), np.array([11, 12, 13], dtype=np.uint64))
    assert layout.turn.tolist() == [0, 0, 1, 2, 0, 1]
    assert layout.first.tolist() == [0, 1, 4]
    assert layout.spread(layout.ids).tolist() == [11, 12, 12, 12, 13, 13]
    sub, rows = layout.subset(np.array([False, True, True]))
    assert sub.turns.tolist() == [3, 2] and rows.tolist() == [False, True, True, True, True, True]
    spec = Threads(kind="threads", think_time={"median": 10, "sigma": 0, "min": 10, "max": 10})
    threading = MultiTurnThreading(spec)
    ts = threading.times(np.random.default_rng(0), layout, np.array([0.0, 100.0, 200.0]), np.full(6, 5.0))
    assert ts.tolist() == [0.0, 100.0, 115.0, 130.0, 200.0, 215.0]
    inputs = threading.inputs(np.random.default_rng(0), layout, np.full(6, 100), np.full(6, 50))
    assert inputs[0] == 100 and inputs[1] == 100 and inputs[4] == 100
    assert inputs[2] > 150 and inputs[3] > inputs[2] + 50


def test_planning_means_follow_the_formulas() -> None:
    spec = Threads(kind="threads", single_turn_share=0.5, mean_extra_turns=2)
    assert spec.mean_turns() == pytest.approx(2.0)
    # growing: (f + o)·(1 − s)·m² / E[T] with f the mean follow-up
    f = spec.follow_up_tokens.mean
    assert spec.mean_context(400, 600) == pytest.approx((f + 600) * 0.5 * 4 / 2.0)
    file = Trajectories(kind="trajectories", context="file")
    assert file.mean_context(400, 600) == pytest.approx(
        file.follow_up_tokens.mean * 0.9 * 12 / (1 + 0.9 * 12), rel=1e-9
    )


def test_an_unknown_conversation_kind_is_a_located_error() -> None:
    text = """
version: 1
name: bad
start: 2026-03-02T00:00:00Z
duration: 1h
campaigns:
  - kind: hydra
    name: c
    accounts: 3
    conversations: {kind: thread}
"""
    with pytest.raises(ScenarioError, match=r"bad.yaml:10:.*conversations.*thread"):
        parse_scenario(text, "bad.yaml")
