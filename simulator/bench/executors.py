"""Where cells run: one at a time, ``jobs`` at a time, or on a Dask cluster.

Every executor runs the same pure function (:func:`~simulator.bench.runner.run_cell`)
on frozen :class:`~simulator.bench.cells.Cell` objects, each cell in a worker
process of its own within the detectors' budgets
(:func:`~simulator.bench.containment.run_contained`), and yields results as they
complete; results depend on the cell only, so every executor writes identical
``metrics.csv``.

* :class:`SerialExecutor`: one cell after another (``--jobs 1``);
* :class:`ProcessExecutor`: ``jobs`` cells at once, each in its worker process
  (forked from a ``forkserver``, no fork of a threaded parent); cells travel with
  cloudpickle, so detectors defined in a notebook or a script work too;
* :class:`DaskExecutor`: ``--scheduler tcp://host:8786`` (an existing cluster) or
  ``--scheduler local`` (a local cluster of ``jobs`` single-threaded workers).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from types import TracebackType

from simulator.bench.budgets import DEFAULT_BUDGETS, Budgets
from simulator.bench.cells import Cell, CellResult
from simulator.bench.containment import run_contained
from simulator.workers import default_jobs

__all__ = ["DaskExecutor", "Executor", "ProcessExecutor", "SerialExecutor", "default_jobs", "make_executor"]


class Executor(ABC):
    """Runs cells and yields ``(cell, result)`` pairs as they complete."""

    description: str = ""
    budgets: Budgets = DEFAULT_BUDGETS

    @abstractmethod
    def run(self, cells: Sequence[Cell]) -> Iterator[tuple[Cell, CellResult]]:
        """Run every cell; results arrive in completion order."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs cells one after another in this process."""

    description = "serial"

    def __init__(self, budgets: Budgets = DEFAULT_BUDGETS) -> None:
        self.budgets = budgets

    def run(self, cells: Sequence[Cell]) -> Iterator[tuple[Cell, CellResult]]:
        for cell in cells:
            yield cell, run_contained(cell, self.budgets)


class ProcessExecutor(Executor):
    """Runs ``jobs`` cells at once, each in its worker process (a thread here waits on each)."""

    def __init__(self, jobs: int, budgets: Budgets = DEFAULT_BUDGETS) -> None:
        self.jobs = jobs
        self.budgets = budgets
        self.description = f"process pool ({jobs} workers)"

    def run(self, cells: Sequence[Cell]) -> Iterator[tuple[Cell, CellResult]]:
        if not cells:
            return
        pool = ThreadPoolExecutor(max_workers=min(self.jobs, len(cells)), thread_name_prefix="cell")
        stop = threading.Event()
        try:
            futures: dict[Future[CellResult], Cell] = {
                pool.submit(run_contained, cell, self.budgets, stop): cell for cell in cells
            }
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            # cells not started are dropped; running ones (after an interrupt, or a cell that
            # raised) end their worker processes at once instead of running to the end
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """Runs cells on a Dask cluster: ``scheduler`` is an address or ``local``."""

    def __init__(self, scheduler: str, jobs: int, budgets: Budgets = DEFAULT_BUDGETS) -> None:
        self.scheduler = scheduler
        self.jobs = jobs
        self.budgets = budgets
        self.description = f"dask ({scheduler})"
        self._client = None
        self._cluster = None

    def _connect(self):  # type: ignore[no-untyped-def]
        import dask
        from distributed import Client, LocalCluster

        if self._client is None:
            if self.scheduler == "local":
                # non-daemonic workers may start each cell's worker process (containment)
                with dask.config.set({"distributed.worker.daemon": False}):
                    self._cluster = LocalCluster(
                        n_workers=self.jobs,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.scheduler)
        return self._client

    def run(self, cells: Sequence[Cell]) -> Iterator[tuple[Cell, CellResult]]:
        from distributed import as_completed as dask_completed

        client = self._connect()
        futures = {
            client.submit(run_contained, cell, self.budgets, key=f"cell-{cell.key}", pure=False): cell for cell in cells
        }
        try:
            for future in dask_completed(list(futures)):
                yield futures[future], future.result()
        finally:
            client.cancel(list(futures))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


def make_executor(
    jobs: int | None = None,
    scheduler: str | None = None,
    cells: int | None = None,
    budgets: Budgets = DEFAULT_BUDGETS,
) -> Executor:
    """The executor for ``jobs`` workers (default :func:`default_jobs`) or a Dask
    ``scheduler``, within the detectors' ``budgets``; one job, or a single cell, runs serially."""
    workers = default_jobs() if jobs is None else jobs
    if jobs is not None and jobs < 1:
        raise ValueError(f"The 'jobs' must be an int in the range [1, inf). Got {jobs} instead.")
    if scheduler:
        return DaskExecutor(scheduler, workers, budgets)
    if cells is not None:
        workers = min(workers, cells)
    return SerialExecutor(budgets) if workers <= 1 else ProcessExecutor(workers, budgets)
