"""The scenario's `deployment` section: the customer base a scenario stands for, validated
with located errors, described in the JSON Schema, and left out of the fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import SCENARIOS, tiny_scenario
from typer.testing import CliRunner

from simulator.bench.cells import ScenarioSpec
from simulator.cli import app
from simulator.scenario import ScenarioError, load_scenario, parse_scenario
from simulator.scenario.schema import Deployment, Scenario

GOOD = """\
version: 1
name: ok
start: 2026-03-02T00:00:00Z
duration: 2h
population:
  - kind: chat
    accounts: 10
  - kind: batch
    name: pipelines
    accounts: 2
campaigns:
  - kind: hydra
    name: h
    accounts: 3
"""

CHAT = [{"kind": "chat", "accounts": 10}, {"kind": "batch", "name": "pipelines", "accounts": 2}]


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "s.yaml")
    return [str(p) for p in raised.value.problems]


def test_a_scenario_may_declare_the_customers_it_stands_for_with_suffixes() -> None:
    scenario = parse_scenario(GOOD + "deployment: {customers: 2M, groups: {pipelines: 20k}}\n")
    assert scenario.deployment == Deployment(customers=2_000_000, groups={"pipelines": 20_000})
    assert scenario.group_names == ["chat-0", "pipelines"]
    assert parse_scenario(GOOD).deployment is None


def test_an_unknown_group_name_is_located_at_its_key_with_a_suggestion() -> None:
    text = GOOD + "deployment:\n  customers: 1M\n  groups:\n    chat: 10k\n"
    [problem] = problems(text)
    assert problem.startswith("s.yaml:18:11: deployment.groups.chat: expected a population group name")
    assert "did you mean 'chat-0'?" in problem and "groups here: chat-0, pipelines" in problem
    assert problem.endswith("got 'chat'")


@pytest.mark.parametrize(
    ("block", "located", "message"),
    [
        ("{customers: 0}", "deployment.customers", "expected a value > 0"),
        ("{customers: 1M, group: {}}", "deployment.group", "did you mean 'groups'?"),
        ("{customers: 1M, groups: {pipelines: 2M}}", "deployment", "groups adding up to at most customers"),
        ("{customers: 1M, groups: {pipelines: 0}}", "deployment", "at least one customer each"),
        (
            "{customers: 10, groups: {chat-0: 4, pipelines: 4}}",
            "deployment.groups",
            "groups adding up to customers (10) when every population group is listed (they add up to 8)",
        ),
        ("{customers: lots}", "deployment.customers", "got 'lots'"),
    ],
)
def test_bad_deployment_sections_are_located(block: str, located: str, message: str) -> None:
    [problem] = problems(GOOD + f"deployment: {block}\n")
    assert f": {located}: " in problem and message in problem, problem


def test_a_deployment_needs_a_population_to_stand_for() -> None:
    with pytest.raises(ValueError, match="a population for the customers to stand for"):
        tiny_scenario(deployment={"customers": 1000})


def test_the_deployment_section_does_not_change_what_is_simulated() -> None:
    plain = tiny_scenario(population=CHAT)
    declared = tiny_scenario(population=CHAT, deployment={"customers": "2M"})
    # the fingerprint (what the baseline check compares) and the scaled scenario ignore it
    assert ScenarioSpec("a", plain, "-").fingerprint == ScenarioSpec("a", declared, "-").fingerprint
    assert declared.resolved(scale=0.5).deployment == declared.deployment
    assert ScenarioSpec("a", declared, "-").describe()["deployment"] == {"customers": 2_000_000, "groups": {}}


def test_the_json_schema_describes_the_deployment_section() -> None:
    schema = Scenario.model_json_schema()
    section = schema["$defs"]["Deployment"]
    assert set(section["properties"]) == {"customers", "groups"}
    assert all(field.get("description") for field in section["properties"].values())
    assert "deployment" in schema["properties"]


def test_shipped_scenarios_at_realistic_prevalence_declare_a_customer_base() -> None:
    declared = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenario = load_scenario(path)
        if scenario.deployment is not None:
            attackers = sum(campaign.accounts for campaign in scenario.campaigns)
            declared[scenario.name] = attackers / (attackers + scenario.deployment.customers)
    assert {"hydra-cluster", "low-and-slow", "mimicry"} <= set(declared)
    assert all(share <= 0.01 for share in declared.values()), declared
    # each block is commented with where its figure comes from
    for name in declared:
        text = (SCENARIOS / f"{name}.yaml").read_text()
        before = text[: text.index("\ndeployment:")].rsplit("\n\n", 1)[-1]
        assert before.lstrip().startswith("#") and "docs/scenarios.md" in before, name
        assert yaml.safe_load(text)["deployment"]["customers"]


def test_validate_says_which_customer_base_a_scenario_stands_for(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "deployment: {customers: 2M}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("standing for 2,000,000 customers")
