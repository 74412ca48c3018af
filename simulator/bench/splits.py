"""Per-account request splits of a passive cell whose campaigns resell customers' traffic.

For each detector, the harness sums every served request (status 200) per account by
per-request truth (:func:`~simulator.traffic.extraction_requests`: the campaign's own
requests, or legitimate ones, of which ``resold`` are those sent through an attacker's
account) and by whether the account had been contained by the detector before the
request's tick (contained at the end of an earlier tick). The table is
:data:`~simulator.metrics.requests.REQUEST_SPLIT_SCHEMA`, one row per outcome account,
and :func:`~simulator.metrics.requests.request_outcome` turns it into the
request-level figures. Only scenarios with resale get them (:func:`has_resale`), so
the other cells' results stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from simulator.metrics.requests import REQUEST_SPLIT_SCHEMA
from simulator.scenario.schema import Scenario
from simulator.traffic import RESOLD_TEMPLATE, STATUS_OK, TickTraffic

__all__ = ["RequestSplits", "has_resale"]

_SIDES = REQUEST_SPLIT_SCHEMA.names[1:]


def has_resale(scenario: Scenario) -> bool:
    """Whether a campaign of ``scenario`` carries resold customers' traffic."""
    return any(campaign.resale.share > 0 for campaign in scenario.campaigns)


class RequestSplits:
    """Running :data:`~simulator.metrics.requests.REQUEST_SPLIT_SCHEMA` sums per account
    for each of ``labels`` (detectors)."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self._sums = {label: np.zeros((0, len(_SIDES)), dtype=np.int64) for label in self.labels}

    def add(
        self, traffic: TickTraffic, is_attacker: np.ndarray, contained: dict[str, Callable[[np.ndarray], np.ndarray]]
    ) -> None:
        """Fold one tick in, before the detectors see it. ``is_attacker``: truth by account
        code; ``contained``: per detector, whether each account code had been contained."""
        codes = traffic.account_codes
        if codes.size == 0:
            return
        table = traffic.batch.table
        served = table.column("status").to_numpy() == STATUS_OK
        codes = codes[served]
        tokens = table.column("output_tokens").to_numpy()[served].astype(np.int64)
        template = np.asarray(traffic.template_id)[served]
        attacker = np.asarray(is_attacker)[codes]
        extraction = attacker & (template != RESOLD_TEMPLATE)
        resold = attacker & ~extraction
        size = int(codes.max()) + 1 if codes.size else 0
        for label in self.labels:
            if label not in contained:
                continue
            after = contained[label](codes)
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
