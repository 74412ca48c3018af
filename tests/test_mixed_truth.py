"""Mixed-traffic accounts in the harness: account-level truth by extraction share, and the
request-level figures of closed-loop cells read from the gateway's statuses."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import tiny_scenario
from typer.testing import CliRunner

from detectors.base import Detector, scores_series
from simulator import bench
from simulator.bench.plan import plan_run
from simulator.bench.runner import run_cell
from simulator.bench.splits import RequestSplits
from simulator.cli import app
from simulator.metrics import EXTRACTION_SHARE_THRESHOLD, REQUEST_METRICS, extraction_truth, share_labelled
from simulator.metrics.requests import request_outcome


def counts(extraction: list[int], legit: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"extraction_requests": extraction, "legit_requests": legit})


def test_the_default_extraction_share_is_one_half() -> None:
    assert EXTRACTION_SHARE_THRESHOLD == 0.5


def test_an_account_is_an_attacker_from_the_threshold_on_not_just_under_it() -> None:
    # shares 0.5 (at), 0.49 (just under), 0.51 (just over), 1 and 0
    table = counts([50, 49, 51, 10, 0], [50, 51, 49, 0, 7])
    assert extraction_truth(table).tolist() == [True, False, True, True, False]
    # at 0.6: 60/100 is in, 59/100 and 2999/5000 are out, 61/100 is in
    table = counts([60, 59, 61, 2999], [40, 41, 39, 2001])
    assert extraction_truth(table, 0.6).tolist() == [True, False, True, False]
    assert extraction_truth(counts([1], [0]), 1.0).tolist() == [True]
    assert extraction_truth(counts([99], [1]), 1.0).tolist() == [False]


def test_an_account_without_counted_requests_keeps_its_ownership() -> None:
    table = counts([0, 0, 3], [0, 0, 1])
    assert extraction_truth(table, owned=np.array([True, False, False])).tolist() == [True, False, True]
    with pytest.raises(ValueError, match="'threshold' parameter must be a number in the range"):
        extraction_truth(table, 0.0)


def test_a_pool_account_carrying_mostly_resold_traffic_is_labelled_a_customer() -> None:
    outcomes = pd.DataFrame(
        {
            "account_id": ["pool-a", "pool-b", "shop", "pool-silent"],
            "is_attacker": [True, True, False, True],
            "campaign": ["h", "h", None, "h"],
        }
    )
    splits = pd.DataFrame(
        {"account_id": ["pool-a", "pool-b", "shop"], "extraction_requests": [3, 7, 0], "legit_requests": [7, 3, 40]}
    )
    labelled = share_labelled(outcomes, splits).set_index("account_id")
    assert labelled["is_attacker"].to_dict() == {"pool-a": False, "pool-b": True, "shop": False, "pool-silent": True}
    assert labelled["campaign"].isna().tolist() == [True, False, True, False]
    assert share_labelled(outcomes, splits, 0.3).set_index("account_id").loc["pool-a", "is_attacker"]
    assert outcomes["is_attacker"].tolist() == [True, True, False, True]  # the input is left as it was


class Everyone(Detector):
    """Scores every account 1 the first time it sends a request."""

    def __init__(self) -> None:
        pass

    def update(self, batch):
        if not hasattr(self, "seen_"):
            self.seen_: set[str] = set()
        new = [a for a in pd.unique(batch.requests["account_id"]) if a not in self.seen_]
        self.seen_.update(new)
        return scores_series(new, np.ones(len(new))) if new else None


def mixed_world() -> object:
    """Half of each pool account's conversations are resold customers': some accounts end
    above one half of extraction, some below."""
    campaign = {
        "kind": "hydra",
        "name": "h",
        "accounts": 8,
        "start": "30m",
        "load": {"requests_per_account": "120/h"},
        "resale": {"kind": "customers", "share": 0.5, "profile": "chat"},
    }
    return tiny_scenario(
        name="mixed", duration="2h", tick="10m", population=[{"kind": "chat", "accounts": 20}], campaigns=[campaign]
    )


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mixed") / "run"
    bench.run(
        [mixed_world()], detectors=[("everyone", Everyone()), "null"], seeds=1, jobs=1, warmup=0.0, mode="both", out=out
    )
    return out


def cell_tables(out: Path, mode: str, detector: str) -> pd.DataFrame:
    """One detector's splits joined to its outcomes (ownership labels) in the cell of ``mode``."""
    name = "mixed-passive-" if mode == "passive" else f"mixed-active-{detector}-"
    cell = next(c for c in (out / "cells").iterdir() if c.name.startswith(name))
    splits = pd.read_parquet(cell / "requests.parquet")
    outcomes = pd.read_parquet(cell / "outcomes.parquet")
    both = outcomes.merge(splits, on=["detector", "account_id"])
    return both[both["detector"] == detector].reset_index(drop=True)


def figures(out: Path, mode: str, detector: str) -> pd.Series:
    metrics = pd.read_csv(out / "metrics.csv", keep_default_na=False, na_values=["nan"])  # a detector named null
    rows = metrics[(metrics["mode"] == mode) & (metrics["detector"] == detector)]
    return rows.set_index("metric")["value"]


def test_the_harness_labels_accounts_by_their_extraction_share(mixed_run: Path) -> None:
    both = cell_tables(mixed_run, "passive", "everyone")
    active = both[both["requests"] > 0]
    share = active["extraction_requests"] / (active["extraction_requests"] + active["legit_requests"])
    owned = active["is_attacker"].to_numpy(dtype=bool)
    truth = owned & (share >= 0.5).to_numpy()
    # the world is made so that some pool accounts carry mostly resold traffic, others mostly their own
    assert 0 < truth.sum() < owned.sum()
    got = figures(mixed_run, "passive", "everyone")
    # everyone is alarmed: precision is the attackers' share of the active accounts, and every
    # account the truth calls a customer (customers and mostly-resold pool accounts) is flagged
    assert got["recall"] == 1
    assert got["precision"] == pytest.approx(truth.sum() / len(active))
    assert got["legit_flagged"] == (~truth).sum()
    assert got["legit_flagged"] > (~owned).sum()
    # the leakage keeps the campaign's accounts: the null detector leaves the campaign all it got
    assert figures(mixed_run, "passive", "null")["leakage_share"] == 1


def read_again(out: Path, **operating: float) -> None:
    """The mixed world's plan run again into ``out`` (its cells reused), read at ``operating``."""
    bench.run(
        [mixed_world()],
        detectors=[("everyone", Everyone()), "null"],
        seeds=1,
        jobs=1,
        warmup=0.0,
        mode="both",
        out=out,
        **operating,
    )


def test_the_threshold_is_a_setting_recorded_in_run_json_and_the_figures_follow_it(mixed_run: Path) -> None:
    config = json.loads((mixed_run / "run.json").read_text(encoding="utf-8"))
    assert config["plan"]["operating"]["extraction_share"] == 0.5
    before = (mixed_run / "metrics.csv").read_bytes()
    # the same plan read at another share: the stored cells are reused, the figures recomputed
    read_again(mixed_run, extraction_share=0.01)
    config = json.loads((mixed_run / "run.json").read_text(encoding="utf-8"))
    assert config["plan"]["operating"]["extraction_share"] == 0.01
    both = cell_tables(mixed_run, "passive", "everyone")
    active = both[both["requests"] > 0]
    assert figures(mixed_run, "passive", "everyone")["precision"] == pytest.approx(
        (active["is_attacker"] & (active["extraction_requests"] > 0)).sum() / len(active)
    )
    # back at the default share, every byte is as before: the figures are read from the folder
    read_again(mixed_run)
    assert (mixed_run / "metrics.csv").read_bytes() == before


def test_an_active_cell_reads_stopped_and_blocked_requests_from_the_gateways_statuses(mixed_run: Path) -> None:
    both = cell_tables(mixed_run, "active", "everyone")
    assert len(both) > 0
    sides = ["extraction", "legit"]
    counted = sum(both[f"{side}_requests"] for side in sides)
    refused = sum(both[f"{side}_requests_contained"] for side in sides)
    # per account: what was counted is what was served or refused (rate-limited requests count nowhere),
    # the contained part is exactly the refusals, and the served tokens are those the ledger saw
    assert (counted == both["served"] + both["forbidden"]).all()
    assert (refused == both["forbidden"]).all()
    served_tokens = sum(both[f"{side}_tokens"] - both[f"{side}_tokens_contained"] for side in sides)
    assert (served_tokens == both["output_tokens"]).all()
    for side in [*sides, "resold"]:
        assert (both[f"{side}_requests_contained"] <= both[f"{side}_requests"]).all()
    # the detector bans every customer, who keep sending: refused legitimate requests
    assert both["legit_requests_contained"].sum() > 0
    got = figures(mixed_run, "active", "everyone")
    outcome = request_outcome(both)
    assert set(REQUEST_METRICS) <= set(got.index)
    assert got["legit_requests_blocked"] == both["legit_requests_contained"].sum() == outcome.legit_requests_blocked
    assert got["extraction_requests_stopped_share"] == pytest.approx(outcome.extraction_requests_stopped_share)
    # stopped + served extraction requests = those the campaign sent that were not rate-limited
    served_extraction = outcome.extraction_requests - outcome.extraction_requests_stopped
    assert served_extraction + outcome.extraction_requests_stopped == both["extraction_requests"].sum()
    null = figures(mixed_run, "active", "null")
    assert null["extraction_requests_stopped_share"] == 0 and null["legit_requests_blocked"] == 0
    assert math.isclose(null["leakage_share"], 1.0)


def test_an_active_cell_with_resale_is_deterministic() -> None:
    plan = plan_run([mixed_world()], detectors=[("everyone", Everyone())], seeds=[3], mode="active", warmup=0.0)
    cell = next(c for c in plan.cells if c.mode == "active")
    first, second = run_cell(cell), run_cell(cell)
    assert first.detectors[0].requests is not None and first.detectors[0].requests.num_rows > 0
    assert first.detectors[0].requests.equals(second.detectors[0].requests)
    assert first.detectors[0].outcomes.equals(second.detectors[0].outcomes)


def test_check_leaves_out_a_resale_scenario_whose_accounts_were_labelled_at_another_share(
    mixed_run: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    path = tmp_path / "baseline.json"
    assert runner.invoke(app, ["baseline", str(mixed_run), "-o", str(path)]).exit_code == 0
    assert runner.invoke(app, ["check", str(mixed_run), "--baseline", str(path)]).exit_code == 0
    payload = json.loads(path.read_text())
    payload["plan"]["operating"]["extraction_share"] = 0.8
    row = next(f for f in payload["figures"] if f["detector"] == "everyone" and f["metric"] == "precision")
    row["value"], row["low"], row["high"] = 1.0, 0.99, 1.0  # better than now: a regression if compared
    path.write_text(json.dumps(payload))
    result = runner.invoke(app, ["check", str(mixed_run), "--baseline", str(path)])
    assert "scenario mixed: accounts labelled at another extraction share (0.8 → 0.5): not compared" in result.output
    assert result.exit_code == 2 and "nothing to compare" in result.output


def test_active_splits_by_hand_count_refusals_with_the_tokens_they_would_have_been_served() -> None:
    """Account 0 is a pool account (harvest and resold requests), 1 a customer; the gateway
    serves, refuses (403) or rate-limits (429) each request."""
    ok, refused, limited = 200, 403, 429
    tick = SimpleNamespace(
        account_codes=np.array([0, 0, 0, 0, 1, 1]),
        template_id=np.array([5, 5, -2, 5, -1, -1]),
        requested_output=np.array([100, 200, 30, 999, 40, 50]),
        batch=SimpleNamespace(
            table=pa.table(
                {
                    "status": pa.array([ok, refused, refused, limited, ok, refused], pa.int16()),
                    "output_tokens": pa.array([100, 0, 0, 0, 40, 0], pa.int32()),
                }
            )
        ),
    )
    splits = RequestSplits(["d"], "active")
    splits.add(tick, np.array([True, False]), {"d": lambda codes: np.zeros(codes.size, dtype=bool)})
    table = splits.table("d", np.array([0, 1]), np.array(["pool", "shop"])).to_pandas().set_index("account_id")
    pool, shop = table.loc["pool"], table.loc["shop"]
    # the 429 counts nowhere; the refused harvest request is stopped with the 200 tokens it would have had
    assert (pool["extraction_requests"], pool["extraction_requests_contained"]) == (2, 1)
    assert (pool["extraction_tokens"], pool["extraction_tokens_contained"]) == (300, 200)
    assert (pool["resold_requests"], pool["resold_requests_contained"], pool["resold_tokens_contained"]) == (1, 1, 30)
    assert (shop["legit_requests"], shop["legit_requests_contained"], shop["legit_tokens_contained"]) == (2, 1, 50)
    outcome = request_outcome(table.reset_index())
    assert outcome.extraction_requests_stopped_share == 0.5
    assert outcome.legit_requests_blocked == 2 and outcome.legit_tokens_blocked_share == pytest.approx(80 / 120)
