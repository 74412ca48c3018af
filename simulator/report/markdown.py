"""``summary.md``: the run in Markdown, for a CI job summary or a pull-request comment.

The run in one line (with the operating points its deployment figures assume), one
leaderboard table per (scenario, mode) with the baselines in italics and, for a
passive table, the customer base and prevalence it was read at, and the detectors
that failed. GitHub renders it as the
job summary when CI appends it to ``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

from simulator.markdown import markdown_code, markdown_table, markdown_text
from simulator.report.data import ReportData
from simulator.report.defences import defence_comparison, defence_markdown
from simulator.report.tables import leader_tables
from simulator.results.conditions import operating_note, scenario_notes
from simulator.results.leaderboard import CAPTION

__all__ = ["render_markdown"]


def render_markdown(data: ReportData) -> str:
    """The text of ``summary.md``."""
    plan = data.plan
    seeds = ", ".join(str(s) for s in data.seeds)
    modes = markdown_text(", ".join(data.modes))
    scenarios = len(data.scenarios)
    operating = operating_note(data.config)
    lines = [
        f"# extractbench · {markdown_text(data.run_id)}",
        "",
        f"Suite **{markdown_text(plan.get('suite', 'custom'))}** · {scenarios} scenario{'s' if scenarios != 1 else ''}"
        f" · {len(data.detectors)} detectors · seeds {seeds} · {modes} · threshold {data.threshold:g}"
        # no wall time or events/s: summary.md is the same bytes whenever the run is the same
        f" · extractbench {markdown_text(plan.get('extractbench_version', '?'))}",
        "",
        "## Leaderboard",
        "",
        *(
            [f"Passive runs lead with the figures at deployment conditions: {markdown_text(operating)}.", ""]
            if operating
            else []
        ),
    ]
    for table in leader_tables(data.leaderboard, scenario_notes(data.config, data.prevalence), speed=False):
        lines += [f"### {markdown_text(table.title)}", ""]
        if table.note:
            lines += [f"_Read {markdown_text(table.note)}._", ""]
        rows = [
            [f"_{markdown_text(name)}_" if baseline else f"**{markdown_text(name)}**", *cells]
            for name, baseline, cells in table.rows
        ]
        lines += [*markdown_table(["detector", *table.headers], rows, align="r"), ""]
    lines += [f"<sub>{CAPTION.replace('dim: baselines', '_italics_: baselines')}</sub>", "", "## Failures", ""]
    if data.failures.empty:
        lines.append("None: every detector ran to the end of every run.")
    else:
        for failure in data.failures.itertuples(index=False):
            lines.append(
                f"- {markdown_code(failure.detector)} on {markdown_text(failure.scenario)} "
                f"({markdown_text(failure.mode)}, seed {markdown_text(failure.seed)}) "
                f"at tick {markdown_text(failure.tick)}: {markdown_text(failure.reason)}"
            )
    stacks = defence_comparison(data)
    if stacks is not None:
        lines += ["", *defence_markdown(stacks)]
    lines += ["", "The plots are in `report.html` and `plots/` beside this file.", ""]
    return "\n".join(lines)
