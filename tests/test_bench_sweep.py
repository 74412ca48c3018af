"""Sweeps: a suite's scenarios over a grid of parameter values, located errors, executors, resume."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS

from simulator import bench
from simulator.bench.plan import BenchInputError, plan_run
from simulator.bench.suite import load_suite
from simulator.bench.sweep import SweepRange, expand_sweep, point_label
from simulator.results import RunResults
from simulator.scenario import Scenario, ScenarioError, load_scenario
from simulator.scenario.paths import PathError, check_path, parse_path, with_values

TINY_SUITE = """\
version: 1
name: tiny-sweep
seeds: 1
detectors: ["null", periodic]
scenarios:
  - path: {scenario}
    scale: 0.1
    duration: 1h
    tick: 5m
    warmup: 30m
sweep:
  campaigns[0].accounts: [3, 6]
  campaigns[0].load.requests_per_account: {{from: 200/day, to: 800/day, steps: 2, log: true}}
"""


RUN_SUITE = TINY_SUITE.replace("from: 200/day, to: 800/day, steps: 2", "from: 400/day, to: 400/day, steps: 2")
"""Two points (the range collapses to one value): two cells."""


def write_suite(folder: Path, text: str = TINY_SUITE) -> Path:
    path = folder / "suite.yaml"
    path.write_text(text.format(scenario=SCENARIOS / "quickstart.yaml"), encoding="utf-8")
    return path


def test_paths_parse_into_fields_and_indices() -> None:
    assert parse_path("campaigns[0].load.timing") == ("campaigns", 0, "load", "timing")
    with pytest.raises(PathError, match="a dotted path"):
        parse_path("[0].accounts")


def test_a_path_through_a_union_finds_the_field_in_its_members() -> None:
    assert check_path("campaigns[0].infrastructure.rotation", Scenario)
    with pytest.raises(PathError, match="did you mean 'accounts'"):
        check_path("campaigns[0].acounts", Scenario)


def test_ranges_are_inclusive_and_whole_when_their_ends_are() -> None:
    assert SweepRange.model_validate({"from": 10, "to": 100, "steps": 4}).values() == [10, 40, 70, 100]
    assert SweepRange.model_validate({"from": 10, "to": 1000, "steps": 3, "log": True}).values() == [10, 100, 1000]
    rates = SweepRange.model_validate({"from": "86.4/day", "to": "864/day", "steps": 2, "log": True}).values()
    assert rates == pytest.approx([0.001, 0.01])


def test_the_grid_is_the_product_of_the_paths_the_last_varying_fastest() -> None:
    points = expand_sweep({"a": [1, 2], "b": ["x", "y"]})
    assert points == [(("a", 1), ("b", "x")), (("a", 1), ("b", "y")), (("a", 2), ("b", "x")), (("a", 2), ("b", "y"))]
    assert expand_sweep(None) == [()]
    assert point_label("q", (("a", 1), ("b", {"kind": "x"}))) == 'q@a=1,b={"kind":"x"}'


def test_swept_values_replace_the_scenarios_own() -> None:
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    swept = with_values(scenario, {"campaigns[0].accounts": 7, "campaigns[0].load.timing": {"kind": "independent"}})
    assert swept.campaigns[0].accounts == 7 and swept.campaigns[0].load.timing.kind == "independent"
    assert scenario.campaigns[0].accounts == 40


def test_an_unknown_path_is_located_at_its_sweep_key(tmp_path: Path) -> None:
    path = write_suite(tmp_path, TINY_SUITE.replace("campaigns[0].accounts:", "campaigns[0].acounts:"))
    with pytest.raises(ScenarioError) as caught:
        load_suite(path)
    text = str(caught.value)
    assert f"{path}:12:" in text and "sweep.campaigns[0].acounts" in text and "did you mean 'accounts'" in text


def test_a_value_of_the_wrong_type_is_located_at_its_sweep_key(tmp_path: Path) -> None:
    path = write_suite(tmp_path, TINY_SUITE.replace("[3, 6]", "[3, many]"))
    with pytest.raises(ScenarioError, match=r":12:.*sweep.campaigns\[0\].accounts: expected values that fit.*'many'"):
        load_suite(path)


def test_a_path_the_scenario_lacks_is_located_when_the_plan_is_made(tmp_path: Path) -> None:
    path = write_suite(tmp_path, TINY_SUITE + "  campaigns[2].accounts: [4]\n")
    with pytest.raises(BenchInputError, match=r":14:3: sweep.campaigns\[2\].accounts: expected an index below 1"):
        plan_run(suite=path)


def test_a_value_the_scenario_rejects_as_a_whole_is_located(tmp_path: Path) -> None:
    path = write_suite(tmp_path, TINY_SUITE + "  campaigns[0].model: [no-such-model]\n")
    with pytest.raises(BenchInputError, match=r":14:3: sweep.campaigns\[0\].model: expected a value quickstart"):
        plan_run(suite=path)


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> RunResults:
    folder = tmp_path_factory.mktemp("sweep")
    return bench.run(suite=write_suite(folder, RUN_SUITE), jobs=1, out=folder / "serial")


def test_every_point_runs_and_the_results_carry_its_values(serial: RunResults) -> None:
    table = pd.read_csv(serial.out / "sweep.csv", keep_default_na=False, na_values=["", "nan"])
    assert list(table.columns) == ["scenario", "campaigns[0].accounts", "campaigns[0].load.requests_per_account"]
    assert len(table) == 2 and sorted(set(table["campaigns[0].accounts"])) == [3, 6]
    metrics = pd.read_csv(serial.out / "sweep_metrics.csv", keep_default_na=False, na_values=["", "nan"])
    assert set(metrics["scenario"]) == set(table["scenario"]) == set(serial.metrics["scenario"])
    facts = serial.config["plan"]["scenarios"]
    assert {tuple(s["sweep"].items()) for s in facts} == {
        (("campaigns[0].accounts", a), ("campaigns[0].load.requests_per_account", r))
        for a in (3, 6)
        for r in (table["campaigns[0].load.requests_per_account"].unique())
    }


def test_a_sweep_gives_identical_bytes_on_a_process_pool_and_after_a_resume(serial: RunResults, tmp_path: Path) -> None:
    pooled = bench.run(suite=write_suite(tmp_path, RUN_SUITE), jobs=2, out=tmp_path / "pool")
    for name in ("metrics.csv", "sweep.csv", "sweep_metrics.csv", "summary.json"):
        assert (pooled.out / name).read_bytes() == (serial.out / name).read_bytes(), name
    resumed = tmp_path / "resumed"
    shutil.copytree(serial.out, resumed)
    (resumed / "sweep_metrics.csv").unlink()
    victim = sorted((resumed / "cells").iterdir())[0]
    (victim / "cell.json").unlink()
    again = bench.run(suite=write_suite(tmp_path, RUN_SUITE), jobs=1, out=resumed)
    assert again.config["cells_reused"] == 1
    assert (resumed / "sweep_metrics.csv").read_bytes() == (serial.out / "sweep_metrics.csv").read_bytes()
