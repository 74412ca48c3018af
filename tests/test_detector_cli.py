"""`extractbench detectors`: the list, the details, and unknown names."""

from __future__ import annotations

from typer.testing import CliRunner

from detectors.registry import BUILTINS, resolve
from simulator.cli import app

runner = CliRunner()


def test_plain_output_lists_every_builtin_with_signal_parameters_and_description() -> None:
    result = runner.invoke(app, ["detectors"])
    assert result.exit_code == 0
    for name in BUILTINS:
        info = resolve(name)
        assert f"{name}: {info.summary}" in result.output
    assert "  signal: synchronised timing across accounts" in result.output
    assert "  parameters: bucket_seconds=60.0, action='model', window=360" in result.output


def test_a_terminal_gets_a_rich_table() -> None:
    result = runner.invoke(app, ["detectors"], env={"FORCE_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0
    assert "┏" in result.output and "parameters" in result.output and "lockstep" in result.output


def test_a_name_shows_the_reference_and_each_parameter_with_its_constraint() -> None:
    result = runner.invoke(app, ["detectors", "templates", "detectors.baselines:RandomDetector"])
    assert result.exit_code == 0
    assert "templates (built-in: detectors.templates:TemplateRepetition)" in result.output
    assert "follows: SimHash near-duplicates" in result.output
    assert "    bits = 16  (an int in the range [4, 24])" in result.output
    assert "detectors.baselines:RandomDetector (path: detectors.baselines:RandomDetector)" in result.output


def test_an_unknown_name_exits_2_listing_the_valid_ones() -> None:
    result = runner.invoke(app, ["detectors", "lokstep"])
    assert result.exit_code == 2
    assert "Unknown detector 'lokstep'. Did you mean 'lockstep'?" in result.output
    assert "Valid names: null, random, periodic" in result.output
