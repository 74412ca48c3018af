"""Guarding the harness against a misbehaving detector.

A detector that raises anything (``SystemExit`` and ``KeyboardInterrupt`` included),
overruns the per-tick time budget, runs out of memory, or returns something other
than real-number scores in [0, 1] keyed by known account ids, fails **alone**: the
reason is recorded, the detector gets no further batches, and every other
detector's results survive. What cannot be caught in the process (``os._exit``, a
crash, a hang in native code) is contained one level up, by the cell's worker
process (:mod:`simulator.bench.containment`).

The time budget is a wall-clock limit in seconds on one call of ``update`` (or on
building the detector), enforced with ``SIGALRM`` on the main thread: the call is
interrupted by an exception the detector's ``except Exception`` cannot swallow.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, MutableSequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from detectors.base import Detector
from simulator.registry import Registry, known_codes
from simulator.traffic import RequestBatch

__all__ = [
    "DetectorFailedError",
    "Failure",
    "Watch",
    "checked_call",
    "checked_update",
    "over_budget_reason",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """Why a detector's cell failed (``tick`` −1: while it was being built)."""

    tick: int
    reason: str


class DetectorFailedError(Exception):
    """A detector raised or returned invalid scores at ``tick``."""

    def __init__(self, tick: int, reason: str) -> None:
        super().__init__(f"tick {tick}: {reason}")
        self.failure = Failure(tick, reason)


# a BaseException, so that a detector's `except Exception` cannot swallow it
class _OverBudget(BaseException):
    """Raised into a detector's call when its time budget runs out."""


def over_budget_reason(seconds: float) -> str:
    """The failure reason of a call that overran a budget of ``seconds``."""
    return f"took longer than the per-tick time budget of {seconds:g} s"


@contextlib.contextmanager
def _time_budget(seconds: float | None) -> Iterator[None]:
    """Interrupt the block with :class:`_OverBudget` after ``seconds`` of wall time
    (main thread only; elsewhere, and for ``None`` or 0, the block runs unbounded)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _OverBudget

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Watch:
    """Where a cell stands, for the process that watches it: the tick and the index of
    the detector being called (−1: none), and since when (``time.monotonic``, seconds).
    ``slots`` is any mutable sequence of three floats, e.g. shared memory."""

    def __init__(self, slots: MutableSequence[float] | None = None) -> None:
        self.slots = slots if slots is not None else [0.0, -1.0, 0.0]

    @contextlib.contextmanager
    def calling(self, tick: int, index: int) -> Iterator[None]:
        """Mark detector ``index`` as running at ``tick`` for the duration of the block."""
        self.slots[0] = float(tick)
        self.slots[2] = time.monotonic()
        self.slots[1] = float(index)
        try:
            yield
        finally:
            self.slots[1] = -1.0


def checked_call(tick: int, what: str, call: Callable[[], T], budget: float | None = None) -> T:
    """``call()`` within the time budget; anything it raises (``BaseException`` included)
    becomes :class:`DetectorFailedError` at ``tick`` naming ``what`` was called."""
    try:
        with _time_budget(budget):
            return call()
    except _OverBudget:
        raise DetectorFailedError(tick, f"{what} {over_budget_reason(budget or 0)}") from None
    except MemoryError as exc:
        raise DetectorFailedError(tick, f"{what} ran out of memory (MemoryError: {exc})") from None
    except BaseException as exc:  # any error of third-party code fails its detector only
        detail = f": {exc}" if str(exc) else ""
        raise DetectorFailedError(tick, f"{what} raised {type(exc).__name__}{detail}") from None


def _examples(values: pd.Index | np.ndarray) -> str:
    shown = [repr(v) for v in list(values[:3])]
    return ", ".join(shown) + (" …" if len(values) > 3 else "")


def checked_update(
    detector: Detector, batch: RequestBatch, registry: Registry, budget: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Call ``detector.update(batch)`` within ``budget`` seconds and return (registry
    codes, scores) of the accounts whose score changed; raise :class:`DetectorFailedError`
    with the reason if the call raises or overruns, or if its result is not a Series of
    finite real numbers (no booleans, strings or objects) in [0, 1] indexed by unique,
    known ``account_id`` strings."""
    tick = batch.tick
    result = checked_call(tick, "update", lambda: detector.update(batch), budget)
    if result is None:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    if not isinstance(result, pd.Series):
        raise DetectorFailedError(tick, f"update returned a {type(result).__name__}, expected a pandas Series or None")
    if result.empty:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    index = result.index
    if pd.api.types.infer_dtype(index, skipna=False) != "string":
        raise DetectorFailedError(
            tick, f"scores are indexed by {index.dtype} values ({_examples(index)}), expected account_id strings"
        )
    codes = registry.lookup(index)
    known = bool((codes >= 0).all())
    if _repeats(codes) if known else index.has_duplicates:  # a known id has one code: codes repeat as ids do
        raise DetectorFailedError(tick, f"scores repeat account ids ({_examples(index[index.duplicated()])})")
    if getattr(result.dtype, "kind", "O") not in "iuf":
        raise DetectorFailedError(
            tick, f"scores of dtype {result.dtype} ({_examples(result.to_numpy())}) are not real numbers"
        )
    try:
        scores = result.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DetectorFailedError(tick, f"scores of dtype {result.dtype} are not numbers") from None
    bad = ~np.isfinite(scores)
    if bad.any():
        raise DetectorFailedError(tick, f"non-finite score {scores[bad][0]} for account {index[bad][0]!r}")
    outside = (scores < 0) | (scores > 1)
    if outside.any():
        raise DetectorFailedError(
            tick, f"score {scores[outside][0]:g} outside [0, 1] for account {index[outside][0]!r}"
        )
    try:
        return known_codes(index, codes), scores
    except KeyError as exc:
        raise DetectorFailedError(tick, f"scores for accounts not in the registry: {exc.args[0]}") from None


def _repeats(codes: np.ndarray) -> bool:
    """Whether any value of ``codes`` occurs twice."""
    ordered = np.sort(codes)
    return bool((ordered[1:] == ordered[:-1]).any())
