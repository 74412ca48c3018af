"""Writing a run's report: every plot, ``report.html`` and ``summary.md``, from the folder alone.

:func:`write_report` reads a finished run's folder (never re-running anything),
draws every plot family into ``plots/`` (PNG and SVG), removes plots of an
earlier report that are no longer drawn, and writes ``report.html`` and
``summary.md`` atomically. ``extractbench report`` and the end of
``extractbench run`` call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.export import atomic_path
from simulator.report.collateral import plot_collateral
from simulator.report.data import ReportData, load_report_data
from simulator.report.defences import defence_comparison, plot_defences
from simulator.report.heatmaps import plot_heatmaps
from simulator.report.html import render_html
from simulator.report.leakage import plot_leakage
from simulator.report.markdown import render_markdown
from simulator.report.plots import Plot, Skipped
from simulator.report.precision_recall import plot_precision_recall
from simulator.report.replay import is_replay_folder, write_replay_report
from simulator.report.survival import plot_survival
from simulator.report.sweeps import plot_sweeps

__all__ = ["SCENARIO_FAMILIES", "Report", "draw_plots", "write_report"]

SCENARIO_FAMILIES: tuple[Callable[[ReportData, str, str], Plot | Skipped], ...] = (
    plot_precision_recall,
    plot_survival,
    plot_leakage,
    plot_collateral,
)
"""The plots drawn for every (scenario, mode), in report order."""


@dataclass(frozen=True)
class Report:
    """What :func:`write_report` wrote."""

    folder: Path
    html: Path
    markdown: Path
    plots: tuple[Plot, ...]
    skipped: tuple[Skipped, ...]


def draw_plots(data: ReportData) -> list[Plot | Skipped]:
    """Every plot of the run, overviews first (heatmaps and sweeps per mode), then
    per scenario and mode the :data:`SCENARIO_FAMILIES`."""
    items: list[Plot | Skipped] = []
    for mode in data.modes:
        items += plot_heatmaps(data, mode)
        items += plot_sweeps(data, mode)
    for scenario in data.scenarios:
        for mode in data.modes:
            items += [family(data, scenario, mode) for family in SCENARIO_FAMILIES]
    stacks = defence_comparison(data)
    if stacks is not None:
        items += [plot_defences(data, scenario, stacks) for scenario in data.scenarios]
    return items


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_report(folder: str | Path) -> Report:
    """Draw the plots and write ``report.html`` and ``summary.md`` in the run's ``folder``
    (a replay's folder gets a replay's report, :mod:`simulator.report.replay`).
    Raises :class:`~simulator.results.folder.ResultsFolderError` if it is not a finished run."""
    if is_replay_folder(folder):
        page, markdown, drawn = write_replay_report(folder)
        return Report(
            Path(folder),
            page,
            markdown,
            tuple(i for i in drawn if isinstance(i, Plot)),
            tuple(i for i in drawn if isinstance(i, Skipped)),
        )
    data = load_report_data(folder)
    items = draw_plots(data)
    plots = tuple(i for i in items if isinstance(i, Plot))
    drawn = {p.stem for p in plots}
    for old in (data.folder / "plots").glob("*"):
        if old.suffix in (".png", ".svg") and old.stem not in drawn:
            old.unlink()
    html, markdown = data.folder / "report.html", data.folder / "summary.md"
    _write_text(html, render_html(data, items))
    _write_text(markdown, render_markdown(data))
    return Report(data.folder, html, markdown, plots, tuple(i for i in items if isinstance(i, Skipped)))
