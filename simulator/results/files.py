"""The files of a results folder: what each must hold, read and checked.

A results folder comes back from CI artefacts, colleagues and hand edits. Every
reader goes through this module: :func:`read_run_description` for ``run.json``
(JSON, with the fields readers use: ``run_id``, ``status``, and the ``plan``'s
scenarios and detectors with their labels, its seeds and modes when given, checked by a pydantic model that lets
other fields through), and :func:`read_table` for the tables, which knows, per file
(:data:`TABLES`), the columns a reader relies on and their kind, and refuses a
file that does not match with a :class:`TableError` naming the file, the column
(and, for a CSV, the line), what was expected and what was found: a missing
column, text in a number column, a truncated or corrupt Parquet file.

* CSV files are read as text (pandas, every cell a string) and each column is
  converted by its kind. ``nan`` and empty cells are undefined values (NaN) in
  number columns and in text columns; any other text, ``null`` included, stays
  the text it is, so a detector labelled ``null`` (the null baseline) reads
  back as ``"null"``.
* Parquet files are read with pyarrow, and each column's Arrow type is checked
  against its kind before the table becomes a DataFrame.

Columns beyond the listed ones are kept as they are (a newer writer may add some);
a listed column that no reader needs (``cost.csv``'s figures other than
``events_per_s``) is checked only when present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["TABLES", "Column", "ResultsFolderError", "TableError", "read_run_description", "read_table"]

Kind = Literal["text", "integer", "number", "flag"]

_EXPECTED: dict[Kind, str] = {
    "text": "text",
    "integer": "an integer",
    "number": "a number (or nan)",
    "flag": "True or False",
}
_UNDEFINED = ("", "nan")


class ResultsFolderError(ValueError):
    """A folder is not a finished run's results; the message says why and what to do."""


class TableError(ResultsFolderError):
    """A file of a results folder does not hold what its readers need; the message names
    the file, the column or field (and line), what was expected and what was found."""


@dataclass(frozen=True)
class Column:
    """One column a reader relies on."""

    name: str
    kind: Kind
    required: bool = True
    """Whether a reader needs it; a column that is not required is checked only when present."""


def _columns(text: str, integer: str = "", number: str = "", flag: str = "", optional: str = "") -> tuple[Column, ...]:
    kinds: dict[str, Kind] = {}
    for names, kind in ((text, "text"), (integer, "integer"), (number, "number"), (flag, "flag")):
        kinds.update(dict.fromkeys(names.split(), kind))  # type: ignore[arg-type]
    return tuple(Column(name, kind, name not in optional.split()) for name, kind in kinds.items())


_METRICS = _columns("scenario detector mode metric", integer="seed", number="value")

TABLES: dict[str, tuple[Column, ...]] = {
    "metrics.parquet": _METRICS,
    "metrics.csv": _METRICS,
    "cost.csv": _columns(
        "scenario detector mode",
        integer="seed events",
        number="update_seconds events_per_s peak_memory_mb cell_wall_seconds cell_peak_rss_mb",
        optional="events update_seconds peak_memory_mb cell_wall_seconds cell_peak_rss_mb",
    ),
    "failures.csv": _columns("scenario detector mode reason", integer="seed tick"),
    "prevalence.csv": _columns(
        "scenario",
        integer="seed active_customers active_attackers",
        number="represented_customers customer_weight attacker_weight represented_active_customers attacker_share "
        "deployment_attacker_share fpr_resolution",
    ),
    "thresholds.csv": _columns(
        "scenario detector",
        integer="seed warmup_accounts warmup_attackers warmup_flagged",
        number="warmup_end_s target_fpr threshold",
        flag="resolution_limited",
    ),
    "outcomes.parquet": _columns(
        "scenario mode detector account_id campaign",
        integer="seed requests served forbidden output_tokens served_before_alarm output_before_containment",
        number="first_ts max_score alarm_ts",
        flag="is_attacker",
    ),
    "leakage.parquet": _columns("scenario mode detector", integer="seed bin output_tokens", number="start_s end_s"),
    "defences.csv": _columns("scenario detector subject metric", integer="seed", number="value"),
    "scores.parquet": _columns("scenario mode detector account_id", integer="seed tick", number="score"),
    # a replay's folder (simulator/replay/folder.py)
    "alarms.csv": _columns(
        "detector account_id alarm_time", number="alarm_ts max_score", optional="alarm_time max_score"
    ),
    "score_distribution.csv": _columns("detector", integer="accounts", number="low high"),
    "triage.csv": _columns(
        "account_id top_detector", integer="requests output_tokens", number="top_score first_alarm_s first_seen_s"
    ),
    "replay cost.csv": _columns(
        "detector", number="update_seconds events_per_s wall_seconds", optional="update_seconds wall_seconds"
    ),
}
"""Per file name: the columns its readers need, with their kinds."""


def read_table(path: str | Path, name: str | None = None) -> pd.DataFrame:
    """The table at ``path``, checked against :data:`TABLES` under ``name`` (default: the
    file's name); raises :class:`TableError` if it is unreadable or a column is missing or
    of the wrong type."""
    path = Path(path)
    columns = TABLES[name or path.name]
    if path.suffix == ".parquet":
        return _read_parquet(path, columns)
    return _read_csv(path, columns)


def _missing(path: Path, columns: tuple[Column, ...], found: list[str]) -> None:
    missing = [c.name for c in columns if c.required and c.name not in found]
    if missing:
        needed = ", ".join(c.name for c in columns if c.required)
        raise TableError(
            f"{path}: column{'s' * (len(missing) > 1)} {', '.join(repr(m) for m in missing)}: expected "
            f"{'them' if len(missing) > 1 else 'it'} (the columns readers need are {needed}), "
            f"found the columns {', '.join(repr(f) for f in found) if found else 'none'}"
        )


def _read_csv(path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raw = pd.DataFrame()
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TableError(f"{path}: expected a CSV table, found one that cannot be read ({exc})") from None
    _missing(path, columns, [str(c) for c in raw.columns])
    frame = raw.copy()
    for column in frame.columns:
        kind = next((c.kind for c in columns if c.name == column), "text")
        frame[column] = _convert(path, column, kind, raw[column])
    return frame


def _convert(path: Path, column: str, kind: Kind, text: pd.Series) -> pd.Series:
    undefined = text.isin(_UNDEFINED)
    if kind == "text":
        return text.astype("object").where(~undefined, np.nan).astype(pd.StringDtype(na_value=np.nan))
    if kind == "flag":
        bad = ~text.isin(("True", "False"))
        if bad.any():
            _bad_cell(path, column, kind, text, bad)
        return text == "True"
    numbers = pd.to_numeric(text.where(~undefined, "nan"), errors="coerce")
    bad = numbers.isna() & ~undefined if kind == "number" else ~np.isfinite(numbers) | (numbers % 1 != 0)
    if bad.any():
        _bad_cell(path, column, kind, text, bad)
    return numbers.astype(np.int64) if kind == "integer" else numbers.astype(np.float64)


def _bad_cell(path: Path, column: str, kind: Kind, text: pd.Series, bad: pd.Series) -> None:
    row = int(np.flatnonzero(bad.to_numpy())[0])
    value = text.iloc[row]
    found = repr(value) if value else "an empty cell"
    raise TableError(
        f"{path}:{row + 2}: column {column!r}: expected {_EXPECTED[kind]}, found {found}"
        f"{f' (and {int(bad.sum()) - 1} more rows)' if bad.sum() > 1 else ''}"
    )


def _arrow_kind(kind: Kind, tp: pa.DataType) -> bool:
    if pa.types.is_dictionary(tp):
        tp = tp.value_type
    if kind == "text":
        return pa.types.is_string(tp) or pa.types.is_large_string(tp) or pa.types.is_null(tp)
    if kind == "integer":
        return pa.types.is_integer(tp)
    if kind == "number":
        return pa.types.is_floating(tp) or pa.types.is_integer(tp) or pa.types.is_null(tp)
    return pa.types.is_boolean(tp)


def _read_parquet(path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise TableError(
            f"{path}: expected a Parquet table, found a file that cannot be read (truncated or corrupt? {exc})"
        ) from None
    _missing(path, columns, table.schema.names)
    for column in columns:
        if column.name not in table.schema.names:
            continue
        tp = table.schema.field(column.name).type
        if not _arrow_kind(column.kind, tp):
            raise TableError(f"{path}: column {column.name!r}: expected {_EXPECTED[column.kind]}, found {tp} values")
    return table.to_pandas()


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Labelled(_Loose):
    label: str


class _Plan(_Loose):
    scenarios: list[_Labelled]
    detectors: list[_Labelled]
    seeds: list[int] | None = None
    modes: list[str] | None = None


class _RunDescription(_Loose):
    run_id: str
    status: str
    plan: _Plan


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"{type(value).__name__} {value!r}"[:80]


def read_run_description(path: str | Path) -> dict[str, Any]:
    """``run.json`` as a mapping, after checking that it is JSON holding ``run_id`` and
    ``status`` (text) and a ``plan`` whose scenarios and detectors have text labels (and,
    when given, integer seeds and text modes); raises :class:`TableError` naming the field otherwise."""
    path = Path(path)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise TableError(f"{path}: expected JSON text, found bytes that are not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise TableError(
            f"{path}:{exc.lineno}:{exc.colno}: expected JSON (the run description extractbench run writes), "
            f"found text that is not: {exc.msg}"
        ) from None
    if not isinstance(config, dict):
        raise TableError(f"{path}: expected a JSON object (the run description), found {_kind_of(config)}")
    try:
        _RunDescription.model_validate(config)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in error["loc"]).replace(".[", "[")
        found = "nothing (missing)" if error["type"] == "missing" else _kind_of(error.get("input"))
        expected = {
            "missing": "the field",
            "string_type": "text",
            "int_type": "an integer",
            "list_type": "a list",
            "model_type": "a mapping",
            "dict_type": "a mapping",
        }.get(error["type"], error["msg"])
        raise TableError(f"{path}: field {where!r}: expected {expected}, found {found}") from None
    return config
