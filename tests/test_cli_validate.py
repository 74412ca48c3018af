"""`extractbench validate`: located messages and exit code 2 for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app

runner = CliRunner()

GOOD = """\
version: 1
name: ok
start: 2026-03-02T00:00:00Z
duration: 2h
population:
  - kind: chat
    accounts: 10
campaigns:
  - kind: hydra
    name: h
    accounts: 3
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def invoke(*args: str):
    return runner.invoke(app, ["validate", *args])


def test_a_valid_file_gets_one_line_and_exit_code_0(tmp_path: Path) -> None:
    result = invoke(str(write(tmp_path, GOOD)))
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1
    assert result.output.startswith("ok ") and "2h in ticks of 1m" in result.output


def test_every_shipped_scenario_validates() -> None:
    files = [str(p) for p in sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml"))]
    result = invoke(*files)
    assert result.exit_code == 0, result.output
    assert result.output.count("\nok ") + result.output.startswith("ok ") == len(files)


def test_a_mistyped_key_is_located_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    accounts: 10", "    acounts: 10"))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}:7:5: population[0].acounts:" in result.output
    assert "unknown field 'acounts'" in result.output
    assert "did you mean 'accounts'?" in result.output
    assert "Traceback" not in result.output


def test_a_negative_count_names_field_expected_and_given(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("accounts: 3", "accounts: -3"))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}:11:15: campaigns[0].accounts: expected a non-negative finite number; got -3" in result.output


def test_a_wrong_type_names_field_expected_and_given(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("accounts: 10", "accounts: [1, 2]"))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert (
        f"{path}:7:15: population[0].accounts: expected a number such as 500, '30k' or '1.2M'; got [1, 2]"
        in result.output
    )


def test_a_mistyped_kind_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("kind: hydra", "kind: hyrda"))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert (
        f"{path}:9:5: campaigns[0]: expected a 'kind' among: hydra; got 'hyrda' (did you mean 'hydra'?)"
        in result.output
    )


def test_a_bad_duration_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("duration: 2h", "duration: two hours"))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}:4:11: duration: expected a duration such as '90s'" in result.output
    assert "got 'two hours'" in result.output


def test_malformed_yaml_points_at_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  - kind: chat\n", "  - kind: chat\n   bad: [\n"))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "malformed YAML" in result.output
    assert "Traceback" not in result.output


def test_an_empty_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}: expected a scenario mapping" in result.output and "got an empty file" in result.output


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml: expected an existing scenario file; got no such file" in result.output


def test_a_missing_required_field_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("duration: 2h\n", ""))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert "duration: expected the required field 'duration'; got nothing (missing)" in result.output


def test_a_duplicate_key_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("duration: 2h\n", "duration: 2h\nduration: 3h\n"))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}:5:1: duration: expected each key once; got 'duration' a second time" in result.output


def test_all_problems_of_a_file_are_listed_and_other_files_still_checked(tmp_path: Path) -> None:
    bad = write(tmp_path, GOOD.replace("accounts: 10", "acounts: 10").replace("accounts: 3", "accounts: -3"), "b.yaml")
    good = write(tmp_path, GOOD, "g.yaml")
    result = invoke(str(bad), str(good))
    assert result.exit_code == 2
    assert "acounts" in result.output and "campaigns[0].accounts" in result.output
    assert f"ok {good}" in result.output


@pytest.mark.parametrize("bad", ["tick: 3h", "seed: -1", "start: 2026-03-02T00:00:00", "version: 2"])
def test_other_invalid_values_exit_2_with_a_located_message(tmp_path: Path, bad: str) -> None:
    key = bad.split(":")[0]
    text = GOOD if f"\n{key}:" in GOOD else GOOD.replace("duration: 2h\n", "duration: 2h\n" + bad + "\n")
    text = "\n".join(bad if line.startswith(f"{key}:") else line for line in text.splitlines()) + "\n"
    result = invoke(str(write(tmp_path, text)))
    assert result.exit_code == 2, result.output
    assert f"{tmp_path}" in result.output and "Traceback" not in result.output
