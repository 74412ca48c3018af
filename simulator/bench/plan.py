"""Planning a benchmark run: from what the user asked to the list of cells.

A :class:`RunPlan` is the whole configuration of a run (scenarios at their
sizes, detectors, seeds, modes, alarm policy, the operating points passive runs
are read at). Its cells are:

* passive: one cell per (scenario, seed) with every detector;
* active: one cell per (scenario, detector, seed), plus, when passive cells are
  not planned anyway, one passive cell per (scenario, seed) with no detector:
  the undefended reference that active leakage is measured against.

Every input problem is reported as a :class:`BenchInputError` listing what is
wrong and what is valid, before anything runs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from detectors.base import Detector, ParameterError
from detectors.registry import UnknownDetectorError, configure, names, parse_spec, resolve
from simulator import __version__
from simulator.bench.budgets import Budgets
from simulator.bench.cells import Cell, DetectorSpec, ScenarioSpec
from simulator.bench.defences.specs import DefenceStack, parse_stack
from simulator.bench.operating import OperatingPoints
from simulator.bench.policy import AlarmPolicy
from simulator.bench.suite import QUICK_SUITE, Suite, bundled_suite, load_suite
from simulator.bench.sweep import apply_point, expand_sweep, point_label
from simulator.metrics.catalogue import REFERENCE_ROWS
from simulator.metrics.outcomes import Mode
from simulator.scenario import Scenario
from simulator.scenario.bundled import missing_hint, resolve_scenario_path, resolve_suite_path
from simulator.scenario.loading import ScenarioError, load_scenario

__all__ = ["BenchInputError", "DetectorChoice", "ModeChoice", "RunPlan", "plan_run"]

ModeChoice = Literal["passive", "active", "both"]


class BenchInputError(ValueError):
    """The run cannot start: ``problems`` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class RunPlan:
    """Everything a run does, resolved and validated."""

    name: str
    """The suite's name, or ``custom`` for scenarios given directly."""
    scenarios: tuple[ScenarioSpec, ...]
    detectors: tuple[DetectorSpec, ...]
    seeds: tuple[int, ...]
    modes: tuple[Mode, ...]
    policy: AlarmPolicy
    record_scores: bool = True
    references: bool = True
    """Add the reference rows (``artefacts``, ``supervised-ceiling``) to passive runs."""
    operating: OperatingPoints = field(default_factory=OperatingPoints)
    """The analysts' budget and the warm-up threshold passive runs are read at (each
    scenario's warm-up is its :attr:`~simulator.bench.cells.ScenarioSpec.warmup`), and the
    extraction share that labels mixed-traffic accounts (scenarios with resale, both modes)."""
    stacks: tuple[DefenceStack, ...] = ()
    """Defence stacks of the active cells (none: the alarm policy alone)."""
    budgets: Budgets = field(default_factory=Budgets)
    """What a detector call and a cell may use (the suite's, or the defaults); not part of any cell's key."""

    def passive_cell(self, scenario: ScenarioSpec, seed: int) -> Cell:
        """The passive cell of (scenario, seed): every detector, or none when only
        active mode runs (then it is just the undefended reference)."""
        passive = "passive" in self.modes
        detectors = self.detectors if passive else ()
        warmup = passive and scenario.has_warmup
        return Cell(
            "passive",
            scenario,
            seed,
            detectors,
            self.policy,
            self.record_scores,
            self.references and passive,
            warmup_ticks=scenario.warmup_ticks if warmup else 0,
            target_fpr=self.operating.target_fpr if warmup else None,
        )

    def active_cells(self, scenario: ScenarioSpec, seed: int) -> list[Cell]:
        """The closed-loop cells of (scenario, seed), one per detector (none unless active mode runs)."""
        if "active" not in self.modes:
            return []
        stacks = self.stacks or (None,)
        return [
            Cell("active", scenario, seed, (stacked(d, stack),), self.policy, self.record_scores, defences=stack)
            for d in self.detectors
            for stack in stacks
        ]

    @cached_property
    def cells(self) -> tuple[Cell, ...]:
        """Every cell, scenario by scenario and seed by seed (passive first)."""
        return tuple(
            cell
            for scenario in self.scenarios
            for seed in self.seeds
            for cell in [self.passive_cell(scenario, seed), *self.active_cells(scenario, seed)]
        )

    @property
    def fingerprint(self) -> str:
        """A hash of every cell's key: two plans with the same fingerprint compute the same."""
        keys = "\n".join(cell.key for cell in self.cells)
        return hashlib.sha256(keys.encode()).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        """The configuration, for ``run.json``."""
        return {
            "suite": self.name,
            "extractbench_version": __version__,
            "scenarios": [s.describe() for s in self.scenarios],
            "detectors": [d.describe() for d in self.detectors],
            "seeds": list(self.seeds),
            "modes": list(self.modes),
            "threshold": self.policy.threshold,
            "policy": self.policy.model_dump(mode="json"),
            "record_scores": self.record_scores,
            "references": self.references,
            "operating": self.operating.model_dump(mode="json"),
            "fingerprint": self.fingerprint,
            **({"defences": [stack.model_dump(mode="json") for stack in self.stacks]} if self.stacks else {}),
        }


def stacked(detector: DetectorSpec, stack: DefenceStack | None) -> DetectorSpec:
    """``detector`` as it is labelled in a cell with ``stack``: ``<label>@<stack>`` for a
    non-empty stack, so that every stack is a row of its own in the results."""
    if stack is None or stack.empty:
        return detector
    return DetectorSpec(f"{detector.label}@{stack.name}", detector.prototype, detector.seeded)


DetectorChoice = str | Detector | tuple[str, Detector]
"""A registered name (or ``package.module:Class``), a configured detector (shown
under its class name), or a (label, detector) pair."""


def _detector_specs(detectors: Sequence[DetectorChoice] | None, problems: list[str]) -> tuple[DetectorSpec, ...]:
    chosen = list(names()) if detectors is None else list(detectors)
    if not chosen:
        problems.append("detectors: expected at least one detector")
    specs = []
    for item in chosen:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Detector):
            specs.append(DetectorSpec(str(item[0]), item[1].clone()))
        elif isinstance(item, Detector):
            specs.append(DetectorSpec(type(item).__name__, item.clone()))
        elif not isinstance(item, str):
            problems.append(f"detectors: expected names, Detector objects or (label, Detector) pairs, got {item!r}")
        else:
            try:
                name, params = parse_spec(item)
                cls = resolve(name).cls
                seeded = "seed" in cls.parameter_names() and "seed" not in params
                specs.append(DetectorSpec(item.strip(), configure(cls, **params), seeded=seeded))
            except (UnknownDetectorError, ParameterError) as exc:
                problems.append(f"detectors: {exc}")
    labels = [spec.label for spec in specs]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        problems.append(f"detectors: each detector once, got {', '.join(repeated)} more than once")
    taken = sorted(set(labels) & set(REFERENCE_ROWS))
    if taken:
        problems.append(
            f"detectors: {', '.join(taken)} names a reference row the harness adds; label the detector otherwise"
        )
    return tuple(specs)


def detector_specs(detectors: Sequence[DetectorChoice] | None) -> tuple[DetectorSpec, ...]:
    """The detectors of a run as :func:`plan_run` reads them (default: every registered one);
    raises :class:`BenchInputError` for unknown names or bad parameters."""
    problems: list[str] = []
    specs = _detector_specs(detectors, problems)
    if problems:
        raise BenchInputError(problems)
    return specs


def _resolve(
    scenario: Scenario,
    source: str,
    label: str | None,
    scale: float,
    duration: float | None,
    problems: list[str],
    tick: float | None = None,
    warmup: float = 0.0,
) -> ScenarioSpec | None:
    try:
        resolved = scenario.resolved(duration=duration, scale=scale, tick=tick)
    except ValidationError as exc:
        errors = exc.errors()
        shown = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'][0].lower()}{e['msg'][1:]}, got {e.get('input')!r}"
            for e in errors[:3]
        )
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        problems.append(f"{source}: the scale, duration or tick does not fit this scenario: {shown}{more}")
        return None
    except ValueError as exc:
        problems.append(f"{source}: the scale, duration or tick does not fit this scenario: {exc}")
        return None
    return ScenarioSpec(label or scenario.name, resolved, source, scale, warmup)


def _load(path: Path, problems: list[str]) -> Scenario | None:
    path = resolve_scenario_path(path)
    if not path.exists():
        problems.append(missing_hint(path))
        return None
    try:
        return load_scenario(path)
    except ScenarioError as error:
        problems += [str(problem) for problem in error.problems]
        return None


def _sweep_points(spec: ScenarioSpec, suite: Suite, suite_path: Path, problems: list[str]) -> list[ScenarioSpec]:
    """``spec`` at every point of the suite's sweep (itself, without one)."""
    if not suite.sweep:
        return [spec]
    specs = []
    for point in expand_sweep(suite.sweep):
        swept = apply_point(spec.scenario, point, suite_path)
        if isinstance(swept, list):
            problems += [str(problem) for problem in swept if str(problem) not in problems]
            continue
        specs.append(replace(spec, label=point_label(spec.label, point), scenario=swept, point=point))
    return specs


def _suite_scenarios(
    suite: Suite,
    suite_path: Path,
    scale: float,
    duration: float | None,
    warmup: float | None,
    problems: list[str],
) -> list[ScenarioSpec]:
    specs = []
    for entry in suite.scenarios:
        path = (suite_path.parent / entry.path).resolve()
        scenario = _load(path, problems)
        if scenario is not None:
            window = next(w for w in (warmup, entry.warmup, suite.operating.warmup) if w is not None)
            spec = _resolve(
                scenario,
                str(path),
                entry.label,
                entry.scale * scale,
                duration or entry.duration,
                problems,
                entry.tick,
                float(window),
            )
            if spec is not None:
                specs += _sweep_points(spec, suite, suite_path, problems)
    return specs


def _policy(
    policy: AlarmPolicy | Mapping[str, Any] | None, threshold: float | None, base: AlarmPolicy, problems: list[str]
) -> AlarmPolicy:
    if isinstance(policy, AlarmPolicy):
        base, overrides = policy, {}
    else:
        overrides = dict(policy or {})
    if threshold is not None:
        overrides["threshold"] = threshold
    try:
        return AlarmPolicy.model_validate({**base.model_dump(), **overrides})
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            problems.append(f"{where}: {error['msg'][0].lower()}{error['msg'][1:]}, got {error['input']!r}")
        return base


def _operating(
    operating: OperatingPoints | Mapping[str, Any] | None,
    overrides: dict[str, Any],
    base: OperatingPoints,
    problems: list[str],
) -> OperatingPoints:
    if isinstance(operating, OperatingPoints):
        base, given = operating, {}
    else:
        given = dict(operating or {})
    given |= {name: value for name, value in overrides.items() if value is not None}
    try:
        return OperatingPoints.model_validate({**base.model_dump(), **given})
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            problems.append(f"{where}: {error['msg'][0].lower()}{error['msg'][1:]}, got {error['input']!r}")
        return base


def plan_run(
    scenarios: Sequence[str | Path | Scenario] | None = None,
    *,
    suite: str | Path | None = None,
    detectors: Sequence[DetectorChoice] | None = None,
    seeds: int | Sequence[int] | None = None,
    mode: ModeChoice | None = None,
    policy: AlarmPolicy | Mapping[str, Any] | None = None,
    threshold: float | None = None,
    scale: float = 1.0,
    duration: float | None = None,
    record_scores: bool = True,
    references: bool = True,
    operating: OperatingPoints | Mapping[str, Any] | None = None,
    reviews_per_day: float | None = None,
    review_order: str | None = None,
    warmup: float | None = None,
    target_fpr: float | None = None,
    defences: Sequence[DefenceStack | str] | None = None,
    extraction_share: float | None = None,
    allow_module_detectors: bool = False,
) -> RunPlan:
    """Resolve a run request into a :class:`RunPlan`; raise :class:`BenchInputError`
    listing every problem.

    With neither ``scenarios`` nor ``suite``, the bundled quick suite runs. Options
    left at None take the suite's values (or: every registered detector, 3 seeds,
    passive, the default policy). ``policy`` is an :class:`AlarmPolicy`, or a
    mapping of fields that override the suite's (or the default) policy, such as
    ``{"action": "throttle"}``; ``threshold`` overrides its threshold. ``scale``
    multiplies each scenario's scale (the suite's, or 1); ``duration`` (seconds)
    replaces every scenario's span. ``references`` adds the reference rows
    (``artefacts``, ``supervised-ceiling``) beside the detectors of passive runs.
    ``operating`` (an :class:`OperatingPoints` or a mapping of fields that override
    the suite's, or the defaults) sets the analysts' budget and the warm-up threshold
    passive runs are read at; ``reviews_per_day``, ``review_order``, ``warmup``
    (seconds; it replaces every scenario's warm-up), ``target_fpr`` and ``extraction_share`` (the
    share of extraction requests that makes a mixed-traffic account an attacker's, in scenarios
    with resale) override one field each.
    A suite's detectors are registered names only, unless ``allow_module_detectors``
    (:func:`~simulator.bench.suite.load_suite`); ``detectors`` given here may name any class.
    """
    problems: list[str] = []
    loaded: Suite | None = None
    specs: list[ScenarioSpec] = []
    scale_ok = math.isfinite(scale) and scale > 0
    if not scale_ok:
        problems.append(f"scale: expected a finite number > 0, got {scale}")
        scale = 1.0  # the scenarios are still read and checked, at their own size
    base_operating = OperatingPoints()
    suite_path: Path | None = None
    if not scenarios:
        suite_path = resolve_suite_path(suite) if suite is not None else bundled_suite(QUICK_SUITE)
        if suite_path is None:
            raise BenchInputError(
                [
                    "no scenario given and the bundled quick suite was found neither in the installed package "
                    "(simulator.bundled) nor in a source checkout (scenarios/suites/quick.yaml); "
                    "reinstall extractbench or give scenario files"
                ]
            )
        try:
            loaded = load_suite(suite_path, allow_module_detectors=allow_module_detectors)
        except ScenarioError as error:
            raise BenchInputError([str(problem) for problem in error.problems]) from None
        base_operating = loaded.operating
    chosen_operating = _operating(
        operating,
        {
            "reviews_per_day": reviews_per_day,
            "review_order": review_order,
            "warmup": warmup,
            "target_fpr": target_fpr,
            "extraction_share": extraction_share,
        },
        base_operating,
        problems,
    )
    if scenarios:
        window = float(chosen_operating.warmup)
        for item in scenarios:
            if isinstance(item, Scenario):
                spec = _resolve(item, "<object>", None, scale, duration, problems, warmup=window)
            else:
                scenario = _load(Path(item), problems)
                spec = (
                    None
                    if scenario is None
                    else _resolve(scenario, str(item), None, scale, duration, problems, warmup=window)
                )
            if spec is not None:
                specs.append(spec)
    else:
        assert loaded is not None and suite_path is not None
        # a warm-up given here replaces every scenario's; else each takes the suite's
        given = warmup is not None or isinstance(operating, OperatingPoints)
        given = given or (isinstance(operating, Mapping) and "warmup" in operating)
        if scale_ok:
            window = float(chosen_operating.warmup) if given else None
            specs = _suite_scenarios(loaded, suite_path, scale, duration, window, problems)
    labels = [spec.label for spec in specs]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        problems.append(f"scenarios: each scenario name once, got {', '.join(repeated)} more than once")

    if detectors is None and loaded is not None:
        detectors = loaded.detectors
    detector_specs = _detector_specs(detectors, problems)
    chosen_seeds = seeds if seeds is not None else (loaded.seeds if loaded else 3)
    seed_list = tuple(range(chosen_seeds)) if isinstance(chosen_seeds, int) else tuple(int(s) for s in chosen_seeds)
    if not seed_list or min(seed_list) < 0 or len(set(seed_list)) != len(seed_list):
        problems.append(f"seeds: expected a positive count or distinct non-negative seeds, got {chosen_seeds!r}")
    chosen_mode = mode or (loaded.mode if loaded else "passive")
    if chosen_mode not in ("passive", "active", "both"):
        problems.append(f"mode: expected passive, active or both, got {chosen_mode!r}")
    modes: tuple[Mode, ...] = ("passive", "active") if chosen_mode == "both" else (chosen_mode,)  # type: ignore[assignment]
    chosen_policy = _policy(policy, threshold, loaded.policy if loaded else AlarmPolicy(), problems)
    stacks = _stacks(defences if defences is not None else (loaded.defences if loaded else None), problems)
    if problems:
        raise BenchInputError(problems)
    return RunPlan(
        name=loaded.name if loaded else "custom",
        scenarios=tuple(specs),
        detectors=detector_specs,
        seeds=seed_list,
        modes=modes,
        policy=chosen_policy,
        record_scores=record_scores,
        references=references,
        operating=chosen_operating,
        stacks=stacks,
        budgets=loaded.budgets if loaded else Budgets(),
    )


def _stacks(given: Sequence[DefenceStack | str] | None, problems: list[str]) -> tuple[DefenceStack, ...]:
    stacks = []
    for item in given or ():
        try:
            stacks.append(item if isinstance(item, DefenceStack) else parse_stack(item))
        except ValueError as exc:
            problems.append(f"defences: {exc}")
    names = [stack.name for stack in stacks]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"defences: each stack once, got {', '.join(repeated)} more than once")
    return tuple(stacks)
