"""Finding detectors by name: the built-ins, installed plug-ins, and ``module:Class``.

* Built-ins are listed explicitly in :data:`BUILTINS` (name → import path), so
  nothing is discovered by scanning modules or mangling class names.
* Third-party packages register detectors under the entry-point group
  ``extractbench.detectors`` (``name = "package.module:Class"``).
* Any importable class can be named directly as ``package.module:Class`` on the
  command line and in Python, where the user names the code. A suite file may
  name registered detectors only (:func:`code_paths` finds what it names by
  module path; ``--allow-module-detectors`` lifts that): naming
  ``module:Class`` imports the module, which runs its code.
* Any of these takes constructor parameters in a *spec*, on the command line
  and in suite files: ``lockstep(half_group=3, bucket_seconds=30)``. Values are
  read as YAML scalars or flow sequences (``3``, ``0.5``, ``model``, ``null``,
  ``[capability, templates]``; sequences become tuples), so a sweep is a list
  of specs: ``--detectors "lockstep(half_group=3),lockstep(half_group=10)"``.

An unknown name is an :class:`UnknownDetectorError` that lists the valid names
(and the closest one). Parameters are checked against the constructor before a
detector is built, so a typo such as ``windw=5`` is reported with the valid
parameter names instead of a bare ``TypeError``.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import yaml

from detectors.base import Detector, ParameterError

__all__ = [
    "BASELINES",
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "DetectorInfo",
    "UnknownDetectorError",
    "available",
    "build",
    "code_paths",
    "configure",
    "names",
    "parse_spec",
    "resolve",
    "split_specs",
]

ENTRY_POINT_GROUP = "extractbench.detectors"

BUILTINS: dict[str, str] = {
    "null": "detectors.baselines:NullDetector",
    "random": "detectors.baselines:RandomDetector",
    "periodic": "detectors.baselines:PeriodicDetector",
    "rate": "detectors.rate:RateSaturation",
    "capability": "detectors.capability:CapabilityConcentration",
    "templates": "detectors.templates:TemplateRepetition",
    "lockstep": "detectors.synchrony:Lockstep",
    "infrastructure": "detectors.infrastructure:SharedInfrastructure",
    "prada": "detectors.prada:QueryDistribution",
    "lifecycle": "detectors.lifecycle:AccountLifecycle",
    "shift": "detectors.shift:WindowShift",
    "isolation-forest": "detectors.anomaly:IsolationForestDetector",
    "ensemble": "detectors.ensemble:Ensemble",
}
"""Built-in detectors by name (import paths, imported on demand)."""

BASELINES: tuple[str, ...] = ("null", "random", "periodic")
"""Baselines shown beside the detectors in every table."""


class UnknownDetectorError(LookupError):
    """No detector by that name; the message lists the valid names."""


@dataclass(frozen=True)
class DetectorInfo:
    """What ``extractbench detectors`` shows about one detector."""

    name: str
    path: str
    source: str
    """``built-in``, ``plug-in`` (entry point) or ``path``."""
    cls: type[Detector]

    @property
    def summary(self) -> str:
        doc = (self.cls.__doc__ or "").strip().splitlines()
        return doc[0].replace("``", "") if doc else ""


def _add_cwd() -> bool:
    """Put the current folder first on the import path, as ``python -m`` does, so that
    ``mymodule:Class`` finds ``./mymodule.py``; worker processes inherit the path.
    False if it was there already."""
    cwd = os.getcwd()
    if any(os.path.abspath(entry or ".") == cwd for entry in sys.path):
        return False
    sys.path.insert(0, cwd)
    importlib.invalidate_caches()
    return True


def _import_again(module_name: str, path: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownDetectorError(
            f"Cannot import {module_name!r} for detector {path!r}: {exc}; looked in the current folder "
            f"({os.getcwd()}) and on the import path (sys.path, PYTHONPATH); put {module_name.replace('.', '/')}.py "
            "in the current folder, add its folder to PYTHONPATH, or install its package"
        ) from None


def _import(path: str) -> type[Detector]:
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise UnknownDetectorError(f"Expected 'package.module:Class', got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or module_name.partition(".")[0] != exc.name.partition(".")[0]:
            raise UnknownDetectorError(f"Cannot import {module_name!r} for detector {path!r}: {exc}") from None
        _add_cwd()
        module = _import_again(module_name, path)
    except ImportError as exc:
        raise UnknownDetectorError(f"Cannot import {module_name!r} for detector {path!r}: {exc}") from None
    cls = getattr(module, attribute, None)
    if cls is None:
        raise UnknownDetectorError(f"Module {module_name!r} has no attribute {attribute!r}")
    if not (isinstance(cls, type) and issubclass(cls, Detector)):
        raise UnknownDetectorError(f"{path!r} is not a subclass of detectors.Detector")
    return cls


def _plugins() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def names() -> list[str]:
    """Every detector name: built-ins first, then installed plug-ins."""
    plugins = [name for name in sorted(_plugins()) if name not in BUILTINS]
    return [*BUILTINS, *plugins]


def resolve(spec: str) -> DetectorInfo:
    """The detector called ``spec`` (a built-in or plug-in name, or ``module:Class``)."""
    if spec in BUILTINS:
        return DetectorInfo(spec, BUILTINS[spec], "built-in", _import(BUILTINS[spec]))
    plugins = _plugins()
    if spec in plugins:
        return DetectorInfo(spec, plugins[spec], "plug-in", _import(plugins[spec]))
    if ":" in spec:
        cls = _import(spec)
        return DetectorInfo(spec, spec, "path", cls)
    valid = names()
    close = difflib.get_close_matches(spec, valid, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownDetectorError(
        f"Unknown detector {spec!r}.{hint} Valid names: {', '.join(valid)}; or give 'package.module:Class'."
    )


def available() -> list[DetectorInfo]:
    """Every built-in and installed plug-in detector."""
    return [resolve(name) for name in names()]


def configure(cls: type[Detector], **params: Any) -> Detector:
    """``cls(**params)``, after checking that every parameter exists (else a
    :class:`ParameterError` naming the valid ones) and that values meet the class's
    declared constraints."""
    valid = cls.parameter_names()
    unknown = [name for name in params if name not in valid]
    if unknown:
        close = difflib.get_close_matches(unknown[0], valid, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(
            f"{cls.__name__} got an unknown parameter {unknown[0]!r}.{hint} "
            f"Valid parameters: {', '.join(valid) if valid else '(none)'}."
        )
    detector = cls(**params)
    detector.check_params()
    return detector


_SPEC = re.compile(r"\s*(?P<name>[^()\s]+)\s*(?:\((?P<arguments>.*)\))?\s*", re.DOTALL)


def split_specs(text: str) -> list[str]:
    """Split a comma-separated list of specs, leaving commas inside brackets alone.

    >>> split_specs("null, lockstep(half_group=3, rows=2),ensemble(members=[rate, capability])")
    ['null', 'lockstep(half_group=3, rows=2)', 'ensemble(members=[rate, capability])']
    """
    specs, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            specs.append(text[start:position])
            start = position + 1
    specs.append(text[start:])
    return [spec.strip() for spec in specs if spec.strip()]


def _value(text: str) -> Any:
    value = yaml.safe_load(text)
    return tuple(value) if isinstance(value, list) else value


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"name(key=value, ...)"`` → ``("name", {key: value})``; a bare name has no parameters.

    >>> parse_spec("lockstep(half_group=3, action=null, members=[a, b])")
    ('lockstep', {'half_group': 3, 'action': None, 'members': ('a', 'b')})
    """
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise ParameterError(f"Expected a detector name or 'name(param=value, ...)', got {spec!r}")
    name, arguments = match["name"], match["arguments"]
    params: dict[str, Any] = {}
    for argument in split_specs(arguments or ""):
        key, equals, text = argument.partition("=")
        key = key.strip()
        if not equals or not key.isidentifier():
            raise ParameterError(f"In {spec!r}: expected 'param=value', got {argument!r}")
        if key in params:
            raise ParameterError(f"In {spec!r}: parameter {key!r} given twice")
        try:
            params[key] = _value(text.strip())
        except yaml.YAMLError:
            raise ParameterError(f"In {spec!r}: cannot read the value of {key!r}: {text.strip()!r}") from None
    return name, params


_CODE_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def code_paths(spec: str) -> list[str]:
    """The Python code ``spec`` names by module path, found without importing anything: its name if
    it is ``package.module:Class``, and every parameter value (or item of a list value) of that form
    that is not a registered model of the adapters (:func:`detectors.models.registered_models`), such
    as ``isolation-forest(estimator=mymodule:Model)`` or ``ensemble(members=[rate, mymodule:Class])``.
    Empty for a spec that cannot be read (the caller reports that)."""
    from detectors.models import registered_models

    try:
        name, params = parse_spec(spec)
    except ParameterError:
        return []
    found = [name] if ":" in name else []
    models = registered_models()
    for value in params.values():
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str) and _CODE_PATH.fullmatch(item.strip()) and item.strip() not in models:
                found.append(item.strip())
    return found


def build(spec: str, **params: Any) -> Detector:
    """A configured detector from a spec (a name, see :func:`resolve`, with optional
    parameters, see :func:`parse_spec`); keyword ``params`` override the spec's.
    Parameters are checked as :func:`configure` does."""
    name, given = parse_spec(spec)
    return configure(resolve(name).cls, **{**given, **params})
