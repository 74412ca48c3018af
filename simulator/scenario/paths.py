"""Scenario parameters by dotted path: ``campaigns[0].load.requests_per_account``.

Sweeps (:mod:`simulator.bench.sweep`), the frontier search, the red-team search and a
scenario's own ``search:`` block name the parameters they vary this way. A path is
checked twice:

* against the **schema** (:func:`check_path`, from the root model, normally
  :class:`~simulator.scenario.schema.Scenario`), before any scenario is read: every
  step must be a field (or a list index, or a mapping key) of the model it is
  applied to, following every member of a discriminated union that has the field;
  :func:`check_value` then says whether a value fits the type found at the end;
* against a **scenario** (:func:`with_values`): the path must exist in it (the
  campaign at that index, a section that is set), and the scenario with the values
  substituted must validate again as a whole.

Nothing here knows the scenario schema: the root model comes in as an argument, so
that the schema itself (which checks its ``search:`` paths) can use this module.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = [
    "PathError",
    "check_path",
    "check_value",
    "format_path",
    "get_value",
    "is_integer_field",
    "parse_path",
    "with_values",
]

M = TypeVar("M", bound=BaseModel)

_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


class PathError(ValueError):
    """A parameter path that the schema or the scenario does not have."""


def parse_path(path: str) -> tuple[str | int, ...]:
    """``"campaigns[0].load.jitter"`` → ``("campaigns", 0, "load", "jitter")``.

    >>> parse_path("campaigns[0].accounts")
    ('campaigns', 0, 'accounts')
    """
    steps: list[str | int] = []
    at = 0
    text = path.strip()
    while at < len(text):
        match = _STEP.match(text, at)
        if match is None or (at == 0 and text.startswith(".")):
            raise PathError(f"a dotted path such as 'campaigns[0].accounts', got {path!r}")
        name, index = match.groups()
        steps.append(int(index) if index is not None else name)
        at = match.end()
    if not steps or isinstance(steps[0], int):
        raise PathError(f"a dotted path such as 'campaigns[0].accounts', got {path!r}")
    return tuple(steps)


def format_path(steps: tuple[str | int, ...]) -> str:
    """The inverse of :func:`parse_path`."""
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    """The alternatives of ``tp`` (its union members, None left out), unwrapped."""
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [member for arg in typing.get_args(tp) if arg is not type(None) for member in _members(arg)]
    return [tp]


def _step(tp: Any, step: str | int) -> tuple[list[Any], list[str]]:
    """Types reached from ``tp`` by ``step``, and the names that would have been valid."""
    found: list[Any] = []
    valid: list[str] = []
    for member in _members(tp):
        origin = typing.get_origin(member)
        if origin in (list, tuple) and isinstance(step, int):
            found.append(typing.get_args(member)[0])
        elif origin is dict and isinstance(step, str):
            found.append(typing.get_args(member)[1])
        elif isinstance(member, type) and issubclass(member, BaseModel):
            valid += list(member.model_fields)
            if isinstance(step, str) and step in member.model_fields:
                field = member.model_fields[step]
                # the field's validators (count and rate parsing) live in its metadata
                annotation = field.annotation
                found.append(typing.Annotated[(annotation, *field.metadata)] if field.metadata else annotation)
    return found, sorted(set(valid))


def check_path(path: str, root: type[BaseModel]) -> list[Any]:
    """The types a field of ``root`` (the scenario schema) at ``path`` may have (one per
    union member that has it); raises :class:`PathError` naming the first step the
    schema does not have."""
    steps = parse_path(path)
    current: list[Any] = [root]
    for i, step in enumerate(steps):
        reached: list[Any] = []
        valid: list[str] = []
        for tp in current:
            found, names = _step(tp, step)
            reached += found
            valid += names
        if not reached:
            where = format_path(steps[:i]) or "the scenario"
            if isinstance(step, int):
                raise PathError(f"a field name after {where} (it is not a list), got [{step}]")
            close = difflib.get_close_matches(step, sorted(set(valid)), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            fields = f"fields of {where}: {', '.join(sorted(set(valid)))}" if valid else f"{where} has no fields"
            raise PathError(f"a scenario parameter path ({hint}{fields}), got {path!r}")
        current = reached
    return current


def is_integer_field(types_: list[Any]) -> bool:
    """Whether the types from :func:`check_path` are whole numbers (plain or annotated ``int``)."""
    return any(_unwrap(tp) is int for tp in types_)


def check_value(types_: list[Any], value: Any) -> str | None:
    """None if ``value`` fits one of ``types_`` (from :func:`check_path`), else why not."""
    reasons = []
    for tp in types_:
        try:
            TypeAdapter(tp).validate_python(value)
            return None
        except ValidationError as exc:
            error = exc.errors()[0]
            reasons.append(error["msg"])
        except Exception as exc:  # a bare class that TypeAdapter cannot build: say why
            reasons.append(str(exc))
    return reasons[0] if reasons else "no type at this path"


def get_value(data: Mapping[str, Any], steps: tuple[str | int, ...]) -> Any:
    """The value at ``steps`` in a scenario dump; raises :class:`PathError` if absent."""
    node: Any = data
    for i, step in enumerate(steps):
        where = format_path(steps[: i + 1])
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise PathError(f"an index below {size} (the scenario has {size} there), got {where}")
        elif not isinstance(node, Mapping) or step not in node:
            raise PathError(f"a section the scenario sets, got {where} (not set in this scenario)")
        node = node[step]
    return node


def _set(data: Any, steps: tuple[str | int, ...], value: Any) -> None:
    parent = get_value(data, steps[:-1]) if len(steps) > 1 else data
    last = steps[-1]
    if isinstance(last, int):
        get_value(data, steps)  # the index must exist
    elif not isinstance(parent, dict):
        raise PathError(f"a section the scenario sets, got {format_path(steps[:-1])} (not set in this scenario)")
    parent[last] = value


def with_values(scenario: M, values: Mapping[str, Any]) -> M:
    """``scenario`` with each path of ``values`` set to its value, validated again (as
    its own model); raises :class:`PathError` or pydantic's ``ValidationError``."""
    data = scenario.model_dump()
    for path, value in values.items():
        _set(data, parse_path(path), value)
    return type(scenario).model_validate(data)
