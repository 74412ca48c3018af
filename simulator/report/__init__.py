"""Reports people read: plots, ``report.html`` and ``summary.md`` from a finished run's folder.

Modules, one concept each:

* :mod:`~simulator.report.data`: the results folder read back (and checked);
* :mod:`~simulator.report.style`: one look for every figure (detector colours, baselines grey and dashed, units);
* :mod:`~simulator.report.curves`: precision–recall, threshold sweeps, Kaplan–Meier (pure functions);
* :mod:`~simulator.report.plots`: the plot records;
* plot families: :mod:`~simulator.report.precision_recall`, :mod:`~simulator.report.survival`,
  :mod:`~simulator.report.leakage`, :mod:`~simulator.report.collateral`, :mod:`~simulator.report.heatmaps`,
  :mod:`~simulator.report.sweeps`;
* :mod:`~simulator.report.tables`: the leaderboard and parameters as rows of text;
* :mod:`~simulator.report.html`: the self-contained ``report.html``;
* :mod:`~simulator.report.markdown`: ``summary.md`` for CI job summaries;
* :mod:`~simulator.report.scores`: accounts per band of maximum score (the triage plot of a replay);
* :mod:`~simulator.report.replay`: a replay's folder read as a one-scenario run, its ``report.html`` and ``summary.md``;
* :mod:`~simulator.report.build`: :func:`write_report`, all of the above (a replay's folder gets a replay's report).

Like the metrics, the report depends on results data only, never on the world.
"""

from __future__ import annotations

from simulator.report.build import Report, draw_plots, write_report
from simulator.report.data import ReportData, load_report_data
from simulator.report.plots import Plot, Skipped

__all__ = ["Plot", "Report", "ReportData", "Skipped", "draw_plots", "load_report_data", "write_report"]
