"""extractbench's detectors: the protocol, the registry and the built-in zoo.

Write a detector by subclassing :class:`Detector` and implementing ``update``;
find one by name with :func:`build` (built-ins, plug-ins registered under the
``extractbench.detectors`` entry-point group, or ``package.module:Class``).
"""

from __future__ import annotations

from detectors.base import Detector, Interval, Options, ParameterError, scores_series
from detectors.baselines import NullDetector, PeriodicDetector, RandomDetector
from detectors.registry import (
    BASELINES,
    BUILTINS,
    ENTRY_POINT_GROUP,
    DetectorInfo,
    UnknownDetectorError,
    available,
    build,
    resolve,
)

__all__ = [
    "BASELINES",
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "Detector",
    "DetectorInfo",
    "Interval",
    "NullDetector",
    "Options",
    "ParameterError",
    "PeriodicDetector",
    "RandomDetector",
    "UnknownDetectorError",
    "available",
    "build",
    "resolve",
    "scores_series",
]
