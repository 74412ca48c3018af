"""The red-team report section: the objective against trials, what mattered, and the best
campaign's tactics beside the original's.

Reads the search history (:func:`simulator.bench.redteam.write_red_team`'s ``history.csv``
columns: ``trial``, ``state``, ``objective``, one column per searched parameter) and
writes ``red-team.png`` and ``red-team.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.export import atomic_path
from simulator.report.style import figure_style, metric_words, new_figure, save_figure

__all__ = ["write_red_team_section"]


def _plot(history: pd.DataFrame, baseline: float, objective: str, folder: Path) -> Path:
    done = history[history["state"] == "complete"].sort_values("trial")
    with figure_style():
        figure = new_figure(7.0, 3.6)
        ax = figure.add_subplot()
        ax.plot(done["trial"], done["objective"], "o", markersize=4, color="#1f77b4", label="trial")
        ax.plot(done["trial"], np.maximum.accumulate(done["objective"].to_numpy()), "-", color="#d62728",
                label="best so far")  # fmt: skip
        ax.axhline(baseline, color="black", linestyle="--", linewidth=0.9, label="original campaign")
        ax.set_xlabel("trial")
        ax.set_ylabel(metric_words(objective))
        ax.set_title(f"Red-team search: {metric_words(objective).lower()} against trials")
        ax.legend(frameon=False)
        png, _ = save_figure(figure, folder, "red-team")
    return png


def write_red_team_section(
    history: pd.DataFrame,
    original: Mapping[str, str],
    importance: Mapping[str, float],
    baseline: float,
    objective: str,
    detector: str,
    folder: Path,
) -> Path:
    """Write ``red-team.png`` and ``red-team.md`` into ``folder``; returns the Markdown's path."""
    png = _plot(history, baseline, objective, folder)
    done = history[history["state"] == "complete"].sort_values(["objective", "trial"], ascending=[False, True])
    lines = [f"## Red-team search against {detector}", ""]
    failed = int((history["state"] != "complete").sum())
    lines.append(
        f"{len(history)} trials ({failed} rejected by the scenario), objective **{objective}** (maximised). "
        f"Original campaign: {baseline:.6g}; best found: "
        + (f"{done['objective'].iloc[0]:.6g} (trial {int(done['trial'].iloc[0])})." if len(done) else "none.")
    )
    lines += ["", f"![objective against trials]({png.name})", ""]
    if len(done):
        best = done.iloc[0]
        lines += ["| tactic | original | best campaign |", "|---|---|---|"]
        lines += [f"| `{path}` | {value} | {best[path]} |" for path, value in original.items()]
        lines += [
            f"| tokens harvested | | {best['tokens']:.6g} |",
            f"| spent (USD) | | {best['spent_usd']:.6g} |",
            "",
        ]
    if importance:
        lines += ["| parameter | importance (fANOVA) |", "|---|---|"]
        lines += [f"| `{path}` | {value:.3f} |" for path, value in importance.items()]
        lines.append("")
    path = folder / "red-team.md"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")
    return path
