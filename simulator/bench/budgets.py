"""What one detector call and one cell may use: the containment budgets.

Set in a suite (``budgets:``), on the command line (``--tick-budget``,
``--memory-budget``) or with :func:`simulator.bench.run` (``budgets=``); enforced by
the guard (:mod:`simulator.bench.guard`) and the cell's worker process
(:mod:`simulator.bench.containment`). Budgets never change a cell's key: a run
resumed with other budgets reuses the cells it has.
"""

from __future__ import annotations

from pydantic import Field

from simulator.scenario.base import StrictModel
from simulator.units import Duration

__all__ = ["DEFAULT_BUDGETS", "Budgets"]


class Budgets(StrictModel):
    """Per-tick time and per-cell memory a run allows its detectors.

    * ``tick``: wall-clock seconds one call of a detector's ``update`` (or its
      constructor) may take, e.g. ``'90s'``; 0: unbounded. A detector past it fails
      with "took longer than the per-tick time budget".
    * ``memory_mb``: the cell's worker process's address space in MiB (``RLIMIT_AS``:
      the simulated world, every detector of the cell and the libraries mapped); 0:
      unbounded. A quick-suite cell maps about 2 GiB, of which about 0.3 GiB is
      resident. A detector whose allocation would pass it fails with "ran out of memory".
    """

    tick: Duration = Field(default=60.0, ge=0, le=86400, description="Seconds one detector call may take (0: none).")
    memory_mb: float = Field(
        default=6144.0, ge=0, le=2**40, allow_inf_nan=False, description="Cell worker address space, MiB (0: none)."
    )


DEFAULT_BUDGETS = Budgets()
