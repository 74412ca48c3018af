"""The conformance suite every detector must pass (after scikit-learn's
``parametrize_with_checks`` and River's ``check_estimator``).

It lives on the harness's side of the boundary, beside the world and the ground
truth it checks detectors cannot reach: nothing in the ``detectors`` package
names a label.

Each check is a function ``check_*(detector)`` that raises ``AssertionError`` with
a message saying what is wrong. :func:`run_checks` runs them all;
:func:`parametrize_with_checks` turns them into one pytest test per (detector,
check)::

    from simulator.conformance import parametrize_with_checks

    @parametrize_with_checks([MyDetector(), "lockstep"])
    def test_conformance(detector, check):
        check(detector)

The checks feed the detector a small simulated stream (:func:`reference_stream`:
three hours of a mixed customer base with an eight-account hydra pool from the
second hour), built once per process, plus a few hand-made batches. Detectors
named by registry name are built with their class's ``checking_params`` (short
reference periods, fewer trees), as scikit-learn's checks shrink estimators;
the suite shares one run over the stream per detector between checks.

* **parameters** — every parameter is named (no ``*args``/``**kwargs``) with a
  default, the constructor stores its arguments unchanged, ``repr`` and
  ``check_params`` work on the defaults;
* **clone** — ``clone()`` is a new, unfitted object with equal parameters;
* **determinism** — two clones fed the same stream return identical scores;
* **valid scores** — every return is ``None`` or a float Series of finite values
  in [0, 1] with a unique string index of accounts already seen in a batch;
* **emits** — the detector scores someone on the stream (unless its class says
  ``emits_scores = False``, as the null baseline does);
* **batch untouched** — the batches' requests, Arrow table and registry rows are
  identical after ``update``;
* **empty tick** — a batch without requests or accounts, first or mid-stream;
* **no labels** — the batches hold only schema-v1 columns; the detector's
  module, its base classes' modules and every ``detectors`` module they import
  do not import the simulator's world, registry, gateway, actors or exporters,
  nor name ground-truth fields (``label_frame``, ``is_attacker``, ``template_id``,
  ``account_codes``, ``truth``, ``labels.parquet``); and after the stream no
  registry, world, gateway or tick-traffic object and no frame with a label
  column is reachable from the detector;
* **unknown parameter** — the class rejects an unknown keyword (``TypeError``)
  and configuring it by the registry raises :class:`~detectors.base.ParameterError`
  naming the valid ones.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import gc
import importlib.util
import inspect
from collections.abc import Callable, Iterable
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType

import numpy as np
import pandas as pd

from detectors.base import Detector, ParameterError
from detectors.registry import build, configure, resolve
from detectors.testing import make_batch
from simulator.traffic import ACCOUNT_SCHEMA, REQUEST_SCHEMA, RequestBatch

__all__ = [
    "CHECKS",
    "FORBIDDEN_MODULES",
    "FORBIDDEN_NAMES",
    "check_batch_untouched",
    "check_clone",
    "check_determinism",
    "check_emits",
    "check_empty_tick",
    "check_no_labels",
    "check_parameters",
    "check_unknown_parameter",
    "check_valid_scores",
    "parametrize_with_checks",
    "reference_stream",
    "run_checks",
]

FORBIDDEN_MODULES: tuple[str, ...] = (
    "simulator.registry",
    "simulator.world",
    "simulator.gateway",
    "simulator.actor",
    "simulator.population",
    "simulator.campaign",
    "simulator.export",
    "simulator.simulation_folder",
    "simulator.simulation",
    "simulator.bench",
    "simulator.results",
    "simulator.metrics",
)
"""Modules that hold or read ground truth: a detector may not import them."""

FORBIDDEN_NAMES: tuple[str, ...] = (
    "label_frame",
    "is_attacker",
    "template_id",
    "account_codes",
    "truth",
    "labels.parquet",
    "request_labels",
)
"""Names of ground-truth fields and files: a detector's code may not mention them."""

LABEL_COLUMNS: frozenset[str] = frozenset({"is_attacker", "campaign", "role", "template_id", "actor"})

_SCENARIO = {
    "version": 1,
    "name": "conformance",
    "seed": 3,
    "start": "2026-03-02T06:00:00Z",
    "duration": "3h",
    "tick": "1m",
    "population": [
        {"kind": "chat", "accounts": 30},
        {"kind": "coding_assistant", "accounts": 8},
        {"kind": "batch", "accounts": 2, "start_hours": [6, 8]},
        {"kind": "eval_harness", "accounts": 1},
    ],
    "campaigns": [
        {
            "kind": "hydra",
            "name": "hydra-check",
            "accounts": 8,
            "start": "1h",
            "load": {"requests_per_account": "600/day", "timing": {"kind": "synchronised", "jitter": "3s"}},
            "infrastructure": {"proxy_pool": 200, "clients": {"kind": "shared", "count": 2}, "payment_instruments": 2},
            "prompts": {"templates": 20},
            # the reported weak-pathway sign-ups (campaigns otherwise sign up like the customers)
            "acquisition": {"signup_pathways": {"education": 0.4, "research": 0.3, "startup": 0.3}},
        }
    ],
}


@functools.cache
def reference_stream() -> tuple[RequestBatch, ...]:
    """The visible batches of a small simulated run (built once per process): three
    one-minute-tick hours, 41 customers and an eight-account hydra pool from the
    second hour."""
    from simulator.scenario import Scenario
    from simulator.world import World  # the harness's side: detectors never import it

    world = World(Scenario.model_validate(_SCENARIO))
    batches = tuple(traffic.batch for traffic in world.ticks())
    for batch in batches:
        assert list(batch.table.schema.names) == REQUEST_SCHEMA.names
        assert list(batch.accounts.columns) == ACCOUNT_SCHEMA.names
    return batches


def _fresh(detector: Detector) -> Detector:
    return detector.clone()


def _run(detector: Detector, batches: Iterable[RequestBatch]) -> list[pd.Series | None]:
    return [detector.update(batch) for batch in batches]


def _is_fitted(detector: Detector) -> list[str]:
    return [name for name in vars(detector) if name.endswith("_") and not name.startswith("__")]


@functools.cache
def _registry_digests() -> tuple[int, ...]:
    return tuple(int(pd.util.hash_pandas_object(b.accounts, index=True).sum()) for b in reference_stream())


@dataclasses.dataclass(frozen=True)
class _Observation:
    """One run of a fresh clone over the reference stream, shared by several checks."""

    fitted: Detector
    outputs: list[pd.Series | None]
    mutated: list[str]


_OBSERVATIONS: dict[tuple[type, str], _Observation] = {}


def _observe(detector: Detector) -> _Observation:
    key = (type(detector), repr(detector))
    if key not in _OBSERVATIONS:
        stream = reference_stream()
        for batch in stream:
            batch.requests  # noqa: B018 - build the shared frame first, as the harness does
        fitted = _fresh(detector)
        outputs = _run(fitted, stream)
        mutated = []
        for batch, digest in zip(stream, _registry_digests(), strict=True):
            if not batch.requests.equals(batch.table.to_pandas()):
                mutated.append(f"the requests frame at tick {batch.tick}")
            if int(pd.util.hash_pandas_object(batch.accounts, index=True).sum()) != digest:
                mutated.append(f"the registry rows at tick {batch.tick}")
        _OBSERVATIONS[key] = _Observation(fitted, outputs, mutated)
    return _OBSERVATIONS[key]


# -- the checks ------------------------------------------------------------------------


def check_parameters(detector: Detector) -> None:
    """Constructor arguments are stored unchanged; ``repr`` and ``check_params`` work."""
    cls = type(detector)
    variadic = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    assert not variadic, f"{cls.__name__}: name every parameter; no *args/**kwargs ({variadic})"
    defaults = cls.default_params()
    missing = [name for name in cls.parameter_names() if name not in defaults]
    assert not missing, f"{cls.__name__}: parameters without a default: {missing}"
    fresh = cls(**defaults)
    params = fresh.get_params()
    for name, value in defaults.items():
        assert params[name] is value, f"{cls.__name__} does not store parameter {name!r} unchanged"
    fresh.check_params()
    assert repr(fresh).startswith(cls.__name__), f"{cls.__name__}: repr {repr(fresh)!r}"


def check_clone(detector: Detector) -> None:
    """``clone()`` returns a new, unfitted detector with equal parameters."""
    fitted = _fresh(detector)
    _run(fitted, reference_stream()[:5])
    twin = fitted.clone()
    assert twin is not fitted and type(twin) is type(fitted)
    assert repr(twin) == repr(fitted), f"clone changed the parameters: {twin!r} vs {fitted!r}"
    learned = _is_fitted(twin)
    assert not learned, f"{type(detector).__name__}.clone() kept learned state: {learned}"


def check_determinism(detector: Detector) -> None:
    """Two clones fed the same stream return identical scores, tick by tick."""
    stream = reference_stream()
    first, second = _observe(detector).outputs, _run(_fresh(detector), stream)
    for batch, a, b in zip(stream, first, second, strict=True):
        if a is None or b is None:
            assert (a is None or a.empty) and (b is None or b.empty), f"tick {batch.tick}: one run scored, one did not"
            continue
        pd.testing.assert_series_equal(a, b, obj=f"scores at tick {batch.tick}")


def check_valid_scores(detector: Detector) -> None:
    """Scores are None or float Series, finite, in [0, 1], uniquely indexed by seen account ids."""
    seen: set[str] = set()
    for batch, scores in zip(reference_stream(), _observe(detector).outputs, strict=True):
        seen.update(batch.requests["account_id"].tolist())
        seen.update(batch.accounts["account_id"].tolist())
        if scores is None:
            continue
        where = f"{type(detector).__name__} at tick {batch.tick}"
        assert isinstance(scores, pd.Series), f"{where}: returned {type(scores).__name__}, not a Series"
        assert pd.api.types.is_float_dtype(scores.dtype), f"{where}: dtype {scores.dtype}, not float"
        values = scores.to_numpy()
        assert np.isfinite(values).all(), f"{where}: non-finite scores"
        assert ((values >= 0) & (values <= 1)).all(), f"{where}: scores outside [0, 1]: {values.min()}..{values.max()}"
        assert scores.index.is_unique, f"{where}: an account scored twice"
        assert all(isinstance(a, str) for a in scores.index), f"{where}: index is not account ids (str)"
        unknown = set(scores.index) - seen
        assert not unknown, f"{where}: scores accounts never seen: {sorted(unknown)[:3]}"


def check_emits(detector: Detector) -> None:
    """The detector scores at least one account on the reference stream."""
    if not type(detector).emits_scores:
        return
    outputs = _observe(detector).outputs
    assert any(s is not None and not s.empty for s in outputs), f"{detector!r} never scored anyone"


def check_batch_untouched(detector: Detector) -> None:
    """``update`` leaves the batch's requests frame and registry rows as they were
    (the Arrow table is immutable)."""
    mutated = _observe(detector).mutated
    assert not mutated, f"{type(detector).__name__} modified " + "; ".join(mutated[:3])


def check_empty_tick(detector: Detector) -> None:
    """A tick without requests or accounts, first or mid-stream, is handled."""
    scores = _fresh(detector).update(make_batch(0))
    assert scores is None or scores.empty, "scored accounts on an empty first tick"
    detector = _fresh(detector)
    stream = reference_stream()
    middle = len(stream) // 2
    _run(detector, stream[:middle])
    like = stream[middle]
    empty = dataclasses.replace(make_batch(like.tick), start=like.start, end=like.end, origin=like.origin)
    scores = detector.update(empty)
    if scores is not None:
        assert np.isfinite(scores.to_numpy()).all(), "non-finite scores on an empty tick"
    _run(detector, stream[middle + 1 : middle + 5])


def _own_modules(cls: type) -> list[str]:
    """Names of the modules defining ``cls`` and its base classes (not the protocol's own)."""
    modules: list[str] = []
    for base in cls.__mro__:
        if base not in (Detector, object) and base.__module__ not in modules:
            modules.append(base.__module__)
    return modules


def _imported_modules(tree: ast.AST) -> list[str]:
    """Absolute names of the modules a source file imports (``from a import b`` gives
    ``a`` and, when ``b`` is a submodule, ``a.b``)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(
                f"{node.module}.{alias.name}" for alias in node.names if _is_module(f"{node.module}.{alias.name}")
            )
    return names


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError, AttributeError):
        return False


def _docstring_ids(tree: ast.AST) -> set[int]:
    """Ids of the string constants that are docstrings (of modules, classes,
    functions, and of attributes: a string right after an assignment)."""
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for position, statement in enumerate(body):
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
                continue
            opens = position == 0 and isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            follows = position > 0 and isinstance(body[position - 1], ast.Assign | ast.AnnAssign)
            if opens or follows:
                ids.add(id(statement.value))
    return ids


def _scan(module_name: str, seen: set[str]) -> list[str]:
    """Ground-truth imports and names in ``module_name`` and the ``detectors`` modules it imports."""
    if module_name in seen:
        return []
    seen.add(module_name)
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return []
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    problems = []
    for name in _imported_modules(tree):
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_MODULES):
            problems.append(f"{module_name} imports {name}")
        elif name.startswith("detectors."):
            problems.extend(_scan(name, seen))
    docstrings = _docstring_ids(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        else:
            continue
        if any(bad == text or (len(bad) > 6 and bad in text) for bad in FORBIDDEN_NAMES):
            problems.append(f"{module_name} mentions {text!r} (line {node.lineno})")
    return problems


def _reachable(root: object, limit: int = 200_000) -> Iterable[object]:
    """Objects reachable from ``root`` through instance state (not through classes,
    modules or functions, which lead to everything)."""
    stack, seen = [root], {id(root)}
    while stack and len(seen) < limit:
        obj = stack.pop()
        yield obj
        if isinstance(obj, type | ModuleType | FunctionType | MethodType | BuiltinFunctionType):
            continue
        if isinstance(obj, np.ndarray) and obj.dtype != object:
            continue
        for child in gc.get_referents(obj):
            if id(child) not in seen and not isinstance(child, type | ModuleType | FunctionType):
                seen.add(id(child))
                stack.append(child)


def check_no_labels(detector: Detector) -> None:
    """No ground truth is in the batches, in the detector's code, or in its state."""
    reference_stream()  # asserts that the batches hold schema-v1 columns only
    cls = type(detector)
    problems: list[str] = []
    seen: set[str] = set()
    for module in _own_modules(cls):
        problems.extend(_scan(module, seen))
    assert not problems, f"{cls.__name__} can reach ground truth: " + "; ".join(problems)
    fitted = _observe(detector).fitted
    hidden = tuple(
        getattr(importlib.import_module(module), name)
        for module, name in (
            ("simulator.registry", "Registry"),
            ("simulator.world", "World"),
            ("simulator.gateway", "Gateway"),
            ("simulator.traffic", "TickTraffic"),
        )
    )
    for obj in _reachable(fitted):
        assert not isinstance(obj, hidden), f"{cls.__name__} holds a {type(obj).__name__}"
        if isinstance(obj, pd.DataFrame):
            leaked = LABEL_COLUMNS & {str(c) for c in obj.columns}
            assert not leaked, f"{cls.__name__} holds a frame with label columns {sorted(leaked)}"


def check_unknown_parameter(detector: Detector) -> None:
    """An unknown constructor parameter is rejected: by the class itself (no
    ``**kwargs`` swallowing typos) and, with the valid names, by the registry."""
    cls = type(detector)
    try:
        cls(**cls.default_params(), surely_not_a_parameter=1)
    except TypeError:
        pass
    else:
        raise AssertionError(f"{cls.__name__} accepted an unknown parameter")
    try:
        configure(cls, surely_not_a_parameter=1)
    except ParameterError as error:
        message = str(error)
        assert cls.__name__ in message and "surely_not_a_parameter" in message, f"unclear message: {message}"
        assert "Valid parameters" in message, f"message does not list the valid parameters: {message}"
    else:
        raise AssertionError(f"{cls.__name__} accepted an unknown parameter through the registry")


CHECKS: tuple[Callable[[Detector], None], ...] = (
    check_parameters,
    check_clone,
    check_determinism,
    check_valid_scores,
    check_emits,
    check_batch_untouched,
    check_empty_tick,
    check_no_labels,
    check_unknown_parameter,
)
"""Every conformance check, in the order :func:`run_checks` runs them."""


def _as_detector(detector: Detector | str) -> Detector:
    if isinstance(detector, str):
        return build(detector, **resolve(detector).cls.checking_params)
    return detector


def run_checks(detector: Detector | str) -> None:
    """Run every check on ``detector`` (an instance or a registry name)."""
    detector = _as_detector(detector)
    for check in CHECKS:
        check(detector)


def parametrize_with_checks(detectors: Iterable[Detector | str]) -> Callable[[Callable], Callable]:
    """A pytest decorator: one test per (detector, check), with readable ids. Give
    registry names to build lazily (a missing optional package is then a skip)."""
    import pytest

    params = []
    for detector in detectors:
        label = detector if isinstance(detector, str) else repr(detector)
        for check in CHECKS:
            params.append(pytest.param(detector, check, id=f"{label}-{check.__name__.removeprefix('check_')}"))

    def decorate(test: Callable) -> Callable:
        @functools.wraps(test)
        def wrapper(detector: Detector | str, check: Callable[[Detector], None]) -> None:
            if isinstance(detector, str):
                missing = [m for m in resolve(detector).cls.requires if importlib.util.find_spec(m) is None]
                if missing:
                    pytest.skip(f"{detector} needs the optional package(s) {', '.join(missing)}")
            test(_as_detector(detector), check)

        wrapper.__signature__ = inspect.signature(test)  # type: ignore[attr-defined]
        return pytest.mark.parametrize(("detector", "check"), params)(wrapper)

    return decorate
