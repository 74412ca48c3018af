"""The red-team search: a campaign under a toy detector's known weakness, ready-to-run files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS

from detectors.base import Detector
from simulator.bench.plan import BenchInputError
from simulator.bench.redteam import red_team, write_red_team
from simulator.scenario import load_scenario, parse_scenario
from simulator.scenario.paths import with_values
from simulator.scenario.search import SearchParam
from simulator.traffic import RequestBatch


class TickCap(Detector):
    """A toy with a known weakness: flags an account that sends more than ``cap`` requests in one tick."""

    signal = "requests per tick"
    reference = "test toy"

    def __init__(self, cap: int = 2) -> None:
        self.cap = cap

    def update(self, batch: RequestBatch) -> pd.Series | None:
        counts = batch.requests["account_id"].value_counts()
        loud = counts[counts > self.cap]
        return pd.Series(1.0, index=loud.index.astype(str)) if len(loud) else None


def small():
    return load_scenario(SCENARIOS / "quickstart.yaml").resolved(scale=0.1, duration=7200.0, tick=300.0)


def test_the_search_finds_a_rate_under_a_fixed_threshold_and_writes_a_valid_campaign(tmp_path: Path) -> None:
    # accounts cost $10 each and the budget is $50: a banned account is not replaced for free
    scenario = with_values(small(), {"campaigns[0].budget.per_account": 10.0})
    space = [SearchParam(path="campaigns[0].load.requests_per_account", low="100/day", high="20k/day", log=True)]
    result = red_team(scenario, ("cap", TickCap(cap=2)), budget=50, trials=4, space=space, seed=1, jobs=1)
    done = result.history[result.history["state"] == "complete"]
    assert len(done) == 4 and result.best
    assert done["objective"].max() > result.baseline > 0
    best = result.best[0][1]
    # five-minute ticks: a rate under the cap is below 2 requests per 300 s per account
    assert float(best.campaigns[0].load.requests_per_account) * 300 < 2.5
    files = write_red_team(result, tmp_path, "cap", "leakage", {"command": "pytest"})
    reread = load_scenario(files[0])
    assert reread.campaigns[0].load.requests_per_account == best.campaigns[0].load.requests_per_account
    # imported here, not at the top: every trial's cell process imports this module to unpickle
    # TickCap, and the report's plotting libraries would cost each of them about a second
    from simulator.report.redteam import write_red_team_section

    section = write_red_team_section(
        result.history, {"campaigns[0].load.requests_per_account": "x"}, {}, result.baseline, "leakage", "cap", tmp_path
    )
    assert "| `campaigns[0].load.requests_per_account` |" in section.read_text(encoding="utf-8")
    assert pd.read_parquet(tmp_path / "history.parquet")["trial"].tolist() == [0, 1, 2, 3]


def test_the_same_seed_gives_the_same_trials() -> None:
    scenario = small()
    space = [SearchParam(path="campaigns[0].accounts", low=2, high=8)]
    first = red_team(scenario, "null", trials=3, space=space, seed=1, jobs=1)
    second = red_team(scenario, "null", trials=3, space=space, seed=1, jobs=1, batch=2)
    pd.testing.assert_frame_equal(first.history, second.history.sort_values("trial").reset_index(drop=True))


def test_a_scenario_declares_its_search_space_with_located_errors() -> None:
    text = (SCENARIOS / "quickstart.yaml").read_text(encoding="utf-8")
    good = parse_scenario(text + '\nsearch:\n  - {path: "campaigns[0].accounts", low: 10, high: 400, log: true}\n')
    assert good.search is not None and "search" not in good.model_dump()
    with pytest.raises(Exception, match=r"search\[0\]: expected either low and high or choices"):
        parse_scenario(text + '\nsearch:\n  - {path: "campaigns[0].accounts"}\n')


def test_a_scenario_without_a_campaign_is_refused() -> None:
    scenario = load_scenario(SCENARIOS / "legit-only.yaml")
    with pytest.raises(BenchInputError, match="a campaign to search"):
        red_team(scenario, "null", trials=1)
