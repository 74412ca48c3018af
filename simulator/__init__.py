"""extractbench's simulator: scenarios, the SimPy world, the gateway, traffic export,
the benchmark harness (:mod:`simulator.bench`, also reachable as ``simulator.run``) and
finished runs read back (:mod:`simulator.results`: ``simulator.load_results``), and
``simulator.simulate(scenario, seed=..., duration="2h")``, a scenario's traffic as
DataFrames (:mod:`simulator.simulation`)."""

from __future__ import annotations

from typing import Any

__all__ = ["RunResults", "Simulation", "__version__", "bench", "load_results", "run", "simulate"]

__version__ = "0.1.0"

_RESULTS = ("RunResults", "load_results")


def __getattr__(name: str) -> Any:
    # the harness pulls in the world, scikit-learn and scipy, and reading results needs pandas:
    # import them only when asked for
    import importlib

    if name == "bench":
        return importlib.import_module("simulator.bench")
    if name == "run":
        return importlib.import_module("simulator.bench").run
    if name == "simulate":
        return importlib.import_module("simulator.simulation").simulate
    if name == "Simulation":
        return importlib.import_module("simulator.simulation").Simulation
    if name in _RESULTS:
        return getattr(importlib.import_module("simulator.results"), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
