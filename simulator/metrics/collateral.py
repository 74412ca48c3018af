"""Collateral: what a detector costs legitimate customers and the analysts behind it.

* legitimate accounts flagged: active customer accounts alarmed (accounts);
* their share of legitimate tokens: output tokens served over the run to the
  flagged customers / output tokens served to all customers (the share of the
  legitimate business an enforcement would touch);
* alarms per day: accounts alarmed (attackers and customers, active or not) per
  simulated day: the review workload;
* denied share (active mode): requests of customers refused (403) / requests of
  customers;
* output lost (active mode): 1 − output tokens served to customers in the closed
  loop / output tokens served to them undefended (same scenario and seed): what
  enforcement actually took from them, whatever the action (ban, throttle, challenge).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulator.units import DAY

__all__ = [
    "alarms_per_day",
    "legit_denied_share",
    "legit_flagged",
    "legit_flagged_token_share",
    "legit_output_lost_share",
]


def _active_customers(outcomes: pd.DataFrame) -> np.ndarray:
    """Row mask of the active legitimate accounts (a mask, not a filtered copy: these
    figures run for every detector of every run)."""
    return pd.isna(outcomes["campaign"].to_numpy(dtype=object)) & (outcomes["requests"].to_numpy() > 0)


def _alarmed(outcomes: pd.DataFrame) -> np.ndarray:
    return np.isfinite(outcomes["alarm_ts"].to_numpy(dtype=np.float64))


def legit_flagged(outcomes: pd.DataFrame) -> float:
    """Active legitimate accounts alarmed (accounts).

    >>> rows = pd.DataFrame({"campaign": [None, None, "a"], "requests": [1, 1, 1], "alarm_ts": [60.0, np.nan, 60.0]})
    >>> legit_flagged(rows)
    1.0
    """
    return float((_alarmed(outcomes) & _active_customers(outcomes)).sum())


def legit_flagged_token_share(outcomes: pd.DataFrame) -> float:
    """Σ output tokens of alarmed customers / Σ output tokens of all customers, in [0, 1].

    >>> rows = pd.DataFrame({"campaign": [None, None], "requests": [3, 5], "output_tokens": [100, 300],
    ...                      "alarm_ts": [np.nan, 120.0]})
    >>> legit_flagged_token_share(rows)
    0.75
    """
    customers = _active_customers(outcomes)
    tokens = outcomes["output_tokens"].to_numpy()
    total = float(tokens[customers].sum())
    if not total:
        return math.nan
    return float(tokens[customers & _alarmed(outcomes)].sum()) / total


def alarms_per_day(outcomes: pd.DataFrame, duration: float) -> float:
    """Accounts alarmed / (``duration`` seconds / 86,400): alarms per simulated day.

    >>> alarms_per_day(pd.DataFrame({"alarm_ts": [60.0, np.nan, 3600.0]}), duration=43200.0)
    4.0
    """
    return float(_alarmed(outcomes).sum()) / (duration / DAY)


def legit_denied_share(outcomes: pd.DataFrame) -> float:
    """Σ refused (403) requests of customers / Σ their requests, in [0, 1].

    >>> rows = pd.DataFrame({"campaign": [None, None], "requests": [10, 30], "forbidden": [0, 10]})
    >>> legit_denied_share(rows)
    0.25
    """
    customers = _active_customers(outcomes)
    total = float(outcomes["requests"].to_numpy()[customers].sum())
    return float(outcomes["forbidden"].to_numpy()[customers].sum()) / total if total else math.nan


def legit_output_lost_share(outcomes: pd.DataFrame, undefended: float | None) -> float:
    """1 − Σ output tokens served to customers / ``undefended`` (what they were served
    in the same scenario and seed without enforcement); NaN without a reference.

    >>> legit_output_lost_share(pd.DataFrame({"campaign": [None, None], "requests": [3, 5],
    ...                                       "output_tokens": [100, 500]}), undefended=800.0)
    0.25
    """
    if not undefended:
        return math.nan
    return 1.0 - float(outcomes["output_tokens"].to_numpy()[_active_customers(outcomes)].sum()) / undefended
