"""How a foreign log's columns map onto the visible schema: the mapping file.

A mapping says which of the log's columns holds each visible request column
(:data:`simulator.traffic.REQUEST_SCHEMA`), how its timestamps are written, which
columns hold raw text to derive fingerprints and classifier labels from
(:mod:`simulator.replay.derive`), which ids to hash, where the labels are and how far
rows may be out of time order. It is a frozen pydantic model with unknown keys
rejected; a file is loaded with the scenarios' located errors (file, line, field,
expected, given) by :func:`load_mapping`. ``extractbench replay --example-mapping``
prints :data:`EXAMPLE_MAPPING`, a commented file that validates.

Only ``ts`` and ``account_id`` are required; every other column may be missing
(mapped to nothing and without a default): a detector that reads a missing
column is skipped for the run, with the reason in the results.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from simulator.scenario.base import StrictModel
from simulator.scenario.loading import Problem, ScenarioError, load_document, parse_document
from simulator.traffic import REQUEST_COLUMNS
from simulator.units import Duration

__all__ = [
    "EXAMPLE_MAPPING",
    "LOG_COLUMNS",
    "MappingError",
    "ReplayMapping",
    "TimeSpec",
    "load_mapping",
    "mapping_from_pairs",
    "parse_mapping",
]

LOG_COLUMNS: tuple[str, ...] = tuple(name for name in REQUEST_COLUMNS if name != "ts")
"""Visible request columns a log column can be mapped onto (``ts`` has its own section)."""

OurColumn = Literal[LOG_COLUMNS]  # type: ignore[valid-type]
IdColumn = Literal["account_id", "org_id", "key_id", "ip", "client_fingerprint", "user_agent"]

_FIELDS = "a mapping with version, columns, time, text, hash_ids, labels, defaults and order_window"

MappingError = ScenarioError
"""A mapping that does not validate: every problem located in its file (the scenarios' error)."""


class TimeSpec(StrictModel):
    """Where the request time is and how it is written."""

    column: str = Field(default="timestamp", description="The log column holding each request's time.")
    format: Literal["auto", "iso", "epoch_s", "epoch_ms", "seconds"] = Field(
        default="auto",
        description=(
            "iso: ISO 8601 text (with or without a zone; without one it is UTC); epoch_s / epoch_ms: "
            "Unix time in seconds / milliseconds; seconds: seconds since `origin` (our own export); "
            "auto: ISO text if the value is text, else epoch milliseconds from 1e11 on, else epoch seconds."
        ),
    )
    origin: datetime | None = Field(
        default=None,
        description=(
            "The time of ts = 0 (ISO 8601; UTC if no zone); rows before it are bad rows. Required for format "
            "'seconds'; otherwise the default is the start of the tick one order_window before the first row."
        ),
    )

    @field_validator("origin")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TextSpec(StrictModel):
    """Log columns holding raw text, from which derived columns are computed."""

    prompt: str | None = Field(
        default=None,
        description="Column of the raw prompt text: gives prompt_simhash, topic, language and cot_requested.",
    )
    system_prompt: str | None = Field(
        default=None, description="Column of the system prompt's text: gives system_prompt_hash."
    )


class ReplayMapping(StrictModel):
    """A log's columns mapped onto the visible schema (our name: their name)."""

    version: Literal[1] = Field(default=1, description="Mapping format version.")
    columns: dict[OurColumn, str] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="Visible column (ours) → log column (theirs). A visible column named as-is in the log "
        "needs no entry.",
    )
    time: TimeSpec = Field(default_factory=TimeSpec, description="The request time.")
    text: TextSpec = Field(default_factory=TextSpec, description="Raw text columns to derive columns from.")
    hash_ids: tuple[IdColumn, ...] = Field(  # type: ignore[valid-type]
        default=(),
        description="Id columns to replace by an opaque hash of their value (e.g. account ids that are e-mails).",
    )
    labels: str | None = Field(
        default=None,
        description="Log column with ground truth per request: a campaign name, empty for benign, or a boolean. "
        "Read by the metrics only, never by a detector.",
    )
    defaults: dict[OurColumn, str | int | float | bool] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="A constant for a visible column the log lacks (e.g. status: 200); detectors that read "
        "it then run.",
    )
    ignore: tuple[str, ...] = Field(
        default=(), description="Log columns to leave unread without reporting them as unknown."
    )
    order_window: Duration = Field(
        default=300.0,
        description="Rows up to this much earlier than the latest row read are sorted into place (e.g. '5m'); "
        "earlier ones are bad rows.",
    )
    late_share: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Share of rows later than the window (after the first 1000 rows) above which the log "
        "is refused as not in time order.",
    )

    @field_validator("columns")
    @classmethod
    def _distinct(cls, value: dict[str, str]) -> dict[str, str]:
        theirs = list(value.values())
        repeated = sorted({name for name in theirs if theirs.count(name) > 1})
        if repeated:
            raise ValueError(f"each log column maps onto one visible column; repeated: {repeated}")
        return value

    def source(self, ours: str) -> str:
        """The log column feeding visible column ``ours`` (its own name if not mapped)."""
        return self.columns.get(ours, ours)

    def used(self) -> set[str]:
        """Every log column the mapping may read."""
        names = {self.source(name) for name in LOG_COLUMNS} | {self.time.column}
        names |= {name for name in (self.text.prompt, self.text.system_prompt, self.labels) if name}
        return names | set(self.ignore)


def load_mapping(path: str | Path) -> ReplayMapping:
    """Read and validate a mapping file; raises :class:`MappingError` with located problems."""
    return load_document(path, ReplayMapping, _FIELDS)


def parse_mapping(text: str, file: str = "<string>") -> ReplayMapping:
    """Validate mapping YAML ``text`` (``file`` names it in messages)."""
    return parse_document(text, file, ReplayMapping, _FIELDS)


def mapping_from_pairs(pairs: list[str], base: ReplayMapping | None = None) -> ReplayMapping:
    """``--map OURS=THEIRS`` options over ``base``: ``ts=THEIRS`` sets the time column,
    ``prompt=`` / ``system_prompt=`` the text columns, ``label=`` the label column, any
    visible column its source. Raises :class:`MappingError` for a malformed pair."""
    data = (base or ReplayMapping()).model_dump(mode="json", exclude_defaults=False)
    problems = []
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        ours, theirs = ours.strip(), theirs.strip()
        if not sep or not ours or not theirs:
            problems.append(Problem("--map", None, None, pair, "OURS=THEIRS, e.g. account_id=user", repr(pair)))
        elif ours == "ts":
            data["time"]["column"] = theirs
        elif ours in ("prompt", "system_prompt"):
            data["text"][ours] = theirs
        elif ours == "label":
            data["labels"] = theirs
        else:
            data["columns"][ours] = theirs
    if problems:
        raise MappingError(problems)
    try:
        return ReplayMapping.model_validate(data)
    except ValidationError as exc:
        raise MappingError(
            [
                Problem("--map", None, None, ".".join(str(p) for p in e["loc"]), e["msg"].lower(), None)
                for e in exc.errors()
            ]
        ) from None


EXAMPLE_MAPPING = """\
# A replay mapping: how your log's columns map onto extractbench's visible schema.
# Use it with: extractbench replay LOG --mapping this-file.yaml
# Every key is optional; unknown keys are errors. Columns not mapped and absent
# from the log are missing: detectors that read them are skipped (reasons in results).
version: 1

# Visible column (ours): log column (theirs). A column already named as ours needs no entry.
columns:
  account_id: user_id          # required (or present under its own name)
  org_id: organisation
  key_id: api_key_id
  ip: client_ip
  asn: asn_number
  country: geo_country
  user_agent: user_agent
  model: model
  input_tokens: prompt_tokens
  output_tokens: completion_tokens
  max_tokens: max_tokens
  status: http_status
  conversation_id: session_id   # text ids are hashed to 64-bit numbers
  # also: request_id, client_fingerprint, pathway, topic, language, cot_requested,
  #       system_prompt_hash, prompt_simhash, turn

# The request time: ISO 8601 (zone optional, UTC if none), epoch seconds or milliseconds.
time:
  column: timestamp
  format: auto                 # auto | iso | epoch_s | epoch_ms | seconds (since origin)
  # origin: 2026-03-02T00:00:00Z   # time of ts = 0 (default: the tick one order_window before the first row)

# Raw text, from which derived columns are computed (see docs/replay.md):
text:
  prompt: prompt               # -> prompt_simhash, topic, language, cot_requested
  system_prompt: system        # -> system_prompt_hash

# Ids to replace by an opaque hash (for instance when account ids are e-mail addresses).
hash_ids: []

# Ground truth per request, if your log has it: a campaign name, empty for benign, or a
# boolean. Only the metrics read it. Or pass --labels FILE (account_id, label).
labels: null

# Constants for columns your log lacks (detectors that read them then run).
defaults:
  status: 200

# Log columns to leave unread without reporting them as unknown columns.
ignore: []

# Rows out of time order by up to this much are sorted into place; later ones are bad rows,
# and if more than late_share of the rows are, the log is refused (sort it first).
order_window: 5m
late_share: 0.01
"""
