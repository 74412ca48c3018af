"""Campaign-level metrics: is each campaign found, how fast, and what did it get meanwhile?

A campaign *starts* with the first request of any of its accounts and is
*detected* at the first alarm on any of its accounts. Its time to detection is

    TTD = max(0, first alarm − first request)     (seconds)

A campaign not detected by the end of the run is **censored** there: its TTD is
only known to exceed ``end − first request``. Censored campaigns never enter a
mean; the detection rate says how many there are, and the TTD quantiles are
those of the detected campaigns (NaN when none was detected).

Campaigns that sent no request during the run are left out (a shortened run
may end before a campaign starts).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "accounts_caught",
    "campaign_detection",
    "detection_rate",
    "leakage_share",
    "leakage_tokens",
    "served_before_alarm",
    "ttd_quantile",
]


def campaign_detection(outcomes: pd.DataFrame, end: float) -> pd.DataFrame:
    """One row per campaign that sent at least one request, sorted by name:
    ``start`` (first request, s), ``detected``, ``detected_ts`` (first alarm on any of
    its accounts, s; NaN if none), ``ttd`` (s; NaN if undetected), ``censored_at``
    (``end − start``, s), ``active`` (accounts that sent a request) and ``caught``
    (active accounts alarmed).

    ``outcomes`` has the columns of :data:`~simulator.metrics.outcomes.OUTCOME_SCHEMA`.

    >>> rows = pd.DataFrame({
    ...     "campaign": ["a", "a", "b", None],
    ...     "requests": [3, 2, 5, 9],
    ...     "first_ts": [100.0, 50.0, 10.0, 0.0],
    ...     "alarm_ts": [400.0, np.nan, np.nan, 60.0],
    ... })
    >>> campaign_detection(rows, end=1000.0)[["campaign", "detected", "ttd", "censored_at", "caught"]]
      campaign  detected    ttd  censored_at  caught
    0        a      True  350.0        950.0       1
    1        b     False    NaN        990.0       0
    """
    campaign = outcomes["campaign"].to_numpy(dtype=object)
    member = pd.notna(campaign)
    names = np.unique(campaign[member].astype(str))
    requests = outcomes["requests"].to_numpy()
    first_ts = outcomes["first_ts"].to_numpy(dtype=np.float64)
    alarm_ts = outcomes["alarm_ts"].to_numpy(dtype=np.float64)
    rows = []
    for name in names.tolist():
        mine = member & (campaign == name)
        active = requests[mine] > 0
        if not active.any():
            continue
        start = float(first_ts[mine][active].min())
        alarms = alarm_ts[mine]
        detected = bool(np.isfinite(alarms).any())
        detected_ts = float(np.nanmin(alarms)) if detected else math.nan
        rows.append(
            {
                "campaign": name,
                "start": start,
                "detected": detected,
                "detected_ts": detected_ts,
                "ttd": max(0.0, detected_ts - start) if detected else math.nan,
                "censored_at": end - start,
                "active": int(active.sum()),
                "caught": int((active & np.isfinite(alarms)).sum()),
            }
        )
    columns = ["campaign", "start", "detected", "detected_ts", "ttd", "censored_at", "active", "caught"]
    return pd.DataFrame(rows, columns=columns)


def detection_rate(campaigns: pd.DataFrame) -> float:
    """Detected campaigns / campaigns that sent a request, in [0, 1] (NaN without any).

    >>> detection_rate(pd.DataFrame({"detected": [True, False, False, True]}))
    0.5
    """
    return float(campaigns["detected"].to_numpy(dtype=bool).mean()) if len(campaigns) else math.nan


def ttd_quantile(campaigns: pd.DataFrame, q: float) -> float:
    """The ``q``-quantile (linear interpolation) of the time to detection of the
    **detected** campaigns, in seconds; NaN when none was detected. Report it with
    :func:`detection_rate`: the censored campaigns are not in it.

    >>> table = pd.DataFrame({"detected": [True, True, False], "ttd": [60.0, 180.0, np.nan]})
    >>> ttd_quantile(table, 0.5), ttd_quantile(table, 0.9)
    (120.0, 168.0)
    """
    detected = campaigns["ttd"].to_numpy(dtype=np.float64)[campaigns["detected"].to_numpy(dtype=bool)]
    return float(np.quantile(detected, q)) if detected.size else math.nan


def accounts_caught(campaigns: pd.DataFrame) -> float:
    """Mean over campaigns of (active accounts alarmed / active accounts), in [0, 1]:
    each campaign weighs the same, whatever its size.

    >>> accounts_caught(pd.DataFrame({"active": [10, 4], "caught": [5, 4]}))
    0.75
    """
    if not len(campaigns):
        return math.nan
    return float((campaigns["caught"] / campaigns["active"]).mean())


def _active_attackers(outcomes: pd.DataFrame) -> np.ndarray:
    """Row mask of the active attacker accounts."""
    return pd.notna(outcomes["campaign"].to_numpy(dtype=object)) & (outcomes["requests"].to_numpy() > 0)


def served_before_alarm(outcomes: pd.DataFrame) -> float:
    """Mean over active attacker accounts of the requests served to it up to its
    alarm (requests/account); an account never alarmed counts all it was served.

    >>> rows = pd.DataFrame({"campaign": ["a", "a", None], "requests": [9, 4, 7], "served_before_alarm": [6, 4, 7]})
    >>> served_before_alarm(rows)
    5.0
    """
    attackers = _active_attackers(outcomes)
    served = outcomes["served_before_alarm"].to_numpy()[attackers]
    return float(served.mean(dtype=np.float64)) if served.size else math.nan


def leakage_tokens(outcomes: pd.DataFrame, campaigns: pd.DataFrame, mode: str) -> float:
    """Output tokens the campaigns were served before containment (tokens).

    * passive (counterfactual): Σ over attacker accounts of the output served up to
      the containment its alarm would have triggered (all of it if never alarmed),
      from ``outcomes.output_before_containment``;
    * active (actual): Σ over campaigns of the output they were actually served in
      the closed loop, replacement accounts included, from ``campaigns.output_tokens``.

    >>> rows = pd.DataFrame({"campaign": ["a", "a", None], "requests": [1, 1, 1],
    ...                      "output_before_containment": [100, 300, 50], "output_tokens": [900, 300, 50]})
    >>> leakage_tokens(rows, pd.DataFrame({"output_tokens": [1200]}), "passive")
    400.0
    >>> leakage_tokens(rows, pd.DataFrame({"output_tokens": [700]}), "active")
    700.0
    """
    if mode == "active":
        return float(campaigns["output_tokens"].sum())
    return float(outcomes["output_before_containment"].to_numpy()[_active_attackers(outcomes)].sum())


def leakage_share(leaked: float, collected: float) -> float:
    """Leaked tokens as a share of a reference total (NaN if the reference is 0).

    * passive: the reference is what the campaigns were served over the run, so the
      share is what containment at the alarms would have left them, in [0, 1];
    * active: the reference is what the campaigns were served in the same scenario
      and seed with no enforcement (the passive run), so the share is what the
      closed loop let through. The null detector scores 1; a campaign that replaces
      banned accounts at once can score above 1 (its fresh accounts come with fresh
      rate limits).

    >>> leakage_share(400.0, 1200.0)
    0.3333333333333333
    """
    return leaked / collected if collected else math.nan
