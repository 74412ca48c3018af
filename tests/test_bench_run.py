"""A whole benchmark run through the Python API: files, determinism, executors, resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SCENARIOS

from detectors.baselines import NullDetector
from simulator import bench
from simulator.bench import store
from simulator.bench.plan import BenchInputError, plan_run
from simulator.bench.store import ResumeError
from simulator.metrics import DEPLOYMENT_RANKING_METRICS, HARNESS_DEPLOYMENT_METRICS, METRICS, RANKING_METRICS
from simulator.results import RunResults, load_results

DETERMINISTIC = (
    "metrics.csv",
    "metrics.parquet",
    "summary.json",
    "scores.parquet",
    "outcomes.parquet",
    "leakage.parquet",
    "failures.csv",
    "prevalence.csv",
    "thresholds.csv",
)


def small_run(quickstart: Path, out: Path, **options: object) -> RunResults:
    settings = {
        "detectors": ["null", "random", "periodic"],
        "seeds": 2,
        "mode": "both",
        "scale": 0.25,
        "duration": 4800.0,
        "jobs": 1,
        **options,
    }
    return bench.run([quickstart], out=out, **settings)


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, quickstart_path: Path) -> RunResults:
    """Both modes, serial: 2 passive cells and 6 closed-loop cells."""
    return small_run(quickstart_path, tmp_path_factory.mktemp("first") / "run")


@pytest.fixture(scope="module")
def passive(tmp_path_factory: pytest.TempPathFactory, quickstart_path: Path) -> RunResults:
    """Passive mode only, serial: 2 cells."""
    return small_run(quickstart_path, tmp_path_factory.mktemp("passive") / "run", mode="passive")


def test_a_run_writes_the_results_layout(first: RunResults) -> None:
    for name in (*DETERMINISTIC, "run.json", "cost.csv"):
        assert (first.out / name).is_file(), name
    assert not list(first.out.rglob("*.tmp"))
    metrics = pd.read_csv(first.out / "metrics.csv", keep_default_na=False, na_values=["", "nan"])
    assert list(metrics.columns) == ["scenario", "detector", "mode", "seed", "metric", "value"]
    assert set(metrics["mode"]) == {"passive", "active"} and set(metrics["seed"]) == {0, 1}
    # passive runs add the figures at deployment conditions; closed loops are read as they ran
    passive = {name for name, info in METRICS.items() if not info.active_only} | set(HARNESS_DEPLOYMENT_METRICS)
    assert set(metrics.query("mode == 'passive'")["metric"]) == passive
    assert set(metrics.query("mode == 'active'")["metric"]) == set(METRICS)
    cost = pd.read_csv(first.out / "cost.csv", keep_default_na=False, na_values=["", "nan"])
    assert {"events_per_s", "peak_memory_mb", "cell_wall_seconds", "cell_peak_rss_mb"} <= set(cost.columns)
    assert len(cost) == 3 * 2 * 2 and (cost["events_per_s"] > 0).all()
    scores = pq.read_table(first.out / "scores.parquet").to_pandas()
    assert list(scores.columns) == ["scenario", "mode", "seed", "detector", "tick", "account_id", "score"]
    assert set(scores["detector"]) == {"random", "periodic"}


def test_run_json_records_the_plan_seeds_versions_and_policy(first: RunResults) -> None:
    run = json.loads((first.out / "run.json").read_text())
    plan = run["plan"]
    assert run["status"] == "complete" and run["cells"] == 2 + 2 * 3
    assert plan["seeds"] == [0, 1] and plan["modes"] == ["passive", "active"] and plan["threshold"] == 0.5
    assert plan["policy"]["action"] == "ban" and plan["extractbench_version"]
    assert [d["label"] for d in plan["detectors"]] == ["null", "random", "periodic"]
    assert plan["scenarios"][0]["scale"] == 0.25 and plan["scenarios"][0]["duration_s"] == 4800.0
    assert {"python", "numpy", "pandas"} <= set(run["versions"])


def test_the_summary_gives_intervals_over_seeds(first: RunResults) -> None:
    summary = json.loads((first.out / "summary.json").read_text())
    assert "t-interval" in summary["interval"]
    rows = {(r["mode"], r["detector"], r["metric"]): r for r in summary["summary"]}
    recall = rows[("passive", "random", "recall")]
    assert recall["statistic"] == "mean" and recall["seeds"] == 2 and recall["n"] == 2
    assert recall["low"] <= recall["value"] <= recall["high"]
    assert rows[("passive", "null", "recall")]["value"] == 0
    assert (
        rows[("passive", "null", "ttd_median_s")] | {"statistic": "median", "value": None, "n": 0}
        == rows[("passive", "null", "ttd_median_s")]
    )
    compared = {(c["mode"], c["detector"], c["metric"]) for c in summary["comparisons"]}
    assert ("passive", "periodic", "recall") in compared and all(
        c["reference"] == "random" for c in summary["comparisons"]
    )


def test_the_python_api_mirrors_the_files(first: RunResults) -> None:
    again = load_results(first.out)
    pd.testing.assert_frame_equal(again.metrics, first.metrics)
    board = first.leaderboard()
    assert set(board["detector"]) == {"null", "random", "periodic", "artefacts", "supervised-ceiling"}
    # the reference rows rank accounts: they report the ranking metrics only, as simulated and at deployment
    references = first.metrics[first.metrics["detector"].isin(["artefacts", "supervised-ceiling"])]
    assert set(references["metric"]) == set(RANKING_METRICS) | set(DEPLOYMENT_RANKING_METRICS)
    passive = board[board["mode"] == "passive"]
    # ranked by recall within the analysts' budget, then AUPRC at deployment weight (undefined last)
    keys = list(zip(passive["budget_recall"].fillna(-1), passive["deployment_auprc"].fillna(-1), strict=True))
    assert keys == sorted(keys, reverse=True)
    null = passive.set_index("detector").loc["null"]
    assert null["recall"] == 0 and null["alarms_per_day"] == 0


def test_the_null_detector_is_the_undefended_world_in_the_closed_loop(first: RunResults) -> None:
    m = first.metrics.set_index(["mode", "detector", "seed", "metric"])["value"]
    for seed in (0, 1):
        assert m[("active", "null", seed, "leakage_share")] == 1.0
        assert m[("active", "null", seed, "replacements")] == 0
        assert m[("active", "null", seed, "legit_output_lost_share")] == 0
        assert m[("active", "null", seed, "auprc")] == m[("passive", "null", seed, "auprc")]


def test_the_leakage_series_adds_up_to_the_leakage_metric_in_both_modes(first: RunResults) -> None:
    series = first.leakage()
    assert list(series.columns) == ["scenario", "mode", "seed", "detector", "bin", "start_s", "end_s", "output_tokens"]
    # 80 one-minute ticks: one tick per bin, bins tile the run
    per_cell = series[series["detector"].isna() & (series["mode"] == "passive")].groupby("seed")
    assert (per_cell["bin"].count() == 80).all() and (per_cell["end_s"].max() == 4800.0).all()
    leaked = series.dropna(subset=["detector"]).groupby(["mode", "detector", "seed"])["output_tokens"].sum()
    metric = first.metrics[first.metrics["metric"] == "leakage_tokens"].set_index(["mode", "detector", "seed"])
    pd.testing.assert_series_equal(leaked.astype(float), metric["value"].sort_index(), check_names=False)
    # undefended: what the campaigns were served, which is what the null detector lets through
    served = series[series["detector"].isna() & (series["mode"] == "passive")].groupby("seed")["output_tokens"].sum()
    null = leaked.loc["passive", "null"]
    assert (served > 0).all() and served.to_dict() == null.to_dict()
    random = series[(series["mode"] == "passive") & (series["detector"] == "random")]
    assert (random.groupby("seed")["output_tokens"].sum() < served).all()


def test_the_outcomes_table_holds_every_active_account_of_every_detector(first: RunResults) -> None:
    outcomes = first.outcomes()
    assert list(outcomes.columns[:4]) == ["scenario", "mode", "seed", "detector"]
    assert {"account_id", "is_attacker", "max_score", "alarm_ts"} <= set(outcomes.columns)
    passive = outcomes[outcomes["mode"] == "passive"]
    counts = passive.groupby(["seed", "detector"])["account_id"].nunique().unstack()
    assert (counts.nunique(axis=1) == 1).all()  # passive: every detector saw the same accounts
    active = outcomes[outcomes["mode"] == "active"]
    assert set(active["detector"]) == {"null", "random", "periodic"}
    alarmed = passive[passive["detector"] == "null"]["alarm_ts"]
    assert alarmed.isna().all()


def test_same_seeds_give_byte_identical_results_on_a_process_pool(
    passive: RunResults, tmp_path: Path, quickstart_path: Path
) -> None:
    second = small_run(quickstart_path, tmp_path / "second", mode="passive", jobs=2)
    assert second.config["executor"].startswith("process pool")
    for name in DETERMINISTIC:
        assert (passive.out / name).read_bytes() == (second.out / name).read_bytes(), name


def test_dask_gives_the_same_metrics(passive: RunResults, tmp_path: Path, quickstart_path: Path) -> None:
    pytest.importorskip("distributed")
    third = small_run(quickstart_path, tmp_path / "dask", mode="passive", scheduler="local", jobs=2)
    assert third.config["executor"] == "dask (local)"
    assert (passive.out / "metrics.csv").read_bytes() == (third.out / "metrics.csv").read_bytes()


def test_the_passive_figures_do_not_depend_on_the_closed_loop_running_beside_them(
    first: RunResults, passive: RunResults
) -> None:
    alone = passive.metrics.reset_index(drop=True)
    beside = first.metrics[first.metrics["mode"] == "passive"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, beside)


def test_a_rerun_keeps_completed_cells_and_computes_the_rest(
    passive: RunResults, tmp_path: Path, quickstart_path: Path
) -> None:
    resumed = tmp_path / "resumed"
    shutil.copytree(passive.out, resumed)
    (resumed / "metrics.csv").unlink()
    victim = sorted((resumed / "cells").iterdir())[0]
    (victim / "cell.json").unlink()
    again = small_run(quickstart_path, resumed, mode="passive")
    assert again.config["cells_reused"] == 1
    assert (resumed / "metrics.csv").read_bytes() == (passive.out / "metrics.csv").read_bytes()


def test_an_interrupted_run_resumes_where_it_stopped(
    passive: RunResults, tmp_path: Path, quickstart_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator.bench import executors

    calls = []

    def flaky(cell, budgets):
        calls.append(cell)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return bench.run_cell(cell)

    monkeypatch.setattr(executors, "run_contained", flaky)
    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        small_run(quickstart_path, out, mode="passive")
    assert len(list(out.glob("cells/*/cell.json"))) == 1 and not (out / "metrics.csv").exists()
    monkeypatch.undo()
    again = small_run(quickstart_path, out, mode="passive")
    assert again.config["cells_reused"] == 1
    assert (out / "metrics.csv").read_bytes() == (passive.out / "metrics.csv").read_bytes()


SCORE_ORDER = [(name, "ascending") for name in ("scenario", "mode", "seed", "detector", "tick", "account_id")]


def _cell_scores(folder: Path) -> pa.Table:
    """A cell's stored score changes with its scenario, mode and seed in front."""
    info = json.loads((folder / "cell.json").read_text())
    table = pq.read_table(folder / "scores.parquet")
    n = table.num_rows
    head = {"scenario": [info["scenario"]] * n, "mode": [info["mode"]] * n, "seed": [info["seed"]] * n}
    return pa.table({**head, **{name: table.column(name) for name in table.column_names}})


def test_the_scores_are_assembled_piece_by_piece_in_sorted_order(
    passive: RunResults, tmp_path: Path, quickstart_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tiny row groups: the assembly reads every cell in many pieces, some holding two detectors
    monkeypatch.setattr(store, "SCORES_ROW_GROUP_ROWS", 4)
    run = small_run(quickstart_path, tmp_path / "pieces", mode="passive")
    folders = sorted((run.out / "cells").iterdir())
    assert len(folders) == 2 and all(pq.ParquetFile(f / "scores.parquet").num_row_groups > 5 for f in folders)
    cells = pa.concat_tables([_cell_scores(f) for f in folders])
    assembled = pq.read_table(run.out / "scores.parquet")
    assert assembled.num_rows == cells.num_rows and assembled.equals(cells.sort_by(SCORE_ORDER).cast(assembled.schema))
    # the same bytes as from cells stored in row groups of the default size
    assert (run.out / "scores.parquet").read_bytes() == (passive.out / "scores.parquet").read_bytes()
    # a cell's file out of the order it was written in is refused, not assembled into a wrong order
    victim = folders[0] / "scores.parquet"
    stored = pq.read_table(victim)
    pq.write_table(stored.take(list(range(stored.num_rows))[::-1]), victim)
    with pytest.raises(ValueError, match=r"out of \(tick, account_id\) order"):
        small_run(quickstart_path, run.out, mode="passive")


def test_a_row_group_holding_every_detector_is_read_once_for_all_of_them(
    passive: RunResults, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    read_row_group = pq.ParquetFile.read_row_group

    def counted(self: pq.ParquetFile, i: int, columns: list[str] | None = None, **kwargs: object) -> pa.Table:
        if columns is None:
            reads.append(i)
        return read_row_group(self, i, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", counted)
    plan = plan_run(
        [SCENARIOS / "quickstart.yaml"],
        detectors=["null", "random", "periodic"],
        seeds=2,
        mode="passive",
        scale=0.25,
        duration=4800.0,
    )
    results = store.ResultsStore(passive.out)
    assert len(plan.cells) == 2 and all(results.has(cell) for cell in plan.cells)
    for cell in plan.cells:
        assert pq.ParquetFile(results.cell_dir(cell) / "scores.parquet").num_row_groups == 1
        reads.clear()
        labels = [piece.column("detector")[0].as_py() for piece in results.scores(cell)]
        # the null detector never changes a score: two detectors, one read
        assert labels == ["periodic", "random"] and reads == [0]


def test_a_folder_holding_another_run_is_refused(first: RunResults, quickstart_path: Path) -> None:
    with pytest.raises(ResumeError, match="holds the results of a different run"):
        small_run(quickstart_path, first.out, seeds=3)


def test_detector_objects_run_under_their_class_name_or_a_label(tmp_path: Path, quickstart_path: Path) -> None:
    from detectors import PeriodicDetector

    results = small_run(
        quickstart_path,
        tmp_path / "objects",
        detectors=[PeriodicDetector(every=5), ("eager", PeriodicDetector(every=2))],
        mode="passive",
    )
    assert set(results.metrics["detector"]) == {"PeriodicDetector", "eager", "artefacts", "supervised-ceiling"}
    described = {d["label"]: d["params"]["every"] for d in results.config["plan"]["detectors"]}
    assert described == {"PeriodicDetector": 5, "eager": 2}


def test_a_detector_cannot_take_the_name_of_a_reference_row() -> None:
    with pytest.raises(BenchInputError, match="artefacts names a reference row"):
        plan_run([SCENARIOS / "quickstart.yaml"], detectors=[("artefacts", NullDetector())], seeds=1)
