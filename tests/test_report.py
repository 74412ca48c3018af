"""The report: every plot drawn and embedded, a self-contained page, summary.md for CI."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pytest
from failing_detectors import BreaksAtTen

from simulator import bench
from simulator.report import Plot, Skipped, build, write_report
from simulator.report.html import png_size

FAMILIES = ("pr", "survival", "leakage", "collateral")


@pytest.fixture
def report(tiny_report):
    return tiny_report


def test_every_plot_family_is_drawn_as_png_and_svg(report) -> None:
    stems = {plot.stem for plot in report.plots}
    expected = {f"{family}-quickstart-passive" for family in FAMILIES}
    expected |= {"heatmap-f1-passive", "heatmap-ttd-passive", "sweep-PeriodicDetector-every-passive"}
    assert stems == expected and not report.skipped
    for plot in report.plots:
        png, svg = plot.png(report.folder), plot.svg(report.folder)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert png_size(png.read_bytes())[0] >= 400
        assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml") and "<svg" in svg.read_text()


def test_the_report_embeds_every_plot(report) -> None:
    page = report.html.read_text(encoding="utf-8")
    uris = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(uris) == len(report.plots)
    embedded = {base64.b64decode(uri) for uri in uris}
    for plot in report.plots:
        assert plot.png(report.folder).read_bytes() in embedded, plot.stem
        assert f'id="{plot.stem}"' in page and html.escape(plot.caption) in page


def test_the_report_is_self_contained(report) -> None:
    page = report.html.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "@import" not in page and "url(" not in page
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert attribute.startswith(("data:", "#", "plots/")), attribute
    assert '<link rel="icon" href="data:,">' in page


def test_the_report_shows_parameters_leaderboard_with_baselines_and_a_section_per_scenario(report) -> None:
    page = report.html.read_text(encoding="utf-8")
    for text in ("Parameters", "detectors.baselines:PeriodicDetector", "quickstart.yaml", "threshold 0.5"):
        assert text in page, text
    # null, random, periodic and the two reference rows; periodic-20 is not a baseline
    assert page.count('<tr class="baseline">') == 5
    assert "<td>periodic-20</td>" in page
    assert '<section id="scenario-quickstart">' in page
    assert "quickstart · passive · 2 seeds" in page


def test_summary_md_has_the_leaderboard_in_markdown_and_the_failures(report) -> None:
    text = report.markdown.read_text(encoding="utf-8")
    assert text.startswith("# extractbench · run")
    assert "### quickstart · passive · 2 seeds" in text
    assert "| detector | AUPRC |" in text and "|:--|--:|" in text
    assert "| _null_ |" in text and "| **periodic-20** |" in text
    assert "## Failures" in text and "None: every detector ran" in text


def test_plots_that_cannot_be_drawn_say_why_and_failures_are_listed(tmp_path: Path, quickstart_path: Path) -> None:
    # 30 minutes: the hydra pool has not started, so there is no attacker to find
    out = tmp_path / "run"
    bench.run(
        [quickstart_path],
        detectors=["null", ("broken", BreaksAtTen())],
        seeds=1,
        duration=1800.0,
        jobs=1,
        scale=0.25,
        out=out,
    )
    written = write_report(out)
    reasons = {s.family: s.reason for s in written.skipped}
    assert reasons["precision-recall"] == "needs both attacker and legitimate accounts"
    assert reasons["leakage"] == "the campaigns were served nothing"
    assert all(isinstance(item, Plot | Skipped) for item in (*written.plots, *written.skipped))
    page = written.html.read_text(encoding="utf-8")
    assert "not drawn (needs both attacker and legitimate accounts)" in page
    assert 'class="failure"' in page and "boom" in page
    summary = written.markdown.read_text(encoding="utf-8")
    assert "- `broken` on quickstart (passive, seed 0) at tick 10:" in summary and "boom" in summary


def test_plots_drawn_by_worker_processes_are_the_very_files_drawn_in_one(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    monkeypatch.setattr(build, "SCENARIO_MODES_PER_WORKER", 1)  # tiny_run's one pair gets a worker too
    folders = []
    for jobs in (1, 2):
        folder = tmp_path / f"jobs-{jobs}"
        shutil.copytree(tiny_run, folder)
        written = write_report(folder, jobs=jobs)
        folders.append((folder, written))
    (one, serial), (two, parallel) = folders
    assert [p.stem for p in parallel.plots] == [p.stem for p in serial.plots] and len(serial.plots) > 4
    assert parallel.skipped == serial.skipped
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert [f for f in files if (one / f).read_bytes() != (two / f).read_bytes()] == []


def test_a_small_report_is_drawn_without_worker_processes(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker process was started for a one-scenario report")

    monkeypatch.setattr(build, "ProcessPoolExecutor", no_pool)
    folder = tmp_path / "run"
    shutil.copytree(tiny_run, folder)
    written = write_report(folder, jobs=2)
    assert len(written.plots) > 4 and all(plot.png(folder).is_file() for plot in written.plots)
