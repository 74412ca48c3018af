"""Scenario loader guards: alias expansion, sizes, rates without a unit, account
counts and weights out of range all end in a located error (exit 2), fast."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.scenario.loading import MAX_ALIAS_NODES, MAX_ITEMS, MAX_STRING_CHARS, ScenarioError, parse_scenario
from simulator.units import parse_rate

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def _validate(path: Path) -> tuple[int, str, float]:
    began = time.process_time()
    result = CliRunner().invoke(app, ["validate", str(path)])
    return result.exit_code, result.output, time.process_time() - began


def _variant(tmp_path: Path, quickstart_path: Path, old: str, new: str) -> Path:
    text = quickstart_path.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_billion_laughs_fails_fast_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(LAUGHS, encoding="utf-8")
    assert len(LAUGHS) < 3000
    code, output, seconds = _validate(path)
    assert code == 2
    assert f"{path}:6:4: expected at most {MAX_ALIAS_NODES:,} nodes reached through aliases" in output
    assert seconds < 5


def test_aliases_under_the_limit_are_fine(tmp_path: Path, quickstart_path: Path) -> None:
    text = quickstart_path.read_text(encoding="utf-8")
    anchored = "  - &chat\n    kind: chat\n    accounts: 300\n  - *chat"
    text = text.replace("  - kind: chat\n    accounts: 300", anchored, 1)
    path = tmp_path / "aliased.yaml"
    path.write_text(text, encoding="utf-8")
    code, output, _ = _validate(path)
    assert code == 0, output


def test_an_endless_file_is_refused_after_the_limit() -> None:
    code, output, seconds = _validate(Path("/dev/zero"))
    assert code == 2
    assert "/dev/zero: expected a file of at most 8 MiB; got a larger file" in output
    assert seconds < 5


def test_a_long_string_is_refused_with_its_line(tmp_path: Path, quickstart_path: Path) -> None:
    path = _variant(tmp_path, quickstart_path, "name: quickstart", "name: " + "x" * (MAX_STRING_CHARS + 1))
    code, output, _ = _validate(path)
    assert code == 2
    assert f"{path}:4:7: expected a string of at most {MAX_STRING_CHARS:,} characters" in output


def test_a_long_list_is_refused_with_its_line(tmp_path: Path, quickstart_path: Path) -> None:
    path = _variant(tmp_path, quickstart_path, "start_hours: [6, 10]", f"start_hours: [{', '.join(['6'] * 10_001)}]")
    code, output, _ = _validate(path)
    assert code == 2
    # located at the first item too many (column of the 10,001st '6'), found while parsing
    assert f"{path}:26:{19 + 3 * MAX_ITEMS}: expected a list or mapping of at most {MAX_ITEMS:,} items" in output


@pytest.mark.parametrize("rate", ["26.2/", "26.2/ ", "300/5"])
def test_a_rate_without_a_unit_is_refused(tmp_path: Path, quickstart_path: Path, rate: str) -> None:
    with pytest.raises(ValueError, match="a unit of time after '/'"):
        parse_rate(rate)
    path = _variant(tmp_path, quickstart_path, "requests_per_account: 400/day", f"requests_per_account: '{rate}'")
    code, output, _ = _validate(path)
    assert code == 2
    assert "campaigns[0].load.requests_per_account: expected a rate with a unit of time after '/'" in output
    assert f"{path}:43:" in output


@pytest.mark.parametrize("accounts", ["1G", "100000001", "9223372036854775807"])
def test_account_counts_past_the_bound_are_refused(tmp_path: Path, quickstart_path: Path, accounts: str) -> None:
    path = _variant(tmp_path, quickstart_path, "accounts: 300", f"accounts: {accounts}")
    code, output, _ = _validate(path)
    assert code == 2
    assert f"{path}:17:15: population[0].accounts: expected a value ≤ 100000000" in output


@pytest.mark.parametrize("weight", [".inf", ".nan", "1e308, creative_writing: 1e308"])
def test_infinite_or_nan_weights_are_refused(tmp_path: Path, quickstart_path: Path, weight: str) -> None:
    topics = f"      cot_share: 0.85\n      topics: {{coding: {weight}}}"
    path = _variant(tmp_path, quickstart_path, "      cot_share: 0.85", topics)
    code, output, _ = _validate(path)
    assert code == 2
    assert f"{path}:" in output and "campaigns[0].prompts.topics" in output
    assert "finite" in output


def test_a_file_that_is_not_yaml_fields_is_not_echoed(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n")
    code, output, _ = _validate(secret)
    assert code == 2
    assert f"{secret}:1:1: expected a mapping of fields at the top level; got text of 73 characters" in output
    assert "root" not in output.replace(str(tmp_path), "")


def test_a_file_of_many_groups_is_refused_before_it_is_read_to_the_end(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text("population:\n" + "  - {kind: chat, accounts: 1}\n" * 150_000, encoding="utf-8")
    code, output, seconds = _validate(path)
    assert code == 2
    assert f"{path}:10002:5: expected a list or mapping of at most {MAX_ITEMS:,} items; got more" in output
    assert seconds < 10  # reading the whole 4.5 MB file took about 15 s


@pytest.mark.parametrize(
    ("later", "reported"),
    [
        (
            "[" * 101 + "1" + "]" * 101,
            "doc.yaml:2:103: expected YAML nested at most 100 levels deep; got nesting too deep",
        ),
        (
            "[1, 2",
            "doc.yaml:3:1: expected well-formed YAML; got malformed YAML (expected ',' or ']', but got '<stream end>')",
        ),
        ("[1, 2]", "doc.yaml:1:4: expected well-formed YAML; got malformed YAML (found undefined alias 'nowhere')"),
    ],
)
def test_a_problem_anywhere_in_the_text_comes_before_an_undefined_alias(later: str, reported: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(f"a: *nowhere\nb: {later}\n", "doc.yaml")
    assert str(refused.value) == reported
