"""Fuzzing the scenario loader: 1,000 generated documents, each valid or refused
with a located error, never a traceback, each within a time bound.

Documents go through :func:`simulator.scenario.loading.load_scenario`, the function
``extractbench validate`` calls (its exit 2 is a :class:`ScenarioError`; anything else
would be exit 1). Kinds (counted with ``--hypothesis-show-statistics``): random YAML
structures, token soup (anchors, aliases, tags, tabs, flow brackets, YAML 1.1
literals), mutations of the quickstart's keys and values, deep nesting, alias
bombs, and any of them behind a byte-order mark or invalid UTF-8.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from simulator.scenario.loading import ScenarioError, load_scenario

QUICKSTART = yaml.safe_load((Path(__file__).parents[1] / "scenarios" / "quickstart.yaml").read_text(encoding="utf-8"))
# a shorter quickstart keeps a thousand documents within the test's time (every field kind is still there)
QUICKSTART = {**QUICKSTART, "description": "fuzzed", "population": QUICKSTART["population"][:3]}

_SCALARS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, -(2**63), 10**30, 0, -1, 1_000_000_000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["26.2/", "1:30", "NO", "yes", "0x1F", "012", "1G", "1e999", "-5m", "400/day", "2k", "\t", "~"]),
    st.booleans(),
    st.none(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_TOKENS = st.sampled_from(
    [
        "&a ", "*a", "*b", "&b ", "!!python/object:os.system ", "!!python/name:os.system", "!!binary ", "!!set ",
        "!custom ", "\t", "\ufeff", "[", "]", "{", "}", ":", ": ", "- ", "\n", "  ", ",", "? ", "|", ">", "'", '"',
        "%YAML 1.1\n", "---\n", "...\n", "<<: *a", "version: 1\n", "name: x\n", ".inf", ".nan", "1:30", "NO",
        "0x", "\x00", "\x85", "\u2028", "é", "🙂", "1e400", "-", "#",
    ]
)  # fmt: skip


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)


@st.composite
def _structure(draw: st.DrawFn) -> str:
    event("kind: random structure")
    return _dump(draw(_VALUES))


@st.composite
def _token_soup(draw: st.DrawFn) -> str:
    event("kind: token soup (anchors, aliases, tags, tabs, flow)")
    return "".join(draw(st.lists(_TOKENS, max_size=30)))


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


_QUICKSTART_PATHS = _paths(QUICKSTART)


@st.composite
def _mutation(draw: st.DrawFn) -> str:
    event("kind: mutated quickstart")
    document = yaml.safe_load(_dump(QUICKSTART))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_QUICKSTART_PATHS))
        parent = document
        try:
            for element in path[:-1]:
                parent = parent[element]
            action = draw(st.sampled_from(["value", "delete", "rename"]))
            if action == "value":
                parent[path[-1]] = draw(_VALUES)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(path[-1])
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    return _dump(document)


@st.composite
def _nesting(draw: st.DrawFn) -> str:
    event("kind: deep nesting")
    depth = draw(st.integers(1, 3000))
    opening, closing = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
    return "version: 1\nname: " + opening * depth + "1" + closing * depth + "\n"


@st.composite
def _alias_bomb(draw: st.DrawFn) -> str:
    event("kind: alias bomb")
    width, depth = draw(st.integers(1, 12)), draw(st.integers(1, 10))
    lines = ["a0: &a0 [lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    return "\n".join(lines) + "\n"


_DOCUMENTS = st.one_of(_structure(), _token_soup(), _mutation(), _nesting(), _alias_bomb())


@st.composite
def _encoded(draw: st.DrawFn) -> bytes:
    text = draw(_DOCUMENTS)
    wrapping = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "bom", "invalid utf-8"]))
    if wrapping != "utf-8":
        event(f"wrapped: {wrapping}")
    data = text.encode("utf-8", errors="surrogatepass")
    return {"utf-8": data, "bom": b"\xef\xbb\xbf" + data, "invalid utf-8": data[:7] + b"\xff\xfe" + data[7:]}[wrapping]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every fuzzed document (pytest removes it with its other temporary folders)."""
    return tmp_path_factory.mktemp("fuzz")


@settings(
    max_examples=1000,
    derandomize=True,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)
@given(_encoded())
def test_every_document_is_valid_or_refused_with_a_located_error(folder: Path, data: bytes) -> None:
    path = folder / "fuzzed.yaml"
    path.write_bytes(data)
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        event("outcome: refused (exit 2)")
        assert error.problems
        for problem in error.problems:
            assert str(problem).startswith(f"{path}"), problem
    else:
        event("outcome: valid")
        assert math.isfinite(scenario.duration) and scenario.duration > 0
