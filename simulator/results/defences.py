"""Defence stacks compared: leakage, attacker cost and customer friction per (scenario, stack).

Reads a finished run's ``metrics.csv`` (active rows) and ``defences.csv`` (what each
active cell's campaigns paid and customers bore, :mod:`simulator.bench.defences.loop`).
A stack's rows are the active detector rows labelled ``<detector>@<stack>``; the
detector's own label (no ``@``) is the stack ``detector`` (the alarm policy alone,
measured like the stacks; NaN costs only for cells stored before it was). Per (scenario,
detector, stack), means over seeds of:

* ``leakage_tokens``, ``leakage_share``: what the campaigns got (``metrics.csv``);
* ``attacker_usd``: Σ over campaigns of their spend (USD); ``identities``: accounts
  registered + verified identities bought; ``attacker_blocked_h``: account-hours
  campaigns waited in verification;
* ``customers_asked``, ``customers_churned``, ``customers_delayed_h``: step-up
  friction; ``customers_banned``: customers banned by links and audits, plus those
  the alarm policy contained (``legit_flagged``); ``customer_friction``: asked + banned
  (accounts touched);
* ``evidence_z``: the smallest expected provenance z over campaigns (NaN without a
  watermark); ``evidence_in_run``: share of campaigns whose harvest crossed the
  tokens to evidence during the run; ``tokens_to_evidence``: the largest over campaigns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["STACK_COLUMNS", "stack_comparison"]

STACK_COLUMNS = [
    "scenario",
    "detector",
    "stack",
    "leakage_tokens",
    "leakage_share",
    "attacker_usd",
    "identities",
    "attacker_blocked_h",
    "customers_asked",
    "customers_delayed_h",
    "customers_churned",
    "customers_banned",
    "customer_friction",
    "evidence_z",
    "evidence_in_run",
    "tokens_to_evidence",
]


def _split(label: str) -> tuple[str, str]:
    detector, _, stack = label.partition("@")
    return detector, stack or "detector"


def stack_comparison(metrics: pd.DataFrame, defences: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, detector, stack) of an active run (see the module), sorted."""
    active = metrics[metrics["mode"] == "active"]
    if active.empty:
        return pd.DataFrame(columns=STACK_COLUMNS)
    wanted = active[active["metric"].isin(["leakage_tokens", "leakage_share", "legit_flagged"])]
    per_seed = wanted.pivot_table(index=["scenario", "detector", "seed"], columns="metric", values="value")
    per_seed = per_seed.reindex(columns=["leakage_tokens", "leakage_share", "legit_flagged"])
    rows = []
    for (scenario, label, seed), row in per_seed.iterrows():
        mine = defences[
            (defences["scenario"] == scenario) & (defences["detector"] == label) & (defences["seed"] == seed)
        ]
        customers = mine[mine["subject"] == "customers"].set_index("metric")["value"]
        campaigns = mine[mine["subject"] != "customers"]

        def total(metric: str, frame: pd.DataFrame = campaigns) -> float:
            return float(frame.loc[frame["metric"] == metric, "value"].sum())

        z = campaigns.loc[campaigns["metric"] == "provenance_z", "value"]
        crossed = campaigns.loc[campaigns["metric"] == "evidence_s", "value"]
        needed = campaigns.loc[campaigns["metric"] == "tokens_to_evidence", "value"]
        banned = float(customers.get("banned_linked", 0.0) + customers.get("banned_audit", 0.0))
        asked = float(customers.get("asked", 0.0))
        flagged = float(row["legit_flagged"]) if np.isfinite(row["legit_flagged"]) else 0.0
        detector, stack = _split(label)
        rows.append(
            {
                "scenario": scenario,
                "detector": detector,
                "stack": stack,
                "seed": seed,
                "leakage_tokens": row["leakage_tokens"],
                "leakage_share": row["leakage_share"],
                "attacker_usd": total("spent_usd") if not mine.empty else np.nan,
                "identities": total("identities") if not mine.empty else np.nan,
                "attacker_blocked_h": total("blocked_hours"),
                "customers_asked": asked,
                "customers_delayed_h": float(customers.get("delayed_hours", 0.0)),
                "customers_churned": float(customers.get("churned", 0.0)),
                "customers_banned": banned + flagged,
                "customer_friction": asked + banned + flagged,
                "evidence_z": float(z.min()) if not z.empty else np.nan,
                "evidence_in_run": float(np.isfinite(crossed).mean()) if not crossed.empty else np.nan,
                "tokens_to_evidence": float(needed.max()) if not needed.empty else np.nan,
            }
        )
    frame = pd.DataFrame(rows)
    means = frame.groupby(["scenario", "detector", "stack"], sort=False).mean(numeric_only=True).reset_index()
    return means.drop(columns="seed")[STACK_COLUMNS].sort_values(["scenario", "detector"], kind="stable")
