"""What a detector costs to run: throughput and memory.

* **events/s**: requests in the timed ticks / seconds spent in ``update`` on them
  (wall clock, ``time.perf_counter``);
* **peak memory (MB)**: the largest, over a few sampled ticks, of the detector's
  retained state before the update (:func:`deep_size`) plus the peak memory the
  update allocated (``tracemalloc``, started and stopped around that one call).

Tracing slows allocation, so the sampled ticks are left out of the timing. The
memory figure is an estimate of the detector's own footprint (state and working
memory), not of the process; the process's peak resident memory per cell is
reported beside it (:func:`peak_rss_mb`, reset per cell on Linux).
"""

from __future__ import annotations

import contextlib
import resource
import sys
import time
import tracemalloc
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = ["CostMeter", "DetectorCost", "deep_size", "peak_rss_mb", "reset_peak_rss"]

T = TypeVar("T")
MB = 1024 * 1024
_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def deep_size(obj: Any) -> int:
    """Bytes held by ``obj`` and everything it references (each object once):
    numpy arrays by their buffers, pandas objects by ``memory_usage(deep=True)``,
    containers and instances recursively; classes, modules and functions count 0.

    >>> deep_size(np.zeros(1000)) >= 8000
    True
    """
    seen: set[int] = set()
    stack = [obj]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, _OPAQUE):
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += sys.getsizeof(item)
            if item.base is not None:
                stack.append(item.base)
            continue
        if isinstance(item, pd.core.base.PandasObject):
            total += item.__sizeof__()
            continue
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        else:
            attributes = getattr(item, "__dict__", None)
            if attributes is not None:
                stack.append(attributes)
            for slot in getattr(type(item), "__slots__", ()):
                with contextlib.suppress(AttributeError):
                    stack.append(getattr(item, slot))
    return total


@dataclass(frozen=True)
class DetectorCost:
    """Cost figures of one detector on one run."""

    events: int
    """Requests in the timed ticks."""
    update_seconds: float
    """Seconds spent in ``update`` on the timed ticks."""
    peak_memory_mb: float

    @property
    def events_per_s(self) -> float:
        """Requests per second of ``update`` (NaN if no tick was timed)."""
        return self.events / self.update_seconds if self.update_seconds > 0 else float("nan")


class CostMeter:
    """Times every tick's update except ``samples`` evenly spread ticks, on which it
    measures memory instead."""

    def __init__(self, n_ticks: int, samples: int = 16) -> None:
        count = min(samples, max(n_ticks // 4, 1))
        self._sampled = set(np.linspace(0, n_ticks - 1, count).round().astype(int).tolist())
        self.events = 0
        self.seconds = 0.0
        self.peak_bytes = 0

    def measure(self, tick: int, events: int, detector: Any, call: Callable[[], T]) -> T:
        """Run ``call`` (the detector's update at ``tick``, on ``events`` requests)
        and account for its cost."""
        if tick not in self._sampled:
            started = time.perf_counter()
            result = call()
            self.seconds += time.perf_counter() - started
            self.events += events
            return result
        try:
            state = deep_size(detector)
        except Exception:  # an exotic object graph must not fail the detector: count its update only
            state = 0
        tracing = tracemalloc.is_tracing()
        if not tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        try:
            result = call()
        finally:
            peak = tracemalloc.get_traced_memory()[1] - baseline
            if not tracing:
                tracemalloc.stop()
        self.peak_bytes = max(self.peak_bytes, state + peak)
        return result

    def result(self) -> DetectorCost:
        return DetectorCost(self.events, self.seconds, self.peak_bytes / MB)


def reset_peak_rss() -> bool:
    """Reset this process's peak resident memory, where the OS allows it (Linux:
    ``/proc/self/clear_refs``); returns whether it did."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (since the last reset on Linux)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak / 1024
