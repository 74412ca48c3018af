"""simulate → export → replay gives the passive run's scores, bit for bit, in every format."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from simulator import bench
from simulator.bench.plan import detector_specs
from simulator.replay import ReplayInput, load_mapping, replay_logs
from simulator.scenario import load_scenario
from simulator.simulation_folder import simulate_to_folder

SEED = 3
LIGHT = ["templates", "capability", "lifecycle", "rate"]


@pytest.fixture(scope="module")
def passive(tmp_path_factory: pytest.TempPathFactory, quickstart_path: Path) -> tuple[object, Path, Path]:
    scenario = load_scenario(quickstart_path).resolved(seed=SEED, duration=3 * 3600, scale=0.02)
    folder = tmp_path_factory.mktemp("roundtrip")
    bench.run([scenario], seeds=[SEED], mode="passive", jobs=1, out=folder / "bench")
    return scenario, folder, folder / "bench"


def _replay(scenario: object, folder: Path, fmt: str, detectors: list[str] | None):
    sim = folder / f"sim-{fmt}"
    simulate_to_folder(scenario, sim, fmt=fmt)  # type: ignore[arg-type]
    spec = ReplayInput(
        logs=(sim / f"requests.{fmt}",),
        mapping=load_mapping(sim / "mapping.yaml"),
        detectors=detector_specs(detectors),
        tick=float(scenario.tick),  # type: ignore[attr-defined]
        labels_file=sim / "labels.parquet",
        accounts_file=sim / "accounts.parquet",
        until=float(scenario.duration),  # type: ignore[attr-defined]
        seed=SEED,
    )
    return replay_logs(spec)


def _assert_same(run, bench_out: Path) -> None:
    outcomes = pq.read_table(bench_out / "outcomes.parquet").to_pandas()
    scores = pq.read_table(bench_out / "scores.parquet").to_pandas()
    assert run.bad.counts == {}
    assert [dr.label for dr in run.runs if dr.skipped or dr.failure] == []
    for label, table in run.outcomes.items():
        expected = outcomes[outcomes["detector"] == label].drop(columns=["scenario", "mode", "seed", "detector"])
        got = table.to_pandas()
        assert got.reset_index(drop=True).equals(expected.reset_index(drop=True)), label
        trajectory = scores[scores["detector"] == label][["tick", "account_id", "score"]].reset_index(drop=True)
        assert run.trajectory(label).to_pandas().equals(trajectory), label


def test_jsonl_export_replays_to_every_detectors_passive_scores(passive) -> None:
    scenario, folder, bench_out = passive
    run = _replay(scenario, folder, "jsonl", None)
    assert run.ticks == scenario.n_ticks
    assert len(run.outcomes) == len(detector_specs(None))
    assert any(run.trajectory(label).num_rows for label in run.outcomes)  # something was scored
    _assert_same(run, bench_out)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_exports_replay_to_the_passive_scores(passive, fmt: str) -> None:
    scenario, folder, bench_out = passive
    _assert_same(_replay(scenario, folder, fmt, LIGHT), bench_out)
