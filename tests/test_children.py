"""No process of a run outlives it: after SIGKILL or SIGTERM, its workers go too (issue 19)."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from failing_detectors import environment

from simulator.bench.spill import SPILL_PREFIX, remove_stale_spills

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _children(pid: int) -> dict[int, int]:
    """Every process's parent, by pid."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    return parents


def _descendants(pid: int) -> set[int]:
    parents = _children(pid)
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    parents = _children(0)
    return {pid for pid in pids if pid in parents}


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # the test runner's workers may ignore it


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_no_worker_outlives_a_killed_run(tmp_path: Path, quickstart_path: Path, how: signal.Signals) -> None:
    argv = [
        sys.executable,
        "-c",
        "from simulator.cli import main; main()",
        "run",
        str(quickstart_path),
        "--detectors",
        "failing_detectors:Slow",
    ]
    argv += ["--seeds", "2", "--jobs", "2", "--duration", "2h", "--out", str(tmp_path / "out"), "--no-report"]
    run = subprocess.Popen(
        argv, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_default_sigint
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 4:  # forkserver, resource tracker, two cells
            time.sleep(0.5)
            workers = _descendants(run.pid)
        assert len(workers) >= 4, "the run did not start its workers"
        run.send_signal(how)
        sent = time.monotonic()
        run.wait(timeout=60)
        if how != signal.SIGKILL:  # running cells end at once (each would take a minute), completed ones are kept
            assert time.monotonic() - sent < 20
            what, status = ("terminated", 143) if how == signal.SIGTERM else ("interrupted", 130)
            assert run.returncode == status
            assert f"{what}: completed cells are kept; rerun with --out".encode() in run.stderr.read()
        deadline = time.monotonic() + 10
        while _alive(workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(workers)
        remove_stale_spills()  # as the next run does first: a killed worker cannot always delete its own
        left = [folder for pid in workers for folder in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}{pid}-*")]
        assert not left
    finally:
        if run.poll() is None:
            run.kill()


def test_a_terminated_simulation_leaves_no_half_written_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = [sys.executable, "-c", "from simulator.cli import main; main()", "simulate", "hydra-cluster"]
    run = subprocess.Popen([*argv, "--duration", "1d", "--out", str(out)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        writing = ".staging-*/.*.tmp"  # simulate writes into a hidden folder, then moves the files out
        while time.monotonic() < deadline and not list(out.glob(writing)):
            time.sleep(0.05)
        assert list(out.glob(writing)), "the simulation did not start writing"
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) == 143
        assert list(out.iterdir()) == []
    finally:
        if run.poll() is None:
            run.kill()
