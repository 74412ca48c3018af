"""extractbench's simulator: scenarios, the SimPy world, the gateway, traffic export
and the benchmark harness (:mod:`simulator.bench`, also reachable as ``simulator.run``)."""

from __future__ import annotations

from typing import Any

__all__ = ["RunResults", "__version__", "bench", "load_results", "run"]

__version__ = "0.1.0"

_BENCH = ("run", "RunResults", "load_results")


def __getattr__(name: str) -> Any:
    # the harness pulls in scikit-learn and scipy: import it only when asked for
    if name == "bench" or name in _BENCH:
        import importlib

        bench = importlib.import_module("simulator.bench")
        return bench if name == "bench" else getattr(bench, name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
