"""Detectors contained: no detector can end, hang, exhaust or corrupt a run (issue 19)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detectors import build
from detectors.base import Detector
from simulator import bench
from simulator.bench import AlarmPolicy, Cell, DetectorSpec, ScenarioSpec, containment, run_cell
from simulator.bench.budgets import Budgets
from simulator.bench.containment import run_contained
from simulator.bench.spill import SPILL_PREFIX
from simulator.cli import app
from simulator.scenario import Scenario
from simulator.scenario.loading import load_scenario


@pytest.fixture(scope="module")
def small(quickstart_path: Path) -> Scenario:
    """20 minutes of the quickstart at a fifth of its size, in 5-minute ticks."""
    return load_scenario(quickstart_path).resolved(scale=0.2, duration=1200.0).model_copy(update={"tick": 300.0})


def cell(scenario: Scenario, *detectors: Detector | str, mode: str = "passive") -> Cell:
    specs = tuple(
        DetectorSpec(d, build(d)) if isinstance(d, str) else DetectorSpec(type(d).__name__, d) for d in detectors
    )
    return Cell(mode, ScenarioSpec(scenario.name, scenario, "<test>"), 3, specs, AlarmPolicy())


class Misbehaves(Detector):
    """Does ``what`` in ``update`` at tick ``at`` (or in its constructor if ``at`` is −1)."""

    def __init__(self, what: str = "exit0", at: int = 1) -> None:
        self.what = what
        self.at = at
        if at < 0:
            self._act()

    def _act(self) -> object:
        match self.what:
            case "exit0":
                sys.exit(0)
            case "exit3":
                sys.exit(3)
            case "interrupt":
                raise KeyboardInterrupt
            case "os_exit":
                os._exit(7)
            case "sleep":
                time.sleep(600)
            case "stubborn":  # SIGALRM blocked: only the watching process can end it
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                time.sleep(600)
            case "allocate":
                return np.ones(8 * 2**30 // 8)
        return None

    def update(self, batch):
        if batch.tick == self.at:
            self._act()
        return None


class Mutates(Detector):
    """Writes over everything a batch exposes, every tick."""

    def __init__(self) -> None:
        pass

    def update(self, batch):
        frame = batch.requests
        frame["output_tokens"] = 0
        frame["account_id"] = "acct_x"
        frame.loc[:, "ts"] = 0.0
        frame.iloc[:, :] = None
        batch.accounts["account_id"] = "acct_x"
        if batch.text_hashes is not None:
            with contextlib.suppress(TypeError):
                batch.text_hashes["ip"] = np.zeros(1)  # type: ignore[index]
        return None


class Returns(Detector):
    """Returns the score ``value`` for the first account of every tick."""

    def __init__(self, value: object = "0.5") -> None:
        self.value = value

    def update(self, batch):
        if not len(batch):
            return None
        return pd.Series([self.value], index=[batch.requests["account_id"].iloc[0]])


def _failures(result) -> dict[str, str]:
    return {d.label: f"tick {d.failure.tick}: {d.failure.reason}" for d in result.detectors if d.failure}


@pytest.mark.parametrize(
    ("what", "reason"),
    [
        ("exit0", "tick 1: update raised SystemExit: 0"),
        ("exit3", "tick 1: update raised SystemExit: 3"),
        ("interrupt", "tick 1: update raised KeyboardInterrupt"),
        ("os_exit", "tick 1: the cell's worker process exited with status 7 during update"),
    ],
)
def test_a_detector_that_exits_fails_alone_and_the_others_keep_their_scores(
    small: Scenario, what: str, reason: str
) -> None:
    result = run_contained(cell(small, Misbehaves(what), "rate"))
    assert _failures(result) == {"Misbehaves": reason}
    alone = run_cell(cell(small, "rate"))
    assert result.detectors[1].outcomes.equals(alone.detectors[0].outcomes)
    assert result.leakage.equals(alone.leakage) and result.facts == alone.facts


def test_a_constructor_that_ends_its_process_is_recorded_as_a_build_failure(small: Scenario) -> None:
    exploding = Misbehaves("os_exit", at=5)
    exploding.at = -1  # the clone's constructor calls os._exit
    result = run_contained(Cell("passive", cell(small).scenario, 3, (DetectorSpec("dies", exploding),), AlarmPolicy()))
    assert _failures(result) == {
        "dies": "tick -1: could not be built: the cell's worker process exited with status 7 during its constructor"
    }
    raising = Misbehaves("exit3", at=5)
    raising.at = -1
    result = run_cell(Cell("passive", cell(small).scenario, 3, (DetectorSpec("dies", raising),), AlarmPolicy()))
    assert _failures(result) == {"dies": "tick -1: could not be built: its constructor raised SystemExit: 3"}


def test_a_hanging_detector_is_stopped_at_the_tick_budget(small: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containment, "GRACE_SECONDS", 0.5)
    specs = (
        DetectorSpec("sleeps", Misbehaves("sleep")),
        DetectorSpec("stubborn", Misbehaves("stubborn", at=2)),
        DetectorSpec("rate", build("rate")),
    )
    started = time.perf_counter()
    result = run_contained(Cell("passive", cell(small).scenario, 3, specs, AlarmPolicy()), Budgets(tick=0.5))
    assert time.perf_counter() - started < 300  # each sleeps 600 s
    assert _failures(result) == {
        "sleeps": "tick 1: update took longer than the per-tick time budget of 0.5 s",
        "stubborn": "tick 2: update took longer than the per-tick time budget of 0.5 s",
    }
    assert result.detectors[2].outcomes.equals(run_cell(cell(small, "rate")).detectors[0].outcomes)


def test_a_detector_allocating_past_the_memory_budget_fails_alone(small: Scenario) -> None:
    result = run_contained(cell(small, Misbehaves("allocate"), "rate"), Budgets(memory_mb=4096))
    reason = _failures(result)["Misbehaves"]
    assert reason.startswith("tick 1: update ran out of memory (MemoryError")
    assert result.detectors[1].failure is None


def test_a_detector_that_mutates_its_batch_cannot_change_another_detectors_scores(small: Scenario) -> None:
    together = run_cell(cell(small, Mutates(), "rate", "templates"))
    alone = run_cell(cell(small, "rate", "templates"))
    assert not _failures(together) or set(_failures(together)) == {"Mutates"}
    for index in (0, 1):
        assert together.detectors[index + 1].outcomes.equals(alone.detectors[index].outcomes)
        assert together.detectors[index + 1].scores.table().equals(alone.detectors[index].scores.table())


class SleepsAfterNaming(Detector):
    """At tick 1, writes its process id to the file ``path``, then sleeps."""

    def __init__(self, path: str = "") -> None:
        self.path = path

    def update(self, batch):
        if batch.tick == 1:
            Path(self.path).write_text(str(os.getpid()))
            time.sleep(600)
        return None


def test_an_interrupted_run_leaves_no_score_files_of_its_worker(small: Scenario, tmp_path: Path) -> None:
    pid_file = tmp_path / "worker.pid"
    seen: list[Path] = []

    def interrupt(signum: int, frame: object) -> None:
        if pid_file.exists() and pid_file.read_text():
            seen.extend(Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}{pid_file.read_text()}-*"))
            raise KeyboardInterrupt  # as Ctrl-C in a terminal (the worker ignores SIGINT)

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.2, 0.2)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_contained(cell(small, SleepsAfterNaming(str(pid_file)), "rate"))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert seen, "the worker had a spill folder when it was interrupted"
    assert not [folder for folder in seen if folder.exists()]


@pytest.mark.parametrize(
    ("value", "reason"),
    [("0.5", "scores of dtype"), (True, "scores of dtype bool"), (complex(0.5, 0), "scores of dtype complex128")],
)
def test_scores_must_be_real_numbers(small: Scenario, value: object, reason: str) -> None:
    result = run_cell(cell(small, Returns(value)))
    failure = result.detectors[0].failure
    assert failure is not None and reason in failure.reason and "are not real numbers" in failure.reason


def test_a_run_whose_only_detector_fails_records_it_and_exits_3(tmp_path: Path, quickstart_path: Path) -> None:
    out = tmp_path / "failing"
    argv = ["run", str(quickstart_path), "--detectors", "test_containment:Misbehaves(what='exit3')", "--seeds", "1"]
    argv += ["--duration", "20m", "--out", str(out), "--jobs", "1", "--no-report"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 3, result.output
    assert "on quickstart (passive, seed 0) at tick 1: update raised SystemExit: 3" in result.output
    failures = bench.load_results(out).failures
    assert failures["reason"].tolist() == ["update raised SystemExit: 3"]


@pytest.mark.parametrize("run_id", ["../../x", "/tmp/elsewhere", "..", "a/b"])
def test_a_run_id_that_is_a_path_is_refused(run_id: str, quickstart_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(quickstart_path), "--detectors", "null", "--run-id", run_id])
    assert result.exit_code == 2
    assert f"--run-id: expected one folder name (letters, digits, '.', '_', '-'), got {run_id!r}" in result.output


def test_an_isolated_batch_builds_its_frames_only_when_read_and_keeps_its_writes() -> None:
    from detectors.testing import make_batch

    batch = make_batch(account_id=["a", "b", "a"], status=[200, 429, 200])
    first, second = batch.isolated(), batch.isolated()
    assert "requests" not in batch.__dict__ and "requests" not in first.__dict__
    assert "accounts" not in first.__dict__ and first.accounts is not batch.accounts
    first.requests.loc[:, "status"] = 500
    first.requests["added"] = 1
    first.accounts["added"] = 1
    assert "requests" in batch.__dict__  # the original's frame is built once, then copied
    for other in (batch, second, second.isolated()):
        assert other.requests["status"].tolist() == [200, 429, 200]
        assert "added" not in other.requests.columns and "added" not in other.accounts.columns
