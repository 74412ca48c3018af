"""Defence stacks: known answers for each policy's mechanics, and the default stack changes nothing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from traffic_helpers import campaign_actor, campaign_scenario

from detectors.registry import configure, resolve
from simulator.bench.cells import Cell, DetectorSpec, ScenarioSpec
from simulator.bench.defences import Audit, DefenceStack, ReviewQueue, StepUp, Takedown, parse_stack
from simulator.bench.defences.audit import Audits
from simulator.bench.defences.queue import AlarmQueue
from simulator.bench.defences.stepup import StepUpPolicy
from simulator.bench.defences.takedown import LinkIndex
from simulator.bench.policy import AlarmPolicy
from simulator.bench.runner import run_cell
from simulator.metrics.provenance import (
    expected_z,
    green_probability,
    student_bias,
    tokens_to_evidence,
    z_score,
    z_threshold,
)
from simulator.results.defences import stack_comparison
from simulator.world import World


def small_world() -> World:
    scenario = campaign_scenario(
        {"load": {"requests_per_account": "3000/day"}, "infrastructure": {"payment_instruments": 2}},
        population=[{"kind": "chat", "accounts": 10}],
        duration="1h",
        tick="5m",
    )
    world = World(scenario, 0)
    world.build()
    return world


def test_stacks_parse_from_text_and_bad_input_says_where() -> None:
    stack = parse_stack("step-up:tier=1,abandon=0.2+takedown:links=payment|ip")
    assert stack.name == "step-up+takedown"
    assert stack.get("step-up").tier == 1 and stack.get("takedown").links == ["payment", "ip"]
    assert parse_stack("none").empty
    with pytest.raises(ValueError, match="at least one trigger"):
        parse_stack("step-up")
    with pytest.raises(ValueError, match="'foo'"):
        parse_stack("foo:x=1")


def test_step_up_asks_unverified_accounts_over_the_threshold_once() -> None:
    world = small_world()
    registry, gateway = world.registry, world.gateway
    n = len(registry)
    verified = registry.visible.column("verified")
    verified[:n] = False
    verified[1] = True  # verified at sign-up: never asked
    policy = StepUpPolicy(StepUp(kind="step-up", requests=10), gateway, registry)
    requests = np.zeros(n)
    requests[[0, 1, 2]] = [10, 50, 9]
    assert policy.ask(requests, np.zeros(n), now=0.0).tolist() == [0]
    assert policy.ask(requests, np.zeros(n), now=300.0).tolist() == []  # asked once
    asked = gateway.accounts.challenge_tick[[0, 1, 2]] != np.iinfo(np.int64).max
    assert asked.tolist() == [True, False, False]
    by_score = StepUpPolicy(StepUp(kind="step-up", score=0.3), gateway, registry)
    peak = np.zeros(n)
    peak[3] = 0.3
    assert by_score.due(np.zeros(n), peak).tolist() == [3]


def test_customers_pass_a_verification_after_a_delay_or_abandon() -> None:
    world = small_world()
    customers = np.flatnonzero(~world.registry.truth.column("is_attacker")[: len(world.registry)])
    world.gateway.verify(customers, median_delay=3600.0, abandon=0.0)
    cleared = world.gateway.accounts.cleared_at[customers]
    assert np.isfinite(cleared).all() and (cleared >= 60).all()
    other = small_world()
    other.gateway.verify(customers, median_delay=3600.0, abandon=1.0)
    assert np.isinf(other.gateway.accounts.cleared_at[customers]).all()  # all churned


def test_campaigns_buy_identities_that_pass_at_their_rate() -> None:
    world = small_world()
    actor = campaign_actor(world)
    codes = actor.members.column("code")
    world.gateway.verify(codes, median_delay=600.0, abandon=0.0)  # default: buy, 80% pass, $30 each
    outcome = actor.outcome()
    assert outcome.verified == codes.size and outcome.identities_bought == codes.size
    assert outcome.spent["verification"] == 30.0 * codes.size
    passed = np.isfinite(world.gateway.accounts.cleared_at[codes]).sum()
    assert 0 < passed < codes.size


def test_takedown_links_shared_payment_but_not_values_too_common() -> None:
    world = small_world()
    registry = world.registry
    n = len(registry)
    cards = registry.visible.column("payment_fingerprint")
    cards[:n] = [f"card{i}" for i in range(n)]
    cards[[0, 3, 5]] = "shared"
    index = LinkIndex(Takedown(kind="takedown", links=["payment"], max_group=3), registry)
    assert index.linked(np.array([0])).tolist() == [3, 5]
    assert (
        LinkIndex(Takedown(kind="takedown", links=["payment"], max_group=2), registry).linked(np.array([0])).tolist()
        == []
    )


def test_review_queue_acts_at_its_capacity_and_delay() -> None:
    queue = AlarmQueue(ReviewQueue(kind="review-queue", per_day=288 * 2, delay=600.0), tick_seconds=300.0)
    queue.add(np.array([7, 8, 9]))
    assert queue.due(0).tolist() == []  # reviewed 7 and 8 at tick 0; act two ticks later
    assert queue.due(1).tolist() == []
    assert queue.due(2).tolist() == [7, 8]
    assert queue.due(3).tolist() == [9]


def test_audits_close_organisations_that_hide_extraction() -> None:
    world = small_world()
    spec = Audit(kind="audit", min_accounts=1, rate=1.0, capacity=100, duration=300.0, sensitivity=1.0)
    attacker_org = int(world.registry.visible.column("org")[campaign_actor(world).members.column("code")[0]])
    chance = lambda org: 1.0 if org == attacker_org else 0.0  # noqa: E731
    audits = Audits(spec, world.registry, chance, np.random.default_rng(0))
    assert audits.step(0.0, 86400.0) == []  # every organisation drawn at rate 1 per day
    assert audits.step(300.0, 86400.0) == [attacker_org]


def test_provenance_statistic_on_a_hand_made_case() -> None:
    # 100 scored tokens, 40 green, gamma 1/4: z = (40 - 25) / sqrt(100 * 3/16) = 15 / 4.33
    assert z_score(40, 100, 0.25) == pytest.approx(15 / math.sqrt(18.75))
    # delta = ln 3, gamma = 1/4: p_w = 0.75 / (1 + 0.5) = 0.5
    assert green_probability(math.log(3), 0.25) == pytest.approx(0.5)
    bias = student_bias(math.log(3), 0.25, entropy=1.0, transfer=0.1, student_share=0.5, retention=1.0)
    assert bias == pytest.approx(0.1 * 0.5 * 0.25)
    needed = tokens_to_evidence(bias, 0.25, scored=1.0, kept=1.0, alpha=0.05)
    assert needed == pytest.approx(z_threshold(0.05) ** 2 * 0.1875 / bias**2)
    assert float(expected_z(needed, bias, 0.25, 1.0, 1.0)) == pytest.approx(z_threshold(0.05))
    assert float(expected_z(4 * needed, bias, 0.25, 1.0, 1.0)) == pytest.approx(2 * z_threshold(0.05))
    paraphrased = student_bias(math.log(3), 0.25, 1.0, 0.1, 0.5, retention=0.5)
    assert tokens_to_evidence(paraphrased, 0.25, 1.0, 1.0, 0.05) == pytest.approx(4 * needed)


def _cell(stack: DefenceStack | None) -> Cell:
    scenario = campaign_scenario(
        {"load": {"requests_per_account": "3000/day"}},
        population=[{"kind": "chat", "accounts": 20}],
        duration="2h",
        tick="5m",
    )
    detector = DetectorSpec("lockstep", configure(resolve("lockstep").cls))
    return Cell("active", ScenarioSpec("t", scenario, "<object>"), 0, (detector,), AlarmPolicy(), False, defences=stack)


def test_an_empty_stack_changes_nothing_and_keeps_the_cell_key() -> None:
    plain, empty = _cell(None), _cell(DefenceStack(name="none"))
    assert plain.key == empty.key and not empty.defended
    a, b = run_cell(plain), run_cell(empty)
    assert a.campaigns.equals(b.campaigns) and a.detectors[0].outcomes.equals(b.detectors[0].outcomes)
    assert a.defences is not None and b.defences is not None and a.defences.equals(b.defences)


def _rows(table: pa.Table) -> dict[tuple[str, str], float]:
    columns = (table.column(c).to_pylist() for c in ("subject", "metric", "value"))
    return {(s, m): v for s, m, v in zip(*columns, strict=True)}


def test_the_alarm_policy_alone_reports_the_campaigns_spend_and_the_customers_bans() -> None:
    result = run_cell(_cell(None))
    rows = _rows(result.defences)
    spent = dict(zip(*(result.campaigns.column(c).to_pylist() for c in ("campaign", "spent_usd")), strict=True))
    accounts = dict(zip(*(result.campaigns.column(c).to_pylist() for c in ("campaign", "accounts")), strict=True))
    assert spent["c"] > 0 and rows[("c", "spent_usd")] == spent["c"]
    assert rows[("c", "identities")] == accounts["c"]  # nothing bought without a step-up
    assert rows[("c", "asked")] == 0 and rows[("customers", "asked")] == 0
    assert rows[("customers", "banned_linked")] == 0 and rows[("customers", "banned_audit")] == 0
    assert ("c", "provenance_z") not in rows
    passive = Cell("passive", _cell(None).scenario, 0, _cell(None).detectors, AlarmPolicy(), False)
    assert run_cell(passive).defences is None


def test_a_defended_cell_reports_what_the_stack_cost() -> None:
    stack = parse_stack("step-up:requests=20+takedown+watermark")
    result = run_cell(_cell(stack))
    rows = _rows(result.defences)
    assert rows[("c", "asked")] > 0 and rows[("c", "spent_verification_usd")] == 30.0 * rows[("c", "asked")]
    assert rows[("c", "harvested_tokens")] > 0 and math.isfinite(rows[("c", "tokens_to_evidence")])


def test_the_comparison_gives_the_detector_alone_its_cost_like_the_stacks() -> None:
    metrics = pd.DataFrame(
        [
            {"scenario": "s", "detector": label, "seed": 0, "mode": "active", "metric": metric, "value": value}
            for label in ("d", "d@step-up")
            for metric, value in (("leakage_tokens", 100.0), ("leakage_share", 0.5), ("legit_flagged", 1.0))
        ]
    )
    defences = pd.DataFrame(
        [
            ("s", "d", 0, "c", "spent_usd", 10.0),
            ("s", "d", 0, "customers", "asked", 0.0),
            ("s", "d@step-up", 0, "c", "spent_usd", 40.0),
            ("s", "d@step-up", 0, "customers", "asked", 3.0),
            ("s", "d@step-up", 0, "customers", "banned_linked", 2.0),
        ],
        columns=["scenario", "detector", "seed", "subject", "metric", "value"],
    )
    table = stack_comparison(metrics, defences).set_index("stack")
    assert table.loc["detector", "attacker_usd"] == 10.0 and table.loc["step-up", "attacker_usd"] == 40.0
    assert table.loc["detector", "customer_friction"] == 1.0  # the customer the alarm policy banned
    assert table.loc["step-up", "customer_friction"] == 3.0 + 2.0 + 1.0
