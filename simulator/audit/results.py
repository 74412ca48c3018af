"""What an audit finds for one scenario, and its JSON and CSV forms.

A feature is an **artefact** when its signal is not declared by any campaign of
the scenario and its lift exceeds the threshold (:data:`ARTEFACT_LIFT`): it
separates attackers without the scenario having asked for it. A feature that
ranks accounts as their request count does (:data:`VOLUME_FOLLOWING_RHO`) also
carries the ``volume`` signal, whatever its own: a count of conversations or of
active minutes is a count of requests in other words, declared when ``volume`` is. The three-flag
rule is an artefact when its lift exceeds the threshold and none of the three
signals it reads is declared. The supervised ceiling is reported, never judged:
declared tactics are meant to be learnable.

Numbers are rounded to six decimals in the JSON and CSV forms, so the same input
and seed give identical files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.audit.separability import THREE_FLAG_SIGNALS, Ceiling

__all__ = [
    "ARTEFACT_LIFT",
    "CSV_COLUMNS",
    "FeatureResult",
    "RuleResult",
    "ScenarioAudit",
    "audit_document",
    "audit_rows",
    "write_audit",
]

ARTEFACT_LIFT = 0.4
"""Lift above which an undeclared feature is an artefact."""

VOLUME_FOLLOWING_RHO = 0.9
"""|Spearman ρ| with the request count from which a feature follows volume."""

CSV_COLUMNS: tuple[str, ...] = (
    "scenario",
    "kind",
    "name",
    "signal",
    "ap",
    "lift",
    "direction",
    "declared",
    "artefact",
    "follows_volume",
)
"""Columns of ``audit.csv``: one row per feature, one for the three-flag rule, one for the ceiling."""

_DIGITS = 6


def _round(value: float) -> float:
    return round(float(value), _DIGITS) + 0.0  # + 0.0: no "-0.0" in the files


@dataclass(frozen=True)
class FeatureResult:
    """One feature's separation."""

    name: str
    signal: str
    ap: float
    lift: float
    direction: int
    """+1: higher for attackers; −1: lower."""
    declared: bool
    """Whether a campaign declares the feature's signal (or ``volume``, if the feature follows it)."""
    artefact: bool
    follows_volume: bool = False
    """Whether the feature ranks accounts as their request count does (|ρ| ≥ :data:`VOLUME_FOLLOWING_RHO`)."""


@dataclass(frozen=True)
class RuleResult:
    """The three-flag rule's separation (score higher for attackers by construction)."""

    ap: float
    lift: float
    signals: tuple[str, ...] = THREE_FLAG_SIGNALS
    declared: bool = False
    """Whether a campaign declares any of its signals."""
    artefact: bool = False


@dataclass(frozen=True)
class ScenarioAudit:
    """The audit of one scenario's traffic."""

    scenario: str
    location: str
    seed: int
    settings: dict[str, Any]
    requests: int
    accounts: int
    """Accounts with at least one request (the audited ones)."""
    attackers: int
    declared: tuple[str, ...]
    threshold: float = ARTEFACT_LIFT
    features: tuple[FeatureResult, ...] = ()
    """Best lift first, then by name; empty when there is nothing to audit."""
    three_flag: RuleResult | None = None
    ceiling: Ceiling | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def base_rate(self) -> float:
        """Share of audited accounts that are attackers."""
        return self.attackers / self.accounts if self.accounts else 0.0

    @property
    def audited(self) -> bool:
        """False when there is nothing to audit (no attackers, or no customers)."""
        return 0 < self.attackers < self.accounts

    @property
    def artefacts(self) -> list[str]:
        """Names of the artefacts (features, then ``three_flag_rule``)."""
        names = [f.name for f in self.features if f.artefact]
        if self.three_flag is not None and self.three_flag.artefact:
            names.append("three_flag_rule")
        return names

    @property
    def worst_undeclared(self) -> FeatureResult | None:
        """The undeclared feature with the highest lift."""
        return next((f for f in self.features if not f.declared), None)

    def describe_artefacts(self) -> str:
        """One line per artefact: name, signal and lift (for assertion messages)."""
        lines = [f"{f.name} ({f.signal}): lift {f.lift:.3f}" for f in self.features if f.artefact]
        if self.three_flag is not None and self.three_flag.artefact:
            lines.append(f"three_flag_rule: lift {self.three_flag.lift:.3f}")
        return f"{self.scenario}: " + ("; ".join(lines) if lines else "no artefact")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (rounded numbers, stable order)."""
        worst = self.worst_undeclared
        return {
            "scenario": self.scenario,
            "location": self.location,
            "seed": self.seed,
            "settings": self.settings,
            "requests": self.requests,
            "accounts": self.accounts,
            "attackers": self.attackers,
            "base_rate": _round(self.base_rate),
            "audited": self.audited,
            "notes": list(self.notes),
            "declared_signals": list(self.declared),
            "threshold": self.threshold,
            "artefacts": self.artefacts,
            "worst_undeclared": _feature(worst) if worst is not None else None,
            "three_flag_rule": None
            if self.three_flag is None
            else {
                "ap": _round(self.three_flag.ap),
                "lift": _round(self.three_flag.lift),
                "signals": list(self.three_flag.signals),
                "declared": self.three_flag.declared,
                "artefact": self.three_flag.artefact,
            },
            "supervised_ceiling": None
            if self.ceiling is None
            else {
                "model": "HistGradientBoostingClassifier",
                "folds": self.ceiling.folds,
                "ap": _round(self.ceiling.ap),
                "lift": _round(self.ceiling.lift),
                "fold_ap": [_round(v) for v in self.ceiling.fold_ap],
            },
            "features": [_feature(f) for f in self.features],
        }


def _feature(result: FeatureResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "signal": result.signal,
        "ap": _round(result.ap),
        "lift": _round(result.lift),
        "direction": result.direction,
        "declared": result.declared,
        "artefact": result.artefact,
        "follows_volume": result.follows_volume,
    }


def audit_document(audits: Sequence[ScenarioAudit]) -> dict[str, Any]:
    """The whole JSON document of one ``extractbench audit`` call."""
    from simulator import __version__

    return {
        "extractbench_version": __version__,
        "artefacts": sum(len(a.artefacts) for a in audits),
        "scenarios": [a.to_dict() for a in audits],
    }


def audit_rows(audits: Sequence[ScenarioAudit]) -> list[dict[str, Any]]:
    """The rows of ``audit.csv`` (:data:`CSV_COLUMNS`)."""
    rows: list[dict[str, Any]] = []
    for audit in audits:
        for f in audit.features:
            rows.append({"scenario": audit.scenario, "kind": "feature", **_feature(f)})
        if audit.three_flag is not None:
            rule = audit.three_flag
            rows.append(
                {
                    "scenario": audit.scenario,
                    "kind": "rule",
                    "name": "three_flag_rule",
                    "signal": "+".join(rule.signals),
                    "ap": _round(rule.ap),
                    "lift": _round(rule.lift),
                    "direction": 1,
                    "declared": rule.declared,
                    "artefact": rule.artefact,
                }
            )
        if audit.ceiling is not None:
            rows.append(
                {
                    "scenario": audit.scenario,
                    "kind": "ceiling",
                    "name": "supervised_ceiling",
                    "signal": "",
                    "ap": _round(audit.ceiling.ap),
                    "lift": _round(audit.ceiling.lift),
                    "direction": 1,
                    "declared": "",
                    "artefact": "",
                }
            )
    return rows


def write_audit(out: Path, audits: Sequence[ScenarioAudit]) -> tuple[Path, Path]:
    """Write ``audit.json`` and ``audit.csv`` under ``out``, each atomically."""
    from simulator.export import atomic_path, write_json

    out = Path(out)
    write_json(out / "audit.json", audit_document(audits))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(audit_rows(audits))
    with atomic_path(out / "audit.csv") as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
    return out / "audit.json", out / "audit.csv"
