"""A newcomer's install: the wheel, installed into a fresh virtual environment, runs from any folder.

The wheel is built without build isolation and installed without dependencies; the
fresh environment sees this environment's libraries (numpy, pandas, …) through a
``.pth`` line, but not the source checkout, so the bundled scenarios and suites must
come from the wheel's package data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def _sh(args: list[str | Path], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh virtual environment with the wheel installed."""
    work = tmp_path_factory.mktemp("install")
    wheels = work / "wheels"
    _sh([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels, ROOT], work)
    (wheel,) = wheels.glob("extractbench-*.whl")
    env = work / "venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    purelib = _sh([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work).stdout.strip()
    # the libraries of this environment, without its .pth files (no editable checkout)
    Path(purelib, "libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _sh([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel], work)
    return env / "bin"


def test_the_wheel_runs_the_bundled_suite_from_another_folder(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _sh([installed / "python", "-c", "import simulator; print(simulator.__file__)"], elsewhere).stdout
    assert str(installed.parent) in where, f"imported the checkout, not the wheel: {where}"
    listed = json.loads(_sh([installed / "extractbench", "scenarios", "--json"], elsewhere).stdout)
    assert {"quickstart", "hydra-cluster"} <= {s["name"] for s in listed["scenarios"]}
    assert str(installed.parent) in listed["folder"]
    assert [s["name"] for s in listed["suites"]] == sorted(
        p.stem for p in (ROOT / "scenarios" / "suites").glob("*.yaml")
    )
    # the red-team suite's scenarios ship beside it
    assert sorted(p.name for p in (Path(listed["folder"]) / "red-team").glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "scenarios" / "red-team").glob("*.yaml")
    )
    checked = _sh([installed / "extractbench", "validate", "quickstart", "legit-only"], elsewhere)
    assert checked.stdout.count("ok ") == 2
    # the README's first command plans the bundled quick suite from here ...
    code = (
        "from simulator.bench import bundled_suite, load_suite, plan_run; "
        "print(len(plan_run(None, seeds=1).cells), len(load_suite(bundled_suite()).scenarios))"
    )
    cells, listed = _sh([installed / "python", "-c", code], elsewhere).stdout.split()
    assert cells == listed and int(cells) >= 10
    # ... and runs (shrunk to one bundled scenario by name, one seed, half an hour)
    ran = _sh(
        [
            *(installed / "extractbench", "run", "quickstart", "--seeds", "1", "--duration", "30m", "--scale", "0.5"),
            *("--detectors", "null,random", "--jobs", "1", "--no-scores", "--no-report", "--out", elsewhere / "run"),
        ],
        elsewhere,
    )
    assert "1 cells (0 reused)" in ran.stdout
    assert "quickstart · passive · 1 seed" in ran.stdout
    assert (elsewhere / "run" / "metrics.csv").is_file()
