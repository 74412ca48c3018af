"""A check's outcome for people and for CI: a Markdown table of what changed, and JUnit XML.

* :func:`check_markdown`: a verdict line (regressions, figures compared,
  improvements), a table of every figure that changed (regressions first: the
  baseline's value and 95% interval, the result, the change, the change allowed,
  the verdict), and what was not compared;
* :func:`check_junit`: one ``<testcase>`` per (scenario, mode, detector) named
  ``<detector>`` in class ``<scenario>.<mode>``, failing with the regressed
  metrics listed, so that CI systems show each detector on each scenario as a test;
* :func:`check_document`: the same outcome as a JSON-ready mapping (undefined figures as null).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import defaultdict

from simulator.markdown import markdown_table, markdown_text
from simulator.metrics.catalogue import CATALOGUE
from simulator.results.check import CheckResult, Finding
from simulator.results.leaderboard import format_duration

__all__ = ["MAX_ROWS", "check_document", "check_junit", "check_markdown", "format_figure"]

MAX_ROWS = 200
"""Changed figures listed in the Markdown table at most (regressions first)."""


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def check_document(outcome: CheckResult) -> dict[str, object]:
    """The outcome as plain data for ``check --json``: ``ok``, the two run ids, the
    tolerances, the warnings and every finding that changed (regressions first);
    NaN figures become ``null`` and infinite times (never detected) ``"not reached"``."""

    def figure(value: float) -> float | str | None:
        return "not reached" if math.isinf(value) else _number(value)

    return {
        "ok": outcome.ok,
        "baseline_run": outcome.baseline_run,
        "results_run": outcome.results_run,
        "strict": outcome.strict,
        "tolerances": {metric: str(tolerance) for metric, tolerance in outcome.tolerances.items()},
        "compared": len(outcome.findings),
        "regressions": len(outcome.regressions),
        "warnings": list(outcome.warnings),
        "changed": [
            {
                "scenario": f.scenario,
                "mode": f.mode,
                "detector": f.detector,
                "metric": f.metric,
                "baseline": figure(f.baseline),
                "low": figure(f.low),
                "high": figure(f.high),
                "result": figure(f.result),
                "allowed": figure(f.allowed),
                "verdict": f.verdict,
                "regression": f.regression,
                "note": f.note,
            }
            for f in outcome.changed
        ],
    }


def format_figure(metric: str, value: float) -> str:
    """A metric value in its unit: durations for seconds, ``not reached`` for an
    undetected time, four significant digits otherwise, ``–`` where undefined.

    >>> format_figure("ttd_median_s", 5400.0), format_figure("ttd_median_s", float("nan"))
    ('1.5h', 'not reached')
    >>> format_figure("calibrated_ttd_median_s", 600.0), format_figure("calibrated_ttd_median_s", float("nan"))
    ('10.0m', 'not reached')
    >>> format_figure("recall", 0.83333), format_figure("precision", float("nan"))
    ('0.8333', '–')
    """
    info = CATALOGUE.get(metric)
    censored = info is not None and info.censored
    if math.isnan(value) or math.isinf(value):
        if censored or math.isinf(value):
            return "not reached"
        return "–"
    if info is not None and info.unit == "s":
        return format_duration(value)
    return f"{value:.4g}"


def _change(finding: Finding) -> str:
    change = finding.change
    if math.isnan(change) or math.isinf(change):
        return "–"
    info = CATALOGUE.get(finding.metric)
    if info is not None and info.unit == "s":
        return ("+" if change >= 0 else "−") + format_duration(abs(change))
    return f"{change:+.4g}".replace("-", "−")


def _interval(finding: Finding) -> str:
    value = format_figure(finding.metric, finding.baseline)
    if math.isnan(finding.low) and math.isnan(finding.high):
        return value
    return f"{value} [{format_figure(finding.metric, finding.low)}, {format_figure(finding.metric, finding.high)}]"


def _tolerances(result: CheckResult) -> str:
    return ", ".join(f"{metric}={tolerance}" for metric, tolerance in sorted(result.tolerances.items()))


def check_markdown(result: CheckResult, title: str | None = None) -> str:
    """The check as Markdown (for a terminal, a job summary or a pull-request comment)."""
    compared = sum(1 for f in result.findings if f.verdict != "failed")
    changed = result.changed
    improved = sum(1 for f in changed if f.verdict == "improved")
    within = sum(1 for f in changed if "within" in f.verdict)
    rule = "any change beyond the tolerance" if result.strict else "beyond the tolerance and outside the 95% interval"
    if result.regressions:
        head = f"❌ **{len(result.regressions)} regression{'s' if len(result.regressions) != 1 else ''}**"
    else:
        head = "✅ **No regression**"
    tolerances = markdown_text(_tolerances(result) or "none")
    lines = [
        f"## {markdown_text(title or 'Detection check')}: run {markdown_text(result.results_run)} "
        f"against baseline {markdown_text(result.baseline_run)}",
        "",
        f"{head} in {compared:,} figures compared ({rule}; tolerances: {tolerances}); "
        f"{improved} improved, {within} changed within the tolerance or the interval.",
        "",
    ]
    if changed:
        rows = []
        for f in changed[:MAX_ROWS]:
            mark = "❌" if f.regression else ("✅" if f.verdict == "improved" else "")
            rows.append(
                [
                    mark,
                    markdown_text(f.scenario),
                    markdown_text(f.mode),
                    markdown_text(f.detector),
                    markdown_text(f.metric),
                    _interval(f) if f.verdict != "failed" else "–",
                    format_figure(f.metric, f.result) if f.verdict != "failed" else "failed",
                    _change(f),
                    format_figure(f.metric, f.allowed) if f.allowed else "0",
                    markdown_text(f.verdict + (f": {f.note}" if f.note else "")),
                ]
            )
        headers = ["", "scenario", "mode", "detector", "metric", "baseline [95% interval]", "results", "change"]
        lines += markdown_table([*headers, "allowed", "verdict"], rows, align="lllllrrrrl")
        if len(changed) > MAX_ROWS:
            lines.append(f"\n… and {len(changed) - MAX_ROWS} more changed figures (see the JUnit file).")
        lines.append("")
    else:
        lines += ["Every figure is unchanged.", ""]
    if result.warnings:
        lines += ["### Not compared", ""]
        lines += [f"- {markdown_text(warning)}" for warning in result.warnings]
        lines.append("")
    return "\n".join(lines)


def check_junit(result: CheckResult) -> str:
    """The check as JUnit XML: one test case per (scenario, mode, detector)."""
    cases: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for finding in result.findings:
        cases[(finding.scenario, finding.mode, finding.detector)].append(finding)
    failures = sum(any(f.regression for f in findings) for findings in cases.values())
    suite = ET.Element(
        "testsuite",
        {
            "name": "extractbench check",
            "tests": str(len(cases)),
            "failures": str(failures),
            "errors": "0",
            "skipped": "0",
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("baseline_run", result.baseline_run),
        ("results_run", result.results_run),
        ("strict", str(result.strict).lower()),
        ("tolerances", _tolerances(result) or "none"),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for (scenario, mode, detector), findings in sorted(cases.items()):
        case = ET.SubElement(suite, "testcase", {"classname": f"{scenario}.{mode}", "name": detector})
        bad = [f for f in findings if f.regression]
        if bad:
            message = "; ".join(
                f"{f.metric}: {f.verdict}"
                + (f" ({f.note})" if f.note else f" {_interval(f)} → {format_figure(f.metric, f.result)}")
                for f in bad
            )
            failure = ET.SubElement(case, "failure", {"message": message, "type": "regression"})
            failure.text = "\n".join(message.split("; "))
        moved = [f for f in findings if not f.regression and f.verdict != "unchanged"]
        if moved:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(
                f"{f.metric}: {f.verdict} {_interval(f)} → {format_figure(f.metric, f.result)}" for f in moved
            )
    if result.warnings:
        err = ET.SubElement(suite, "system-err")
        err.text = "\n".join(f"not compared: {w}" for w in result.warnings)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
