"""Units of work and their results, as frozen dataclasses handed to workers.

* a passive :class:`Cell`: one simulation of a (scenario, seed), streamed through
  every detector;
* an active :class:`Cell`: one closed-loop simulation of a (scenario, detector, seed).

A cell's :attr:`~Cell.key` is a hash of everything that determines its
results (the resolved scenario, the seed, the detectors' classes and parameters,
the policy, the package version), so that a resumed run reuses a stored cell
only if it would compute the same thing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pyarrow as pa

from detectors.base import Detector
from simulator import __version__
from simulator.bench.cost import DetectorCost
from simulator.bench.defences.specs import DefenceStack
from simulator.bench.guard import Failure
from simulator.bench.operating import warmup_ticks
from simulator.bench.policy import AlarmPolicy
from simulator.bench.spill import SpilledScores
from simulator.metrics.outcomes import Mode
from simulator.scenario import Scenario

__all__ = ["GROUPS_SCHEMA", "Cell", "CellResult", "DetectorResult", "DetectorSpec", "RunFacts", "ScenarioSpec"]

GROUPS_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string()),
        pa.field("is_attacker", pa.bool_()),
        pa.field("group", pa.string()),  # the population group (customers) or campaign (attackers) owning it
        pa.field("active", pa.bool_()),  # sent at least one request in the run
    ]
)
"""Every account registered in a cell, sorted by id, with the group that owns it
(hidden truth, read by the deployment weights only)."""


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@dataclass(frozen=True)
class DetectorSpec:
    """A detector to benchmark: a label for the results and an unfitted prototype,
    cloned afresh for every run."""

    label: str
    prototype: Detector
    seeded: bool = False
    """Give the detector the run's seed as its ``seed`` parameter (detectors named
    without parameters: a random baseline then varies over seeds like the traffic)."""

    def instantiate(self, seed: int) -> Detector:
        """A fresh detector for a run with root ``seed``."""
        if self.seeded:
            params = {**self.prototype.get_params(), "seed": seed}
            detector = type(self.prototype)(**params)
            detector.check_params()
            return detector
        return self.prototype.clone()

    def describe(self) -> dict[str, Any]:
        params = self.prototype.get_params()
        if self.seeded:
            params = {**params, "seed": "<run seed>"}
        return {"label": self.label, "class": _class_path(type(self.prototype)), "params": params}


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario as it runs in the benchmark (scale and duration applied)."""

    label: str
    scenario: Scenario
    source: str
    """The file it came from (or ``<object>``)."""
    scale: float = 1.0
    warmup: float = 0.0
    """Warm-up window in seconds for the warm-up threshold (:mod:`simulator.bench.operating`); 0: none."""
    point: tuple[tuple[str, Any], ...] = ()
    """The sweep point this scenario runs at ((path, value) pairs, :mod:`simulator.bench.sweep`); () outside sweeps."""

    @property
    def warmup_ticks(self) -> int:
        """Ticks of the warm-up: ``ceil(warmup / tick)``, at most every tick."""
        return warmup_ticks(self.warmup, float(self.scenario.tick), self.scenario.n_ticks)

    @property
    def warmup_end(self) -> float:
        """End of the warm-up in seconds (a tick end, at most the duration)."""
        return min(self.warmup_ticks * float(self.scenario.tick), float(self.scenario.duration))

    @property
    def has_warmup(self) -> bool:
        """Whether the warm-up leaves part of the run after it to judge its threshold on."""
        return 0 < self.warmup_ticks < self.scenario.n_ticks

    @property
    def weight(self) -> float:
        """A rough cost estimate (accounts × seconds simulated), to start big cells first."""
        accounts = sum(g.accounts for g in self.scenario.population) + sum(c.accounts for c in self.scenario.campaigns)
        return float(accounts) * float(self.scenario.duration)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the resolved scenario: two specs with the same fingerprint simulate the same world.
        The ``deployment`` section is left out: it changes how a run is read, not what is simulated."""
        text = json.dumps(self.scenario.model_dump(mode="json", exclude={"deployment"}), sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "source": self.source,
            "scale": self.scale,
            "duration_s": float(self.scenario.duration),
            "ticks": self.scenario.n_ticks,
            "fingerprint": self.fingerprint,
            "warmup_s": self.warmup_end,
            "deployment": None if self.scenario.deployment is None else self.scenario.deployment.model_dump(),
            **({"sweep": dict(self.point)} if self.point else {}),
        }


@dataclass(frozen=True)
class Cell:
    """One simulation: ``scenario`` with root ``seed``.

    * ``passive``: the traffic is streamed through every detector of ``detectors``
      and nothing is enforced (with no detectors, the cell is the undefended
      reference that active cells measure leakage against);
    * ``active``: a closed loop with the one detector of ``detectors``; ``policy``
      turns its alarms into gateway actions.
    """

    mode: Mode
    scenario: ScenarioSpec
    seed: int
    detectors: tuple[DetectorSpec, ...]
    policy: AlarmPolicy
    record_scores: bool = True
    references: bool = False
    """Passive cells: add the reference rows (:mod:`simulator.bench.references`) beside the detectors."""
    warmup_ticks: int = 0
    """Passive cells: ticks of the warm-up the score logs keep maxima for (0: none)."""
    target_fpr: float | None = None
    """Passive cells with a warm-up: the warm-up threshold's target FPR, which sets the
    operating threshold of the review queue (None: the policy's threshold)."""
    defences: DefenceStack | None = None
    """Active cells: the defence stack beside the alarm policy (None or empty: the policy alone)."""

    def __post_init__(self) -> None:
        if self.mode == "active" and len(self.detectors) != 1:
            raise ValueError(f"An active cell runs exactly one detector, got {len(self.detectors)}")
        if self.mode == "active" and self.references:
            raise ValueError("Reference rows belong to passive cells (they score the traffic every detector saw)")
        if self.mode == "active" and (self.warmup_ticks or self.target_fpr is not None):
            raise ValueError("Warm-up thresholds belong to passive cells (active runs are read as they ran)")

    def describe(self) -> dict[str, Any]:
        """Everything that determines the cell's results."""
        return {
            "mode": self.mode,
            "scenario": self.scenario.scenario.model_dump(mode="json"),
            "seed": self.seed,
            "detectors": [d.describe() for d in self.detectors],
            "policy": self.policy.model_dump(mode="json"),
            "record_scores": self.record_scores,
            "references": self.references,
            "warmup_ticks": self.warmup_ticks,
            "target_fpr": self.target_fpr,
            "version": __version__,
            # only a defended cell says so: undefended cells keep their keys
            **({"defences": self.defences.model_dump(mode="json")} if self.defended else {}),
        }

    @property
    def defended(self) -> bool:
        """Whether a non-empty defence stack runs in this (active) cell."""
        return self.mode == "active" and self.defences is not None and not self.defences.empty

    @cached_property
    def key(self) -> str:
        """A hash of :meth:`describe`."""
        text = json.dumps(self.describe(), sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        """A readable, unique folder name."""
        who = f"-{self.detectors[0].label}" if self.mode == "active" else ""
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.scenario.label}-{self.mode}{who}-seed{self.seed}-{self.key}")


@dataclass(frozen=True)
class RunFacts:
    """What a run was, whatever the detector: its span and its population."""

    duration: float
    """Seconds simulated."""
    ticks: int
    requests: int
    accounts: int
    """Accounts created (replacements included)."""
    attacker_accounts: int
    customer_output_tokens: int
    """Output tokens served to legitimate accounts over the run."""


@dataclass(frozen=True)
class DetectorResult:
    """One detector's results on one run (``outcomes`` is None if it failed)."""

    label: str
    outcomes: pa.Table | None
    """Rows of :data:`~simulator.metrics.outcomes.OUTCOME_SCHEMA`."""
    scores: SpilledScores | None
    """Score changes (:data:`~simulator.bench.ledger.TRAJECTORY_SCHEMA` rows on disk), if recorded."""
    cost: DetectorCost | None
    failure: Failure | None = None
    windows: pa.Table | None = None
    """Per-account scores around the warm-up (:data:`~simulator.bench.ledger.WINDOW_SCHEMA`),
    row-aligned with ``outcomes``; None for the reference rows."""
    requests: pa.Table | None = None
    """Per-account request splits (:data:`~simulator.metrics.requests.REQUEST_SPLIT_SCHEMA`),
    row-aligned with ``outcomes``: cells of scenarios with resale only (:mod:`simulator.bench.splits`)."""


@dataclass(frozen=True)
class CellResult:
    """Everything a cell produced; workers return it, the store writes it."""

    key: str
    facts: RunFacts
    campaigns: pa.Table
    """Rows of :data:`~simulator.metrics.outcomes.CAMPAIGN_SCHEMA`."""
    detectors: tuple[DetectorResult, ...] = field(default=())
    leakage: pa.Table | None = None
    """Attacker output per time bin (:data:`~simulator.bench.leakage.LEAKAGE_FILE_SCHEMA`)."""
    groups: pa.Table | None = None
    """Every registered account's owning group (:data:`GROUPS_SCHEMA`)."""
    defences: pa.Table | None = None
    """Active cells: what the campaigns paid and the customers bore
    (:data:`~simulator.bench.defences.loop.DEFENCE_SCHEMA`)."""
    wall_seconds: float = 0.0
    peak_rss_mb: float = 0.0
