"""The two reference rows beside the baselines: how far a label-free artefact and a
supervised model get on the very traffic the detectors saw.

Both are computed by the harness, with the ground truth, from the separability
audit's per-account aggregates of every visible column
(:class:`~simulator.audit.aggregates.AccountAggregates`), fed the ticks the
detectors saw; neither is a detector, and no detector sees them. The ticks are
kept and folded in chunks of at least :data:`CHUNK_ROWS` requests (and before the
scores), with their tick boundaries, so the aggregates are bit for bit those of
tick-by-tick updates at a fraction of the fixed cost per update (about 5 ms).

* ``artefacts``: the best single feature of a signal that no campaign of the
  scenario declares (:data:`~simulator.scenario.signals.SIGNALS`), taken in its
  better direction, as a score: each account's rank percentile of that feature.
  It answers "how far does reading one simulator artefact get?"; on an honest
  scenario it stays near chance (the audit's artefact threshold is a lift of 0.4).
* ``supervised-ceiling``: each account's held-out attacker probability from the
  audit's cross-validated gradient-boosting model over every feature
  (:func:`~simulator.audit.separability.held_out_scores`): how far a model that
  knows the labels gets from these aggregates.

They are scores, not alarms: only the ranking metrics
(:data:`~simulator.metrics.catalogue.RANKING_METRICS`) are reported for them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.stats import rankdata

from simulator.audit.aggregates import AccountAggregates
from simulator.audit.catalogue import FEATURE_SIGNALS
from simulator.audit.declared import declared_signals
from simulator.audit.separability import feature_separations, held_out_scores
from simulator.metrics.catalogue import REFERENCE_ROWS
from simulator.registry import Registry
from simulator.scenario import Scenario
from simulator.traffic import RequestBatch

__all__ = ["CHUNK_ROWS", "ReferenceRows"]

ARTEFACTS, CEILING = REFERENCE_ROWS
CHUNK_ROWS = 65_536
"""Requests kept before they are folded into the aggregates (bounds the memory held)."""


class ReferenceRows:
    """Per-account aggregates of one run's visible traffic, and the reference scores at its end."""

    def __init__(self, scenario: Scenario) -> None:
        self.aggregates = AccountAggregates(scenario.start)
        self.tiers = tuple(tier.name for tier in scenario.gateway.tiers)
        self.declared = frozenset(declared_signals(scenario))
        self._tables: list[pa.Table] = []
        self._rows = 0

    def add(self, batch: RequestBatch) -> None:
        """Take one tick's batch: register its accounts, keep its requests until
        :data:`CHUNK_ROWS` are kept, then fold them into the aggregates."""
        self.aggregates.register(batch.accounts)
        if batch.table.num_rows:
            self._tables.append(batch.table)
            self._rows += batch.table.num_rows
        if self._rows >= CHUNK_ROWS:
            self._fold()

    def _fold(self) -> None:
        if self._tables:
            self.aggregates.update(pa.concat_tables(self._tables), ticks=[t.num_rows for t in self._tables])
        self._tables, self._rows = [], 0

    def scores(self, registry: Registry) -> dict[str, pd.Series]:
        """Reference scores in [0, 1] by account id, per reference row: none when the run
        has no attackers or no customers; no ceiling when either has fewer than two accounts."""
        self._fold()
        features = self.aggregates.features(self.tiers)
        if features.empty:
            return {}
        labels = registry.label_frame().set_index("account_id")["is_attacker"]
        y = labels.reindex(features.index).fillna(False).to_numpy(dtype=bool)
        if not 0 < y.sum() < y.size:
            return {}
        rows: dict[str, pd.Series] = {}
        table = feature_separations(features, y, FEATURE_SIGNALS)
        undeclared = table[~table["signal"].isin(self.declared)]
        if not undeclared.empty:
            best = undeclared.iloc[0]
            values = features[best["feature"]].to_numpy(dtype=np.float64) * int(best["direction"])
            rows[ARTEFACTS] = pd.Series(rankdata(values) / values.size, index=features.index)
        held_out = held_out_scores(features, y)
        if held_out is not None:
            rows[CEILING] = pd.Series(held_out, index=features.index)
        return rows
