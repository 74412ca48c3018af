"""Loading scenario files, with errors that point at the YAML line.

Every problem found in a file becomes a :class:`Problem`: the file, the line and
column, the field path (``campaigns[0].load.jitter``), what was expected and
what was given, and a "did you mean" for a mistyped key or kind. All problems
of a file are collected and raised together as one :class:`ScenarioError`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulator.scenario.schema import Scenario

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_ITEMS",
    "MAX_NODES",
    "MAX_STRING_CHARS",
    "Problem",
    "ScenarioError",
    "Yaml12Loader",
    "load_document",
    "load_scenario",
    "parse_document",
    "parse_scenario",
]

M = TypeVar("M", bound=BaseModel)

_SCENARIO_FIELDS = "a scenario mapping with version, name, start, duration, population and campaigns"


@dataclass(frozen=True)
class Problem:
    """One located problem in a scenario file."""

    file: str
    line: int | None
    """1-based line, or None when the problem is not tied to a line."""
    column: int | None
    path: str
    """Field path such as ``population[1].accounts`` (empty for the whole file)."""
    expected: str
    given: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column or 1}"
        field = f" {self.path}:" if self.path else ""
        text = f"{where}:{field} expected {self.expected}"
        if self.given is not None:
            text += f"; got {self.given}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ScenarioError(Exception):
    """A scenario (or suite) file could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises :class:`ScenarioError`."""
    return load_document(path, Scenario, _SCENARIO_FIELDS)


def parse_scenario(text: str, file: str = "<string>") -> Scenario:
    """Validate scenario YAML ``text`` (``file`` names it in messages)."""
    return parse_document(text, file, Scenario, _SCENARIO_FIELDS)


_BOOL, _INT, _FLOAT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core-schema scalars: only ``true``/``false``
    (any case style) are booleans (``yes``, ``no``, ``on``, ``off`` and a ``NO:`` key
    stay strings), integers are decimal or ``0x`` hexadecimal (no sexagesimal ``1:30``,
    no octal ``012``), floats are decimal with ``.inf`` and ``.nan``."""

    yaml_implicit_resolvers: ClassVar[dict[str, list]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:  # type: ignore[override]
        value = str(self.construct_scalar(node))
        return int(value, 16) if value.lstrip("+-").startswith("0x") else int(value)

    # PyYAML looks at every pending simple key (one per open flow collection) on every
    # token, which is quadratic in flow nesting; they are kept in the order they were
    # saved, which is the order of their positions and token numbers, so the first is
    # the nearest and the stale ones come first: the same keys, found at once
    def next_possible_simple_key(self) -> int | None:
        """The token number of the nearest possible simple key (None if there is none)."""
        for key in self.possible_simple_keys.values():
            return key.token_number
        return None

    def stale_possible_simple_keys(self) -> None:
        """Forget the possible simple keys that can no longer be keys (on an earlier line
        or more than 1024 characters back), as PyYAML does, up to the first one that can
        (every later one was saved after it, on its line, nearer)."""
        keys = self.possible_simple_keys
        while keys:
            level = next(iter(keys))
            key = keys[level]
            if key.line == self.line and self.index - key.index <= 1024:
                return
            if key.required:
                raise yaml.scanner.ScannerError(
                    "while scanning a simple key", key.mark, "could not find expected ':'", self.get_mark()
                )
            del keys[level]


Yaml12Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Yaml12Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
Yaml12Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
Yaml12Loader.add_constructor(_INT, Yaml12Loader.construct_yaml_int)


MAX_FILE_BYTES = 8 * 1024 * 1024
"""The largest scenario or suite file read (8 MiB); the shipped ones are under 20 KiB."""
MAX_STRING_CHARS = 65_536
"""The longest string (key or value) a file may hold."""
MAX_ITEMS = 10_000
"""The most items one list or mapping of a file may hold."""
MAX_DEPTH = 100
"""The deepest nesting of lists and mappings a file may use (the shipped ones use 6):
PyYAML's scanner slows quadratically with flow nesting, ``[[[…]]]`` 3,000 deep
takes seconds."""
MAX_ALIAS_NODES = 100_000
"""The most YAML nodes a file may reach through aliases (``*name``), counted with
every repetition: a few kilobytes of nested aliases ("billion laughs") would
otherwise expand to billions of nodes."""


def load_document(path: str | Path, model: type[M], fields: str) -> M:
    """Read a YAML file and validate it as ``model`` (``fields`` describes the
    expected top-level mapping in messages); raises :class:`ScenarioError`.

    At most :data:`MAX_FILE_BYTES` + 1 bytes are read, so an endless file
    (``/dev/zero``) is refused at once."""
    path = Path(path)
    name = str(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ScenarioError(
                [Problem(name, None, None, "", f"a file of at most {MAX_FILE_BYTES // 1024**2} MiB", "a larger file")]
            )
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(name, None, None, "", "an existing scenario file", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(name, None, None, "", "a YAML file", "a directory")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(name, None, None, "", "a readable UTF-8 file", str(exc))]) from None
    return parse_document(text, name, model, fields)


def _too_deep(file: str) -> Problem:
    return Problem(file, None, None, "", "YAML nested to a sane depth", "nesting too deep (or an alias to itself)")


def parse_document(text: str, file: str, model: type[M], fields: str) -> M:
    """Validate YAML ``text`` as ``model``, collecting every problem located in ``file``.

    Refused before anything walks the document: text over :data:`MAX_FILE_BYTES`,
    a string over :data:`MAX_STRING_CHARS`, a list or mapping over :data:`MAX_ITEMS`,
    more than :data:`MAX_ALIAS_NODES` nodes reached through aliases."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(
            [Problem(file, None, None, "", f"a file of at most {MAX_FILE_BYTES // 1024**2} MiB", "a larger file")]
        )
    try:
        # one parse: the events are checked as the node tree is composed, and the data
        # is constructed from that tree
        loader = _SizeCheckedLoader(text, file)
        try:
            node = _compose(loader)
            oversized = _oversized(node, file)
            if oversized is not None:
                raise ScenarioError([oversized])
            data = _construct(loader, node)
        finally:
            loader.dispose()
    except RecursionError:
        raise ScenarioError([_too_deep(file)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(
            [
                Problem(
                    file,
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                    "",
                    "well-formed YAML",
                    f"malformed YAML ({reason})",
                )
            ]
        ) from None
    if data is None:
        raise ScenarioError(
            [
                Problem(
                    file,
                    None,
                    None,
                    "",
                    fields,
                    "an empty file",
                )
            ]
        )
    if not isinstance(data, dict):
        # the kind only, never the text: a suite naming /etc/passwd must not print its first line
        raise ScenarioError([Problem(file, 1, 1, "", "a mapping of fields at the top level", _kind(data))])
    try:
        problems = _duplicate_keys(node, file, ())
        try:
            document = model.model_validate(data)
        except ValidationError as exc:
            problems += [_problem(error, node, file, model) for error in exc.errors()]
            document = None
    except RecursionError:  # a structure nested past Python's stack, or an alias to itself
        raise ScenarioError([_too_deep(file)]) from None
    if problems:
        raise ScenarioError(problems)
    assert document is not None
    return document


# -- size guards ----------------------------------------------------------------------

MAX_NODES = 100_000
"""The most YAML nodes (scalars, lists, mappings, aliases) a file may hold; the
largest shipped scenario holds about 250."""


class _SizeCheckedLoader(Yaml12Loader):
    """A :class:`Yaml12Loader` that refuses, event by event as the parser makes them
    (before a slow file is read to its end), nesting deeper than :data:`MAX_DEPTH`,
    a list or mapping of more than :data:`MAX_ITEMS` items, a string over
    :data:`MAX_STRING_CHARS` and more than :data:`MAX_NODES` nodes; raises
    :class:`ScenarioError` located where the limit is passed."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self._file = file
        # per open collection: how many nodes it may hold (a mapping's keys and values) and holds
        self._limits: list[int] = []
        self._counts: list[int] = []
        self._nodes = 0

    def _refuse(self, event: yaml.Event, expected: str, given: str) -> ScenarioError:
        mark = event.start_mark
        return ScenarioError([Problem(self._file, mark.line + 1, mark.column + 1, "", expected, given)])

    def get_event(self) -> yaml.Event:
        """The next event (as the composer takes each one once), checked."""
        event = super().get_event()
        limits, counts = self._limits, self._counts
        if isinstance(event, yaml.NodeEvent):
            self._nodes += 1
            if self._nodes > MAX_NODES:
                raise self._refuse(event, f"a file of at most {MAX_NODES:,} YAML nodes", "more")
            if counts:
                counts[-1] += 1
                if counts[-1] > limits[-1]:
                    raise self._refuse(event, f"a list or mapping of at most {MAX_ITEMS:,} items", "more")
            if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_STRING_CHARS:
                raise self._refuse(
                    event, f"a string of at most {MAX_STRING_CHARS:,} characters", f"{len(event.value):,} characters"
                )
            if isinstance(event, yaml.CollectionStartEvent):
                limits.append(2 * MAX_ITEMS if isinstance(event, yaml.MappingStartEvent) else MAX_ITEMS)
                counts.append(0)
                if len(counts) > MAX_DEPTH:
                    raise self._refuse(event, f"YAML nested at most {MAX_DEPTH} levels deep", "nesting too deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            limits.pop()
            counts.pop()
        return event


def _compose(loader: _SizeCheckedLoader) -> yaml.Node | None:
    """The document's node tree (None for an empty one), as ``yaml.compose`` gives it.

    A size limit passed or malformed YAML anywhere in the text is reported before a
    composition error (an undefined alias, a second document): when the composer
    stops, the rest of the text is still parsed and checked."""
    try:
        return loader.get_single_node()
    except yaml.composer.ComposerError:
        while loader.check_event():
            loader.get_event()
        raise


def _construct(loader: _SizeCheckedLoader, node: yaml.Node | None) -> Any:
    """The data of the document ``node`` composed by ``loader``, as ``yaml.load`` gives it."""
    return None if node is None else loader.construct_document(node)


def _oversized(root: yaml.Node | None, file: str) -> Problem | None:
    """The first size limit ``root`` breaks, located at the node that breaks it.

    Each distinct node is visited once (an alias yields the very node object of its
    anchor), its expanded size (nodes counting every repetition through aliases)
    memoised, so a "billion laughs" file costs its own size to check."""
    expanded: dict[int, int] = {}
    pending: set[int] = set()

    def at(node: yaml.Node, expected: str, given: str) -> Problem:
        return Problem(file, node.start_mark.line + 1, node.start_mark.column + 1, "", expected, given)

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in expanded:
            return expanded[key]
        if key in pending:
            raise _RefusedError(at(node, "YAML without an alias inside its own anchor", "an alias to itself"))
        pending.add(key)
        if isinstance(node, yaml.ScalarNode):
            if len(node.value) > MAX_STRING_CHARS:
                raise _RefusedError(
                    at(node, f"a string of at most {MAX_STRING_CHARS:,} characters", f"{len(node.value):,} characters")
                )
            total = 1
        else:
            items = node.value
            if len(items) > MAX_ITEMS:
                raise _RefusedError(
                    at(node, f"a list or mapping of at most {MAX_ITEMS:,} items", f"{len(items):,} items")
                )
            children = [part for pair in items for part in pair] if isinstance(node, yaml.MappingNode) else items
            total = 1 + sum(size(child) for child in children)
            # distinct nodes seen so far bound those of this subtree from above, so
            # the excess is a lower bound of the repetitions through aliases in it
            if total - (len(expanded) + len(pending)) > MAX_ALIAS_NODES:
                raise _RefusedError(
                    at(
                        node,
                        f"at most {MAX_ALIAS_NODES:,} nodes reached through aliases",
                        f"{total:,} nodes once aliases are expanded",
                    )
                )
        pending.discard(key)
        expanded[key] = total
        return total

    if root is None:
        return None
    try:
        size(root)
    except _RefusedError as refused:
        return refused.problem
    return None


class _RefusedError(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


# -- locating -------------------------------------------------------------------------


def _duplicate_keys(node: yaml.Node | None, file: str, path: tuple) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append(
                    Problem(
                        file,
                        key.start_mark.line + 1,
                        key.start_mark.column + 1,
                        _format_path((*path, key.value)),
                        "each key once",
                        f"{key.value!r} a second time",
                    )
                )
            seen.add(key.value)
            problems += _duplicate_keys(value, file, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += _duplicate_keys(item, file, (*path, i))
    return problems


def _locate(node: yaml.Node | None, loc: tuple) -> yaml.Node | None:
    """The deepest node of the file along ``loc``; elements that are not keys or
    indices in the file (union tags such as 'hydra', '[key]') are skipped."""
    for element in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(element)), node)
        elif isinstance(node, yaml.SequenceNode) and isinstance(element, int) and element < len(node.value):
            node = node.value[element]
    return node


def _format_path(path: tuple) -> str:
    text = ""
    for element in path:
        if isinstance(element, int):
            text += f"[{element}]"
        else:
            text += f".{element}" if text else str(element)
    return text


def _kind(value: Any) -> str:
    """What ``value`` is, without its content."""
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, str):
        return f"text of {len(value):,} characters"
    return {bool: "true or false", int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _problem(error: dict[str, Any], root: yaml.Node | None, file: str, model: type[BaseModel]) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    node = _locate(root, loc)
    path = _format_path(_without_tags(loc, model))
    line = node.start_mark.line + 1 if node is not None else None
    column = node.start_mark.column + 1 if node is not None else None
    ctx = error.get("ctx") or {}
    given: str | None = _show(error.get("input"))
    hint = None
    if kind == "extra_forbidden":
        key = loc[-1]
        key_node = _key_node(root, loc)
        if key_node is not None:
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        allowed = sorted(_allowed_fields(loc[:-1], model))
        expected, given = "a known field", f"unknown field {key!r}"
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = (f"did you mean {close[0]!r}? " if close else "") + (
            f"fields here: {', '.join(allowed)}" if allowed else ""
        )
    elif kind == "missing":
        expected, given = f"the required field {loc[-1]!r}", "nothing (missing)"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
        expected = f"a 'kind' among: {', '.join(tags)}" if tags else "a valid 'kind'"
        tag = ctx.get("tag")
        given = repr(tag) if tag is not None else "no 'kind'"
        close = difflib.get_close_matches(str(tag), tags, n=1, cutoff=0.5) if tag else []
        hint = f"did you mean {close[0]!r}?" if close else None
        kind_node = _key_node(root, (*loc, "kind"))
        if kind_node is not None:
            line, column = kind_node.start_mark.line + 1, kind_node.start_mark.column + 1
    else:
        expected = _expected(kind, error["msg"], ctx)
    return Problem(file, line, column, path, expected, given, hint)


def _key_node(root: yaml.Node | None, loc: tuple) -> yaml.Node | None:
    """The key node of the last element of ``loc``, when present in the file."""
    parent = _locate(root, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key, _value in parent.value:
            if key.value == str(loc[-1]):
                return key
    return None


def _expected(kind: str, message: str, ctx: dict[str, Any]) -> str:
    simple = {
        "int_parsing": "an integer",
        "int_type": "an integer",
        "int_from_float": "a whole number",
        "float_parsing": "a number",
        "float_type": "a number",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "string_type": "a string",
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping of fields",
        "model_attributes_type": "a mapping of fields",
        "datetime_parsing": "a date-time such as 2026-03-02T00:00:00Z",
        "datetime_type": "a date-time such as 2026-03-02T00:00:00Z",
        "timezone_aware": "a date-time with a time zone, such as 2026-03-02T00:00:00Z",
        "tuple_type": "a list",
        "finite_number": "a finite number",
    }
    if kind in simple:
        return simple[kind]
    bounds = {
        "greater_than_equal": ("≥", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("≤", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        symbol, key = bounds[kind]
        return f"a value {symbol} {ctx.get(key)}"
    if kind == "literal_error":
        return str(ctx.get("expected"))
    if kind in ("too_short", "too_long"):
        return f"{message[0].lower()}{message[1:]}"
    if kind == "string_pattern_mismatch":
        return f"a string matching {ctx.get('pattern')}"
    if kind == "value_error":
        # our validators say "<what was expected>, got <value>"; the value is shown apart
        text = re.sub(r",? got .*$", "", message.removeprefix("Value error, "), flags=re.DOTALL)
        return text.removeprefix("expected ")
    if kind == "assertion_error":
        return message.removeprefix("Assertion failed, ")
    return message[0].lower() + message[1:]


# -- the schema along a path -----------------------------------------------------------


def _without_tags(loc: tuple, model: type[BaseModel]) -> tuple:
    """``loc`` without the union tags and '[key]' markers pydantic inserts."""
    kept: list[Any] = []
    current: Any = model
    for element in loc:
        if element == "[key]":
            continue
        if current is not None and _is_tag(current, element):
            current = _step(current, element)
            continue
        kept.append(element)
        current = _step(current, element) if current is not None else None
    return tuple(kept)


def _is_tag(tp: Any, element: Any) -> bool:
    tp = _unwrap(tp)
    members = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    for member in members:
        member = _unwrap(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            kind = member.model_fields.get("kind")
            if kind is not None and element in typing.get_args(kind.annotation) and element not in member.model_fields:
                return True
    return False


def _allowed_fields(loc: tuple, model: type[BaseModel]) -> list[str]:
    """Field names of the model found at ``loc`` (following unions by their tag)."""
    current: Any = model
    for element in loc:
        current = _step(current, element)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return tp


def _step(tp: Any, element: Any) -> Any:
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin in (list, tuple) and isinstance(element, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(tp):
            member = _unwrap(member)
            if isinstance(member, type) and issubclass(member, BaseModel):
                field = member.model_fields.get("kind")
                if field is not None and element in typing.get_args(field.annotation):
                    return member
        return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(element))
        if field is not None:
            return field.annotation
        # a single-member discriminated union puts the tag in the path too
        kind = tp.model_fields.get("kind")
        if kind is not None and element in typing.get_args(kind.annotation):
            return tp
    return None
