"""``report.html``: one self-contained page a security team can forward.

Everything is inside the file: the CSS in a ``<style>`` element, every plot as a
PNG ``data:`` URI (the SVG beside it in ``plots/`` is linked for print quality),
no script, no font, no request to any network (the favicon is an empty data URI
so that browsers do not ask for one). Sections:

1. the run's parameters (suite, seeds, modes, alarm policy, scenarios with their
   sizes, detectors with their parameters);
2. the leaderboard: one table per scenario and mode, best first, baselines in grey
   italics beside the detectors, leading with the figures at deployment conditions
   and saying which customer base, prevalence, budget and warm-up they assume;
3. failures, if any detector failed;
4. overviews: heatmaps across scenarios and detectors, parameter sweeps;
5. one section per scenario with its plots (or why one is missing).
"""

from __future__ import annotations

import base64
import html
import struct
from collections.abc import Iterable
from pathlib import Path

from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped
from simulator.report.tables import leader_tables, parameter_rows
from simulator.results.conditions import operating_note, scenario_notes
from simulator.results.leaderboard import CAPTION

__all__ = ["CSS", "html_table", "leaderboard_section", "plot_items", "png_size", "render_html"]

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto;
       max-width: 1280px; padding: 1rem 2rem 4rem; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2.5rem; }
h3 { margin-top: 1.6rem; font-size: 1.05rem; }
nav ul { columns: 3; padding-left: 1.2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #e0e0e0; padding: 0.2rem 0.5rem; vertical-align: top; }
th { background: #f5f5f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.baseline td { color: #777; font-style: italic; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85rem; color: #444; max-width: 60rem; }
.note { color: #666; font-style: italic; }
.caption { font-size: 0.8rem; color: #555; max-width: 70rem; }
.failure { color: #a40000; }
"""


_BASELINE_ROW = '<tr class="baseline">'
_SCENARIO_HEADERS = ("scenario", "file", "scale", "duration", "ticks", "warm-up", "customers")


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's header.

    >>> png_size(bytes(16) + (640).to_bytes(4, "big") + (480).to_bytes(4, "big"))
    (640, 480)
    """
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _anchor(*parts: str) -> str:
    return "-".join(p.replace(" ", "_") for p in parts)


def html_table(headers: Iterable[str], rows: Iterable[Iterable[str]], numeric_from: int | None = None) -> str:
    """A table; columns from ``numeric_from`` on are right-aligned numbers."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_e(c)}</td>' if numeric_from is not None and i >= numeric_from else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(plot: Plot, folder: Path) -> str:
    png = plot.png(folder).read_bytes()
    width, height = png_size(png)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    svg = f"plots/{plot.stem}.svg"
    return (
        f'<figure id="{_e(plot.stem)}"><img src="{uri}" width="{width}" height="{height}" alt="{_e(plot.title)}">'
        f"<figcaption><strong>{_e(plot.title)}.</strong> {_e(plot.caption)} "
        f'<a href="{_e(svg)}">SVG</a></figcaption></figure>'
    )


def _skipped(note: Skipped) -> str:
    return f'<p class="note">{_e(note.title)}: not drawn ({_e(note.reason)}).</p>'


def plot_items(items: list[Plot | Skipped], folder: Path) -> str:
    """Each plot as an embedded figure, each plot not drawn as a note saying why."""
    return "".join(_figure(i, folder) if isinstance(i, Plot) else _skipped(i) for i in items)


def leaderboard_section(data: ReportData, *, speed: bool = True) -> tuple[str, dict[str, list[str]]]:
    """The leaderboard section, and the anchors of each scenario's tables (``speed``: with
    the events/s column, which varies from run to run)."""
    parts, anchors = [], {}
    operating = operating_note(data.config)
    if operating:
        parts.append(f"<p>Passive runs lead with the figures at deployment conditions: {_e(operating)}.</p>")
    for table in leader_tables(data.leaderboard, scenario_notes(data.config, data.prevalence), speed=speed):
        anchor = _anchor("board", table.scenario, table.mode)
        anchors.setdefault(table.scenario, []).append(anchor)
        head = "".join(f"<th>{_e(h)}</th>" for h in ("detector", *table.headers))
        body = "".join(
            (_BASELINE_ROW if baseline else "<tr>")
            + f"<td>{_e(name)}</td>"
            + "".join(f'<td class="num">{_e(c)}</td>' for c in cells)
            + "</tr>"
            for name, baseline, cells in table.rows
        )
        note = f'<p class="note">Read {_e(table.note)}.</p>' if table.note else ""
        parts.append(
            f'<h3 id="{_e(anchor)}">{_e(table.title)}</h3>{note}'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    if not parts:
        parts.append('<p class="note">No detector results.</p>')
    parts.append(f'<p class="caption">{_e(CAPTION.replace("dim: baselines", "grey italics: baselines"))}</p>')
    return "".join(parts), anchors


def _failures(data: ReportData) -> str:
    if data.failures.empty:
        return "<p>None: every detector ran to the end of every run.</p>"
    rows = [
        (f.detector, f.scenario, f.mode, str(f.seed), str(f.tick), f.reason)
        for f in data.failures.itertuples(index=False)
    ]
    return (
        '<div class="failure">'
        + html_table(("detector", "scenario", "mode", "seed", "tick", "reason"), rows)
        + "</div>"
    )


def render_html(data: ReportData, items: list[Plot | Skipped]) -> str:
    """The text of ``report.html`` (plots read from ``data.folder / "plots"``)."""
    folder = data.folder
    params = parameter_rows(data)
    board, anchors = leaderboard_section(data)
    overview = [i for i in items if i.scenario is None]
    scenario_sections = []
    for scenario in data.scenarios:
        mine = [i for i in items if i.scenario == scenario]
        links = " · ".join(f'<a href="#{_e(a)}">{_e(a.split("-")[-1])}</a>' for a in anchors.get(scenario, []))
        duration = next(row[3] for row in params["scenarios"] if row[0] == scenario)
        scenario_sections.append(
            f'<section id="{_e(_anchor("scenario", scenario))}"><h2>{_e(scenario)}</h2>'
            f"<p>{_e(duration)} simulated; leaderboard: {links or '–'}</p>{plot_items(mine, folder)}</section>"
        )
    toc = "".join(f'<li><a href="#{_e(_anchor("scenario", s))}">{_e(s)}</a></li>' for s in data.scenarios)
    failures = len(data.failures)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>extractbench · {_e(data.run_id)}</title>
<link rel="icon" href="data:,">
<style>{CSS}</style>
</head>
<body>
<header>
<h1>extractbench · {_e(data.run_id)}</h1>
<p>{_count(len(data.scenarios), "scenario")} × {_count(len(data.detectors), "detector")} ×
{_count(len(data.seeds), "seed")}, {_e(", ".join(data.modes))}; {_count(failures, "failure")}.</p>
</header>
<nav><h2>Contents</h2>
<p><a href="#parameters">Parameters</a> · <a href="#leaderboard">Leaderboard</a> · <a href="#failures">Failures</a>
· <a href="#overview">Overview</a></p>
<ul>{toc}</ul>
</nav>
<section id="parameters"><h2>Parameters</h2>
{html_table(("parameter", "value"), params["run"])}
<h3>Scenarios</h3>
{html_table(_SCENARIO_HEADERS, params["scenarios"], numeric_from=2)}
<h3>Detectors</h3>
{html_table(("detector", "class", "parameters"), params["detectors"])}
</section>
<section id="leaderboard"><h2>Leaderboard</h2>
{board}
</section>
<section id="failures"><h2>Failures</h2>
{_failures(data)}
</section>
<section id="overview"><h2>Overview</h2>
{plot_items(overview, folder) or '<p class="note">No overview plots.</p>'}
</section>
{"".join(scenario_sections)}
</body>
</html>
"""
