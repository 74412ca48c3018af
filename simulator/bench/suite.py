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
    defences:                         # active cells: one per defence stack (simulator.bench.defences)
      - {name: none}
      - {name: step-up, defences: [{kind: step-up, tier: 1}]}
    operating:                        # how passive runs are read (simulator.bench.operating)
      reviews_per_day: 50
      warmup: 6h
      target_fpr: 0.001
      extraction_share: 0.5           # scenarios with resale: an attacker's account is ≥ half extraction
    sweep:                            # optional: every scenario over a grid (simulator.bench.sweep)
      campaigns[0].accounts: [20, 80, 320]
    budgets:                          # what a detector may use (simulator.bench.budgets)
      tick: 60s                       # per call of update
      memory_mb: 6144                 # per cell worker process

``extractbench run`` with no scenario runs the bundled quick suite
(``scenarios/suites/quick.yaml``), which lists every bundled scenario at a
scale that keeps the whole suite to a few minutes on two cores; tune it there.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from simulator.bench.budgets import Budgets
from simulator.bench.defences.specs import DefenceStack
from simulator.bench.operating import OperatingPoints
from simulator.bench.policy import AlarmPolicy
from simulator.bench.sweep import SweepValues, sweep_problems
from simulator.scenario import bundled
from simulator.scenario.base import StrictModel
from simulator.scenario.loading import load_document
from simulator.units import Duration

__all__ = ["QUICK_SUITE", "Suite", "SuiteScenario", "bundled_suite", "load_suite"]

QUICK_SUITE = "quick"

_MODULE_DETECTORS_ALLOWED: ContextVar[bool] = ContextVar("module_detectors_allowed", default=False)
"""Whether the suite being validated may name detectors by module path (set by :func:`load_suite`)."""


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
        description="Detectors, each a registered name with optional parameters, e.g. 'lockstep(half_group=3)' "
        "(default: every registered detector); 'package.module:Class' only with --allow-module-detectors.",
    )
    policy: AlarmPolicy = Field(default_factory=AlarmPolicy, description="The alarm policy.")
    defences: list[DefenceStack] | None = Field(
        default=None,
        min_length=1,
        description="Defence stacks compared in active mode, one closed loop each (default: the alarm policy alone).",
    )
    operating: OperatingPoints = Field(
        default_factory=OperatingPoints,
        description="The analysts' budget and the warm-up threshold passive runs are read at, and the extraction "
        "share that makes a mixed-traffic account an attacker's (scenarios with resale).",
    )
    budgets: Budgets = Field(
        default_factory=Budgets,
        description="What one detector call (tick: seconds) and one cell (memory_mb) may use; docs/hardening.md.",
    )
    scenarios: list[SuiteScenario] = Field(min_length=1, description="The scenarios, in report order.")
    sweep: dict[str, SweepValues] | None = Field(
        default=None,
        description="Scenario parameters by dotted path (e.g. 'campaigns[0].accounts') and the values each scenario "
        "runs at: a list, or a range {from, to, steps, log}; every point of the grid is run (simulator.bench.sweep).",
    )

    @model_validator(mode="after")
    def _unique_labels(self) -> Suite:
        labels = [s.label for s in self.scenarios if s.label is not None]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(f"unique scenario labels, got {repeated} more than once")
        stacks = [stack.name for stack in self.defences or []]
        repeated = sorted({name for name in stacks if stacks.count(name) > 1})
        if repeated:
            raise ValueError(f"unique defence stack names, got {repeated} more than once")
        return self

    @model_validator(mode="after")
    def _registered_detectors(self) -> Suite:
        """A suite file names detectors (and adapters' models) by registered name only: a
        ``package.module:Class`` would be imported, running its code, so it is refused (located
        at the entry) unless the run allows it (:func:`load_suite`'s ``allow_module_detectors``)."""
        if _MODULE_DETECTORS_ALLOWED.get():
            return self
        from detectors.registry import code_paths

        refused = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "value_error",
                    "a registered detector name, not Python code named by module path ({paths}), which a "
                    "suite file may not import: name a built-in or installed detector (extractbench detectors; a "
                    "package registers one under the entry point group extractbench.detectors, a model under "
                    "extractbench.models), or allow module paths with --allow-module-detectors "
                    "(bench.run(..., allow_module_detectors=True))",
                    {"paths": ", ".join(paths)},
                ),
                loc=("detectors", index),
                input=spec,
            )
            for index, spec in enumerate(self.detectors or [])
            if (paths := code_paths(spec))
        ]
        if refused:
            raise ValidationError.from_exception_data("Suite", refused)
        return self

    @model_validator(mode="after")
    def _sweep_paths(self) -> Suite:
        problems = sweep_problems(self.sweep or {})
        if problems:
            # located at the offending key, so that the loader points at its line
            raise ValidationError.from_exception_data(
                "Suite",
                [
                    InitErrorDetails(type=PydanticCustomError("value_error", why), loc=("sweep", path), input=given)
                    for path, (why, given) in problems.items()
                ],
            )
        return self


def load_suite(path: str | Path, allow_module_detectors: bool = False) -> Suite:
    """Read and validate a suite file; raises :class:`~simulator.scenario.loading.ScenarioError`
    with located problems. A detector named by module path (``package.module:Class``, or such a
    model of an adapter) is one of them unless ``allow_module_detectors``."""
    token = _MODULE_DETECTORS_ALLOWED.set(allow_module_detectors)
    try:
        return load_document(path, Suite, "a suite mapping with version, name and scenarios")
    finally:
        _MODULE_DETECTORS_ALLOWED.reset(token)


def bundled_suite(name: str = QUICK_SUITE) -> Path | None:
    """The path of a suite shipped with extractbench (``scenarios/suites/<name>.yaml``
    in a checkout, the package data of an installed wheel), or None."""
    return bundled.bundled_suite(name)
