"""All metrics of one detector on one run, from its results data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulator.metrics.accounts import Confusion, auprc, recall_at_fpr
from simulator.metrics.campaigns import (
    accounts_caught,
    campaign_detection,
    detection_rate,
    leakage_share,
    leakage_tokens,
    served_before_alarm,
    ttd_quantile,
)
from simulator.metrics.catalogue import METRICS, RANKING_METRICS
from simulator.metrics.collateral import (
    alarms_per_day,
    legit_denied_share,
    legit_flagged,
    legit_flagged_token_share,
    legit_output_lost_share,
)
from simulator.metrics.outcomes import RunFrame

__all__ = ["evaluate", "evaluate_ranking"]


def evaluate(
    outcomes: pd.DataFrame, campaigns: pd.DataFrame, frame: RunFrame, owned: pd.DataFrame | None = None
) -> dict[str, float]:
    """Every metric of :data:`~simulator.metrics.catalogue.METRICS` that applies to
    ``frame.mode``, in catalogue order.

    ``outcomes`` and ``campaigns`` have the columns of
    :data:`~simulator.metrics.outcomes.OUTCOME_SCHEMA` and
    :data:`~simulator.metrics.outcomes.CAMPAIGN_SCHEMA`; in active mode ``frame``
    carries the undefended totals that leakage and customer losses are measured
    against (passive runs use their own totals).

    ``owned``: the same rows labelled by ownership (a campaign's account is an
    attacker's), when ``outcomes`` are labelled otherwise (by extraction share,
    :func:`~simulator.metrics.requests.share_labelled`). The
    :data:`~simulator.metrics.catalogue.OWNERSHIP_METRICS` then read it, since their
    references (the campaigns' output, the customers' undefended output) are totals by
    ownership; every other metric reads ``outcomes``.
    """
    owned = outcomes if owned is None else owned
    active = outcomes["requests"].to_numpy() > 0
    truth = outcomes["campaign"].notna().to_numpy()[active]
    alarmed = np.isfinite(outcomes["alarm_ts"].to_numpy(dtype=np.float64)[active])
    scores = outcomes["max_score"].to_numpy(dtype=np.float64)[active]
    confusion = Confusion.of(truth, alarmed)
    table = campaign_detection(outcomes, frame.duration)
    leaked = leakage_tokens(owned, campaigns, frame.mode)
    if frame.mode == "active":
        reference = math.nan if frame.undefended_campaign_tokens is None else frame.undefended_campaign_tokens
    else:
        reference = float(campaigns["output_tokens"].sum())
    values = {
        "precision": confusion.precision,
        "recall": confusion.recall,
        "f1": confusion.f1,
        "fpr": confusion.fpr,
        "auprc": auprc(truth, scores),
        "recall_at_fpr_0.001": recall_at_fpr(truth, scores, 0.001),
        "detection_rate": detection_rate(table),
        "ttd_median_s": ttd_quantile(table, 0.5),
        "ttd_p90_s": ttd_quantile(table, 0.9),
        "accounts_caught": accounts_caught(table),
        "served_before_alarm": served_before_alarm(outcomes),
        "leakage_tokens": leaked,
        "leakage_share": leakage_share(leaked, reference),
        "legit_flagged": legit_flagged(outcomes),
        "legit_flagged_token_share": legit_flagged_token_share(outcomes),
        "alarms_per_day": alarms_per_day(outcomes, frame.duration),
        "legit_denied_share": legit_denied_share(outcomes),
        "legit_output_lost_share": legit_output_lost_share(owned, frame.undefended_customer_tokens),
        "replacements": float(campaigns["replacements"].sum()),
    }
    return {
        name: float(values[name]) for name, info in METRICS.items() if frame.mode == "active" or not info.active_only
    }


def evaluate_ranking(outcomes: pd.DataFrame) -> dict[str, float]:
    """The :data:`~simulator.metrics.catalogue.RANKING_METRICS` of per-account scores
    alone (the ``max_score`` of active accounts), as :func:`evaluate` computes them."""
    active = outcomes["requests"].to_numpy() > 0
    truth = outcomes["campaign"].notna().to_numpy()[active]
    scores = outcomes["max_score"].to_numpy(dtype=np.float64)[active]
    values = {"auprc": auprc(truth, scores), "recall_at_fpr_0.001": recall_at_fpr(truth, scores, 0.001)}
    return {name: float(values[name]) for name in RANKING_METRICS}
