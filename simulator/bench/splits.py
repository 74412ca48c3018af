"""Per-account request splits of a cell whose campaigns resell customers' traffic.

For each detector, the harness sums requests per account by per-request truth
(:func:`~simulator.traffic.extraction_requests`: the campaign's own requests, or
legitimate ones, of which ``resold`` are those sent through an attacker's account) and
by whether the detector's containment took them. The table is
:data:`~simulator.metrics.requests.REQUEST_SPLIT_SCHEMA`, one row per outcome account,
and :func:`~simulator.metrics.requests.request_outcome` turns it into the
request-level figures. What a row counts depends on the mode:

* **passive**: the requests served (status 200); ``*_contained`` are those sent in a
  tick after the one at whose end the detector had contained the account (served
  anyway: a counterfactual); tokens are the output served;
* **active** (closed loop, one detector): the requests the gateway served or refused
  (status 200 or 403: a ban or challenge of the detector's, or of its defence stack);
  ``*_contained`` are those refused (403), read from the gateway's statuses; tokens
  are the output each request would be served (the refused ones included). The
  gateway refuses before it applies the rate limits, so a refused request counts as
  one the account would have been served.

Rate-limited requests (429) count on neither side in either mode. Only scenarios with
resale get splits (:func:`has_resale`), so the other cells' results stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from simulator.metrics.outcomes import Mode
from simulator.metrics.requests import REQUEST_SPLIT_SCHEMA
from simulator.scenario.schema import Scenario
from simulator.traffic import RESOLD_TEMPLATE, STATUS_FORBIDDEN, STATUS_OK, TickTraffic

__all__ = ["RequestSplits", "has_resale"]

_SIDES = REQUEST_SPLIT_SCHEMA.names[1:]


def has_resale(scenario: Scenario) -> bool:
    """Whether a campaign of ``scenario`` carries resold customers' traffic."""
    return any(campaign.resale.share > 0 for campaign in scenario.campaigns)


class RequestSplits:
    """Running :data:`~simulator.metrics.requests.REQUEST_SPLIT_SCHEMA` sums per account
    for each of ``labels`` (detectors), in ``mode`` (see the module)."""

    def __init__(self, labels: Sequence[str], mode: Mode = "passive") -> None:
        self.labels = list(labels)
        self.mode = mode
        self._sums = {label: np.zeros((0, len(_SIDES)), dtype=np.int64) for label in self.labels}

    def add(
        self, traffic: TickTraffic, is_attacker: np.ndarray, contained: dict[str, Callable[[np.ndarray], np.ndarray]]
    ) -> None:
        """Fold one tick in, before the detectors see it. ``is_attacker``: truth by account
        code; ``contained``: per detector still running, whether each account code had been
        contained (passive mode; in active mode the statuses say it, and only the labels count)."""
        codes = traffic.account_codes
        if codes.size == 0:
            return
        table = traffic.batch.table
        status = table.column("status").to_numpy()
        refused = status == STATUS_FORBIDDEN
        counted = status == STATUS_OK
        if self.mode == "active":
            counted = counted | refused
        codes = codes[counted]
        if self.mode == "active" and traffic.requested_output is not None:
            tokens = np.asarray(traffic.requested_output)[counted].astype(np.int64)
        else:
            tokens = table.column("output_tokens").to_numpy()[counted].astype(np.int64)
        template = np.asarray(traffic.template_id)[counted]
        attacker = np.asarray(is_attacker)[codes]
        extraction = attacker & (template != RESOLD_TEMPLATE)
        resold = attacker & ~extraction
        size = int(codes.max()) + 1 if codes.size else 0
        for label in self.labels:
            if label not in contained:
                continue
            after = refused[counted] if self.mode == "active" else contained[label](codes)
            sums = self._grow(label, size)
            for column, (mask, weight) in enumerate(
                (m, w)
                for kind in (extraction, ~extraction, resold)
                for m, w in ((kind, None), (kind & after, None), (kind, tokens), (kind & after, tokens))
            ):
                self._add(sums, codes, mask, weight, _COLUMN_ORDER[column])

    def _grow(self, label: str, size: int) -> np.ndarray:
        sums = self._sums[label]
        if sums.shape[0] < size:
            sums = np.vstack([sums, np.zeros((size - sums.shape[0], len(_SIDES)), dtype=np.int64)])
            self._sums[label] = sums
        return sums

    @staticmethod
    def _add(sums: np.ndarray, codes: np.ndarray, mask: np.ndarray, weight: np.ndarray | None, column: int) -> None:
        if mask.any():
            np.add.at(sums[:, column], codes[mask], 1 if weight is None else weight[mask])

    def table(self, label: str, codes: np.ndarray, account_ids: np.ndarray) -> pa.Table:
        """The splits of accounts ``codes`` (in that order, named ``account_ids``) for ``label``."""
        sums = self._grow(label, int(codes.max()) + 1 if codes.size else 0)
        rows = sums[codes] if codes.size else np.zeros((0, len(_SIDES)), dtype=np.int64)
        return pa.Table.from_arrays(
            [pa.array(np.asarray(account_ids, dtype=object), type=pa.string())]
            + [pa.array(rows[:, i], type=pa.int64()) for i in range(len(_SIDES))],
            schema=REQUEST_SPLIT_SCHEMA,
        )


_COLUMN_ORDER = [
    _SIDES.index(name)
    for side in ("extraction", "legit", "resold")
    for name in (f"{side}_requests", f"{side}_requests_contained", f"{side}_tokens", f"{side}_tokens_contained")
]
"""Schema column of each (side, requests/contained/tokens/contained tokens) sum, in the
order :meth:`RequestSplits.add` walks them."""
