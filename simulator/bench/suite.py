"""Suite manifests: which scenarios a benchmark runs, at which scale and for how long.

A suite is a small YAML file validated like a scenario (frozen, unknown keys
rejected, located errors)::

    version: 1
    name: quick
    seeds: 3
    mode: passive
    scenarios:
      - path: ../quickstart.yaml      # relative to this file
      - path: ../hydra-cluster.yaml
        scale: 0.02                   # account counts and volumes × 0.02
        duration: 1d                  # instead of the scenario's own span
        warmup: 3h                    # instead of the suite's warm-up (operating.warmup)
    operating:                        # how passive runs are read (simulator.bench.operating)
      reviews_per_day: 50
      warmup: 6h
      target_fpr: 0.001
    budgets:                          # what a detector may use (simulator.bench.budgets)
      tick: 60s                       # per call of update
      memory_mb: 6144                 # per cell worker process

``extractbench run`` with no scenario runs the bundled quick suite
(``scenarios/suites/quick.yaml``), which lists every bundled scenario at a
scale that keeps the whole suite to a few minutes on two cores; tune it there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from simulator.bench.budgets import Budgets
from simulator.bench.operating import OperatingPoints
from simulator.bench.policy import AlarmPolicy
from simulator.scenario.base import StrictModel
from simulator.scenario.loading import load_document
from simulator.units import Duration

__all__ = ["QUICK_SUITE", "Suite", "SuiteScenario", "bundled_suite", "load_suite"]

QUICK_SUITE = "quick"
_ROOT = Path(__file__).resolve().parents[2]


class SuiteScenario(StrictModel):
    """One scenario of a suite and the size it runs at."""

    path: str = Field(min_length=1, description="Scenario YAML file, relative to the suite file.")
    label: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Name in the results (default: the scenario's own name).",
    )
    scale: float = Field(default=1.0, gt=0, description="Multiply account counts, infrastructure and goals.")
    duration: Duration | None = Field(default=None, gt=0, description="Simulated span (default: the scenario's).")
    tick: Duration | None = Field(
        default=None, gt=0, description="Gateway tick (default: the scenario's); coarser ticks make quick runs cheaper."
    )
    warmup: Duration | None = Field(
        default=None,
        ge=0,
        description="Warm-up window of the warm-up threshold (default: the suite's operating.warmup), e.g. '1h'.",
    )


class Suite(StrictModel):
    """A benchmark suite: scenarios with their sizes, and the run's defaults."""

    version: Literal[1] = Field(description="Suite schema version.")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Identifier, used in run ids.")
    description: str = Field(default="", description="What the suite is for.")
    seeds: int = Field(default=3, ge=1, description="Seeds per scenario (root seeds 0, 1, … seeds−1).")
    mode: Literal["passive", "active", "both"] = Field(default="passive", description="Evaluation mode(s).")
    detectors: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Detectors, each a name or 'package.module:Class' with optional parameters, "
        "e.g. 'lockstep(half_group=3)' (default: every registered detector).",
    )
    policy: AlarmPolicy = Field(default_factory=AlarmPolicy, description="The alarm policy.")
    operating: OperatingPoints = Field(
        default_factory=OperatingPoints,
        description="The analysts' budget and the warm-up threshold passive runs are read at.",
    )
    budgets: Budgets = Field(
        default_factory=Budgets,
        description="What one detector call (tick: seconds) and one cell (memory_mb) may use; docs/hardening.md.",
    )
    scenarios: list[SuiteScenario] = Field(min_length=1, description="The scenarios, in report order.")

    @model_validator(mode="after")
    def _unique_labels(self) -> Suite:
        labels = [s.label for s in self.scenarios if s.label is not None]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(f"unique scenario labels, got {repeated} more than once")
        return self


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file; raises :class:`~simulator.scenario.loading.ScenarioError`
    with located problems."""
    return load_document(path, Suite, "a suite mapping with version, name and scenarios")


def bundled_suite(name: str = QUICK_SUITE) -> Path | None:
    """The path of a suite shipped with extractbench (``scenarios/suites/<name>.yaml``
    beside the package, or under the working directory), or None."""
    for root in (_ROOT, Path.cwd()):
        path = root / "scenarios" / "suites" / f"{name}.yaml"
        if path.is_file():
            return path
    return None
