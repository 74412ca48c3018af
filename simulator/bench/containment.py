"""Containing detectors: every cell runs in a worker process of its own.

A detector is third-party code. In the cell's process, the guard
(:mod:`simulator.bench.guard`) turns anything it raises (``SystemExit`` and
``KeyboardInterrupt`` included), a call that overruns the per-tick time budget and
a ``MemoryError`` into a failure of that detector alone. What no process can catch
in itself is caught here, by running the whole cell (world and detectors) in a
child process and watching it:

* the child's address space is capped at the **memory budget**
  (``RLIMIT_AS``, :attr:`~simulator.bench.budgets.Budgets.memory_mb`): a detector that allocates past it
  gets a ``MemoryError`` and fails;
* if the child ends without a result (``os._exit``, a crash, the kernel's
  out-of-memory killer) or a detector call runs past the **time budget** plus
  :data:`GRACE_SECONDS` without being interrupted (a hang in native code), the
  detector that was running is recorded as failed at that tick and the cell is
  simulated again with that failure replayed (:func:`~simulator.bench.runner.run_cell`
  with ``replay``): the detector runs as before up to that tick and stops there, so
  the other detectors' results, and the cell's, are those an in-process failure
  would have given (the simulation is deterministic);
* the child ends as soon as the run that waits for its result is gone (its result
  pipe has no reader left) or its parent ends (``PR_SET_PDEATHSIG`` on Linux, a
  parent-pid poll elsewhere), so that no worker outlives a killed run; it ignores
  ``SIGINT``: an interrupt stops the run in the parent, which ends its children, and
  a ``KeyboardInterrupt`` inside the child can only come from a detector.

Children are forked from a ``forkserver`` that has imported the harness and the
built-in detectors once, so a cell pays a fork, not an interpreter start. Where a
process may not have children (a daemonic Dask worker of a remote cluster), the cell
runs in the process with the in-process guard only.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

import cloudpickle

from detectors.registry import BUILTINS
from simulator.bench.budgets import DEFAULT_BUDGETS, Budgets
from simulator.bench.cells import Cell, CellResult
from simulator.bench.guard import Failure, Watch, over_budget_reason
from simulator.bench.runner import run_cell
from simulator.bench.spill import remove_spills_of
from simulator.workers import die_with_parent

__all__ = ["GRACE_SECONDS", "CellCrashedError", "CellStoppedError", "die_with_parent", "run_contained"]

GRACE_SECONDS = 5.0
"""How long past the time budget the watching process waits before it kills a cell
whose detector could not be interrupted."""

_PRELOAD = [
    "simulator.bench.runner",
    "detectors.registry",
    *sorted({path.partition(":")[0] for path in BUILTINS.values()}),
]
"""What the forkserver imports before it forks any cell: the harness and the built-in
detectors' modules (with the scikit-learn estimators they bring), which every cell of a
suite would otherwise import again, about 0.1 s of CPU a cell."""


class CellCrashedError(RuntimeError):
    """A cell's worker process ended while no detector was running (the simulation itself)."""


class CellStoppedError(RuntimeError):
    """The run stopped waiting for a cell (it was interrupted): the cell's worker was ended."""


def _die_with_reader(conn: Connection) -> None:
    """End this process as soon as nobody reads ``conn`` any more: the run that started
    the cell is gone (a cell's parent is the forkserver, which outlives the run while
    cells are alive, so the parent's death alone would not tell)."""
    poller = select.poll()
    poller.register(conn.fileno(), 0)  # POLLERR (no reader left) and POLLHUP are always reported

    def wait() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # the time budget is the main thread's
        while True:
            for _, events in poller.poll():
                if events & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                    with contextlib.suppress(Exception):  # nobody will read the score changes
                        remove_spills_of(os.getpid())
                    os._exit(1)

    threading.Thread(target=wait, name="watch-run", daemon=True).start()


def _context() -> Any:
    """The forkserver context, or None where this process may not start children."""
    if multiprocessing.current_process().daemon or "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _limit_memory(megabytes: float) -> None:
    if not megabytes:
        return
    import resource

    limit = int(megabytes * 1024 * 1024)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(payload: bytes, conn: Connection, slots: Any) -> None:
    """The cell's worker: run the cell and send back ``("ok", result)`` or ``("error", exception)``."""
    die_with_parent()
    _die_with_reader(conn)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cell, budgets, replay = cloudpickle.loads(payload)
    _limit_memory(budgets.memory_mb)
    try:
        outcome: tuple[str, Any] = (
            "ok",
            run_cell(cell, budget=budgets.tick or None, replay=replay, watch=Watch(slots)),
        )
    except BaseException as exc:  # reported to the parent, which raises it there
        outcome = ("error", exc)
    try:
        message = cloudpickle.dumps(outcome)
    except Exception as exc:  # an exception that cannot travel
        message = cloudpickle.dumps(("error", CellCrashedError(f"{type(exc).__name__}: {exc}")))
    conn.send_bytes(message)
    conn.close()


def _ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "was stopped"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by {name}"
    return f"exited with status {exitcode}"


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_not_reimported() -> Any:
    """Start a child without re-running the caller's ``__main__``: multiprocessing
    re-imports the main script (or module) in every child it starts, which in a script
    without an ``if __name__ == "__main__":`` guard runs the benchmark again and fails.
    The child needs nothing from it (the cell travels by value, with cloudpickle), so
    the main module's ``__file__`` and ``__spec__`` are hidden while the child starts."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    with _MAIN_LOCK:
        missing = object()
        saved = {name: main.__dict__.get(name, missing) for name in ("__file__", "__spec__")}
        main.__dict__.pop("__file__", None)
        main.__dict__["__spec__"] = None
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is missing:
                    main.__dict__.pop(name, None)
                else:
                    main.__dict__[name] = value


def _attempt(
    cell: Cell, budgets: Budgets, replay: Mapping[str, Failure], context: Any, stop: threading.Event | None
) -> CellResult | tuple[str, Failure]:
    """One run of ``cell`` in a child process: its result, or the (label, failure) of
    the detector that took the child down."""
    slots = context.RawArray("d", 3)
    slots[1] = -1.0
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(cloudpickle.dumps((cell, budgets, dict(replay))), sender, slots), daemon=True
    )
    with _main_not_reimported():
        child.start()
    sender.close()
    limit = budgets.tick + GRACE_SECONDS if budgets.tick else None
    how: str | None = None
    finished = False
    try:
        while True:
            if receiver.poll(0.2):
                try:
                    kind, value = cloudpickle.loads(receiver.recv_bytes())
                except EOFError:  # the child ended without a result
                    child.join()
                    how = _ended(child.exitcode)
                    break
                child.join()
                if kind == "error":
                    raise value
                finished = True
                return value
            if stop is not None and stop.is_set():  # the finally ends the worker and deletes its files
                raise CellStoppedError(f"cell {cell.name}: stopped with the run")
            if limit is not None and slots[1] >= 0 and time.monotonic() - slots[2] > limit:
                how = f"hung: {over_budget_reason(budgets.tick)} and could not be interrupted"
                child.kill()
                child.join()
                break
    finally:
        if child.is_alive():
            child.kill()
            child.join()
        receiver.close()
        if not finished:  # also when this process is interrupted: a killed child cannot clean up
            remove_spills_of(child.pid)  # the score changes the child left on disk
    index, tick = int(slots[1]), int(slots[0])
    if index < 0:
        raise CellCrashedError(f"cell {cell.name}: its worker process {how} while no detector was running")
    label = cell.detectors[index].label
    what = "its constructor" if tick < 0 else "update"
    if how.startswith("hung"):
        reason = f"{what} {over_budget_reason(budgets.tick)}"
    else:
        reason = f"the cell's worker process {how} during {what}"
    if tick < 0:
        reason = f"could not be built: {reason}"
    return label, Failure(tick, reason)


def run_contained(cell: Cell, budgets: Budgets = DEFAULT_BUDGETS, stop: threading.Event | None = None) -> CellResult:
    """Run ``cell`` in a worker process within ``budgets`` (see the module's docstring);
    the result is that of :func:`~simulator.bench.runner.run_cell`, with the detectors
    that took the worker down recorded as failed. Once ``stop`` is set (an interrupted
    run, from another thread than the one waiting here), the worker is ended within
    a fifth of a second and :class:`CellStoppedError` raised."""
    context = _context()
    if context is None:
        return run_cell(cell, budget=budgets.tick or None)
    replay: dict[str, Failure] = {}
    for _ in range(len(cell.detectors) + 1):
        outcome = _attempt(cell, budgets, replay, context, stop)
        if isinstance(outcome, CellResult):
            return outcome
        label, failure = outcome
        replay[label] = failure
    raise CellCrashedError(f"cell {cell.name}: its worker process kept ending")  # unreachable: one label per attempt
