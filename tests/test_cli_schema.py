"""``extractbench schema``: the JSON Schema editors use for scenario files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli.schema import scenario_json_schema


def _properties(schema: dict[str, Any]):
    for name, definition in schema["$defs"].items():
        for field, spec in definition.get("properties", {}).items():
            yield name, field, spec


def test_schema_prints_a_json_schema_of_scenarios() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["$schema"].endswith("2020-12/schema")
    assert document["title"] == "Scenario"
    assert {"version", "start", "duration"} <= set(document["required"])


def test_schema_can_be_written_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "scenario.schema.json"
    result = CliRunner().invoke(app, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == scenario_json_schema()


def test_every_field_of_every_scenario_model_has_a_description() -> None:
    missing = [
        f"{model}.{field}" for model, field, spec in _properties(scenario_json_schema()) if "description" not in spec
    ]
    assert missing == []


def test_durations_rates_and_counts_may_be_written_with_units() -> None:
    defs = scenario_json_schema()["$defs"]
    spellings = {
        ("LoadPlan", "requests_per_account"): "150/day",
        ("LoadPlan", "plan_interval"): "10m",
        ("HydraCampaign", "accounts"): "2k",
        ("Infrastructure", "proxy_pool"): "20k",
        ("AccountWaves", "first"): "-14d",
    }
    for (model, field), text in spellings.items():
        options = defs[model]["properties"][field]["anyOf"]
        patterns = [option["pattern"] for option in options if option.get("type") == "string"]
        assert patterns and re.match(patterns[0], text), (model, field)
        assert any(option.get("type") in ("number", "integer") for option in options)


def test_every_family_of_kinds_is_a_discriminated_one_of() -> None:
    document = scenario_json_schema()
    text = json.dumps(document)
    for tag in ("hydra", "aged", "waves", "reseller", "synchronised", "human", "shift", "solve", "slow_down"):
        assert f'"{tag}"' in text
    campaigns = document["properties"]["campaigns"]["items"]
    assert campaigns["discriminator"]["propertyName"] == "kind"
    timing = document["$defs"]["LoadPlan"]["properties"]["timing"]
    assert timing["discriminator"]["propertyName"] == "kind"
    assert set(timing["discriminator"]["mapping"]) == {"queue", "synchronised", "independent"}
