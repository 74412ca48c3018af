"""Readers for the public LLM-serving traces used to calibrate the population.

Formats (see ``../shared/data/traces/README.md`` for sources and licences):

* Azure LLM inference trace 2023 (``azure*conv*.csv``, ``azure*code*.csv``):
  ``TIMESTAMP,ContextTokens,GeneratedTokens``, one row per request, no user ids.
* Mooncake conversation trace (``mooncake*.jsonl``): one JSON object per line with
  ``timestamp`` (ms), ``input_length``, ``output_length`` and ``hash_ids``
  (512-token prefix blocks; block 0 is shared by all, so ``hash_ids[1]`` marks
  the conversation or document a request continues).
* ServeGen per-client windows (``servegen*windows*.csv``):
  ``client_id,timestamp,rate,cv,pat_name,pat_arg1,pat_arg2`` per ten-minute window.
* ServeGen derived per-client summary (``servegen*clients*.csv``) and hourly
  totals (``servegen*hourly*.csv``).

Every reader returns a tidy :class:`pandas.DataFrame` with documented columns and
units, and raises :class:`TraceError` (naming the file, and the line where there
is one) for a missing, unreadable or malformed file, never a bare pandas error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "TRACE_PATTERNS",
    "TraceError",
    "TraceSet",
    "find_traces",
    "read_azure",
    "read_mooncake",
    "read_servegen_clients",
    "read_servegen_hourly",
    "read_servegen_windows",
]

TRACE_PATTERNS: dict[str, str] = {
    "azure_conv": "azure*conv*.csv",
    "azure_code": "azure*code*.csv",
    "mooncake": "mooncake*.jsonl",
    "servegen_windows": "servegen*windows*.csv",
    "servegen_clients": "servegen*clients*.csv",
    "servegen_hourly": "servegen*hourly*.csv",
}
"""File-name patterns of each trace kind inside a trace folder."""


class TraceError(Exception):
    """A trace file is missing, unreadable or malformed; the message says where."""


def _read_csv(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """Read a CSV with the given required columns (name → 'float' | 'int' | 'str')."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise TraceError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise TraceError(f"{path}: not a readable CSV file ({str(exc).strip().splitlines()[0]})") from None
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise TraceError(
            f"{path}: expected columns {', '.join(columns)}; missing {', '.join(missing)} "
            f"(found {', '.join(map(str, frame.columns)) or 'none'})"
        )
    if frame.empty:
        raise TraceError(f"{path}: expected at least one data row, found none")
    out = {}
    for name, kind in columns.items():
        if kind == "str":
            out[name] = frame[name].to_numpy(dtype=object)
            continue
        text = frame[name].str.strip()
        empty = (text == "").to_numpy()
        values = pd.to_numeric(text.where(~empty), errors="coerce").to_numpy(dtype=np.float64)
        # an empty float cell is a missing value (idle windows); anything else must parse
        bad = (np.isnan(values) & ~(empty & (kind == "float"))) | np.isinf(values)
        if kind == "int":
            bad |= ~np.isnan(values) & (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            expected = "a whole number" if kind == "int" else "a number"
            raise TraceError(f"{path}:{row + 2}: column {name!r} expected {expected}, got {frame[name].iloc[row]!r}")
        out[name] = values if kind == "float" else values.astype(np.int64)
    return pd.DataFrame(out)


def _non_negative(path: Path, frame: pd.DataFrame, names: tuple[str, ...]) -> None:
    for name in names:
        negative = np.flatnonzero(frame[name].to_numpy() < 0)
        if negative.size:
            row = int(negative[0])
            raise TraceError(f"{path}:{row + 2}: column {name!r} expected a non-negative value, got {frame[name][row]}")


def read_azure(path: Path) -> pd.DataFrame:
    """An Azure 2023 trace: ``ts`` (s since the first request, sorted),
    ``input_tokens``, ``output_tokens``."""
    path = Path(path)
    raw = _read_csv(path, {"TIMESTAMP": "str", "ContextTokens": "int", "GeneratedTokens": "int"})
    stamps = pd.to_datetime(pd.Series(raw["TIMESTAMP"]), errors="coerce", format="mixed")
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise TraceError(f"{path}:{row + 2}: column 'TIMESTAMP' expected a date and time, got {raw.TIMESTAMP[row]!r}")
    ts = (stamps - stamps.min()).dt.total_seconds().to_numpy()
    frame = pd.DataFrame(
        {"ts": ts, "input_tokens": raw["ContextTokens"].to_numpy(), "output_tokens": raw["GeneratedTokens"].to_numpy()}
    )
    _non_negative(path, frame, ("input_tokens", "output_tokens"))
    return frame.sort_values("ts", kind="stable").reset_index(drop=True)


def read_mooncake(path: Path) -> pd.DataFrame:
    """A Mooncake trace: ``ts`` (s), ``input_tokens``, ``output_tokens`` and
    ``conversation`` (the first non-shared prefix block, -1 when there is none)."""
    path = Path(path)
    rows: list[tuple[float, int, int, int]] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    blocks = record.get("hash_ids") or []
                    rows.append(
                        (
                            float(record["timestamp"]) / 1000.0,
                            int(record["input_length"]),
                            int(record["output_length"]),
                            int(blocks[1]) if len(blocks) > 1 else -1,
                        )
                    )
                except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                    reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
                    raise TraceError(
                        f"{path}:{number}: expected a JSON object with timestamp, input_length, output_length "
                        f"and hash_ids; {reason}"
                    ) from None
    except FileNotFoundError:
        raise TraceError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(f"{path}: not a readable text file ({exc})") from None
    if not rows:
        raise TraceError(f"{path}: expected at least one JSON line, found none")
    frame = pd.DataFrame(rows, columns=["ts", "input_tokens", "output_tokens", "conversation"])
    _non_negative(path, frame, ("ts", "input_tokens", "output_tokens"))
    return frame.sort_values("ts", kind="stable").reset_index(drop=True)


def read_servegen_windows(path: Path) -> pd.DataFrame:
    """ServeGen per-client ten-minute windows: ``client_id``, ``timestamp`` (s,
    window start), ``rate`` (requests/s), ``cv`` (inter-arrival CV in the window),
    ``pat_name`` (Gamma or Weibull, empty when idle), ``pat_arg1``, ``pat_arg2``."""
    path = Path(path)
    frame = _read_csv(
        path,
        {
            "client_id": "int",
            "timestamp": "float",
            "rate": "float",
            "cv": "float",
            "pat_name": "str",
            "pat_arg1": "float",
            "pat_arg2": "float",
        },
    )
    _non_negative(path, frame, ("timestamp", "rate"))
    return frame


def read_servegen_clients(path: Path) -> pd.DataFrame:
    """ServeGen per-client weekly summary: ``model``, ``client_id``,
    ``est_requests`` (requests in the week), ``rate_weighted_mean_cv`` (NaN when idle)."""
    path = Path(path)
    frame = _read_csv(
        path, {"model": "str", "client_id": "int", "est_requests": "float", "rate_weighted_mean_cv": "float"}
    )
    _non_negative(path, frame, ("est_requests",))
    return frame


def read_servegen_hourly(path: Path) -> pd.DataFrame:
    """ServeGen hourly totals: ``model``, ``hour_index`` (0-167), ``day``,
    ``hour_of_day`` (local, 0-23), ``est_requests``."""
    path = Path(path)
    frame = _read_csv(
        path, {"model": "str", "hour_index": "int", "day": "int", "hour_of_day": "int", "est_requests": "float"}
    )
    _non_negative(path, frame, ("est_requests",))
    outside = np.flatnonzero((frame.hour_of_day.to_numpy() < 0) | (frame.hour_of_day.to_numpy() > 23))
    if outside.size:
        row = int(outside[0])
        raise TraceError(f"{path}:{row + 2}: column 'hour_of_day' expected 0 to 23, got {frame.hour_of_day[row]}")
    return frame


@dataclass(frozen=True)
class TraceSet:
    """Every trace kind, read from one folder."""

    folder: Path
    files: dict[str, Path]
    azure_conv: pd.DataFrame
    azure_code: pd.DataFrame
    mooncake: pd.DataFrame
    servegen_windows: pd.DataFrame
    servegen_clients: pd.DataFrame
    servegen_hourly: pd.DataFrame

    @classmethod
    def read(cls, folder: Path) -> TraceSet:
        """Find (:func:`find_traces`) and read every trace kind in ``folder``."""
        files = find_traces(folder)
        return cls(
            folder=Path(folder),
            files=files,
            azure_conv=read_azure(files["azure_conv"]),
            azure_code=read_azure(files["azure_code"]),
            mooncake=read_mooncake(files["mooncake"]),
            servegen_windows=read_servegen_windows(files["servegen_windows"]),
            servegen_clients=read_servegen_clients(files["servegen_clients"]),
            servegen_hourly=read_servegen_hourly(files["servegen_hourly"]),
        )


def find_traces(folder: Path) -> dict[str, Path]:
    """The file of each kind in :data:`TRACE_PATTERNS` inside ``folder``: exactly one
    per kind, or a :class:`TraceError` saying which are missing or ambiguous."""
    folder = Path(folder)
    if not folder.exists():
        raise TraceError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise TraceError(f"{folder}: expected a folder of trace files, got a file")
    found: dict[str, Path] = {}
    problems = []
    for kind, pattern in TRACE_PATTERNS.items():
        matches = sorted(p for p in folder.glob(pattern) if p.is_file())
        if not matches:
            problems.append(f"no {kind} file ({pattern})")
        elif len(matches) > 1:
            problems.append(f"several {kind} files ({', '.join(p.name for p in matches)}); keep one")
        else:
            found[kind] = matches[0]
    if problems:
        raise TraceError(f"{folder}: " + "; ".join(problems))
    return found
