"""Writing a run's report: every plot, ``report.html`` and ``summary.md``, from the folder alone.

:func:`write_report` reads a finished run's folder (never re-running anything),
draws every plot family into ``plots/`` (PNG and SVG), removes plots of an
earlier report that are no longer drawn, and writes ``report.html`` and
``summary.md`` atomically. ``extractbench report`` and the end of
``extractbench run`` call it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from simulator.workers import die_with_parent

__all__ = ["SCENARIO_FAMILIES", "Report", "draw_plots", "write_report"]

SCENARIO_FAMILIES: tuple[Callable[[ReportData, str, str], Plot | Skipped], ...] = (
    plot_precision_recall,
    plot_survival,
    plot_leakage,
    plot_collateral,
)
"""The plots drawn for every (scenario, mode), in report order."""

SCENARIO_MODES_PER_WORKER = 4
"""The fewest (scenario, mode) pairs worth a drawing process of their own: starting one
(imports, reading the folder) costs seconds, as much as drawing a few pairs' plots, so
a small report is drawn in this process (a one-scenario report took 8.6 s here and
18-21 s with two workers; the quick suite's 12 pairs took 39 s here and 24-26 s with two)."""


@dataclass(frozen=True)
class Report:
    """What :func:`write_report` wrote."""

    folder: Path
    html: Path
    markdown: Path
    plots: tuple[Plot, ...]
    skipped: tuple[Skipped, ...]


def draw_plots(data: ReportData, jobs: int = 1) -> list[Plot | Skipped]:
    """Every plot of the run, overviews first (heatmaps and sweeps per mode), then
    per scenario and mode the :data:`SCENARIO_FAMILIES`; with ``jobs`` > 1 drawn by up to
    that many worker processes (each reads the folder once; one per
    :data:`SCENARIO_MODES_PER_WORKER` pairs, none below that), the same files in the same order.

    A plot's files depend on its data alone (fixed SVG salt, no dates), so which process
    draws it does not matter."""
    tasks = _plot_tasks(data)
    jobs = min(jobs, len(data.scenarios) * len(data.modes) // SCENARIO_MODES_PER_WORKER)
    if jobs > 1 and len(tasks) > 1:
        context = multiprocessing.get_context("spawn")  # no fork of a process that holds threads
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(tasks)),
            mp_context=context,
            initializer=_load_worker_data,
            initargs=(data.folder,),
        ) as pool:
            drawn = list(pool.map(_draw_in_worker, tasks))
    else:
        drawn = [_draw(data, task) for task in tasks]
    return [item for items in drawn for item in items]


_PlotTask = tuple[str, tuple[str, ...]]
"""A plot family's name and its arguments after the run's data ("defences": every scenario's)."""

_FAMILIES: dict[str, Callable[..., Any]] = {
    "heatmaps": plot_heatmaps,
    "sweeps": plot_sweeps,
    **{family.__name__: family for family in SCENARIO_FAMILIES},
}


def _plot_tasks(data: ReportData) -> list[_PlotTask]:
    tasks: list[_PlotTask] = []
    for mode in data.modes:
        tasks += [("heatmaps", (mode,)), ("sweeps", (mode,))]
    for scenario in data.scenarios:
        for mode in data.modes:
            tasks += [(family.__name__, (scenario, mode)) for family in SCENARIO_FAMILIES]
    return [*tasks, ("defences", ())]


def _draw(data: ReportData, task: _PlotTask) -> list[Plot | Skipped]:
    name, arguments = task
    if name == "defences":
        stacks = defence_comparison(data)
        return [] if stacks is None else [plot_defences(data, scenario, stacks) for scenario in data.scenarios]
    drawn = _FAMILIES[name](data, *arguments)
    return list(drawn) if isinstance(drawn, list) else [drawn]


_WORKER_DATA: list[ReportData] = []
"""The run's data in a drawing worker process (read once, by its initializer)."""


def _load_worker_data(folder: Path) -> None:
    die_with_parent()
    _WORKER_DATA.append(load_report_data(folder))


def _draw_in_worker(task: _PlotTask) -> list[Plot | Skipped]:
    return _draw(_WORKER_DATA[0], task)


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_report(folder: str | Path, jobs: int = 1) -> Report:
    """Draw the plots and write ``report.html`` and ``summary.md`` in the run's ``folder``
    (a replay's folder gets a replay's report, :mod:`simulator.report.replay`); ``jobs``
    worker processes draw the plots (1: in this process, safe in a script without an
    ``if __name__ == "__main__":`` guard).
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
    items = draw_plots(data, jobs)
    plots = tuple(i for i in items if isinstance(i, Plot))
    drawn = {p.stem for p in plots}
    for old in (data.folder / "plots").glob("*"):
        if old.suffix in (".png", ".svg") and old.stem not in drawn:
            old.unlink()
    html, markdown = data.folder / "report.html", data.folder / "summary.md"
    _write_text(html, render_html(data, items))
    _write_text(markdown, render_markdown(data))
    return Report(data.folder, html, markdown, plots, tuple(i for i in items if isinstance(i, Skipped)))
