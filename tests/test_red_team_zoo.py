"""The red-team scenarios kept for the zoo (scenarios/red-team/), their suite, and the
command that regenerates them (docs/red-team.md)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import SCENARIOS
from typer.testing import CliRunner

from detectors.registry import names
from simulator.bench.redteam import declare_shown
from simulator.bench.suite import load_suite
from simulator.cli import app
from simulator.scenario import load_scenario
from simulator.scenario.paths import with_values

RED_TEAM = sorted((SCENARIOS / "red-team").glob("*.yaml"))
SUITE = SCENARIOS / "suites" / "red-team.yaml"
HEADER_KEYS = ("Base scenario", "Detector", "Objective", "Search", "Regenerate")


def header(path: Path) -> dict[str, str]:
    """The ``# Key: value`` lines that head a red-team scenario file."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.removeprefix("#").strip())
    return dict(m.groups() for line in lines if (m := re.match(r"^([A-Z][a-z ]+): (.+)$", line)))


def test_every_red_team_scenario_validates_and_says_how_it_was_made() -> None:
    assert len(RED_TEAM) >= 2
    for path in RED_TEAM:
        scenario = load_scenario(path)
        assert scenario.name == path.stem
        fields = header(path)
        assert set(HEADER_KEYS) <= set(fields), f"{path.name}: header lacks {set(HEADER_KEYS) - set(fields)}"
        assert fields["Regenerate"].startswith("extractbench red-team ")
        assert f"--detector {fields['Detector']}" in fields["Regenerate"]
        assert f"--zoo {path.parent.relative_to(SCENARIOS.parent).as_posix()}" in fields["Regenerate"]
        assert path.stem.endswith(f"-vs-{fields['Detector']}")
        assert all(c.signals for c in scenario.campaigns), f"{path.name}: every campaign declares its signals"


def test_the_red_team_suite_runs_every_red_team_scenario_with_registered_detectors() -> None:
    suite = load_suite(SUITE)
    registered = set(names())
    assert suite.detectors is not None and set(suite.detectors) <= registered
    listed = {(SUITE.parent / s.path).resolve() for s in suite.scenarios}
    assert {p.resolve() for p in RED_TEAM} <= listed
    searched = {header(p)["Detector"] for p in RED_TEAM}
    assert searched <= set(suite.detectors)


def test_the_regeneration_command_writes_a_ready_to_run_hard_scenario(tmp_path: Path) -> None:
    zoo = tmp_path / "zoo"
    args = [
        *("red-team", str(SCENARIOS / "quickstart.yaml"), "--detector", "null", "--trials", "1", "--keep", "1"),
        *("--scale", "0.05", "--duration", "90m", "--jobs", "1", "--out", str(tmp_path / "out"), "--zoo", str(zoo)),
        *("--set", "campaigns[0].budget.per_account=5", "--budget", "40"),
    ]
    ran = CliRunner().invoke(app, args)
    assert ran.exit_code == 0, ran.output
    written = zoo / "quickstart-vs-null.yaml"
    assert f"wrote {written}" in ran.output
    scenario = load_scenario(written)
    assert scenario.name == "quickstart-vs-null"
    fields = header(written)
    assert set(HEADER_KEYS) - {"Regenerate"} <= set(fields)
    assert fields["Detector"] == "null"
    assert fields["Fixed"] == "campaigns[0].budget.per_account=5"
    assert (scenario.campaigns[0].budget.per_account, scenario.campaigns[0].budget.total) == (5.0, 40)
    assert fields["Base scenario"].startswith("quickstart (") and "at scale 0.05" in fields["Base scenario"]


def test_a_fixed_value_the_schema_lacks_or_rejects_is_refused_with_its_path() -> None:
    def refused(setting: str) -> str:
        args = ["red-team", str(SCENARIOS / "quickstart.yaml"), "--detector", "null", "--set", setting]
        ran = CliRunner().invoke(app, args)
        assert ran.exit_code == 2
        return ran.output

    assert "fixed campaigns[0].budget.per_acount: expected a scenario parameter path (did you mean 'per_account'?" in (
        refused("campaigns[0].budget.per_acount=5")
    )
    assert "fixed campaigns[0].budget.per_account: expected a value that fits it (Input should be a valid number" in (
        refused("campaigns[0].budget.per_account=abc")
    )
    assert "--set: expected PATH=VALUE" in refused("campaigns[0].budget.per_account")


def test_a_trial_that_changes_the_sign_up_mix_declares_the_signup_signal() -> None:
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    assert "signup" not in scenario.campaigns[0].signals
    path = "campaigns[0].acquisition.signup_pathways"
    changed = declare_shown(with_values(scenario, {path: {"research": 1.0}}), {path: {"research": 1.0}}, {path: None})
    assert changed.campaigns[0].signals == [*scenario.campaigns[0].signals, "signup"]
    assert declare_shown(scenario, {path: None}, {path: None}) is scenario
