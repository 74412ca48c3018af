"""Models the adapters build from a text (``estimator="sklearn.ensemble:IsolationForest"``).

An adapter's ``estimator`` or ``model`` parameter is an object, or a text naming a
class by ``package.module:Class`` that :func:`instantiate` imports and calls with no
argument. Importing a module runs its code, so the classes a suite file may name
are listed: :data:`BUILTIN_MODELS`, and those installed packages register under
the entry-point group ``extractbench.models`` (``name = "package.module:Class"``;
either the name or the path may then be given). Any other path is the user's own
code: accepted where the user names it (the command line, Python), refused in a
suite file unless the run allows it (``--allow-module-detectors``;
:func:`detectors.registry.code_paths` finds such texts before anything is imported).

Whatever :func:`instantiate` builds must be a class's instance offering the
methods the adapter calls (``required``): a path to a function (``os:system``) or to
a class without them is refused with a :class:`ValueError` naming what is missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any

__all__ = ["BUILTIN_MODELS", "MODEL_ENTRY_POINT_GROUP", "instantiate", "registered_models"]

MODEL_ENTRY_POINT_GROUP = "extractbench.models"

BUILTIN_MODELS: tuple[str, ...] = (
    "sklearn.ensemble:IsolationForest",
    "sklearn.svm:OneClassSVM",
    "sklearn.covariance:EllipticEnvelope",
    "pyod.models.ecod:ECOD",
    "pyod.models.copod:COPOD",
    "pyod.models.iforest:IForest",
    "pyod.models.hbos:HBOS",
    "pyod.models.knn:KNN",
    "river.anomaly:HalfSpaceTrees",
    "detectors.adapters:RunningZScore",
)
"""Model classes any suite may name (scikit-learn, PyOD and River anomaly detectors, and the built-in one)."""


def registered_models() -> dict[str, str]:
    """Every model a suite may name, as {text accepted: ``package.module:Class``}: the built-in
    paths, and each installed entry point by its name and by its path."""
    found = {path: path for path in BUILTIN_MODELS}
    for ep in entry_points(group=MODEL_ENTRY_POINT_GROUP):
        found[ep.name] = ep.value
        found[ep.value] = ep.value
    return found


def instantiate(spec: Any, required: Sequence[str] = ()) -> Any:
    """``spec`` itself if it is an object, else a new default instance of the class it names (a
    registered model's name, see :func:`registered_models`, or ``package.module:Class``); raises
    :class:`ValueError` if it names no class, or if the instance lacks a method of ``required``."""
    if not isinstance(spec, str):
        return spec
    path = registered_models().get(spec.strip(), spec.strip())
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"Expected an estimator object, a registered model or 'package.module:Class', got {spec!r}")
    target = getattr(importlib.import_module(module), name, None)
    if not isinstance(target, type):
        raise ValueError(f"{spec!r} must name a class, got {type(target).__name__} {target!r}")
    built = target()
    missing = [method for method in required if not callable(getattr(built, method, None))]
    if missing:
        raise ValueError(f"{spec!r} builds a {name} without {', '.join(missing)}, which the adapter calls")
    return built
