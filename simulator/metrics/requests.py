"""Request-level metrics for accounts that carry both extraction and ordinary traffic.

When a pool account also relays other customers' ordinary requests (a reseller's
shared key), banning it stops extraction and blocks legitimate traffic at once, and
"is this account an attacker" needs a rule. The per-request truth (is this request
extraction) is summed per account, split at the account's containment, so the inputs
grow with accounts, not requests (:data:`REQUEST_SPLIT_SCHEMA`):

* ``*_requests`` / ``*_tokens``: the account's extraction (or legitimate) requests
  and their output tokens over the run;
* ``*_contained``: the part of them sent after the account's containment (in a tick
  after the one at whose end it was contained; all zero if never contained). In
  passive mode that part was served and is counterfactual; in active mode it was
  refused, and the harness counts the tokens it would have been served;
* ``resold_*``: the part of the legitimate requests (and tokens) sent through an
  attacker's account: customers' requests a hydra network resold through it
  (:mod:`simulator.scenario.campaign.resale`); zero on customers' own accounts.

Requests and tokens are those the gateway serves without this containment (status
200), so rate-limited requests count on neither side. Over all accounts:

* extraction stopped = Σ extraction_requests_contained / Σ extraction_requests
  (share), and the same with tokens;
* legitimate blocked = Σ legit_requests_contained (requests) and its share of
  Σ legit_requests, and the same with tokens;
* resold blocked (the collateral on a hydra account's end customers) =
  Σ resold_requests_contained / Σ resold_requests, and the same with tokens;
* account truth: ``is_attacker`` ⇔ extraction_requests / (extraction_requests +
  legit_requests) ≥ :data:`EXTRACTION_SHARE_THRESHOLD` (accounts without requests are
  not attackers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from simulator.metrics.catalogue import REQUEST_METRICS

__all__ = [
    "EXTRACTION_SHARE_THRESHOLD",
    "REQUEST_SPLIT_SCHEMA",
    "RequestOutcome",
    "extraction_truth",
    "request_outcome",
]

EXTRACTION_SHARE_THRESHOLD = 0.5
"""An account is an attacker when at least half of its requests are extraction: most
of what it sends is the campaign's, so an alarm on it counts as a true positive, while
the ordinary requests its containment blocks still count as legitimate traffic blocked."""

REQUEST_SPLIT_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string()),
        pa.field("extraction_requests", pa.int64()),
        pa.field("extraction_requests_contained", pa.int64()),
        pa.field("legit_requests", pa.int64()),
        pa.field("legit_requests_contained", pa.int64()),
        pa.field("extraction_tokens", pa.int64()),
        pa.field("extraction_tokens_contained", pa.int64()),
        pa.field("legit_tokens", pa.int64()),
        pa.field("legit_tokens_contained", pa.int64()),
        pa.field("resold_requests", pa.int64()),
        pa.field("resold_requests_contained", pa.int64()),
        pa.field("resold_tokens", pa.int64()),
        pa.field("resold_tokens_contained", pa.int64()),
    ]
)
"""Per-account request totals by per-request truth, and their part after containment."""


def _share(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


@dataclass(frozen=True)
class RequestOutcome:
    """Request and token totals over all accounts, and what containment took from each side."""

    extraction_requests: float
    extraction_requests_stopped: float
    extraction_tokens: float
    extraction_tokens_stopped: float
    legit_requests: float
    legit_requests_blocked: float
    legit_tokens: float
    legit_tokens_blocked: float
    resold_requests: float = 0.0
    resold_requests_blocked: float = 0.0
    resold_tokens: float = 0.0
    resold_tokens_blocked: float = 0.0

    def figures(self) -> dict[str, float]:
        """The :data:`~simulator.metrics.catalogue.REQUEST_METRICS` figures, in catalogue
        order (each is a field or property of this outcome; NaN where undefined)."""
        return {name: float(getattr(self, name)) for name in REQUEST_METRICS}

    @property
    def extraction_requests_stopped_share(self) -> float:
        """Extraction requests after containment / extraction requests, in [0, 1] (NaN without any)."""
        return _share(self.extraction_requests_stopped, self.extraction_requests)

    @property
    def extraction_tokens_stopped_share(self) -> float:
        """Extraction output tokens after containment / extraction output tokens, in [0, 1]."""
        return _share(self.extraction_tokens_stopped, self.extraction_tokens)

    @property
    def legit_requests_blocked_share(self) -> float:
        """Legitimate requests after containment / legitimate requests, in [0, 1]."""
        return _share(self.legit_requests_blocked, self.legit_requests)

    @property
    def legit_tokens_blocked_share(self) -> float:
        """Legitimate output tokens after containment / legitimate output tokens, in [0, 1]."""
        return _share(self.legit_tokens_blocked, self.legit_tokens)

    @property
    def resold_requests_blocked_share(self) -> float:
        """Resold customers' requests after containment / resold customers' requests, in [0, 1]
        (NaN without any: no resale)."""
        return _share(self.resold_requests_blocked, self.resold_requests)

    @property
    def resold_tokens_blocked_share(self) -> float:
        """Resold customers' output tokens after containment / their output tokens, in [0, 1]."""
        return _share(self.resold_tokens_blocked, self.resold_tokens)


def request_outcome(splits: pd.DataFrame) -> RequestOutcome:
    """The totals of :class:`RequestOutcome` from per-account splits
    (:data:`REQUEST_SPLIT_SCHEMA`).

    A pool account contained after 30 of its 90 extraction requests, which also blocked
    5 of its 10 relayed ordinary requests, next to a customer never contained:

    >>> splits = pd.DataFrame({"account_id": ["pool", "shop"],
    ...     "extraction_requests": [90, 0], "extraction_requests_contained": [60, 0],
    ...     "legit_requests": [10, 30], "legit_requests_contained": [5, 0],
    ...     "extraction_tokens": [9000, 0], "extraction_tokens_contained": [6000, 0],
    ...     "legit_tokens": [500, 1500], "legit_tokens_contained": [250, 0],
    ...     "resold_requests": [10, 0], "resold_requests_contained": [5, 0],
    ...     "resold_tokens": [500, 0], "resold_tokens_contained": [250, 0]})
    >>> r = request_outcome(splits)
    >>> round(r.extraction_requests_stopped_share, 4), r.legit_requests_blocked, r.legit_tokens_blocked_share
    (0.6667, 5.0, 0.125)
    >>> r.resold_requests_blocked_share
    0.5
    """
    missing = [name for name in REQUEST_SPLIT_SCHEMA.names if name not in splits.columns]
    if missing:
        raise ValueError(f"Request splits lack the columns {missing}; expected those of REQUEST_SPLIT_SCHEMA.")
    total = {name: float(splits[name].sum()) for name in REQUEST_SPLIT_SCHEMA.names[1:]}
    return RequestOutcome(
        extraction_requests=total["extraction_requests"],
        extraction_requests_stopped=total["extraction_requests_contained"],
        extraction_tokens=total["extraction_tokens"],
        extraction_tokens_stopped=total["extraction_tokens_contained"],
        legit_requests=total["legit_requests"],
        legit_requests_blocked=total["legit_requests_contained"],
        legit_tokens=total["legit_tokens"],
        legit_tokens_blocked=total["legit_tokens_contained"],
        resold_requests=total["resold_requests"],
        resold_requests_blocked=total["resold_requests_contained"],
        resold_tokens=total["resold_tokens"],
        resold_tokens_blocked=total["resold_tokens_contained"],
    )


def extraction_truth(splits: pd.DataFrame, threshold: float = EXTRACTION_SHARE_THRESHOLD) -> np.ndarray:
    """Row-aligned ``is_attacker``: extraction requests / all requests ≥ ``threshold``
    (default :data:`EXTRACTION_SHARE_THRESHOLD`); False for an account without requests.

    >>> extraction_truth(pd.DataFrame({"extraction_requests": [90, 5, 50, 0], "legit_requests": [10, 95, 50, 0]}))
    array([ True, False,  True, False])
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"The 'threshold' parameter must be a number in the range (0, 1]. Got {threshold!r} instead.")
    extraction = splits["extraction_requests"].to_numpy(dtype=np.float64)
    total = extraction + splits["legit_requests"].to_numpy(dtype=np.float64)
    share = np.where(total > 0, extraction / np.where(total > 0, total, 1.0), 0.0)
    return share >= threshold - 1e-12
