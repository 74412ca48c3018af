"""One cell: the traffic ledger, score logs, the guard and the alarm policy, on small worlds."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import pytest
from failing_detectors import Fails

from detectors import build
from detectors.base import Detector, scores_series
from simulator.bench import AlarmPolicy, Cell, DetectorSpec, ScenarioSpec, run_cell
from simulator.bench.ledger import ScoreLog, TrafficLedger
from simulator.metrics import RunFrame, evaluate
from simulator.scenario import Scenario
from simulator.scenario.loading import load_scenario
from simulator.world import World


@pytest.fixture(scope="module")
def small(quickstart_path) -> Scenario:
    """90 minutes of the quickstart at half size: the hydra pool starts after one hour."""
    return load_scenario(quickstart_path).resolved(scale=0.5, duration=5400.0)


def cell(scenario: Scenario, *detectors: Detector | str, mode: str = "passive", **policy: object) -> Cell:
    specs = tuple(
        DetectorSpec(d, build(d)) if isinstance(d, str) else DetectorSpec(type(d).__name__, d) for d in detectors
    )
    return Cell(mode, ScenarioSpec(scenario.name, scenario, "<test>"), 3, specs, AlarmPolicy(**policy))


class Everyone(Detector):
    """Scores every account 1 the first time it is seen, in the registry or in the traffic."""

    def __init__(self) -> None:
        pass

    def update(self, batch):
        if not hasattr(self, "seen_"):
            self.seen_: set[str] = set()
        ids = [*batch.accounts["account_id"], *pd.unique(batch.requests["account_id"])]
        new = [a for a in dict.fromkeys(ids) if a not in self.seen_]
        self.seen_.update(new)
        return scores_series(new, np.ones(len(new))) if new else None


def active_accounts(scenario: Scenario, seed: int) -> tuple[int, int]:
    """(active accounts, active attackers), counted straight from the world."""
    world = World(scenario, seed)
    sent: set[int] = set()
    for traffic in world.ticks():
        sent.update(traffic.account_codes.tolist())
    codes = np.array(sorted(sent))
    return codes.size, int(world.registry.truth.column("is_attacker")[codes].sum())


def test_the_ledger_matches_totals_over_the_whole_request_log(small: Scenario) -> None:
    world = World(small, 5)
    ledger = TrafficLedger()
    frames = []
    for traffic in world.ticks():
        ledger.add(traffic)
        frame = traffic.batch.requests[["ts", "status", "output_tokens"]].copy()
        frame["code"] = traffic.account_codes
        frames.append(frame)
    log = pd.concat(frames)
    expected = log.groupby("code").agg(
        requests=("ts", "size"),
        served=("status", lambda s: int((s == 200).sum())),
        output=("output_tokens", "sum"),
        first_ts=("ts", "min"),
    )
    t = ledger.totals
    codes = expected.index.to_numpy()
    assert (t.requests[codes] == expected["requests"]).all()
    assert (t.served[codes] == expected["served"]).all()
    assert (t.output[codes] == expected["output"]).all()
    assert np.array_equal(t.first_ts[codes], expected["first_ts"].to_numpy())
    assert t.requests.sum() == len(log)


def test_the_score_log_alarms_once_and_contains_after_the_review_delay() -> None:
    ledger = TrafficLedger()
    ledger.totals.ensure(3)
    log = ScoreLog(threshold=0.5, containment_lag=2)
    codes = np.array([0, 1, 2])
    ledger.totals.served[:3] = [5, 6, 7]
    ledger.totals.output[:3] = [50, 60, 70]
    assert log.update(0, 60.0, codes, np.array([0.2, 0.7, 0.5]), ledger).tolist() == [1, 2]
    ledger.totals.served[:3] = [9, 9, 9]
    ledger.totals.output[:3] = [90, 90, 90]
    assert log.update(1, 120.0, codes, np.array([0.9, 0.8, 0.1]), ledger).tolist() == [0]
    assert log.contain(0, ledger).size == 0 and log.contain(1, ledger).size == 0
    assert log.contain(2, ledger).tolist() == [1, 2]
    a = log.accounts
    assert a.alarm_ts[:3].tolist() == [120.0, 60.0, 60.0]
    assert a.served_before_alarm[:3].tolist() == [9, 6, 7]
    assert a.output_before_containment[1:3].tolist() == [90, 90]
    assert a.peak[:3].tolist() == [0.9, 0.8, 0.5]
    trajectory = log.trajectory(np.array(["a", "b", "c"], dtype=object)).to_pandas()
    assert trajectory["score"].tolist() == [0.2, 0.7, 0.5, 0.9, 0.8, 0.1]


def test_spilled_score_changes_match_the_kept_trajectory_across_row_groups(monkeypatch) -> None:
    from simulator.bench import spill

    monkeypatch.setattr(spill, "SPILL_TICKS", 2)  # a row group every two ticks: one group spans ticks
    ids = np.array(["c", "a", "b", "d"], dtype=object)
    kept = ScoreLog(threshold=0.5, containment_lag=0)
    store = spill.ScoreSpill(lambda codes: ids[codes])
    spilled = ScoreLog(threshold=0.5, containment_lag=0, record=False, sink=store.sink("x"))
    ledger = TrafficLedger()
    ledger.totals.ensure(4)
    rng = np.random.default_rng(0)
    for tick in range(5):
        codes = rng.permutation(4)[: 1 + tick % 4]
        scores = rng.random(codes.size)
        for log in (kept, spilled):
            log.update(tick, 60.0 * (tick + 1), codes, scores, ledger)
    store.finish()
    assert store.table("x").equals(kept.trajectory(ids))
    assert [part.num_rows for part in store.batches("x")] == [3, 7, 1]
    store.close()


def test_spill_folders_of_ended_processes_are_swept_and_live_ones_kept(tmp_path, monkeypatch) -> None:
    from simulator.bench import spill

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = tmp_path / f"{spill.SPILL_PREFIX}{ended.pid}-abc"
    alive = tmp_path / f"{spill.SPILL_PREFIX}{os.getpid()}-def"
    unrelated = tmp_path / f"{spill.SPILL_PREFIX}notapid-ghi"
    for folder in (dead, alive, unrelated):
        folder.mkdir()
        (folder / "0.parquet").write_bytes(b"PAR1")
    assert spill.remove_stale_spills() == [dead]
    assert not dead.exists() and (alive / "0.parquet").exists() and unrelated.exists()
    store = spill.ScoreSpill(lambda codes: codes)  # this process's own spill, in use
    store.sink("x")
    assert spill.remove_stale_spills() == []
    store.close()


def test_a_review_delay_rounds_up_to_whole_ticks() -> None:
    assert AlarmPolicy().containment_lag(60.0) == 0
    assert AlarmPolicy(review_delay="60s").containment_lag(60.0) == 1
    assert AlarmPolicy(review_delay="61s").containment_lag(60.0) == 2


def test_the_null_detector_has_recall_zero_and_no_alarm(small: Scenario) -> None:
    result = run_cell(cell(small, "null"))
    outcomes = result.detectors[0].outcomes.to_pandas()
    values = evaluate(outcomes, result.campaigns.to_pandas(), RunFrame(result.facts.duration, "passive"))
    assert values["recall"] == 0 and values["alarms_per_day"] == 0 and values["leakage_share"] == 1
    assert outcomes["alarm_ts"].isna().all() and result.detectors[0].scores.num_rows == 0


def test_alarming_on_everyone_at_once_gives_recall_one_and_precision_the_attacker_share(small: Scenario) -> None:
    result = run_cell(cell(small, Everyone()))
    values = evaluate(
        result.detectors[0].outcomes.to_pandas(),
        result.campaigns.to_pandas(),
        RunFrame(result.facts.duration, "passive"),
    )
    active, attackers = active_accounts(small, 3)
    assert values["recall"] == 1.0
    assert values["precision"] == pytest.approx(attackers / active)
    assert values["fpr"] == 1.0 and values["detection_rate"] == 1.0


class Returns(Detector):
    """Returns ``what(batch)`` on the first tick with requests."""

    def __init__(self, what=None) -> None:
        self.what = what

    def update(self, batch):
        if len(batch) and not hasattr(self, "done_"):
            self.done_ = True
            return self.what(batch)
        return None


def _first(batch) -> str:
    return batch.requests["account_id"].iloc[0]


MISBEHAVIOURS = {
    "raises": (Fails(), "tick 3: update raised RuntimeError: boom"),
    "dict": (Returns(lambda b: {"a": 1.0}), "update returned a dict, expected a pandas Series or None"),
    "nan": (Returns(lambda b: pd.Series([math.nan], index=[_first(b)])), "non-finite score nan for account"),
    "big": (Returns(lambda b: pd.Series([1.5], index=[_first(b)])), "score 1.5 outside [0, 1] for account"),
    "ints": (
        Returns(lambda b: pd.Series([0.5], index=[7])),
        "indexed by int64 values (7), expected account_id strings",
    ),
    "stranger": (Returns(lambda b: pd.Series([0.5], index=["acct_nobody"])), "accounts not in the registry"),
    "twice": (Returns(lambda b: pd.Series([0.1, 0.2], index=[_first(b)] * 2)), "scores repeat account ids"),
    # the checks keep their order whether or not the ids are known
    "stranger twice": (
        Returns(lambda b: pd.Series([0.1, 0.2], index=["acct_nobody"] * 2)),
        "scores repeat account ids",
    ),
    "stranger nan": (
        Returns(lambda b: pd.Series([0.5, math.nan], index=[_first(b), "acct_nobody"])),
        "non-finite score nan for account 'acct_nobody'",
    ),
}


def test_a_misbehaving_detector_fails_alone_with_its_reason(small: Scenario) -> None:
    specs = tuple(DetectorSpec(label, detector) for label, (detector, _) in MISBEHAVIOURS.items())
    mixed = Cell("passive", cell(small).scenario, 3, (*specs, DetectorSpec("random", build("random"))), AlarmPolicy())
    *failed, survivor = run_cell(mixed).detectors
    for result in failed:
        assert result.outcomes is None and result.cost is None
        assert MISBEHAVIOURS[result.label][1] in f"tick {result.failure.tick}: {result.failure.reason}"
    assert survivor.failure is None and survivor.outcomes.num_rows > 0
    assert survivor.outcomes.equals(run_cell(cell(small, "random")).detectors[0].outcomes)


def test_detectors_see_the_same_traffic_in_passive_mode(small: Scenario) -> None:
    together = run_cell(cell(small, "random", "periodic"))
    alone = run_cell(cell(small, "periodic"))
    assert together.detectors[1].outcomes.equals(alone.detectors[0].outcomes)
    assert together.campaigns.equals(alone.campaigns) and together.facts == alone.facts


def test_a_ban_in_the_closed_loop_refuses_the_account_and_the_hydra_replaces_it(small: Scenario) -> None:
    reference = run_cell(cell(small))
    result = run_cell(cell(small, Everyone(), mode="active"))
    outcomes = result.detectors[0].outcomes.to_pandas()
    campaigns = result.campaigns.to_pandas()
    assert campaigns["replacements"].iloc[0] > 0
    assert (
        campaigns["accounts"].iloc[0]
        == reference.campaigns.to_pandas()["accounts"].iloc[0] + campaigns["replacements"].iloc[0]
    )
    # every account was banned at its first tick: whatever it sent later was refused
    assert (outcomes["forbidden"] > 0).any()
    assert (outcomes["served"] <= outcomes["requests"]).all()
    assert campaigns["output_tokens"].iloc[0] < reference.campaigns.to_pandas()["output_tokens"].iloc[0]


def test_a_throttle_slows_the_campaign_without_bans_or_replacements(small: Scenario) -> None:
    reference = run_cell(cell(small)).campaigns.to_pandas()
    result = run_cell(cell(small, Everyone(), mode="active", action="throttle", throttle_factor=0.001))
    outcomes = result.detectors[0].outcomes.to_pandas()
    campaigns = result.campaigns.to_pandas()
    assert campaigns["replacements"].iloc[0] == 0 and outcomes["forbidden"].sum() == 0
    assert campaigns["output_tokens"].iloc[0] < 0.5 * reference["output_tokens"].iloc[0]


def test_the_challenge_action_needs_a_gateway_that_can_challenge() -> None:
    policy = AlarmPolicy(action="challenge")

    class Challenging:
        def __init__(self) -> None:
            self.challenged: list[int] = []

        def challenge(self, accounts):
            self.challenged.extend(accounts.tolist())

    gateway = Challenging()
    policy.enforce(gateway, np.array([4, 5]))
    assert gateway.challenged == [4, 5]


def test_a_cell_is_a_pure_function_of_its_configuration(small: Scenario) -> None:
    first, second = run_cell(cell(small, "random")), run_cell(cell(small, "random"))
    assert first.detectors[0].outcomes.equals(second.detectors[0].outcomes)
    assert first.detectors[0].scores.table().equals(second.detectors[0].scores.table())
    other_seed = Cell("passive", cell(small).scenario, 4, cell(small, "random").detectors, AlarmPolicy())
    assert other_seed.key != cell(small, "random").key
