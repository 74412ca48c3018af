"""The separability audit: can attackers be told apart without modelling extraction?

For each scenario, per-account aggregates of every visible column
(:mod:`~simulator.audit.aggregates`, named in :mod:`~simulator.audit.catalogue`,
each under one signal of :data:`~simulator.scenario.signals.SIGNALS`) are scored
against the ground truth: each feature's AUPRC lift over chance, the three-flag
reference rule, and a cross-validated gradient-boosting ceiling
(:mod:`~simulator.audit.separability`). An undeclared feature with a lift above
0.4 is an artefact of the simulator (:mod:`~simulator.audit.results`).

Everything loads on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from simulator.scenario.signals import SIGNALS

__all__ = [
    "ARTEFACT_LIFT",
    "FEATURES",
    "FEATURE_NAMES",
    "SIGNALS",
    "AccountAggregates",
    "AuditInputError",
    "Ceiling",
    "FolderTraffic",
    "ScenarioAudit",
    "ScenarioTraffic",
    "audit",
    "audit_path",
    "declared_signals",
    "email_style",
    "feature_separations",
    "lift",
    "open_source",
    "separation",
    "supervised_ceiling",
    "three_flag_score",
    "write_audit",
]

_LAZY = {
    "ARTEFACT_LIFT": "results",
    "FEATURES": "catalogue",
    "FEATURE_NAMES": "catalogue",
    "AccountAggregates": "aggregates",
    "AuditInputError": "sources",
    "Ceiling": "separability",
    "FolderTraffic": "sources",
    "ScenarioAudit": "results",
    "ScenarioTraffic": "sources",
    "audit": "engine",
    "audit_path": "engine",
    "declared_signals": "declared",
    "email_style": "email",
    "feature_separations": "separability",
    "lift": "separability",
    "open_source": "engine",
    "separation": "separability",
    "supervised_ceiling": "separability",
    "three_flag_score": "separability",
    "write_audit": "results",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator.audit' has no attribute {name!r}")
    return getattr(importlib.import_module(f"simulator.audit.{module}"), name)
