"""Finished runs: a results folder read back, summarised over seeds, tabled, frozen as a
baseline and checked against one.

Everything here works from the files in ``results/<run>/`` and needs none of the
machinery that wrote them (no world, no gateway, no harness): plotting a run or
checking it in CI loads no simulator.

Modules, one concept each:

* :mod:`~simulator.results.files`: every file of a results folder read and checked (columns, types, run.json's fields);
* :mod:`~simulator.results.folder`: :func:`load_results` and :class:`RunResults`;
* :mod:`~simulator.results.aggregate`: over seeds (intervals, paired comparisons, the leaderboard frame);
* :mod:`~simulator.results.leaderboard`: the leaderboard as Rich tables;
* :mod:`~simulator.results.conditions`: the prevalence and budget the deployment figures assume, in words;
* :mod:`~simulator.results.baseline`: baseline files (a run's figures, versioned JSON);
* :mod:`~simulator.results.check`: a run against a baseline (directions, tolerances, intervals);
* :mod:`~simulator.results.verdict`: the check as Markdown and JUnit XML.

The leaderboard frame is :meth:`RunResults.leaderboard` (or
:func:`simulator.results.aggregate.leaderboard` on a summary); the name
``simulator.results.leaderboard`` is the module of Rich tables.
"""

from __future__ import annotations

from simulator.results.aggregate import (
    COMPARISON_REFERENCE,
    INTERVAL_METHOD,
    LEADERBOARD_METRICS,
    compare,
    summarize,
    t_interval,
)
from simulator.results.baseline import Baseline, BaselineError, make_baseline, read_baseline, write_baseline
from simulator.results.check import (
    CheckResult,
    Finding,
    NotComparableError,
    Tolerance,
    ToleranceError,
    check_results,
    parse_tolerances,
)
from simulator.results.conditions import operating_note, scenario_notes
from simulator.results.folder import ResultsFolderError, RunResults, load_results
from simulator.results.leaderboard import leaderboard_tables
from simulator.results.verdict import check_junit, check_markdown

__all__ = [
    "COMPARISON_REFERENCE",
    "INTERVAL_METHOD",
    "LEADERBOARD_METRICS",
    "Baseline",
    "BaselineError",
    "CheckResult",
    "Finding",
    "NotComparableError",
    "ResultsFolderError",
    "RunResults",
    "Tolerance",
    "ToleranceError",
    "check_junit",
    "check_markdown",
    "check_results",
    "compare",
    "leaderboard_tables",
    "load_results",
    "make_baseline",
    "operating_note",
    "parse_tolerances",
    "read_baseline",
    "scenario_notes",
    "summarize",
    "t_interval",
    "write_baseline",
]
