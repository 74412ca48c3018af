"""The figures of a report: what each one is, and drawing them all.

A :class:`Plot` record names one drawn plot (``plots/<stem>.png`` and ``.svg``),
its family, title, caption, and the scenario and mode it belongs to (none for the
overviews). A plot that cannot be drawn (no attacker in the scenario, a table the
folder lacks) becomes a :class:`Skipped` note with the reason, shown in the report
where the plot would have been.

Families, in report order (one module each):

* overviews: :mod:`~simulator.report.heatmaps` (F1 and median TTD, scenario ×
  detector), :mod:`~simulator.report.sweeps` (metric against a swept parameter);
* per scenario and mode: :mod:`~simulator.report.precision_recall`,
  :mod:`~simulator.report.survival`, :mod:`~simulator.report.leakage`,
  :mod:`~simulator.report.collateral`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Plot", "Skipped", "stem"]


@dataclass(frozen=True)
class Plot:
    """One plot written as ``plots/<stem>.png`` and ``plots/<stem>.svg``."""

    stem: str
    family: str
    title: str
    caption: str
    scenario: str | None = None
    mode: str | None = None

    def png(self, folder: Path) -> Path:
        return folder / "plots" / f"{self.stem}.png"

    def svg(self, folder: Path) -> Path:
        return folder / "plots" / f"{self.stem}.svg"


@dataclass(frozen=True)
class Skipped:
    """A plot not drawn, and why."""

    family: str
    title: str
    reason: str
    scenario: str | None = None
    mode: str | None = None


def stem(*parts: str | None) -> str:
    """A file name from ``parts`` (letters, digits, ``.``, ``_`` and ``-`` kept).

    >>> stem("pr", "hydra cluster", "passive", None)
    'pr-hydra_cluster-passive'
    """
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(p for p in parts if p))
