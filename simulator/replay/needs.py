"""Which visible columns each detector reads, so that a replay can skip the detectors
whose columns a log lacks (with the reason) instead of feeding them filler.

Request columns are named as in :data:`simulator.traffic.REQUEST_SCHEMA`; registry
columns as ``accounts.<name>`` (:data:`simulator.traffic.ACCOUNT_SCHEMA`), which a log
has only with an accounts file. ``ts`` and ``account_id`` are always present. A
detector class may declare its own ``reads`` (a tuple of such names); otherwise the
built-ins are listed in :data:`BUILTIN_READS`, and an unknown class is assumed to read
every request column.
"""

from __future__ import annotations

from collections.abc import Iterable

from detectors.base import Detector
from simulator.traffic import REQUEST_COLUMNS

__all__ = ["BUILTIN_READS", "reads", "skip_reason"]

BUILTIN_READS: dict[str, tuple[str, ...]] = {
    "detectors.baselines:NullDetector": (),
    "detectors.baselines:RandomDetector": (),
    "detectors.baselines:PeriodicDetector": (),
    "detectors.rate:RateSaturation": ("status",),
    "detectors.capability:CapabilityConcentration": ("topic", "cot_requested"),
    "detectors.templates:TemplateRepetition": ("prompt_simhash",),
    "detectors.synchrony:Lockstep": (),  # plus its `action` column
    "detectors.infrastructure:SharedInfrastructure": (
        "asn",
        "ip",
        "client_fingerprint",
        "accounts.payment_fingerprint",
        "accounts.email",
    ),
    "detectors.prada:QueryDistribution": ("prompt_simhash",),
    "detectors.lifecycle:AccountLifecycle": (
        "status",
        "client_fingerprint",
        "accounts.created_ts",
        "accounts.signup_pathway",
        "accounts.payment_fingerprint",
        "accounts.email",
    ),
    "detectors.shift:WindowShift": (
        "topic",
        "cot_requested",
        "input_tokens",
        "output_tokens",
        "max_tokens",
        "turn",
        "pathway",
    ),
    "detectors.anomaly:IsolationForestDetector": (
        "status",
        "asn",
        "ip",
        "client_fingerprint",
        "model",
        "topic",
        "cot_requested",
        "turn",
        "input_tokens",
        "output_tokens",
        "accounts.created_ts",
    ),
}
"""Columns each built-in detector reads (from their code and ``detectors/view.py``)."""


def reads(detector: Detector) -> tuple[str, ...]:
    """The columns ``detector`` reads (see the module docstring)."""
    declared = getattr(type(detector), "reads", None)
    if isinstance(declared, tuple):
        return declared
    path = f"{type(detector).__module__}:{type(detector).__qualname__}"
    if path == "detectors.synchrony:Lockstep":
        action = getattr(detector, "action", None)
        return (action,) if action else ()
    if path == "detectors.ensemble:Ensemble":
        from detectors.registry import build

        found: dict[str, None] = {}
        for member in getattr(detector, "members", ()):
            found.update(dict.fromkeys(reads(build(member))))
        return tuple(found)
    return BUILTIN_READS.get(path, tuple(REQUEST_COLUMNS))


def skip_reason(detector: Detector, available: Iterable[str]) -> str | None:
    """Why ``detector`` cannot run on a log with the ``available`` columns (None: it can)."""
    have = set(available) | {"ts", "account_id"}
    lacking = [name for name in reads(detector) if name not in have]
    if not lacking:
        return None
    return (
        f"reads {', '.join(lacking)}, which the log lacks (map a column onto it, give a default in the mapping"
        + (", or pass --accounts" if any(name.startswith("accounts.") for name in lacking) else "")
        + ")"
    )
