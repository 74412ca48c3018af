"""Text from detector labels, failure reasons, run ids and baselines is escaped in
summary.md, report.html and the output of ``extractbench check``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from simulator.cli import app
from simulator.markdown import markdown_cell, markdown_code, markdown_text
from simulator.report import write_report

HTML = "<img src=x onerror=alert(1)>"
IMAGE = "![x](http://evil/x.png)"


def _hostile_run(tiny_run: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    shutil.copytree(tiny_run, folder)
    failures = folder / "failures.csv"
    row = f'quickstart,"{HTML}{IMAGE}",passive,1,42,"ValueError: {HTML} | {IMAGE}"\n'
    failures.write_text(failures.read_text() + row)
    return folder


def _safe_markdown(text: str) -> None:
    outside_code = re.sub(r"(`+).*?\1", "", text)  # a code span shows HTML and images verbatim
    assert "<img" not in outside_code and "![" not in outside_code and "[x](http" not in outside_code


def test_markdown_text_neutralises_html_images_and_emphasis() -> None:
    assert markdown_text(HTML) == "&lt;img src=x onerror=alert(1)&gt;"
    assert markdown_text(IMAGE) == "!\\[x\\](http://evil/x.png)"
    assert markdown_code(f"`{HTML}") == f"`` `{HTML} ``"
    assert markdown_cell(f"a|b {HTML} {IMAGE}") == "a\\|b &lt;img src=x onerror=alert(1)&gt; !\\[x](http://evil/x.png)"
    assert markdown_cell(markdown_text("a & b")) == "a &amp; b"


def test_summary_md_and_report_html_escape_labels_and_reasons(tiny_run: Path, tmp_path: Path) -> None:
    folder = _hostile_run(tiny_run, tmp_path)
    write_report(folder)
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert "ValueError: &lt;img src=x onerror=alert(1)&gt; | !\\[x\\](http://evil/x.png)" in summary
    assert f"- `{HTML}{IMAGE}` on quickstart" in summary
    _safe_markdown(summary)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_check_escapes_what_the_baseline_and_failures_say(tiny_run: Path, tmp_path: Path) -> None:
    folder = _hostile_run(tiny_run, tmp_path)
    baseline = tmp_path / "baseline.json"
    runner = CliRunner()
    made = runner.invoke(app, ["baseline", str(tiny_run), "-o", str(baseline)])
    assert made.exit_code == 0, made.output
    payload = json.loads(baseline.read_text(encoding="utf-8"))
    payload["run_id"] = HTML + IMAGE
    baseline.write_text(json.dumps(payload), encoding="utf-8")
    failures = folder / "failures.csv"
    failures.write_text(failures.read_text() + f'quickstart,periodic,passive,1,42,"{HTML}{IMAGE}"\n')
    result = runner.invoke(app, ["check", str(folder), "--baseline", str(baseline)])
    assert result.exit_code == 1, result.output
    assert "&lt;img src=x onerror=alert(1)&gt;!\\[x\\](http://evil/x.png)" in result.output
    _safe_markdown(result.output)
