"""The defence stacks of an active run compared: a table and a plot of attacker cost
against customer friction per scenario (:func:`simulator.results.defences.stack_comparison`)."""

from __future__ import annotations

import pandas as pd

from simulator.markdown import markdown_table
from simulator.report.data import ReportData
from simulator.report.plots import Plot, Skipped, stem
from simulator.report.style import figure_style, new_figure, save_figure
from simulator.results.defences import stack_comparison
from simulator.results.files import read_table

__all__ = ["defence_comparison", "defence_markdown", "plot_defences"]

FAMILY = "defences"


def defence_comparison(data: ReportData) -> pd.DataFrame | None:
    """The run's stack comparison, or None for a run without defence stacks."""
    path = data.folder / "defences.csv"
    if not path.is_file():
        return None
    return stack_comparison(data.metrics, read_table(path))


def plot_defences(data: ReportData, scenario: str, frame: pd.DataFrame) -> Plot | Skipped:
    """Draw ``plots/defences-<scenario>.png|svg``: each stack's attacker cost (USD) against
    its customer friction (customers asked to verify or banned), means over seeds."""
    title = f"Defence stacks · attacker cost against customer friction · {scenario}"
    rows = frame[frame["scenario"] == scenario]
    if rows.empty:
        return Skipped(FAMILY, title, "no active run of this scenario", scenario, "active")
    with figure_style():
        figure = new_figure(7.0, 4.6)
        ax = figure.add_subplot()
        for row in rows.itertuples(index=False):
            ax.plot(row.customer_friction, row.attacker_usd, marker="o", linestyle="none")
            ax.annotate(f"{row.detector}@{row.stack}", (row.customer_friction, row.attacker_usd), fontsize=7)
        ax.set_xlabel("customer friction (customers asked to verify or banned, per run)")
        ax.set_ylabel("attacker cost (USD per run, all campaigns)")
        ax.set_title(f"{scenario} · active")
        plot = Plot(
            stem(FAMILY, scenario, "active"),
            FAMILY,
            title,
            "Each defence stack's attacker spend against the customers it touched (means over seeds): up and to "
            "the left is better for the provider.",
            scenario,
            "active",
        )
        save_figure(figure, data.folder / "plots", plot.stem)
    return plot


def defence_markdown(frame: pd.DataFrame) -> list[str]:
    """The ``## Defence stacks`` section of ``summary.md``."""
    lines = ["## Defence stacks", ""]
    headers = ["stack", "leakage", "attacker $", "identities", "cust. asked", "churned", "cust. banned", "evidence z"]
    for scenario, rows in frame.groupby("scenario", sort=False):
        lines += [f"### {scenario} · active", ""]
        body = [
            [
                f"{r.detector}@{r.stack}",
                f"{r.leakage_tokens:,.0f} ({r.leakage_share:.2f})",
                f"{r.attacker_usd:,.0f}",
                f"{r.identities:,.0f}",
                f"{r.customers_asked:,.1f}",
                f"{r.customers_churned:,.1f}",
                f"{r.customers_banned:,.1f}",
                "–" if pd.isna(r.evidence_z) else f"{r.evidence_z:.1f}",
            ]
            for r in rows.itertuples(index=False)
        ]
        lines += [*markdown_table(headers, body, align="r"), ""]
    return lines
