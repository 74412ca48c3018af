"""Third-party detectors: found through the ``extractbench.detectors`` entry-point group."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.registry import ENTRY_POINT_GROUP, available, names, resolve
from simulator.cli import app
from simulator.conformance import run_checks

PLUGIN = '''
"""A third-party detector: the twenty lines of the protocol's docstring."""
from typing import ClassVar

import pandas as pd

from detectors import Detector, Interval


class BusyAccounts(Detector):
    """Scores accounts by their share of the busiest account's volume."""

    signal = "volume"
    parameter_constraints: ClassVar[dict] = {"decay": Interval(float, 0.0, 1.0, closed="both")}

    def __init__(self, decay: float = 0.99) -> None:
        self.decay = decay

    def update(self, batch):
        counts = batch.requests.groupby("account_id", observed=True).size()
        if not hasattr(self, "volume_"):
            self.volume_ = pd.Series(dtype=float)
        self.volume_ = self.volume_.mul(self.decay).add(counts, fill_value=0)
        return (self.volume_ / self.volume_.max()).loc[counts.index].astype(float)
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A distribution 'eb-plugin-demo' installed into a fresh directory on sys.path:
    its package and a dist-info with the entry point, as pip would leave them."""
    site = tmp_path / "site"
    package = site / "eb_plugin_demo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN)
    info = site / "eb_plugin_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: eb-plugin-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nbusy-accounts = eb_plugin_demo:BusyAccounts\n")
    monkeypatch.syspath_prepend(str(site))
    yield "busy-accounts"
    sys.modules.pop("eb_plugin_demo", None)


def test_a_detector_registered_through_an_entry_point_is_found(installed_plugin: str) -> None:
    info = resolve(installed_plugin)
    assert (info.source, info.path, info.cls.__name__) == ("plug-in", "eb_plugin_demo:BusyAccounts", "BusyAccounts")
    assert names()[-1] == installed_plugin
    assert installed_plugin in [i.name for i in available()]


def test_the_plugin_passes_the_conformance_suite(installed_plugin: str) -> None:
    run_checks(installed_plugin)


def test_the_command_line_lists_the_plugin(installed_plugin: str) -> None:
    result = CliRunner().invoke(app, ["detectors"])
    assert result.exit_code == 0
    assert "busy-accounts: Scores accounts by their share of the busiest account's volume." in result.output


def test_without_the_plugin_the_name_is_unknown() -> None:
    assert "busy-accounts" not in names()


def test_a_broken_plugin_is_reported_without_hiding_the_others(tmp_path: Path, monkeypatch) -> None:
    info = tmp_path / "broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nbroken = no_such_module_here:Thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(app, ["detectors"])
    assert result.exit_code == 0
    assert "broken: cannot be loaded: Cannot import 'no_such_module_here'" in result.output
    assert "lockstep:" in result.output
