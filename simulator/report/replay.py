"""A replay's report: ``report.html`` and ``summary.md`` from a replay's results folder.

A replay (:mod:`simulator.replay`) writes a folder of its own layout (``run.json`` of
kind ``replay``, ``outcomes.parquet``, ``alarms.csv``, ``score_distribution.csv``,
``triage.csv``, ``metrics.csv`` with labels). This module reads it back as a one-scenario,
one-seed, passive :class:`~simulator.report.data.ReportData` (scenario ``replay``), so
that the report's own pieces draw it: the leaderboard tables
(:func:`~simulator.report.tables.leader_tables`, baselines beside the detectors) and
the precision–recall, survival and collateral plots with labels; the score
distributions (:mod:`~simulator.report.scores`), the alarms per detector and the
top-scored accounts with what drove each score in every case (the triage view, which
is all there is without labels).

Everything that comes from the log (account ids, campaign names, file names) is
escaped: :mod:`simulator.markdown` in ``summary.md``, :func:`html.escape` in
``report.html``. No timing goes in either file, so the same folder gives the same bytes.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.export import atomic_path
from simulator.markdown import markdown_code, markdown_table, markdown_text
from simulator.report.collateral import plot_collateral
from simulator.report.data import ReportData
from simulator.report.html import CSS, html_table, leaderboard_section, plot_items
from simulator.report.plots import Plot, Skipped
from simulator.report.precision_recall import plot_precision_recall
from simulator.report.scores import plot_score_distribution
from simulator.report.survival import plot_survival
from simulator.report.tables import leader_tables
from simulator.results.files import read_table
from simulator.results.folder import ResultsFolderError
from simulator.results.leaderboard import CAPTION

__all__ = ["REPLAY_SCENARIO", "ReplayReportData", "is_replay_folder", "load_replay_data", "write_replay_report"]

REPLAY_SCENARIO = "replay"
"""The scenario label a replay's figures are filed under."""
_MODE = "passive"
_LABELLED_FAMILIES = (plot_precision_recall, plot_survival, plot_collateral)
"""The run report's plot families that apply to a labelled replay (no leakage: a log holds no campaign plan)."""


@dataclass(frozen=True)
class ReplayReportData:
    """A replay's folder, read back for its report."""

    data: ReportData
    """The replay as a one-scenario passive run (scenario :data:`REPLAY_SCENARIO`, the replay's seed)."""
    run: dict[str, Any]
    """``run.json``."""
    alarms: pd.DataFrame
    """``alarms.csv``: first alarms (detector, account_id, alarm_ts, alarm_time, max_score)."""
    distribution: pd.DataFrame
    """``score_distribution.csv``: accounts per band of maximum score (detector, low, high, accounts)."""
    triage: pd.DataFrame
    """``triage.csv``: the top-scored accounts and each detector's maximum score for them."""

    @property
    def labelled(self) -> bool:
        return bool(self.run.get("labelled")) and not self.data.metrics.empty

    @property
    def ran(self) -> list[str]:
        """Detectors that ran to the end, detectors first, baselines last."""
        return self.data.detectors


def is_replay_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a replay's results (``run.json`` of kind ``replay``)."""
    path = Path(folder) / "run.json"
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind") == "replay"
    except (OSError, ValueError, AttributeError):
        return False


def load_replay_data(folder: str | Path) -> ReplayReportData:
    """Read a replay's folder; raises :class:`~simulator.results.folder.ResultsFolderError`
    naming what is missing or unreadable."""
    out = Path(folder)
    needed = ["run.json", "outcomes.parquet", "alarms.csv", "score_distribution.csv", "triage.csv", "cost.csv"]
    missing = [name for name in needed if not (out / name).is_file()]
    if missing:
        raise ResultsFolderError(f"{out}: not a finished replay, it lacks {', '.join(missing)}")
    try:
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        outcomes = pd.read_parquet(out / "outcomes.parquet")
    except (OSError, ValueError) as exc:
        raise ResultsFolderError(f"{out}: unreadable replay results: {exc}") from None
    # the tables through the checked layer every results reader uses: a malformed one is named, column and all
    alarms, distribution, triage = (read_table(out / n) for n in ("alarms.csv", "score_distribution.csv", "triage.csv"))
    cost = read_table(out / "cost.csv", "replay cost.csv")
    metrics = read_table(out / "metrics.csv") if (out / "metrics.csv").is_file() else pd.DataFrame()
    seed = int(run.get("seed", 0))
    entries = run.get("detectors", [])
    ran = [str(d["label"]) for d in entries if d.get("status") == "ran"]
    failures = pd.DataFrame(
        [
            {"detector": d["label"], "scenario": REPLAY_SCENARIO, "mode": _MODE, "seed": seed, "tick": "–"}
            | {"reason": d.get("reason") or ""}
            for d in entries
            if d.get("status") == "failed"
        ],
        columns=["detector", "scenario", "mode", "seed", "tick", "reason"],
    )
    plan = {
        "suite": "replay",
        "scenarios": [
            {
                "label": REPLAY_SCENARIO,
                "source": ", ".join(run.get("logs", [])),
                "duration_s": float(run.get("ticks", 0)) * float(run.get("tick_s", 60.0)),
                "ticks": run.get("ticks", 0),
            }
        ],
        "detectors": [{"label": label} for label in ran],
        "modes": [_MODE],
        "seeds": [seed],
        "threshold": float(run.get("threshold", 0.5)),
    }
    where = {"scenario": REPLAY_SCENARIO, "mode": _MODE}
    data = ReportData(
        folder=out,
        # titled by the logs, not the folder: the same replay written elsewhere gives the same bytes
        config={"run_id": ", ".join(Path(log).name for log in run.get("logs", [])) or out.name, "plan": plan},
        metrics=metrics,
        cost=cost.assign(**where) if not cost.empty else cost,
        failures=failures,
        outcomes=outcomes.assign(**where, seed=seed) if not outcomes.empty else None,
        leakage=None,
    )
    return ReplayReportData(data, run, alarms, distribution, triage)


def _plots(replay: ReplayReportData) -> list[Plot | Skipped]:
    data = replay.data
    (data.folder / "plots").mkdir(exist_ok=True)
    items: list[Plot | Skipped] = [
        plot_score_distribution(replay.distribution, replay.ran, data.threshold, data.folder / "plots", REPLAY_SCENARIO)
    ]
    if replay.labelled:
        items += [family(data, REPLAY_SCENARIO, _MODE) for family in _LABELLED_FAMILIES]
    return items


def _number(value: object, digits: str = ".3g") -> str:
    """A figure as text; missing and NaN as ``–``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return format(value, digits)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _statuses(replay: ReplayReportData) -> list[tuple[str, str, str]]:
    """(detector, status, reason) of every detector asked for."""
    return [(str(d["label"]), str(d["status"]), str(d.get("reason") or "")) for d in replay.run.get("detectors", [])]


def _alarm_counts(replay: ReplayReportData) -> list[tuple[str, str, str]]:
    """(detector, accounts alarmed, first alarm UTC) of every detector that ran, in report order."""
    alarms = replay.alarms
    rows = []
    for label in replay.ran:
        mine = alarms[alarms["detector"] == label] if not alarms.empty else alarms
        first = str(mine["alarm_time"].iloc[0]) if len(mine) else "–"  # alarms.csv is in time order
        rows.append((label, f"{len(mine):,}", first))
    return rows


def _triage(replay: ReplayReportData) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the top-scored accounts: top score and its detector, each
    detector's maximum score (what drove the rank), first alarm and traffic."""
    triage = replay.triage
    if triage.empty:
        return [], []
    per = [c for c in triage.columns if c.startswith("score:")]
    headers = ["account", "top score", "by", "first alarm (s)", "requests", "output tokens"]
    headers += [c.removeprefix("score:") for c in per]
    rows = []
    for row in triage.to_dict("records"):
        rows.append(
            [
                str(row["account_id"]),
                _number(float(row["top_score"])),
                str(row["top_detector"]),
                _number(float(row["first_alarm_s"]), ".0f"),
                _number(int(row["requests"])),
                _number(int(row["output_tokens"])),
                *(_number(float(row[c])) for c in per),
            ]
        )
    return headers, rows


def _overview(replay: ReplayReportData) -> str:
    """The replay in one sentence (plain text, escaped by the caller)."""
    run = replay.run
    skipped = int(run.get("rows_skipped", 0))
    origin = run.get("origin") or "–"
    return (
        f"{int(run.get('rows_replayed', 0)):,} of {int(run.get('rows_read', 0)):,} rows replayed "
        f"({skipped:,} bad rows skipped) in {int(run.get('ticks', 0)):,} ticks of {float(run.get('tick_s', 60)):g} s "
        f"from {origin}; threshold {float(run.get('threshold', 0.5)):g}; "
        + ("with labels" if replay.labelled else "no labels: triage view")
    )


def _bad_rows(replay: ReplayReportData) -> list[tuple[str, str, str, str]]:
    """(kind, meaning, rows, first lines) of every kind of bad row, in ``run.json``'s order."""
    rows = []
    for kind, entry in replay.run.get("bad_rows", {}).items():
        where = ", ".join(str(w) for w in entry.get("first_lines", []))
        rows.append((kind, str(entry.get("meaning", "")), _number(entry.get("count")), where))
    return rows


def render_replay_markdown(replay: ReplayReportData) -> str:
    """The text of a replay's ``summary.md``."""
    run = replay.run
    lines = [
        f"# extractbench replay · {markdown_text(replay.data.run_id)}",
        "",
        markdown_text(f"Logs: {', '.join(run.get('logs', []))}."),
        "",
        markdown_text(_overview(replay)) + ".",
        "",
        "## Bad rows",
        "",
    ]
    bad = _bad_rows(replay)
    lines += (
        [*markdown_table(["kind", "meaning", "rows", "first lines"], [list(r) for r in bad]), ""]
        if bad
        else ["None.", ""]
    )
    lines += [
        "## Detectors",
        "",
        markdown_text(f"Columns the log lacks: {', '.join(run.get('missing_columns', [])) or 'none'}."),
        "",
    ]
    for label, status, reason in _statuses(replay):
        lines.append(f"- {markdown_code(label)}: {markdown_text(status + (': ' + reason if reason else ''))}")
    lines.append("")
    if replay.labelled:
        lines += ["## Leaderboard (from the labels)", ""]
        for table in leader_tables(replay.data.leaderboard, speed=False):
            rows = [
                [f"_{markdown_text(name)}_" if baseline else f"**{markdown_text(name)}**", *cells]
                for name, baseline, cells in table.rows
            ]
            lines += [*markdown_table(["detector", *table.headers], rows, align="r"), ""]
        lines += [f"<sub>{CAPTION.replace('dim: baselines', '_italics_: baselines')}</sub>", ""]
    lines += ["## Alarms", ""]
    alarm_headers = ["detector", "accounts alarmed", "first alarm (UTC)"]
    lines += [*markdown_table(alarm_headers, [list(r) for r in _alarm_counts(replay)], align="lrl"), ""]
    headers, rows = _triage(replay)
    lines += [f"## Top {len(rows)} accounts by score", ""]
    if rows:
        lines += [
            "Each detector's maximum score for the account (what drove its rank); baselines left out.",
            "",
            *markdown_table(headers, rows, align="lrl" + "r" * (len(headers) - 3)),
            "",
        ]
    else:
        lines += ["None: no detector scored any account.", ""]
    lines += ["The plots are in `report.html` and `plots/` beside this file.", ""]
    return "\n".join(lines)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_replay_html(replay: ReplayReportData, items: list[Plot | Skipped]) -> str:
    """The text of a replay's ``report.html`` (plots read from ``plots/``)."""
    data, run = replay.data, replay.run
    bad = _bad_rows(replay)
    board = ""
    if replay.labelled:
        section, _ = leaderboard_section(data, speed=False)
        board = f'<section id="leaderboard"><h2>Leaderboard (from the labels)</h2>{section}</section>'
    headers, rows = _triage(replay)
    triage = (
        "<p>Each detector's maximum score for the account (what drove its rank); baselines left out.</p>"
        + html_table(headers, rows, numeric_from=3)
        if rows
        else '<p class="note">No detector scored any account.</p>'
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>extractbench replay · {_e(data.run_id)}</title>
<link rel="icon" href="data:,">
<style>{CSS}</style>
</head>
<body>
<header>
<h1>extractbench replay · {_e(data.run_id)}</h1>
<p>Logs: {_e(", ".join(run.get("logs", [])))}.</p>
<p>{_e(_overview(replay))}.</p>
</header>
<section id="input"><h2>Input</h2>
<h3>Bad rows</h3>
{html_table(("kind", "meaning", "rows", "first lines"), bad) if bad else "<p>None.</p>"}
<h3>Detectors</h3>
<p>Columns the log lacks: {_e(", ".join(run.get("missing_columns", [])) or "none")}.</p>
{html_table(("detector", "status", "reason"), _statuses(replay))}
</section>
{board}
<section id="alarms"><h2>Alarms</h2>
{html_table(("detector", "accounts alarmed", "first alarm (UTC)"), _alarm_counts(replay), numeric_from=1)}
</section>
<section id="triage"><h2>Top {len(rows)} accounts by score</h2>
{triage}
</section>
<section id="plots"><h2>Plots</h2>
{plot_items(items, data.folder)}
</section>
</body>
</html>
"""


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_replay_report(folder: str | Path) -> tuple[Path, Path, list[Plot | Skipped]]:
    """Draw a replay's plots and write its ``report.html`` and ``summary.md``; returns
    (html, markdown, plots drawn or skipped). Raises
    :class:`~simulator.results.folder.ResultsFolderError` if ``folder`` is not a finished replay."""
    replay = load_replay_data(folder)
    items = _plots(replay)
    drawn = {i.stem for i in items if isinstance(i, Plot)}
    for old in (replay.data.folder / "plots").glob("*"):
        if old.suffix in (".png", ".svg") and old.stem not in drawn:
            old.unlink()
    page, markdown = replay.data.folder / "report.html", replay.data.folder / "summary.md"
    _write_text(page, render_replay_html(replay, items))
    _write_text(markdown, render_replay_markdown(replay))
    return page, markdown, items
