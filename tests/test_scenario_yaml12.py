"""Scenario files read with YAML 1.2 semantics; nesting and self-references give located errors (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from simulator.cli import app
from simulator.scenario.loading import Yaml12Loader


def test_yaml_1_1_booleans_sexagesimal_and_octal_stay_what_they_say() -> None:
    text = "a: yes\nb: off\nNO: 1\nd: 1:30\nt: true\nF: FALSE\no: 012\nh: 0x1f\nf: 1.5e3\ni: -.inf\n"
    assert yaml.load(text, Loader=Yaml12Loader) == {
        "a": "yes",
        "b": "off",
        "NO": 1,
        "d": "1:30",
        "t": True,
        "F": False,
        "o": 12,
        "h": 31,
        "f": 1500.0,
        "i": float("-inf"),
    }


def test_a_sexagesimal_duration_is_refused_with_its_line(tmp_path: Path, quickstart_path: Path) -> None:
    text = quickstart_path.read_text(encoding="utf-8")
    path = tmp_path / "sexagesimal.yaml"
    path.write_text(text.replace("duration: 6h", "duration: 1:30", 1), encoding="utf-8")
    assert "duration: 1:30" in path.read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "duration: expected a duration such as '90s'" in result.output and "got '1:30'" in result.output


@pytest.mark.parametrize(
    "text", ["a: " + "[" * 5000 + "]" * 5000 + "\n", "version: 1\nname: &a [*a]\n", "a: &x {b: *x}\n"]
)
def test_deep_nesting_and_self_references_give_a_located_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    # both are now caught, with their line, by the loader's size guards (test_scenario_guards.py)
    assert result.output.startswith(f"{path}:1:") or result.output.startswith(f"{path}:2:")
    assert "expected YAML nested at most 100 levels deep; got nesting too deep" in result.output or (
        "expected YAML without an alias inside its own anchor; got an alias to itself" in result.output
    )


class _PyYamlSimpleKeys(Yaml12Loader):
    """The loader with PyYAML's own bookkeeping of possible simple keys."""

    next_possible_simple_key = yaml.scanner.Scanner.next_possible_simple_key
    stale_possible_simple_keys = yaml.scanner.Scanner.stale_possible_simple_keys


def _events(text: str, loader: type[yaml.SafeLoader]) -> list:
    found: list = []
    try:
        for event in yaml.parse(text, Loader=loader):
            found.append((repr(event), event.start_mark.index, event.end_mark.index))
    except yaml.YAMLError as error:
        found.append(str(error))
    return found


_PIECES = st.sampled_from(
    [
        "[",
        "]",
        "{",
        "}",
        ",",
        "a",
        "bb",
        ":",
        ": ",
        "? ",
        "- ",
        "\n",
        "  ",
        "&x ",
        "*x",
        "'q'",
        '"q"',
        "k" * 700,
        "k" * 300,
        "#c",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
@example("k" * 1024 + ": 1\n")
@example("{" + "k" * 1023 + ": 1, " + "k" * 1025 + ": 2}")
@example("[[" + "k" * 1010 + ": 1]]")
def test_simple_keys_are_found_as_pyyaml_finds_them(text: str) -> None:
    # the loader finds the nearest and the stale possible keys at once instead of
    # looking at every one per token: keys on another line or over 1024 characters
    # back (pieces of 700 characters), required keys in block context, flow nesting
    assert _events(text, Yaml12Loader) == _events(text, _PyYamlSimpleKeys)
