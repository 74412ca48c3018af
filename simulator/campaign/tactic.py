"""One pattern for every tactic family: a table maps each variant's ``kind`` to its behaviour.

A family's specs are a discriminated union in :mod:`simulator.scenario.campaign`;
its behaviours are in the family's module here, in a table such as
:data:`simulator.campaign.load.TIMINGS`. Adding a variant means a spec with a new
``kind`` and one entry in its family's table; the engine never looks at kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["behaviour"]

T = TypeVar("T")


def behaviour(table: Mapping[str, Callable[..., T]], spec: Any, *args: Any) -> T:
    """The behaviour of tactic ``spec``: ``table[spec.kind](spec, *args)``.

    Raises ``LookupError`` naming the family's known kinds when a kind has no
    behaviour (a spec added to the schema without one)."""
    kind = getattr(spec, "kind", None)
    if kind not in table:
        raise LookupError(f"No behaviour for {type(spec).__name__} kind {kind!r}; known kinds: {', '.join(table)}")
    return table[kind](spec, *args)
