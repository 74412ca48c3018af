"""Human-friendly quantities in scenario files: durations, counts and rates.

All durations are returned in seconds (float) and all rates in events per second
(float), so that the rest of the simulator never deals with units.

Accepted spellings:

* durations: a number of seconds (``90``) or a number with a unit suffix:
  ``ms``, ``s``, ``m``/``min``, ``h``, ``d``, ``w`` (``"90s"``, ``"1.5h"``, ``"7d"``);
* counts: a number with an optional SI suffix ``k`` (1e3), ``M`` (1e6), ``G``/``B`` (1e9)
  (``"30k"``, ``"1.2M"``);
* rates: ``<count>/<period>`` where the period is a unit (``"50/min"``) or a duration
  (``"1.2M/day"``, ``"300/5m"``), or a bare number meaning per second.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, StringConstraints

__all__ = [
    "COUNT_PATTERN",
    "DAY",
    "DURATION_PATTERN",
    "MAX_OPTION_DURATION",
    "RATE_PATTERN",
    "Count",
    "Duration",
    "Rate",
    "SignedDuration",
    "format_duration",
    "parse_count",
    "parse_duration",
    "parse_option_duration",
    "parse_rate",
]

DAY = 86400.0
"""Seconds in a day."""

_DURATION_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
}
_COUNT_SUFFIXES: dict[str, float] = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "B": 1e9}

_NUMBER = r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
_DURATION_RE = re.compile(rf"^\s*({_NUMBER})\s*([a-z]*)\s*$")
_COUNT_RE = re.compile(rf"^\s*({_NUMBER})\s*([kKMGB]?)\s*$")


def _finite_non_negative(value: float, what: str, text: object) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"a non-negative finite {what}, got {text!r}")
    return value


def parse_duration(value: object) -> float:
    """Parse a duration into seconds.

    >>> parse_duration("7d"), parse_duration("90s"), parse_duration(2.5), parse_duration("1.5h")
    (604800.0, 90.0, 2.5, 5400.0)
    """
    if isinstance(value, bool):
        raise ValueError(f"a duration such as '90s', '15m' or '7d', got {value!r}")
    if isinstance(value, int | float):
        return _finite_non_negative(float(value), "duration in seconds", value)
    if not isinstance(value, str):
        raise ValueError(f"a duration such as '90s', '15m' or '7d', got {value!r}")
    match = _DURATION_RE.match(value)
    if not match or (match.group(2) not in _DURATION_UNITS and match.group(2) not in ("", "days", "hours", "weeks")):
        raise ValueError(f"a duration such as '90s', '15m', '6h' or '7d' (units: ms, s, m, h, d, w), got {value!r}")
    number, unit = match.groups()
    unit = {"": "s", "days": "d", "hours": "h", "weeks": "w"}.get(unit, unit)
    return _finite_non_negative(float(number) * _DURATION_UNITS[unit], "duration", value)


MAX_OPTION_DURATION = 365 * DAY
"""The longest span a command-line or API duration may ask for (one year of 365 days)."""

_OPTION_RE = re.compile(rf"^({_NUMBER})(ms|s|m|h|d|w)?$")


def parse_option_duration(value: object, *, maximum: float = MAX_OPTION_DURATION) -> float:
    """Parse a duration given on the command line or to the Python API, strictly: a
    number of seconds or a number glued to one short unit (``ms s m h d w``); spelled-out
    or spaced units (``'2days'``, ``'2 d'``), which scenario files tolerate, are refused as
    ambiguous, and so are spans past ``maximum`` seconds (default a year, 31,536,000 s).

    >>> parse_option_duration("6h"), parse_option_duration(90)
    (21600.0, 90.0)
    >>> parse_option_duration("2 d")
    Traceback (most recent call last):
    ...
    ValueError: a duration written as a number glued to one unit of ms, s, m, h, d, w (e.g. '2d'), got '2 d'
    """
    if isinstance(value, str):
        text = value.strip()
        match = _OPTION_RE.match(text)
        if match is None:
            years = re.match(rf"^({_NUMBER})\s*(y|yr|yrs|years?)$", text)
            hint = "; years are not a unit: write days, e.g. '365d' at most" if years else ""
            raise ValueError(
                f"a duration written as a number glued to one unit of ms, s, m, h, d, w (e.g. '2d'), got {value!r}"
                + hint
            )
    seconds = parse_duration(value)
    if seconds > maximum:
        raise ValueError(
            f"a duration of at most {format_duration(maximum)} ({maximum:,.0f} s), got {value!r} "
            f"({seconds / DAY:,.0f} days)"
        )
    return seconds


def parse_count(value: object) -> float:
    """Parse a count with an optional SI suffix.

    >>> parse_count("30k"), parse_count("1.2M"), parse_count(7)
    (30000.0, 1200000.0, 7.0)
    """
    if isinstance(value, bool):
        raise ValueError(f"a number such as 500, '30k' or '1.2M', got {value!r}")
    if isinstance(value, int | float):
        return _finite_non_negative(float(value), "number", value)
    if not isinstance(value, str):
        raise ValueError(f"a number such as 500, '30k' or '1.2M', got {value!r}")
    match = _COUNT_RE.match(value)
    if not match:
        raise ValueError(f"a number such as 500, '30k' or '1.2M', got {value!r}")
    number, suffix = match.groups()
    return _finite_non_negative(float(number) * _COUNT_SUFFIXES[suffix], "number", value)


def parse_rate(value: object) -> float:
    """Parse a rate into events per second.

    >>> parse_rate("60/min"), parse_rate("1.2M/day"), parse_rate("300/5m"), parse_rate(2)
    (1.0, 13.88888888888889, 1.0, 2.0)
    """
    if isinstance(value, str) and "/" in value:
        count_text, _, period_text = value.partition("/")
        period_text = period_text.strip()
        if not any(c.isalpha() for c in period_text):
            # '26.2/' or '300/5' would silently be read as per second
            raise ValueError(f"a rate with a unit of time after '/', such as '50/min' or '300/5m', got {value!r}")
        try:
            count = parse_count(count_text)
            period = parse_duration(period_text if period_text[:1].isdigit() else f"1{period_text}")
        except ValueError:
            raise ValueError(f"a rate such as '50/min', '1.2M/day' or '300/5m', got {value!r}") from None
        if period <= 0:
            raise ValueError(f"a rate with a positive period, got {value!r}")
        return count / period
    try:
        return parse_count(value)
    except ValueError:
        raise ValueError(f"a rate such as '50/min', '1.2M/day' or '300/5m', got {value!r}") from None


def parse_signed_duration(value: object) -> float:
    """Like :func:`parse_duration` but a leading minus sign is allowed: ``"-90d"`` is
    90 days before the scenario start."""
    if isinstance(value, str) and value.strip().startswith("-"):
        return -parse_duration(value.strip()[1:])
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return -parse_duration(-value)
    return parse_duration(value)


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of a duration: ``format_duration(5400) == '90m'``."""
    if seconds < 0:
        return f"-{format_duration(-seconds)}"
    for unit in ("w", "d", "h", "m", "s"):
        size = _DURATION_UNITS[unit]
        if seconds >= size and float(seconds / size).is_integer():
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


_UNIT_PATTERN = "(?:ms|s|sec|m|min|h|hour|hours|d|day|days|w|week|weeks)"
_NUMBER_PATTERN = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_COUNT_PATTERN = rf"{_NUMBER_PATTERN}\s*[kKMGB]?"
DURATION_PATTERN = rf"^\s*{_NUMBER_PATTERN}\s*{_UNIT_PATTERN}?\s*$"
"""What a duration string looks like (for the JSON Schema editors use)."""
SIGNED_DURATION_PATTERN = rf"^\s*-?\s*{_NUMBER_PATTERN}\s*{_UNIT_PATTERN}?\s*$"
COUNT_PATTERN = rf"^\s*{_COUNT_PATTERN}\s*$"
RATE_PATTERN = rf"^\s*{_COUNT_PATTERN}\s*(?:/\s*(?:{_NUMBER_PATTERN}\s*)?{_UNIT_PATTERN})?\s*$"


def _input_schema(pattern: str, minimum: float | None = 0) -> Any:
    """The JSON Schema of what a scenario file may hold: a number or a string with units."""
    number = Annotated[float, Field(ge=minimum)] if minimum is not None else float
    return number | Annotated[str, StringConstraints(pattern=pattern)]


def _validator(parse: Any, pattern: str) -> BeforeValidator:
    def validate(value: object) -> float:
        if isinstance(value, float) and not isinstance(value, bool):
            return _finite_non_negative(value, "number", value)
        return parse(value)

    return BeforeValidator(validate, json_schema_input_type=_input_schema(pattern))


Duration = Annotated[
    float,
    _validator(parse_duration, DURATION_PATTERN),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A duration in seconds; YAML may say ``"7d"``, ``"90s"`` or a number of seconds."""

SignedDuration = Annotated[
    float,
    BeforeValidator(parse_signed_duration, json_schema_input_type=_input_schema(SIGNED_DURATION_PATTERN, None)),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""An offset in seconds from the scenario start; ``"-30d"`` is before the start."""

Count = Annotated[float, _validator(parse_count, COUNT_PATTERN)]
"""A non-negative quantity; YAML may say ``"30k"`` or ``"1.2M"``."""

Rate = Annotated[float, _validator(parse_rate, RATE_PATTERN)]
"""Events per second; YAML may say ``"50/min"``, ``"1.2M/day"`` or a number per second."""
