"""Request-level metrics for accounts that carry both extraction and ordinary traffic.

When a pool account also relays other customers' ordinary requests (a reseller's
shared key), banning it stops extraction and blocks legitimate traffic at once, and
"is this account an attacker" needs a rule. The per-request truth (is this request
extraction) is summed per account, split at the account's containment, so the inputs
grow with accounts, not requests (:data:`REQUEST_SPLIT_SCHEMA`):

* ``*_requests`` / ``*_tokens``: the account's extraction (or legitimate) requests
  and their output tokens over the run;
* ``*_contained``: the part of them the detector's containment took. In passive mode,
  those sent after the account's containment (in a tick after the one at whose end it
  was contained; all zero if never contained): served anyway, so counterfactual. In
  active mode, those the gateway refused (status 403: a ban or challenge), with the
  output tokens they would have been served;
* ``resold_*``: the part of the legitimate requests (and tokens) sent through an
  attacker's account: customers' requests a hydra network resold through it
  (:mod:`simulator.scenario.campaign.resale`); zero on customers' own accounts.

The requests counted are those the gateway serves without this containment: status
200 in passive mode, 200 or 403 in active mode (:mod:`simulator.bench.splits`), so
rate-limited requests (429) count on neither side. Over all accounts:

* extraction stopped = Σ extraction_requests_contained / Σ extraction_requests
  (share), and the same with tokens;
* legitimate blocked = Σ legit_requests_contained (requests) and its share of
  Σ legit_requests, and the same with tokens;
* resold blocked (the collateral on a hydra account's end customers) =
  Σ resold_requests_contained / Σ resold_requests, and the same with tokens;
* account truth (:func:`extraction_truth`, :func:`share_labelled`): ``is_attacker`` ⇔
  extraction_requests / (extraction_requests + legit_requests) ≥ ``threshold``
  (default :data:`EXTRACTION_SHARE_THRESHOLD` = 0.5); an account without a counted
  request (every request rate-limited, or alarmed before it sent one) keeps its
  ownership: an attacker if a campaign owns it.
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
    "share_labelled",
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


def extraction_truth(
    splits: pd.DataFrame, threshold: float = EXTRACTION_SHARE_THRESHOLD, owned: np.ndarray | None = None
) -> np.ndarray:
    """Row-aligned ``is_attacker``: extraction requests / all requests ≥ ``threshold``
    (default :data:`EXTRACTION_SHARE_THRESHOLD`); for an account without requests,
    ``owned`` (its ownership: whether a campaign owns it; default False).

    >>> extraction_truth(pd.DataFrame({"extraction_requests": [90, 5, 50, 0], "legit_requests": [10, 95, 50, 0]}))
    array([ True, False,  True, False])
    >>> extraction_truth(pd.DataFrame({"extraction_requests": [0], "legit_requests": [0]}), owned=np.array([True]))
    array([ True])
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"The 'threshold' parameter must be a number in the range (0, 1]. Got {threshold!r} instead.")
    extraction = splits["extraction_requests"].to_numpy(dtype=np.float64)
    total = extraction + splits["legit_requests"].to_numpy(dtype=np.float64)
    share = np.where(total > 0, extraction / np.where(total > 0, total, 1.0), 0.0)
    fallback = np.zeros(total.size, dtype=bool) if owned is None else np.asarray(owned, dtype=bool)
    return np.where(total > 0, share >= threshold - 1e-12, fallback)


def share_labelled(
    outcomes: pd.DataFrame, splits: pd.DataFrame, threshold: float = EXTRACTION_SHARE_THRESHOLD
) -> pd.DataFrame:
    """``outcomes`` (:data:`~simulator.metrics.outcomes.OUTCOME_SCHEMA` rows, labelled by
    ownership) labelled by extraction share instead: ``is_attacker`` from
    :func:`extraction_truth` over the account's row of ``splits`` (any detector's of the
    same cell: the requests counted do not depend on the detector in passive mode, and
    an active cell has one), its ownership where ``splits`` has no row or no counted
    request; ``campaign`` cleared on the accounts that are no longer attackers, since
    the metrics read a campaign as the truth.

    A pool account with 9 resold requests of 10, another with 6 of its 10 its campaign's,
    a customer, and a pool account alarmed before it sent anything:

    >>> outcomes = pd.DataFrame({"account_id": ["p1", "p2", "c", "p3"], "is_attacker": [True, True, False, True],
    ...                          "campaign": ["h", "h", None, "h"]})
    >>> splits = pd.DataFrame({"account_id": ["c", "p1", "p2"], "extraction_requests": [0, 1, 6],
    ...                        "legit_requests": [20, 9, 4]})
    >>> share_labelled(outcomes, splits)[["account_id", "is_attacker", "campaign"]].values.tolist()
    [['p1', False, None], ['p2', True, 'h'], ['c', False, None], ['p3', True, 'h']]
    """
    counts = splits.set_index("account_id")[["extraction_requests", "legit_requests"]]
    if not counts.index.is_unique:
        raise ValueError("Request splits hold an account twice; expected one row per account.")
    counts = counts.reindex(outcomes["account_id"].to_numpy(dtype=object)).fillna(0)
    truth = extraction_truth(counts, threshold, owned=outcomes["is_attacker"].to_numpy(dtype=bool))
    labelled = outcomes.copy()
    labelled["is_attacker"] = truth
    labelled["campaign"] = labelled["campaign"].astype(object).where(truth, None)
    return labelled
