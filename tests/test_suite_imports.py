"""A suite file cannot import code: detectors (and adapters' models) by registered name only,
unless the run allows module paths (--allow-module-detectors)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.models import instantiate, registered_models
from detectors.registry import code_paths
from simulator.bench.plan import BenchInputError, plan_run
from simulator.bench.suite import load_suite
from simulator.cli import app

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"

MODULE = """
from pathlib import Path

Path(__file__).with_name("IMPORTED").write_text("the module ran")

from detectors.baselines import NullDetector


class Planted(NullDetector):
    pass
"""


def write_suite(folder: Path, *detectors: str) -> Path:
    lines = "".join(f"  - {spec!r}\n" for spec in detectors)
    suite = folder / "suite.yaml"
    suite.write_text(
        "version: 1\nname: planted\nseeds: 1\ndetectors:\n"
        f"{lines}scenarios:\n  - path: {QUICKSTART}\n    scale: 0.05\n    duration: 1h\n",
        encoding="utf-8",
    )
    return suite


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module that leaves a file beside itself when imported, importable from the current folder."""
    name = "plantedmod"  # short: the message shows the entry whole
    (tmp_path / f"{name}.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path / f"{name}.py"


@pytest.mark.parametrize(
    "spec",
    [
        "{module}:Planted",
        "isolation-forest(estimator={module}:Planted)",
        "ensemble(members=[rate, {module}:Planted])",
        "os:system",
    ],
)
def test_a_suite_naming_code_is_refused_without_importing_it(planted: Path, spec: str) -> None:
    entry = spec.format(module=planted.stem)
    suite = write_suite(planted.parent, "rate", entry)
    result = CliRunner().invoke(app, ["run", "--suite", str(suite), "--out", str(planted.parent / "out")])
    assert result.exit_code == 2, result.output
    assert "suite.yaml:6:5: detectors[1]: expected a registered detector name" in result.output
    assert f"got {entry!r}" in result.output
    assert "--allow-module-detectors" in result.output and "extractbench.detectors" in result.output
    assert not (planted.parent / "IMPORTED").exists()
    assert planted.stem not in sys.modules
    assert not (planted.parent / "out").exists()


def test_the_python_call_refuses_it_too(planted: Path) -> None:
    suite = write_suite(planted.parent, f"{planted.stem}:Planted")
    with pytest.raises(BenchInputError, match=r"detectors\[0\]: expected a registered detector name"):
        plan_run(suite=suite)
    assert not (planted.parent / "IMPORTED").exists()


def test_allowed_module_detectors_of_a_suite_run(planted: Path) -> None:
    suite = write_suite(planted.parent, "rate", f"{planted.stem}:Planted")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(planted.parent), str(ROOT)])}
    command = [str(Path(sys.executable).with_name("extractbench")), "run", "--suite", str(suite), "-q", "--no-report"]
    done = subprocess.run(
        [*command, "--allow-module-detectors", "--out", str(planted.parent / "out")],
        cwd=planted.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (planted.parent / "IMPORTED").exists()
    assert f"{planted.stem}:Planted" in (planted.parent / "out" / "cost.csv").read_text(encoding="utf-8")


def test_registered_names_and_models_are_accepted(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "rate", "isolation-forest(estimator=sklearn.ensemble:IsolationForest)")
    assert load_suite(suite).detectors == ["rate", "isolation-forest(estimator=sklearn.ensemble:IsolationForest)"]
    assert code_paths("lockstep(half_group=3, at=1:30)") == []
    assert code_paths("ensemble(members=[rate, a.b:C])") == ["a.b:C"]
    assert "sklearn.ensemble:IsolationForest" in registered_models()


def test_instantiate_builds_classes_with_the_methods_the_adapter_calls() -> None:
    with pytest.raises(ValueError, match=r"'os:system' must name a class, got builtin_function_or_method"):
        instantiate("os:system")
    with pytest.raises(ValueError, match=r"builds a RunningZScore without fit, which the adapter calls"):
        instantiate("detectors.adapters:RunningZScore", required=("fit",))
    model = instantiate("detectors.adapters:RunningZScore", required=("score_one", "learn_one", "clone"))
    assert type(model).__name__ == "RunningZScore"
