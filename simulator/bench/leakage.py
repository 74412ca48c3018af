"""Attacker output over time: the leakage series of one cell, in bounded bins.

The run is cut into bins of ``b = ceil(ticks / MAX_BINS)`` ticks (so a cell
stores at most :data:`MAX_BINS` numbers per detector, whatever its length: one
tick per bin up to 288 ticks, five minutes per bin for a day of one-minute ticks).
Per bin, in output tokens served (status 200):

* ``served`` (the row with a null detector): everything served to attacker
  accounts in the cell. In a passive cell it is what the campaigns got
  undefended; in an active cell what they actually got;
* ``leaked`` (one row per detector): in a **passive** cell, the output served to
  attacker accounts *not yet contained* by that detector's alarms (an account
  contained at the end of tick ``c`` counts up to and including tick ``c``): the
  counterfactual of the ``leakage_tokens`` metric; in an **active** cell, the
  output the campaigns were actually served (equal to ``served``).

Summed over the bins, a detector's ``leaked`` equals its ``leakage_tokens``.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from simulator.bench.ledger import ScoreLog
from simulator.metrics.outcomes import Mode
from simulator.traffic import TickTraffic

__all__ = ["LEAKAGE_FILE_SCHEMA", "MAX_BINS", "LeakageSeries", "bin_ticks"]

MAX_BINS = 288
"""The most bins a cell's series has, per detector."""

LEAKAGE_FILE_SCHEMA = pa.schema(
    [
        pa.field("detector", pa.string()),  # null: everything served to the campaigns in the cell
        pa.field("bin", pa.int32()),
        pa.field("start_s", pa.float64()),  # bin start, s since the scenario start
        pa.field("end_s", pa.float64()),  # bin end (exclusive), s
        pa.field("output_tokens", pa.int64()),  # attacker output tokens served in the bin (see the module)
    ]
)
"""A cell's leakage series, one row per (detector, bin)."""


def bin_ticks(n_ticks: int) -> int:
    """Ticks per bin: ``ceil(n_ticks / MAX_BINS)``, at least 1.

    >>> bin_ticks(120), bin_ticks(1440), bin_ticks(10080)
    (1, 5, 35)
    """
    return max(1, math.ceil(n_ticks / MAX_BINS))


class LeakageSeries:
    """Accumulates a cell's attacker output per bin, in total and per detector."""

    def __init__(self, n_ticks: int, tick_seconds: float, mode: Mode, labels: list[str]) -> None:
        self.n_ticks = n_ticks
        self.tick_seconds = tick_seconds
        self.mode = mode
        self.bin_ticks = bin_ticks(n_ticks)
        n_bins = max(1, math.ceil(n_ticks / self.bin_ticks))
        self.served = np.zeros(n_bins, dtype=np.int64)
        self.leaked = {label: np.zeros(n_bins, dtype=np.int64) for label in labels}

    def add(self, traffic: TickTraffic, is_attacker: np.ndarray, logs: dict[str, ScoreLog]) -> None:
        """Fold one tick in, **before** the detectors' containments of this tick.

        ``is_attacker`` is the registry's truth column (by registry code); ``logs``
        the score logs of the detectors still running, by label."""
        codes = traffic.account_codes
        if codes.size == 0:
            return
        attacker = is_attacker[codes]
        if not attacker.any():
            return
        output = traffic.batch.table.column("output_tokens").to_numpy()[attacker].astype(np.int64)
        mine = codes[attacker]
        b = min(traffic.batch.tick // self.bin_ticks, self.served.size - 1)
        total = int(output.sum())
        self.served[b] += total
        for label, log in logs.items():
            if self.mode == "active":
                self.leaked[label][b] += total
            else:
                self.leaked[label][b] += int(output[~log.contained(mine)].sum())

    def table(self, labels: list[str]) -> pa.Table:
        """The series (:data:`LEAKAGE_FILE_SCHEMA`): the cell's total first, then ``labels`` in order."""
        n = self.served.size
        bins = np.arange(n, dtype=np.int32)
        start = bins * self.bin_ticks * self.tick_seconds
        end = np.minimum((bins + 1) * self.bin_ticks, self.n_ticks) * self.tick_seconds
        series: list[tuple[str | None, np.ndarray]] = [(None, self.served)]
        series += [(label, self.leaked[label]) for label in labels]
        return pa.Table.from_arrays(
            [
                pa.array([label for label, _ in series for _ in range(n)], type=pa.string()),
                pa.array(np.tile(bins, len(series))),
                pa.array(np.tile(start.astype(np.float64), len(series))),
                pa.array(np.tile(end.astype(np.float64), len(series))),
                pa.array(np.concatenate([values for _, values in series])),
            ],
            schema=LEAKAGE_FILE_SCHEMA,
        )
