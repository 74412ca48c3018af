"""Checking a run against a baseline: did a detection figure get worse?

Every figure (scenario, mode, detector, metric) of the baseline is compared with
the same figure of the results, in the metric's good direction (the catalogue's
``higher_is_better``: recall, precision, AUPRC, detection rate up is good; time
to detection, leakage, collateral, alarms per day up is bad)::

    worse = baseline − result   (higher is better)
    worse = result − baseline   (lower is better)

A figure has **regressed** when ``worse`` exceeds the metric's tolerance
(``--tolerance recall=0.05`` absolute, ``leakage_share=10%`` relative to the
baseline's value; 0 by default, plus 1e-9 for rounding) **and** the result lies
outside the baseline's 95% interval over seeds (its range over seeds for the
median time to detection), so that a change the seeds could produce on their own
is not a regression; ``strict`` drops the interval condition. Also regressions:

* ``failed``: a detector failed on a scenario and mode where the baseline has it;
* ``undefined``: a figure defined in the baseline and undefined in the results
  (a time to detection "not reached" is not undefined: it counts as +∞, worse
  than any time).

Improvements are found the same way in the other direction. Everything else is
unchanged, or changed within the tolerance or the interval.

**Comparability.** Seeds or alarm policy that differ from the baseline's make the
whole comparison meaningless: :class:`NotComparableError`. A scenario whose size
or definition (fingerprint) differs, a detector whose class or parameters
differ, or anything present on one side only is left out, with a warning
listing it; if nothing is left to compare, that is an error too.

The figures at deployment conditions are gated like the others, in their
catalogue direction, where they were read the same way: a scenario whose declared
customer base changed leaves all of them out; other operating points leave out the
budget figures (``reviews_per_day``, ``review_order``) or the warm-up ones
(``target_fpr``, or the scenario's warm-up), with a warning; another
``extraction_share`` leaves out every figure of the scenarios with resale (their
accounts are labelled by it). A metric of the results
that the baseline lacks (a baseline made before the metric existed) is listed in a
warning ("regenerate the baseline to gate it"), never a failure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from simulator.metrics.catalogue import (
    BUDGET_METRICS,
    CALIBRATION_METRICS,
    CATALOGUE,
    HARNESS_DEPLOYMENT_METRICS,
    REQUEST_METRICS,
)
from simulator.metrics.requests import EXTRACTION_SHARE_THRESHOLD
from simulator.results.aggregate import summarize
from simulator.results.baseline import Baseline, BaselineError
from simulator.results.folder import RunResults

__all__ = [
    "REGRESSIONS",
    "CheckResult",
    "Finding",
    "NotComparableError",
    "Tolerance",
    "ToleranceError",
    "Verdict",
    "check_results",
    "judge",
    "parse_tolerances",
]

Verdict = Literal[
    "regressed",
    "failed",
    "undefined",
    "improved",
    "worse within interval",
    "better within interval",
    "within tolerance",
    "newly defined",
    "unchanged",
]
REGRESSIONS: frozenset[str] = frozenset({"regressed", "failed", "undefined"})
"""Verdicts that fail the check."""
_ROUNDING = 1e-9


class NotComparableError(BaselineError):
    """The results and the baseline come from runs that cannot be compared."""


class ToleranceError(ValueError):
    """A ``--tolerance`` that cannot be used."""


@dataclass(frozen=True)
class Tolerance:
    """How much worse a metric may get: ``amount`` in the metric's unit, or a share of
    the baseline's value when ``relative``."""

    amount: float
    relative: bool = False

    def allowed(self, reference: float) -> float:
        """The allowed change from ``reference``.

        >>> Tolerance(0.05).allowed(0.8), Tolerance(0.1, relative=True).allowed(-200.0)
        (0.05, 20.0)
        """
        if self.relative:
            return self.amount * abs(reference) if math.isfinite(reference) else 0.0
        return self.amount

    def __str__(self) -> str:
        return f"{self.amount * 100:g}%" if self.relative else f"{self.amount:g}"


_TOLERANCE = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*=\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%?)\s*$")


def parse_tolerances(items: Sequence[str]) -> dict[str, Tolerance]:
    """``METRIC=VALUE`` (absolute) or ``METRIC=VALUE%`` (relative) items, by metric;
    raises :class:`ToleranceError` naming the bad item and the valid metrics.

    >>> parse_tolerances(["recall=0.05", "leakage_share=10%"])
    {'recall': Tolerance(amount=0.05, relative=False), 'leakage_share': Tolerance(amount=0.1, relative=True)}
    """
    tolerances: dict[str, Tolerance] = {}
    for item in items:
        match = _TOLERANCE.match(item)
        if match is None:
            raise ToleranceError(
                f"--tolerance {item!r}: expected METRIC=VALUE or METRIC=VALUE% with VALUE ≥ 0, e.g. recall=0.05 "
                "or leakage_share=10%"
            )
        metric, amount, percent = match.groups()
        if metric not in CATALOGUE:
            raise ToleranceError(f"--tolerance {item!r}: unknown metric {metric!r}; metrics: {', '.join(CATALOGUE)}")
        value = float(amount)
        tolerances[metric] = Tolerance(value / 100 if percent else value, relative=bool(percent))
    return tolerances


@dataclass(frozen=True)
class Finding:
    """One compared figure (or, for ``failed``, one detector on one scenario and mode)."""

    scenario: str
    mode: str
    detector: str
    metric: str
    baseline: float
    low: float
    high: float
    result: float
    allowed: float
    verdict: Verdict
    note: str = ""

    @property
    def regression(self) -> bool:
        return self.verdict in REGRESSIONS

    @property
    def change(self) -> float:
        """``result − baseline`` (NaN when either is undefined)."""
        return self.result - self.baseline


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a check."""

    findings: tuple[Finding, ...]
    warnings: tuple[str, ...]
    strict: bool
    tolerances: Mapping[str, Tolerance]
    baseline_run: str
    results_run: str

    @property
    def regressions(self) -> list[Finding]:
        return [f for f in self.findings if f.regression]

    @property
    def changed(self) -> list[Finding]:
        """Every finding but the unchanged, regressions first."""
        rank = {verdict: i for i, verdict in enumerate(Verdict.__args__)}  # type: ignore[attr-defined]
        moved = [f for f in self.findings if f.verdict != "unchanged"]
        return sorted(moved, key=lambda f: (rank[f.verdict], f.scenario, f.mode, f.detector))

    @property
    def ok(self) -> bool:
        return not self.regressions


def _censored(metric: str) -> bool:
    info = CATALOGUE.get(metric)
    return bool(info is not None and info.censored)


def judge(
    metric: str, baseline: float, low: float, high: float, result: float, tolerance: Tolerance | None, strict: bool
) -> tuple[Verdict, float]:
    """The verdict on one figure, and the change allowed.

    >>> judge("recall", 0.8, 0.7, 0.9, 0.75, None, strict=False)
    ('worse within interval', 0.0)
    >>> judge("recall", 0.8, 0.7, 0.9, 0.75, None, strict=True)
    ('regressed', 0.0)
    >>> judge("recall", 0.8, 0.7, 0.9, 0.6, Tolerance(0.25), strict=False)
    ('within tolerance', 0.25)
    >>> judge("ttd_median_s", 600.0, 300.0, 900.0, float("nan"), None, strict=False)  # no longer detected
    ('regressed', 0.0)
    >>> judge("leakage_share", 0.5, 0.4, 0.6, 0.2, None, strict=False)
    ('improved', 0.0)
    """
    censored = _censored(metric)
    if censored:
        # "not reached" is later than any detection; an open end of the range means some seed missed
        baseline = math.inf if math.isnan(baseline) else baseline
        result = math.inf if math.isnan(result) else result
        high = math.inf if math.isnan(high) else high
    elif math.isnan(baseline) or math.isnan(result):
        if math.isnan(baseline) and math.isnan(result):
            return "unchanged", 0.0
        return ("undefined" if math.isnan(result) else "newly defined"), 0.0
    allowed = tolerance.allowed(baseline) if tolerance is not None else 0.0
    if baseline == result:
        return "unchanged", allowed
    info = CATALOGUE.get(metric)
    higher_is_better = info.higher_is_better if info is not None else True
    worse = (baseline - result) if higher_is_better else (result - baseline)
    slack = allowed + _ROUNDING * max(1.0, abs(baseline) if math.isfinite(baseline) else 1.0)
    inside = bool(low <= result <= high) if not (math.isnan(low) or math.isnan(high)) else False
    if worse > slack:
        return ("regressed" if strict or not inside else "worse within interval"), allowed
    if -worse > slack:
        return ("improved" if strict or not inside else "better within interval"), allowed
    return ("within tolerance" if abs(worse) > _ROUNDING else "unchanged"), allowed


def _comparable_scenarios(baseline: Baseline, plan: dict, warnings: list[str]) -> set[str]:
    mine = {s["label"]: s for s in plan["scenarios"]}
    usable = set()
    for scenario in baseline.plan.scenarios:
        current = mine.get(scenario.label)
        if current is None:
            warnings.append(f"scenario {scenario.label}: in the baseline, not in the results: not compared")
            continue
        differences = [
            f"{name} {getattr(scenario, name)} → {current.get(name)}"
            for name in ("scale", "duration_s", "ticks")
            if not math.isclose(float(getattr(scenario, name)), float(current.get(name, math.nan)))
        ]
        if scenario.fingerprint and current.get("fingerprint") and scenario.fingerprint != current["fingerprint"]:
            differences.append("its definition changed (fingerprint)")
        if differences:
            warnings.append(f"scenario {scenario.label}: {'; '.join(differences)}: not compared")
            continue
        usable.add(scenario.label)
    for label in sorted(set(mine) - {s.label for s in baseline.plan.scenarios}):
        warnings.append(f"scenario {label}: not in the baseline: not compared")
    return usable


def _comparable_detectors(baseline: Baseline, plan: dict, warnings: list[str]) -> set[str]:
    mine = {d["label"]: d for d in plan["detectors"]}
    usable = set()
    for detector in baseline.plan.detectors:
        current = mine.get(detector.label)
        if current is None:
            warnings.append(f"detector {detector.label}: in the baseline, not in the results: not compared")
        elif current["class"] != detector.cls or current["params"] != detector.params:
            warnings.append(
                f"detector {detector.label}: configured differently ({detector.cls} {detector.params} → "
                f"{current['class']} {current['params']}): not compared"
            )
        else:
            usable.add(detector.label)
    new = sorted(set(mine) - {d.label for d in baseline.plan.detectors})
    if new:
        warnings.append(f"not in the baseline (regenerate it to gate them): {', '.join(new)}")
    return usable


def _differently_read(baseline: Baseline, plan: dict, warnings: list[str]) -> set[tuple[str, str]]:
    """(scenario, metric) pairs of deployment figures read at other conditions than the
    baseline's: not compared. ``("*", metric)`` stands for every scenario."""
    skipped: set[tuple[str, str]] = set()
    before, now = baseline.plan.operating, plan.get("operating")
    if before is not None and now is not None:
        for names, keys, what in (
            (BUDGET_METRICS, ("reviews_per_day", "review_order"), "budget"),
            (CALIBRATION_METRICS, ("target_fpr",), "warm-up threshold"),
        ):
            changed = [f"{key} {before.get(key)} → {now.get(key)}" for key in keys if before.get(key) != now.get(key)]
            if changed:
                warnings.append(f"{what} figures read at other operating points ({'; '.join(changed)}): not compared")
                skipped |= {("*", name) for name in names}
        was = before.get("extraction_share", EXTRACTION_SHARE_THRESHOLD)
        is_ = now.get("extraction_share", EXTRACTION_SHARE_THRESHOLD)
        if was != is_:
            # scenarios with resale (those with request-level figures) label every account by this share
            frame = baseline.frame()
            mixed = sorted(set(frame.loc[frame["metric"].isin(REQUEST_METRICS), "scenario"]))
            for label in mixed:
                warnings.append(
                    f"scenario {label}: accounts labelled at another extraction share ({was} → {is_}): not compared"
                )
            skipped |= {(label, name) for label in mixed for name in CATALOGUE}
    mine = {s["label"]: s for s in plan["scenarios"]}
    for scenario in baseline.plan.scenarios:
        current = mine.get(scenario.label)
        if current is None or scenario.warmup_s is None:
            continue
        if scenario.deployment != current.get("deployment"):
            warnings.append(
                f"scenario {scenario.label}: customer base {scenario.deployment} → {current.get('deployment')}: "
                "deployment figures not compared"
            )
            skipped |= {(scenario.label, name) for name in HARNESS_DEPLOYMENT_METRICS}
        elif current.get("warmup_s") is not None and not math.isclose(scenario.warmup_s, current["warmup_s"]):
            warnings.append(
                f"scenario {scenario.label}: warm-up {scenario.warmup_s:g}s → {current['warmup_s']:g}s: "
                "warm-up threshold figures not compared"
            )
            skipped |= {(scenario.label, name) for name in CALIBRATION_METRICS}
    return skipped


def _require_same_run_settings(baseline: Baseline, plan: dict) -> None:
    problems = []
    if list(baseline.plan.seeds) != [int(s) for s in plan["seeds"]]:
        problems.append(f"seeds {baseline.plan.seeds} in the baseline, {plan['seeds']} in the results")
    if baseline.plan.policy != plan["policy"]:
        problems.append(f"alarm policy {baseline.plan.policy} in the baseline, {plan['policy']} in the results")
    if problems:
        raise NotComparableError(
            "the results are not comparable with the baseline: "
            + "; ".join(problems)
            + ". Rerun with the baseline's settings, or make a new baseline with `extractbench baseline`."
        )


def check_results(
    results: RunResults,
    baseline: Baseline,
    tolerances: Mapping[str, Tolerance] | None = None,
    strict: bool = False,
) -> CheckResult:
    """Compare ``results`` with ``baseline`` (see the module); raises
    :class:`NotComparableError` if the runs cannot be compared at all."""
    tolerances = dict(tolerances or {})
    plan = results.config["plan"]
    _require_same_run_settings(baseline, plan)
    warnings: list[str] = []
    if baseline.extractbench_version != str(plan.get("extractbench_version", "")):
        warnings.append(
            f"extractbench {baseline.extractbench_version} made the baseline, "
            f"{plan.get('extractbench_version')} the results"
        )
    for mode in sorted(set(baseline.plan.modes) - set(plan["modes"])):
        warnings.append(f"mode {mode}: in the baseline, not in the results: not compared")
    scenarios = _comparable_scenarios(baseline, plan, warnings)
    detectors = _comparable_detectors(baseline, plan, warnings)
    figures = baseline.frame()
    figures = figures[
        figures["scenario"].isin(scenarios) & figures["detector"].isin(detectors) & figures["mode"].isin(plan["modes"])
    ]
    unknown = sorted(set(figures["metric"]) - set(CATALOGUE))
    if unknown:
        warnings.append(f"metrics no longer computed: {', '.join(unknown)}: not compared")
        figures = figures[figures["metric"].isin(CATALOGUE)]
    skipped = _differently_read(baseline, plan, warnings)
    if skipped:
        keep = [
            (scenario, metric) not in skipped and ("*", metric) not in skipped
            for scenario, metric in zip(figures["scenario"], figures["metric"], strict=True)
        ]
        figures = figures[keep]
    compared = results.metrics[
        results.metrics["scenario"].isin(scenarios)
        & results.metrics["detector"].isin(detectors)
        & results.metrics["mode"].isin(baseline.plan.modes)
    ]
    new = [m for m in CATALOGUE if m in set(compared["metric"]) - set(baseline.frame()["metric"])]
    if new:
        warnings.append(f"metrics not in the baseline (regenerate it to gate them): {', '.join(new)}")
    if figures.empty:
        raise NotComparableError(
            "nothing to compare: no scenario, detector and mode is both in the baseline and (configured the same) "
            "in the results" + ("".join(f"\n  {w}" for w in warnings))
        )
    failed = {
        (str(f.scenario), str(f.mode), str(f.detector)): f"seed {f.seed}, tick {f.tick}: {f.reason}"
        for f in results.failures.itertuples(index=False)
    }
    already = {(str(f["scenario"]), str(f["mode"]), str(f["detector"])) for f in baseline.failures}
    current = summarize(results.metrics).set_index(["scenario", "mode", "detector", "metric"])
    findings: list[Finding] = []
    for key, group in figures.groupby(["scenario", "mode", "detector"], sort=True):
        scenario, mode, detector = (str(k) for k in key)
        if key in failed and key not in already:
            nan = math.nan
            findings.append(Finding(scenario, mode, detector, "–", nan, nan, nan, nan, 0.0, "failed", failed[key]))
            continue
        for figure in group.itertuples(index=False):
            where = (scenario, mode, detector, figure.metric)
            result = float(current.loc[where, "value"]) if where in current.index else math.nan
            verdict, allowed = judge(
                figure.metric,
                float(figure.value),
                float(figure.low),
                float(figure.high),
                result,
                tolerances.get(figure.metric),
                strict,
            )
            findings.append(
                Finding(
                    scenario,
                    mode,
                    detector,
                    figure.metric,
                    float(figure.value),
                    float(figure.low),
                    float(figure.high),
                    result,
                    allowed,
                    verdict,
                )
            )
    return CheckResult(
        tuple(findings), tuple(warnings), strict, tolerances, baseline.run_id, str(results.config["run_id"])
    )
