"""Importance weights for prevalence: reading a run at the attacker share of a real customer base.

A scenario simulates a few thousand customers next to campaigns at the size of the
public reports, so attackers are 14–59% of its active accounts; a provider has
millions of customers and attackers far below 1%. A scenario that declares the
customer population it stands for (say 2,000,000 accounts) lets every simulated
customer stand for

    w = represented customers / simulated active customers        (accounts per account)

customers, while each attacker account stands for itself (weight 1: campaigns are
simulated at the size the public reports give). Per-group weights do the same per
customer archetype, ``w_g = represented_g / simulated active customers of g``
(:func:`group_weights`). With a weight ``wᵢ`` per active account and its alarm:

* TP_w = Σ wᵢ over alarmed attackers, FP_w over alarmed customers, FN_w and TN_w
  likewise (:meth:`Confusion.of <simulator.metrics.accounts.Confusion.of>` with ``weight``);
* precision_w = TP_w / (TP_w + FP_w), which is TP / (TP + w·FP) for one customer weight;
* recall_w = TP_w / (TP_w + FN_w): unchanged while attackers weigh 1;
* FPR_w = FP_w / (FP_w + TN_w): unchanged for one customer weight; with per-group
  weights it is the FPR of the represented population, each archetype at its share;
* weighted AUPRC (:func:`~simulator.metrics.accounts.auprc` with ``weight``):
  scikit-learn's ``average_precision_score(sample_weight=w)``, which sorts the accounts
  by score, groups ties into one threshold, accumulates TP_w and FP_w down the
  thresholds and returns ``Σₙ (Rₙ − Rₙ₋₁)·Pₙ`` with Pₙ = TP_w/(TP_w + FP_w) and
  Rₙ = TP_w/ΣP_w at the n-th threshold. Accounts of weight 0 are ignored. Chance
  level is the attackers' weighted share P / (P + w·N);
* alarms per day at deployment = (TP_w + FP_w) / days, over every alarmed account
  (as :func:`~simulator.metrics.collateral.alarms_per_day`), and legitimate accounts
  flagged at deployment = FP_w over active customers;
* recall at FPR_w ≤ α (:func:`deployment_recall_at_fpr`), returned only where the
  simulated customers can resolve α.

Why precision collapses: a detector with recall r and false-positive rate f, against
P attackers and N simulated customers each standing for w, has

    precision_w = r·P / (r·P + f·w·N)

At r = 0.8, f = 0.01, P = 500, N = 3,000 and w = 2,000,000 / 3,000 that is
400 / (400 + 20,000) ≈ 0.020, where the simulated run reads 400 / (400 + 30) ≈ 0.93.

**Resolution.** The smallest non-zero FPR a run can show is one simulated customer,
``min wᵢ / Σ wᵢ`` over customers (1/N for one weight): :func:`fpr_resolution`. A
target FPR below it cannot be told apart from 0 on the simulated customers, so
:func:`deployment_recall_at_fpr` returns NaN there rather than a figure that only
looks measured; :func:`recall_at_zero_fp` gives the recall at the highest threshold
that flags no simulated customer, an optimistic bound for every such target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from simulator.units import DAY

__all__ = [
    "account_weights",
    "customer_weight",
    "deployment_alarms_per_day",
    "deployment_recall_at_fpr",
    "fpr_resolution",
    "group_weights",
    "population_weights",
    "recall_at_zero_fp",
]


def customer_weight(represented_customers: float, simulated_customers: int) -> float:
    """Customers each simulated active customer stands for:
    ``represented_customers / simulated_customers`` (accounts per account).

    >>> round(customer_weight(2_000_000, 3_000), 2)
    666.67
    """
    if not (represented_customers > 0 and math.isfinite(represented_customers)):
        raise ValueError(
            f"The 'represented_customers' parameter must be a number in the range (0, inf). "
            f"Got {represented_customers!r} instead."
        )
    if simulated_customers <= 0:
        raise ValueError(
            f"No simulated active customer to stand for {represented_customers:g} customers "
            f"(got {simulated_customers}): weights need at least one legitimate account that sent a request."
        )
    return float(represented_customers) / simulated_customers


def account_weights(is_attacker: ArrayLike, weight: float | ArrayLike) -> np.ndarray:
    """One weight per account: a scalar ``weight`` is each customer's (attackers weigh 1);
    an array is taken as given, one non-negative finite entry per account (attackers
    included, so a scenario may scale them too).

    >>> account_weights([True, False, False], 500.0).tolist()
    [1.0, 500.0, 500.0]
    """
    truth = np.asarray(is_attacker, dtype=bool)
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim == 0:
        if not (w >= 0 and np.isfinite(w)):
            raise ValueError(f"The 'weight' parameter must be a number in the range [0, inf). Got {weight!r} instead.")
        return np.where(truth, 1.0, float(w))
    if w.shape != truth.shape:
        raise ValueError(f"Got {w.shape[0] if w.ndim == 1 else w.shape} weights for {truth.size} accounts.")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError("Weights must be finite and non-negative.")
    return w.copy()


def group_weights(
    is_attacker: ArrayLike, group: ArrayLike, represented: Mapping[str, float], active: ArrayLike | None = None
) -> np.ndarray:
    """Per-archetype weights: a customer of group ``g`` weighs ``represented[g] / n_g``,
    ``n_g`` being the **active** customers of ``g`` among the given accounts (all of
    them if ``active`` is None); inactive customers take their group's weight and
    attackers weigh 1 whatever their group.

    Every active customer's group must be in ``represented``, and every group of
    ``represented`` must have an active customer.

    >>> group_weights([False, False, False, True], ["dev", "dev", "corp", "corp"], {"dev": 1000, "corp": 10}).tolist()
    [500.0, 500.0, 10.0, 1.0]
    >>> group_weights([False, False, False], ["dev", "dev", "dev"], {"dev": 1000}, active=[True, True, False]).tolist()
    [500.0, 500.0, 500.0]
    """
    truth = np.asarray(is_attacker, dtype=bool)
    groups = np.asarray(group, dtype=object).astype(str)
    if groups.shape != truth.shape:
        raise ValueError(f"Got {groups.size} groups for {truth.size} accounts.")
    counted = ~truth if active is None else ~truth & np.asarray(active, dtype=bool)
    names, counts = np.unique(groups[counted], return_counts=True)
    missing = sorted(set(names.tolist()) - set(represented))
    if missing:
        raise ValueError(
            f"Customer groups {missing} have no represented population; give one for each of {sorted(names.tolist())}."
        )
    unsimulated = sorted(set(represented) - set(names.tolist()))
    if unsimulated:
        raise ValueError(
            f"Groups {unsimulated} have a represented population but no simulated active customer to stand for it."
        )
    w = np.ones(truth.size, dtype=np.float64)
    for name, count in zip(names.tolist(), counts.tolist(), strict=True):
        w[~truth & (groups == name)] = customer_weight(represented[name], count)
    inactive_only = sorted(set(groups[~truth].tolist()) - set(names.tolist()))
    if inactive_only:
        raise ValueError(f"Customer groups {inactive_only} have no active customer to take a weight from.")
    return w


def population_weights(
    is_attacker: ArrayLike,
    group: ArrayLike,
    active: ArrayLike,
    customers: float,
    groups: Mapping[str, float] | None = None,
    attacker_weight: float = 1.0,
) -> np.ndarray:
    """Weights for a declared customer base of ``customers`` active customers, of which
    ``groups`` gives some groups' share (the ``deployment`` section of a scenario).

    A customer of a listed group ``g`` weighs ``groups[g] / n_g`` and a customer of any
    other group ``(customers − Σ groups) / n_rest``, where ``n_g`` and ``n_rest`` count
    the **active** customers (``active``) of ``g`` and of the groups not listed; a
    group with no active customer stands for nobody, and an inactive customer takes
    its group's weight (0 if the group had no active customer). Attackers weigh
    ``attacker_weight`` (``1 / scale`` for a run scaled by ``scale``: each attacker
    account stands for the accounts of the campaign at full size).

    Two active developers and an active batch customer standing for 1,000 customers, of
    which the batch group is 10; the attacker of a run at half scale stands for two:

    >>> population_weights([False, False, False, True], ["dev", "dev", "batch", "c"], [True] * 4, 1_000,
    ...                    {"batch": 10}, attacker_weight=2.0).tolist()
    [495.0, 495.0, 10.0, 2.0]
    """
    truth = np.asarray(is_attacker, dtype=bool)
    names = np.asarray(group, dtype=object).astype(str)
    on = np.asarray(active, dtype=bool)
    if names.shape != truth.shape or on.shape != truth.shape:
        raise ValueError(f"Got {names.size} groups and {on.size} activity flags for {truth.size} accounts.")
    if not (attacker_weight >= 0 and math.isfinite(attacker_weight)):
        raise ValueError(
            f"The 'attacker_weight' parameter must be a number in the range [0, inf). Got {attacker_weight!r} instead."
        )
    listed = dict(groups or {})
    rest = float(customers) - sum(listed.values())
    if rest < -1e-9 * max(1.0, float(customers)):
        raise ValueError(f"The groups add up to {sum(listed.values()):g}, more than the {customers:g} customers.")
    w = np.where(truth, float(attacker_weight), 0.0)
    in_rest = ~truth & ~np.isin(names, list(listed))
    for members, represented in [
        *((~truth & (names == name), float(count)) for name, count in listed.items()),
        (in_rest, max(rest, 0.0)),
    ]:
        n = int((members & on).sum())
        if n and represented > 0:
            w[members] = customer_weight(represented, n)
    return w


def _curve(truth: np.ndarray, score: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted TP and FP flagged by each distinct score taken as threshold (``score ≥ t``),
    highest threshold first, starting from the empty set."""
    order = np.argsort(-score, kind="stable")
    s, t, ws = score[order], truth[order], w[order]
    last = np.r_[s[1:] != s[:-1], True] if s.size else np.zeros(0, dtype=bool)
    tp = np.r_[0.0, np.cumsum(np.where(t, ws, 0.0))[last]]
    fp = np.r_[0.0, np.cumsum(np.where(t, 0.0, ws))[last]]
    return tp, fp


def fpr_resolution(is_attacker: ArrayLike, weight: ArrayLike | None = None) -> float:
    """The smallest non-zero FPR the simulated customers can show: the lightest
    customer's weight / Σ customer weights (1/N for one weight); NaN without customers.

    >>> fpr_resolution([True, False, False, False, False])
    0.25
    """
    truth = np.asarray(is_attacker, dtype=bool)
    w = np.ones(truth.size) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), truth.shape)
    customers = w[~truth]
    customers = customers[customers > 0]
    return float(customers.min() / customers.sum()) if customers.size else math.nan


def deployment_recall_at_fpr(
    is_attacker: ArrayLike, max_score: ArrayLike, max_fpr: float, weight: ArrayLike | None = None
) -> float:
    """The highest recall_w of a threshold on the maximum score whose FPR_w is at most
    ``max_fpr``, in [0, 1]; NaN without both classes, and NaN when ``max_fpr`` is below
    :func:`fpr_resolution` (the run cannot resolve it: see :func:`recall_at_zero_fp`).

    A threshold flags every account scored at or above it, ties together. With unit
    weights and ``max_fpr`` ≥ 1/N this equals
    :func:`~simulator.metrics.accounts.recall_at_fpr`.

    Four customers: 25% is resolved, 10% is not.

    >>> truth, scores = [True, True, False, False, False, False], [0.9, 0.5, 0.6, 0.1, 0.1, 0.1]
    >>> deployment_recall_at_fpr(truth, scores, 0.25), deployment_recall_at_fpr(truth, scores, 0.1)
    (1.0, nan)
    """
    truth = np.asarray(is_attacker, dtype=bool)
    if not truth.any() or truth.all():
        return math.nan
    if max_fpr < fpr_resolution(truth, weight) * (1 - 1e-9):
        return math.nan
    w = np.ones(truth.size) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), truth.shape)
    tp, fp = _curve(truth, np.asarray(max_score, dtype=np.float64), w)
    if not (tp[-1] > 0 and fp[-1] > 0):
        return math.nan
    within = fp / fp[-1] <= max_fpr + 1e-12
    return float((tp / tp[-1])[within].max())


def recall_at_zero_fp(is_attacker: ArrayLike, max_score: ArrayLike, weight: ArrayLike | None = None) -> float:
    """recall_w at the lowest threshold that flags no simulated customer (of non-zero
    weight), in [0, 1]; NaN without both classes.

    It is what every target FPR below :func:`fpr_resolution` would read on the
    simulated customers, and an optimistic bound on each: a threshold clean on N
    customers may still flag some of the represented ones.

    >>> recall_at_zero_fp([True, True, False, False], [0.9, 0.5, 0.6, 0.1])
    0.5
    """
    truth = np.asarray(is_attacker, dtype=bool)
    if not truth.any() or truth.all():
        return math.nan
    w = np.ones(truth.size) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), truth.shape)
    tp, fp = _curve(truth, np.asarray(max_score, dtype=np.float64), w)
    if not tp[-1] > 0:
        return math.nan
    return float((tp / tp[-1])[fp <= 0].max())


def deployment_alarms_per_day(alarmed: ArrayLike, weight: ArrayLike, duration: float) -> float:
    """Σ weights of the alarmed accounts / (``duration`` seconds / 86,400): the analysts'
    workload at deployment, (TP + w·FP) per day for one customer weight. Pass every
    alarmed account, active or not, as :func:`~simulator.metrics.collateral.alarms_per_day` counts.

    One attacker and two customers standing for 500 each, alarmed over half a day:

    >>> deployment_alarms_per_day([True, True, True, False], [1.0, 500.0, 500.0, 500.0], duration=43200.0)
    2002.0
    """
    flag = np.asarray(alarmed, dtype=bool)
    w = np.broadcast_to(np.asarray(weight, dtype=np.float64), flag.shape)
    return float(w[flag].sum()) / (duration / DAY)
