"""Bad rows of a replayed log: counted by kind, located by line, skipped, reported.

A row that cannot be read or placed (a malformed JSON line, an unparsable
timestamp, a negative or missing token count, a row later than the sorting
window allows…) is skipped and counted under its kind, with the first
:data:`EXAMPLES` line numbers kept for the report. Nothing is dropped silently:
the replay's results and its printed summary carry every count.

Line numbers are 1-based lines of the file for JSONL and CSV (the CSV header is
line 1) and 1-based row numbers for Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["EXAMPLES", "KINDS", "BadRows"]

EXAMPLES = 5
"""How many line numbers are kept per kind."""

KINDS: dict[str, str] = {
    "malformed": "not a JSON object or not a well-formed CSV row",
    "bad_timestamp": "timestamp missing or not ISO 8601 / epoch seconds / epoch milliseconds",
    "bad_tokens": "token count missing, negative or not a whole number",
    "missing_account": "no account id",
    "bad_value": "a value that does not fit its column (e.g. a non-numeric ASN or status)",
    "out_of_order": "earlier than the sorting window allows (rows already replayed)",
    "unknown_column": "a column the mapping does not use (ignored; the row is kept)",
}
"""Every kind of problem, with what it means. Every kind but ``unknown_column`` skips the row."""


@dataclass
class BadRows:
    """Counts and first line numbers of bad rows, per kind (:data:`KINDS`)."""

    counts: dict[str, int] = field(default_factory=dict)
    lines: dict[str, list[str]] = field(default_factory=dict)
    """First line numbers per kind, as ``file:line``."""
    ignored: dict[str, str] = field(default_factory=dict)
    """Log columns the mapping does not use, with the first ``file:line`` holding a value."""

    def unknown(self, name: str, file: str, lines: np.ndarray) -> None:
        """Rows at ``lines`` of ``file`` carry a value in column ``name``, which the mapping does not use."""
        if lines.size:
            self.ignored.setdefault(name, f"{file}:{int(lines[0])}")
            self.add("unknown_column", file, lines)

    def add(self, kind: str, file: str, lines: np.ndarray | list[int]) -> None:
        """Count the rows at ``lines`` (1-based) of ``file`` under ``kind``."""
        if kind not in KINDS:
            raise ValueError(f"Unknown bad-row kind {kind!r}; known: {sorted(KINDS)}")
        values = np.asarray(lines, dtype=np.int64)
        if values.size == 0:
            return
        self.counts[kind] = self.counts.get(kind, 0) + int(values.size)
        kept = self.lines.setdefault(kind, [])
        room = EXAMPLES - len(kept)
        if room > 0:
            kept += [f"{file}:{line}" for line in values[:room].tolist()]

    @property
    def skipped(self) -> int:
        """Rows skipped (every kind but ``unknown_column``)."""
        return sum(count for kind, count in self.counts.items() if kind != "unknown_column")

    def as_dict(self) -> dict[str, dict[str, object]]:
        """Per kind (in :data:`KINDS` order): count, meaning and first lines."""
        found: dict[str, dict[str, object]] = {
            kind: {"count": self.counts[kind], "meaning": KINDS[kind], "first_lines": self.lines.get(kind, [])}
            for kind in KINDS
            if kind in self.counts
        }
        if "unknown_column" in found:
            found["unknown_column"]["columns"] = dict(sorted(self.ignored.items()))
        return found

    def describe(self) -> list[str]:
        """One line per kind, e.g. ``malformed: 3 rows skipped (log.jsonl:4, log.jsonl:9, …)``."""
        text = []
        for kind, info in self.as_dict().items():
            lines = info["first_lines"]
            assert isinstance(lines, list)
            more = ", …" if int(info["count"]) > len(lines) else ""  # type: ignore[call-overload]
            what = "rows skipped"
            if kind == "unknown_column":
                what = f"rows kept, columns ignored: {', '.join(sorted(self.ignored))};"
            text.append(f"{kind}: {info['count']} {what} ({', '.join(lines)}{more}) — {KINDS[kind]}")
        return text
