"""Resold customers' traffic through a campaign's accounts: the tactic's share, per-request
truth, and the request-level figures by hand and through the harness."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import tiny_scenario
from traffic_helpers import campaign_scenario

from detectors.base import Detector, scores_series
from simulator import bench
from simulator.bench.deployment import request_values
from simulator.bench.splits import RequestSplits, has_resale
from simulator.metrics import REQUEST_METRICS
from simulator.metrics.requests import REQUEST_SPLIT_SCHEMA
from simulator.scenario.loading import load_scenario
from simulator.scenario.population.interactive import ChatUsers
from simulator.simulation_folder import simulate_to_folder
from simulator.traffic import RESOLD_TEMPLATE, STATUS_OK, STATUS_RATE_LIMITED
from simulator.world import World

RESALE = {"kind": "customers", "share": 0.4, "profile": "chat"}


def campaign_rows(resale: dict | None) -> pd.DataFrame:
    """The campaign's served and refused rows of a 3-hour world (template id and lengths)."""
    campaign = {"accounts": 12, "load": {"requests_per_account": "600/h"}}
    if resale is not None:
        campaign["resale"] = resale
    world = World(campaign_scenario(campaign, duration="3h", tick="10m"), seed=1)
    frames = []
    for traffic in world.ticks():
        mine = world.registry.truth.column("is_attacker")[traffic.account_codes]
        table = traffic.batch.table
        frames.append(
            pd.DataFrame(
                {
                    "template_id": traffic.template_id[mine],
                    "output_tokens": table.column("output_tokens").to_numpy()[mine],
                    "max_tokens": table.column("max_tokens").to_numpy()[mine],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_a_share_of_each_accounts_requests_are_resold_customers_drawn_like_the_profile() -> None:
    rows = campaign_rows(RESALE)
    resold = rows["template_id"] == RESOLD_TEMPLATE
    assert len(rows) > 2000
    assert resold.mean() == pytest.approx(0.4, abs=0.04)
    # the chat profile's max_tokens values, not the campaign's
    chat_max = set(ChatUsers.model_fields["session"].get_default(call_default_factory=True).max_tokens)
    assert set(rows.loc[resold, "max_tokens"]) <= chat_max
    assert (rows.loc[~resold, "template_id"] >= 0).all()  # the rest is the harvest (no camouflage here)
    # by default no account carries anyone else's traffic
    assert not (campaign_rows(None)["template_id"] == RESOLD_TEMPLATE).any()


def test_the_resale_spec_is_checked() -> None:
    with pytest.raises(ValueError, match="share"):
        campaign_scenario({"resale": {"kind": "customers", "share": 1.0}})
    with pytest.raises(ValueError, match="profile"):
        campaign_scenario({"resale": {"kind": "customers", "share": 0.2, "profile": "batch"}})
    assert not has_resale(campaign_scenario({}))
    assert has_resale(campaign_scenario({"resale": RESALE}))


def test_resold_requests_are_labelled_benign_per_request_on_an_attacker_account(tmp_path: Path) -> None:
    scenario = campaign_scenario({"accounts": 6, "resale": RESALE}, duration="90m", tick="10m")
    simulate_to_folder(scenario, tmp_path, seed=2)
    requests = pd.read_parquet(tmp_path / "requests.parquet", columns=["request_id", "account_id"])
    truth = pd.read_parquet(tmp_path / "request_labels.parquet").merge(requests, on="request_id")
    labels = pd.read_parquet(tmp_path / "labels.parquet")[["account_id", "is_attacker"]]
    truth = truth.merge(labels, on="account_id")
    resold = truth["template_id"] == RESOLD_TEMPLATE
    assert resold.sum() > 20
    assert truth.loc[resold, "is_attacker"].all() and not truth.loc[resold, "is_extraction"].any()
    assert truth.loc[truth["is_attacker"] & ~resold, "is_extraction"].all()
    assert not truth.loc[~truth["is_attacker"], "is_extraction"].any()


def fake_tick(codes: list[int], templates: list[int], status: list[int], tokens: list[int]) -> SimpleNamespace:
    table = pa.table({"status": pa.array(status, pa.int16()), "output_tokens": pa.array(tokens, pa.int32())})
    return SimpleNamespace(
        account_codes=np.array(codes), template_id=np.array(templates), batch=SimpleNamespace(table=table)
    )


def test_request_splits_by_hand() -> None:
    """Account 0 is an attacker's (harvest, filler and resold requests), 1 a customer's; the
    detector contains account 0 after the first tick and account 1 never."""
    attacker = np.array([True, False])
    splits = RequestSplits(["d"])
    contained = {"d": lambda codes: np.zeros(codes.size, dtype=bool)}
    ok, limited = STATUS_OK, STATUS_RATE_LIMITED
    splits.add(fake_tick([0, 0, 0, 1], [5, -2, -1, -1], [ok, ok, ok, ok], [100, 10, 20, 30]), attacker, contained)
    contained = {"d": lambda codes: codes == 0}
    splits.add(
        fake_tick([0, 0, 0, 1, 0], [5, -2, -2, 7, 5], [ok, ok, ok, ok, limited], [200, 40, 50, 60, 999]),
        attacker,
        contained,
    )
    table = splits.table("d", np.array([1, 0]), np.array(["shop", "pool"])).to_pandas().set_index("account_id")
    assert table.columns.tolist() == REQUEST_SPLIT_SCHEMA.names[1:]
    pool = table.loc["pool"]
    assert (pool["extraction_requests"], pool["extraction_requests_contained"]) == (3, 1)  # the 429 counts nowhere
    assert (pool["extraction_tokens"], pool["extraction_tokens_contained"]) == (320, 200)
    assert (pool["legit_requests"], pool["legit_requests_contained"], pool["legit_tokens"]) == (3, 2, 100)
    assert (pool["resold_requests"], pool["resold_requests_contained"], pool["resold_tokens_contained"]) == (3, 2, 90)
    shop = table.loc["shop"]
    assert (shop["legit_requests"], shop["legit_tokens"], shop["resold_requests"], shop["extraction_requests"]) == (
        2,
        90,
        0,
        0,
    )
    values = request_values(table.reset_index())
    assert list(values) == list(REQUEST_METRICS)
    assert values["extraction_requests_stopped_share"] == pytest.approx(1 / 3)
    assert values["resold_requests_blocked_share"] == pytest.approx(2 / 3)
    assert values["legit_requests_blocked_share"] == pytest.approx(2 / 5)
    assert values["resold_tokens_blocked_share"] == pytest.approx(90 / 100)


class Everyone(Detector):
    """Scores every account 1 the first time it sends a request."""

    def __init__(self) -> None:
        pass

    def update(self, batch):
        ids = pd.unique(batch.requests["account_id"])
        if not hasattr(self, "seen_"):
            self.seen_: set[str] = set()
        new = [a for a in ids if a not in self.seen_]
        self.seen_.update(new)
        return scores_series(new, np.ones(len(new))) if new else None


def world(name: str, resale: dict | None) -> object:
    campaign = {"kind": "hydra", "name": "h", "accounts": 8, "start": "30m"}
    if resale is not None:
        campaign["resale"] = resale
    return tiny_scenario(
        name=name, duration="2h", tick="10m", population=[{"kind": "chat", "accounts": 20}], campaigns=[campaign]
    )


def test_the_harness_reports_request_level_figures_for_scenarios_with_resale_only(tmp_path: Path) -> None:
    results = bench.run(
        [world("resold", RESALE), world("plain", None)],
        detectors=[("everyone", Everyone()), "null"],
        seeds=1,
        jobs=1,
        warmup=0.0,
        out=tmp_path / "run",
    )
    m = results.metrics
    passive = m[m["mode"] == "passive"]
    assert not passive[passive["scenario"] == "plain"]["metric"].isin(REQUEST_METRICS).any()
    got = passive[passive["scenario"] == "resold"].set_index(["detector", "metric"])["value"]
    everyone = got["everyone"]
    # every account contained after the review delay (its warm-up sent before): part of the campaign's
    # requests stopped, and the resold customers' requests that came after it blocked
    assert everyone["recall"] == 1
    assert 0 < everyone["extraction_requests_stopped_share"] < 1
    assert 0 < everyone["resold_requests_blocked_share"] <= 1
    assert everyone["legit_requests_blocked"] > 0
    null = got["null"]
    assert null["extraction_requests_stopped_share"] == 0 and null["resold_requests_blocked_share"] == 0
    assert math.isnan(got["null", "precision"]) or got["null", "precision"] == 0
    # the splits add up to the ledger's served output tokens, before and after containment
    cell = next(c for c in (tmp_path / "run" / "cells").iterdir() if (c / "requests.parquet").is_file())
    splits = pd.read_parquet(cell / "requests.parquet")
    outcomes = pd.read_parquet(cell / "outcomes.parquet")
    outcomes = outcomes[outcomes["detector"].isin(["everyone", "null"])]  # the reference rows have no splits
    both = splits.merge(outcomes, on=["detector", "account_id"])
    assert len(both) == len(outcomes) == len(splits) > 0
    total = both["extraction_tokens"] + both["legit_tokens"]
    assert (total == both["output_tokens"]).all()
    before = total - both["extraction_tokens_contained"] - both["legit_tokens_contained"]
    assert (before == both["output_before_containment"]).all()
    attackers = both["is_attacker"].to_numpy(dtype=bool)
    assert (both.loc[~attackers, "resold_requests"] == 0).all() and both.loc[attackers, "resold_requests"].sum() > 0


def test_the_shipped_resale_scenario_is_hydra_cluster_with_its_pool_resold() -> None:
    """hydra-resale differs from the reference threat only by its campaign's resale (and
    names), so the two compare like for like; at a small size about 40% of its pool's
    requests are resold customers' chats."""
    scenarios = Path(__file__).resolve().parent.parent / "scenarios"
    reference = load_scenario(scenarios / "hydra-cluster.yaml").model_dump(exclude={"name", "description"})
    resold = load_scenario(scenarios / "hydra-resale.yaml")
    assert resold.campaigns[0].resale.model_dump() == RESALE
    dumped = resold.model_dump(exclude={"name", "description"})
    for side in (reference, dumped):
        side["campaigns"][0].pop("resale")
        side["campaigns"][0].pop("name")
    assert dumped == reference

    world = World(resold.resolved(scale=0.01, duration=12 * 3600.0), seed=3)
    resold_requests = attack_requests = 0
    for traffic in world.ticks():
        mine = world.registry.truth.column("is_attacker")[traffic.account_codes]
        attack_requests += int(mine.sum())
        resold_requests += int((traffic.template_id[mine] == RESOLD_TEMPLATE).sum())
    assert attack_requests > 500
    assert resold_requests / attack_requests == pytest.approx(0.4, abs=0.06)
