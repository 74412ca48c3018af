"""The audit of one scenario: aggregate its traffic per account, then measure
how far each label-free feature, the three-flag rule and a supervised model
separate its attackers (:mod:`simulator.audit.separability`).

The labels are read only after the whole stream has been aggregated, and only
to score the features; the features themselves never see them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.audit.aggregates import AccountAggregates
from simulator.audit.catalogue import FEATURE_SIGNALS
from simulator.audit.results import ARTEFACT_LIFT, VOLUME_FOLLOWING_RHO, FeatureResult, RuleResult, ScenarioAudit
from simulator.audit.separability import (
    THREE_FLAG_SIGNALS,
    average_precision,
    feature_separations,
    lift,
    supervised_ceiling,
    three_flag_score,
)
from simulator.audit.sources import AuditInputError, FolderTraffic, ProgressCallback, ScenarioTraffic, TrafficSource

__all__ = ["audit", "audit_path", "open_source"]


def open_source(
    path: str | Path,
    *,
    seed: int | None = None,
    duration: float | None = None,
    scale: float = 1.0,
    tick: float | None = None,
) -> TrafficSource:
    """A scenario file (resolved with the overrides) or a simulated folder (audited as
    written: the overrides must be left unset). Raises
    :class:`~simulator.scenario.loading.ScenarioError` for a bad scenario file,
    :class:`~simulator.audit.sources.AuditInputError` for a bad folder or for overrides that do not fit the scenario."""
    path = Path(path)
    if path.is_dir():
        if seed is not None or duration is not None or scale != 1.0 or tick is not None:
            raise AuditInputError(
                f"{path}: a simulated folder is audited as written; "
                "--seed, --duration, --scale and --tick apply to scenario files only"
            )
        return FolderTraffic(path)
    from simulator.scenario.loading import load_scenario

    loaded = load_scenario(path)
    try:
        scenario = loaded.resolved(seed=seed, duration=duration, scale=scale, tick=tick)
    except ValueError as exc:
        raise AuditInputError(f"{path}: the overrides do not fit this scenario: {exc}") from None
    settings = {"scale": scale, "duration": scenario.duration, "tick": scenario.tick}
    return ScenarioTraffic(scenario, str(path), settings=settings)


def audit(
    source: TrafficSource,
    *,
    threshold: float = ARTEFACT_LIFT,
    folds: int = 5,
    progress: ProgressCallback | None = None,
) -> ScenarioAudit:
    """Aggregate ``source``'s traffic and audit it (see the module docstring)."""
    aggregates = AccountAggregates(source.origin)
    for requests, registry in source.stream(progress):
        aggregates.register(registry)
        aggregates.update(requests)
    features = aggregates.features(source.tiers)
    labels = source.labels().set_index("account_id")["is_attacker"]
    y = labels.reindex(features.index).fillna(False).to_numpy(dtype=bool)
    declared = tuple(sorted(source.declared))
    common = {
        "scenario": source.name,
        "location": source.location,
        "seed": source.seed,
        "settings": source.settings,
        "requests": aggregates.rows,
        "accounts": len(features),
        "attackers": int(y.sum()),
        "declared": declared,
        "threshold": threshold,
    }
    if not 0 < y.sum() < y.size:
        note = "no attackers: nothing to audit" if y.sum() == 0 else "no customers: nothing to audit"
        return ScenarioAudit(**common, notes=(note,))
    table = feature_separations(features, y, FEATURE_SIGNALS)
    following = volume_following(features)
    results = []
    for row in table.itertuples(index=False):
        follows = row.feature in following
        is_declared = row.signal in source.declared or (follows and "volume" in source.declared)
        results.append(
            FeatureResult(
                name=row.feature,
                signal=row.signal,
                ap=float(row.ap),
                lift=float(row.lift),
                direction=int(row.direction),
                declared=is_declared,
                artefact=not is_declared and float(row.lift) > threshold,
                follows_volume=follows,
            )
        )
    rule_ap = average_precision(three_flag_score(features), y)  # a rule has its direction: higher = attacker
    rule_lift = lift(rule_ap, float(y.mean()))
    rule_declared = any(signal in source.declared for signal in THREE_FLAG_SIGNALS)
    three_flag = RuleResult(
        ap=rule_ap,
        lift=rule_lift,
        declared=rule_declared,
        artefact=not rule_declared and rule_lift > threshold,
    )
    ceiling = supervised_ceiling(features, y, folds=folds)
    notes = () if ceiling is not None else ("too few attackers or customers for a cross-validated ceiling",)
    return ScenarioAudit(**common, features=tuple(results), three_flag=three_flag, ceiling=ceiling, notes=notes)


def volume_following(features: pd.DataFrame, *, rho: float = VOLUME_FOLLOWING_RHO) -> frozenset[str]:
    """Names of the features whose Spearman rank correlation with the accounts'
    request count (the ``requests`` feature) is at least ``rho`` in absolute value:
    they measure volume, whatever signal their name belongs to. Constant features
    correlate with nothing."""
    if "requests" not in features or len(features) < 3:
        return frozenset()
    ranks = features.rank()  # Spearman's ρ is Pearson's on ranks; constant columns give NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        correlations = ranks.corrwith(ranks["requests"])
    return frozenset(str(name) for name, value in correlations.items() if np.isfinite(value) and abs(value) >= rho)


def audit_path(
    path: str | Path,
    *,
    seed: int | None = None,
    duration: float | None = None,
    scale: float = 1.0,
    tick: float | None = None,
    threshold: float = ARTEFACT_LIFT,
) -> ScenarioAudit:
    """Audit a scenario file (simulated in memory with the overrides) or a simulated folder.

    The check a shipped scenario must pass once the simulator has no artefacts::

        result = audit_path("scenarios/hydra-cluster.yaml", scale=0.05, duration=86400)
        assert not result.artefacts, result.describe_artefacts()
    """
    return audit(open_source(path, seed=seed, duration=duration, scale=scale, tick=tick), threshold=threshold)
