"""Every shipped scenario passes its separability audit (docs/audit.md): no feature of
a signal its campaigns do not declare separates attackers from customers with a lift
above 0.4, and the three-flag rule (new conversation on every request, one model,
exits abroad) stays at or under 0.5 whatever is declared.

Sizes: the quick suite's scale (scenarios/suites/quick.yaml) over half a day in
15-minute ticks, enough attackers for an average precision to mean something
(burst-harvest, one account at the quick suite's scale, runs at five). The audit
also has a known-answer test of its own (tests/test_audit.py); here it is the
simulator that is judged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.audit.engine import audit_path, volume_following

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

SIZES: dict[str, float] = {
    "quickstart": 1.0,
    "hydra-cluster": 0.02,
    "hydra-resale": 0.02,
    "burst-harvest": 0.5,
    "low-and-slow": 0.025,
    "mimicry": 0.06,
    "model-pivot": 0.08,
    "multilingual-cot": 0.08,
    "report-scale-2026": 0.01,
    "qwen-scale": 0.015,
    "reseller-mix": 0.06,
}
"""Scale of each scenario with attackers (legit-only has none to audit)."""

THREE_FLAG_LIMIT = 0.5


def test_every_scenario_with_attackers_is_audited() -> None:
    shipped = {path.stem for path in SCENARIOS.glob("*.yaml")}
    assert shipped - set(SIZES) == {"legit-only"}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_no_undeclared_signal_separates_attackers(name: str) -> None:
    result = audit_path(SCENARIOS / f"{name}.yaml", scale=SIZES[name], duration=12 * 3600.0, tick=900.0)
    assert result.attackers >= 5, f"{name}: too few attackers to judge ({result.attackers})"
    assert not result.artefacts, f"{name}: {result.describe_artefacts()}"
    assert result.three_flag is not None and result.three_flag.lift <= THREE_FLAG_LIMIT


RED_TEAM = sorted((SCENARIOS / "red-team").glob("*.yaml"))
"""The red-team scenarios (docs/red-team.md): already at the size they were searched at."""


@pytest.mark.parametrize("path", RED_TEAM, ids=[p.stem for p in RED_TEAM])
def test_a_red_team_campaign_declares_what_its_tactics_show(path: Path) -> None:
    result = audit_path(path, tick=900.0)
    assert result.attackers >= 5, f"{path.stem}: too few attackers to judge ({result.attackers})"
    assert not result.artefacts, f"{path.stem}: {result.describe_artefacts()}"
    assert result.three_flag is not None and result.three_flag.lift <= THREE_FLAG_LIMIT


def test_a_feature_that_ranks_accounts_by_requests_follows_volume() -> None:
    rng = np.random.default_rng(0)
    requests = rng.integers(1, 1000, 200).astype(float)
    features = pd.DataFrame(
        {
            "requests": requests,
            "conversation_count": requests / 3 + rng.random(200) * 0.1,
            "log_requests": -np.log(requests),
            "noise": rng.random(200),
            "constant": np.ones(200),
        }
    )
    assert volume_following(features) == {"requests", "conversation_count", "log_requests"}
