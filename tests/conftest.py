"""Shared fixtures: tiny scenarios, a bare gateway, the quickstart scenario."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.gateway import Gateway
from simulator.network import Network
from simulator.registry import NewAccounts, Registry
from simulator.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
TRACES = Path(os.environ.get("EXTRACTBENCH_TRACES", ROOT.parent / "shared" / "data" / "traces"))
"""Public calibration traces (``EXTRACTBENCH_TRACES`` points elsewhere, e.g. at held-out traces)."""


def tiny_scenario(**overrides: Any) -> Scenario:
    """A valid scenario with no actors unless given; fields may be overridden."""
    data: dict[str, Any] = {
        "version": 1,
        "name": "tiny",
        "start": "2026-03-02T00:00:00Z",
        "duration": "10m",
        "tick": "1m",
        "gateway": {
            "tiers": [
                {
                    "name": "t1",
                    "account": {"requests": "60/min", "input_tokens": "1M/min", "output_tokens": "1M/min"},
                    "org": {"requests": "600/min", "input_tokens": "10M/min", "output_tokens": "10M/min"},
                },
            ]
        },
    }
    data.update(overrides)
    return Scenario.model_validate(data)


def placeholder_accounts(org: np.ndarray) -> NewAccounts:
    """Verified customer accounts that share one identity (a person at example.com),
    one per entry of ``org`` (organisation codes)."""
    n = org.size
    return NewAccounts(
        org=org,
        created_ts=np.full(n, -86400.0),
        signup_pathway=np.zeros(n, dtype=np.int8),
        tier_floor=np.zeros(n, dtype=np.int8),
        name=np.full(n, "A Person", dtype=object),
        email=np.full(n, "a@example.com", dtype=object),
        email_domain=np.full(n, "example.com", dtype=object),
        payment_fingerprint=np.full(n, "pm_0", dtype=object),
        declared_country=np.zeros(n, dtype=np.int16),
        verified=np.ones(n, dtype=bool),
        initial_spend=np.zeros(n),
        is_attacker=False,
        campaign=None,
        role="test",
    )


class BareGateway:
    """A gateway with hand-registered accounts, for unit tests of limits and bans."""

    def __init__(self, scenario: Scenario, accounts: int = 2, org_of: list[int] | None = None) -> None:
        self.scenario = scenario
        self.registry = Registry(tuple(t.name for t in scenario.gateway.tiers))
        self.network = Network(np.random.default_rng(0))
        self.gateway = Gateway(scenario, self.registry, self.network, request_id_key=1)
        org_of = org_of if org_of is not None else list(range(accounts))
        n_orgs = max(org_of) + 1
        orgs = self.registry.add_orgs(
            np.array([f"org_{i:020d}" for i in range(n_orgs)], dtype=object),
            np.full(n_orgs, "Personal", dtype=object),
            np.full(n_orgs, -86400.0),
        )
        self.accounts = self.registry.add_accounts(
            np.array([f"acct_{i:020d}" for i in range(accounts)], dtype=object),
            placeholder_accounts(orgs[np.asarray(org_of)]),
            actor=0,
        )
        self.keys = self.registry.add_keys(
            np.array([f"key_{i:020d}" for i in range(accounts)], dtype=object),
            self.accounts,
            np.zeros(accounts, dtype=np.int8),
        )
        self.ip = self.network.allocate(np.random.default_rng(1), 1, kind=0)[0]
        self.client = self.network.new_client(np.random.default_rng(2))

    def block(self, account: int, ts: np.ndarray, input_tokens: int = 10, output_tokens: int = 10):
        from simulator.traffic import RequestBlock

        n = ts.size
        return RequestBlock(
            ts=ts,
            account=self.accounts[account],
            key=self.keys[account],
            ip=self.ip,
            client=self.client,
            model=0,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            max_tokens=1000,
            topic=0,
            language=0,
            cot_requested=False,
            system_prompt_hash=0,
            prompt_simhash=np.arange(n),
            conversation_id=np.arange(n) + 1000 * account,
            turn=0,
            template_id=-1,
        )


@pytest.fixture
def bare() -> BareGateway:
    return BareGateway(tiny_scenario())


@pytest.fixture(scope="session")
def quickstart_path() -> Path:
    return SCENARIOS / "quickstart.yaml"


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, quickstart_path: Path) -> Path:
    """The results folder of the quickstart for 2 h (the hydra pool starts after 1 h) with the
    three baselines and ``periodic-20`` (a second periodic detector: a sweep of ``every``),
    2 seeds, passive, serial. Shared by the report and check tests: copy it before changing it."""
    from detectors.baselines import PeriodicDetector
    from simulator import bench

    out = tmp_path_factory.mktemp("tiny") / "run"
    detectors = ["null", "random", "periodic", ("periodic-20", PeriodicDetector(every=20))]
    bench.run([quickstart_path], detectors=detectors, seeds=2, duration=7200.0, jobs=1, out=out)
    return out


@pytest.fixture(scope="session")
def tiny_report(tiny_run: Path):
    """The report of :func:`tiny_run` (a :class:`~simulator.report.Report`)."""
    from simulator.report import write_report

    return write_report(tiny_run)
