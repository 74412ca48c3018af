"""Sweeps: a suite's scenarios run over a grid of parameter values.

A suite's ``sweep:`` block maps scenario parameter paths
(:mod:`simulator.scenario.paths`) to the values they take::

    sweep:
      campaigns[0].accounts: [20, 80, 320]                  # a list of values
      campaigns[0].load.limit_fraction: {from: 0.2, to: 0.8, steps: 3}
      campaigns[0].load.requests_per_account: {from: 50/day, to: 5000/day, steps: 3, log: true}

Every scenario of the suite runs at every point of the grid (the cartesian product
of the lists, in the order given), crossed with the detectors and seeds as usual.
Values replace those of the scenario **as it runs** (after the suite's ``scale``):
what is swept is what is simulated. A range gives ``steps`` values from ``from`` to
``to`` inclusive, evenly spaced (``log: true``: evenly spaced in log), whole numbers
when both ends are; ends may use the scenario's units (``50/day``, ``2k``, ``6h``),
converted to the field's own (requests per second, accounts, seconds) first.

A point's scenario is labelled ``<scenario>@<path>=<value>,…``; ``sweep.csv`` lists
each label with its values as columns, and ``sweep_metrics.csv`` is ``metrics.csv``
with those columns added, so that figures can be grouped by them.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, ValidationError, model_validator

from simulator.scenario.base import StrictModel
from simulator.scenario.loading import Problem
from simulator.scenario.paths import PathError, check_path, check_value, with_values
from simulator.scenario.schema import Scenario
from simulator.units import parse_count, parse_duration, parse_rate

__all__ = [
    "SweepPoint",
    "SweepRange",
    "SweepValues",
    "apply_point",
    "expand_sweep",
    "point_label",
    "range_number",
    "show_value",
    "sweep_key_line",
    "sweep_problems",
    "sweep_table",
]

_GOT = re.compile(r",? got .*$", flags=re.DOTALL)

SweepPoint = tuple[tuple[str, Any], ...]
"""One point of a sweep: (path, value) pairs in the order the sweep gives its paths."""


def range_number(value: float | str) -> float:
    """A range end: a number, or a count, rate or duration in the scenario's units."""
    if isinstance(value, int | float):
        return float(value)
    for parse in (parse_count, parse_rate, parse_duration):
        try:
            return float(parse(value))
        except ValueError:
            continue
    raise ValueError(f"a number, a count ('2k'), a rate ('40/day') or a duration ('6h'), got {value!r}")


class SweepRange(StrictModel):
    """``steps`` values from ``from`` to ``to`` inclusive, evenly spaced (in log with ``log``)."""

    start: float | str = Field(alias="from", description="First value (a number, '2k', '40/day' or '6h').")
    stop: float | str = Field(alias="to", description="Last value.")
    steps: int = Field(ge=2, le=1000, description="How many values, both ends included.")
    log: bool = Field(default=False, description="Evenly spaced in log (both ends > 0).")

    @model_validator(mode="after")
    def _ends(self) -> SweepRange:
        lo, hi = range_number(self.start), range_number(self.stop)
        if self.log and (lo <= 0 or hi <= 0):
            raise ValueError(f"ends > 0 for a log range, got {lo:g} and {hi:g}")
        return self

    def values(self) -> list[float | int]:
        """The range's values (repeats dropped); whole numbers when both ends are written as integers."""
        lo, hi = range_number(self.start), range_number(self.stop)
        grid = np.geomspace(lo, hi, self.steps) if self.log else np.linspace(lo, hi, self.steps)
        if isinstance(self.start, int) and isinstance(self.stop, int):
            return list(dict.fromkeys(int(np.rint(v)) for v in grid))
        return list(dict.fromkeys(float(f"{v:.12g}") for v in grid))


SweepValues = list[Any] | SweepRange
"""A sweep's values for one path: a list, or a range."""


def _values(values: SweepValues) -> list[Any]:
    return values.values() if isinstance(values, SweepRange) else list(values)


def sweep_problems(sweep: Mapping[str, SweepValues]) -> dict[str, tuple[str, Any]]:
    """By path: (what was expected, what was given) where the path or one of its values
    does not fit the scenario schema."""
    problems: dict[str, tuple[str, Any]] = {}
    for path, values in sweep.items():
        try:
            types_ = check_path(path, Scenario)
        except PathError as exc:
            problems[path] = (_GOT.sub("", str(exc)), path)
            continue
        listed = _values(values)
        if not listed:
            problems[path] = ("at least one value", [])
        for value in listed:
            reason = check_value(types_, value)
            if reason is not None:
                reason = _GOT.sub("", reason.removeprefix("Value error, "))
                problems[path] = (f"values that fit {path} ({reason[0].lower()}{reason[1:]})", value)
                break
    return problems


def expand_sweep(sweep: Mapping[str, SweepValues] | None) -> list[SweepPoint]:
    """Every point of the grid, the last path varying fastest (``[()]`` with no sweep)."""
    if not sweep:
        return [()]
    paths = list(sweep)
    return [tuple(zip(paths, combo, strict=True)) for combo in itertools.product(*(_values(sweep[p]) for p in paths))]


def show_value(value: Any) -> str:
    """A swept value as text: numbers as written (12 significant digits), else JSON."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.12g}"
    return str(value)


def point_label(label: str, point: SweepPoint) -> str:
    """``quickstart@campaigns[0].accounts=100``: the results label of a scenario at a point."""
    if not point:
        return label
    return f"{label}@" + ",".join(f"{path}={show_value(value)}" for path, value in point)


def _column(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else show_value(value)


def sweep_table(points: Sequence[tuple[str, SweepPoint]]) -> pd.DataFrame:
    """One row per swept scenario label: ``scenario`` and one column per path."""
    paths = list(dict.fromkeys(path for _, point in points for path, _ in point))
    rows = [{"scenario": label, **{path: _column(value) for path, value in point}} for label, point in points]
    return pd.DataFrame(rows, columns=["scenario", *paths])


def sweep_key_line(suite_file: Path, path: str) -> tuple[int | None, int | None]:
    """(line, column), 1-based, of the key ``path`` in the suite file's ``sweep:`` block."""
    try:
        root = yaml.compose(suite_file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None, None
    block = next((v for k, v in root.value if k.value == "sweep"), None) if isinstance(root, yaml.MappingNode) else None
    if isinstance(block, yaml.MappingNode):
        for key, _value in block.value:
            if key.value == path:
                return key.start_mark.line + 1, key.start_mark.column + 1
    return None, None


def apply_point(scenario: Scenario, point: SweepPoint, suite_file: Path) -> Scenario | list[Problem]:
    """``scenario`` at ``point``, or the problem located at the sweep key that breaks it (an
    index the scenario does not have, a section it leaves unset, a value that does not
    validate with the rest of the scenario)."""
    try:
        return with_values(scenario, dict(point))
    except (PathError, ValidationError) as whole:
        failure: Exception = whole
    culprit = point[0][0]
    for path, value in point:  # the first path that fails alone is the one to point at
        try:
            with_values(scenario, {path: value})
        except (PathError, ValidationError) as alone:
            culprit, failure = path, alone
            break
    given: str | None = None
    if isinstance(failure, ValidationError):
        error = failure.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        reason = f"a value {scenario.name} accepts ({where}: {error['msg'][0].lower()}{error['msg'][1:]})"
        given = show_value(dict(point)[culprit])
    else:
        reason = str(failure)
    line, column = sweep_key_line(suite_file, culprit)
    return [Problem(str(suite_file), line, column, f"sweep.{culprit}", reason, given)]
