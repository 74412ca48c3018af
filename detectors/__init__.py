"""extractbench's detectors: the protocol, the registry and the built-in zoo.

Write a detector by subclassing :class:`Detector` and implementing ``update``;
find one by name with :func:`build` (built-ins, plug-ins registered under the
``extractbench.detectors`` entry-point group, or ``package.module:Class``).
Plug other libraries' anomaly models in with the adapters
(:class:`EstimatorAdapter`, :class:`RiverAdapter`, :class:`EventAdapter`) over the
shared :class:`AccountFeatures`; check any detector with
:mod:`simulator.conformance` (on the harness's side: it runs a world and knows
the labels). The built-in zoo lives in one module per signal
(``detectors.rate``, ``.capability``, ``.templates``, ``.prada``, ``.synchrony``,
``.infrastructure``, ``.lifecycle``, ``.shift``, ``.anomaly``, ``.ensemble``),
imported on demand by the registry.
"""

from __future__ import annotations

from detectors.adapters import EstimatorAdapter, EventAdapter, RiverAdapter, RunningZScore
from detectors.base import Detector, Interval, Options, ParameterError, scores_series
from detectors.baselines import NullDetector, PeriodicDetector, RandomDetector
from detectors.features import FEATURES, AccountFeatures
from detectors.registry import (
    BASELINES,
    BUILTINS,
    ENTRY_POINT_GROUP,
    DetectorInfo,
    UnknownDetectorError,
    available,
    build,
    configure,
    names,
    resolve,
)

__all__ = [
    "BASELINES",
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "FEATURES",
    "AccountFeatures",
    "Detector",
    "DetectorInfo",
    "EstimatorAdapter",
    "EventAdapter",
    "Interval",
    "NullDetector",
    "Options",
    "ParameterError",
    "PeriodicDetector",
    "RandomDetector",
    "RiverAdapter",
    "RunningZScore",
    "UnknownDetectorError",
    "available",
    "build",
    "configure",
    "names",
    "resolve",
    "scores_series",
]
