"""A replay's report.html and summary.md: metrics beside the baselines with labels, the
triage view without, everything from the log escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from simulator.cli import app

HOSTILE = "<script>alert(1)</script>"
"""An account id that would run in a page that did not escape it."""


def _log(path: Path) -> Path:
    """A JSONL log of 2 h: 12 customers with varied prompts, and 3 attackers (one of them
    with a hostile id) sending one template, each row labelled with its campaign."""
    rng = np.random.default_rng(11)
    words = ["apple", "river", "quantum", "table", "violet", "engine", "harbor", "pencil", "meadow", "orbit"]
    rows = []
    for minute in range(120):
        for customer in range(12):
            if rng.random() < 0.3:
                prompt = " ".join(rng.choice(words, 6).tolist())
                rows.append((minute * 60 + int(rng.integers(0, 59)), f"user{customer:02d}", prompt, ""))
        for attacker in ("atk-1", "atk-2", HOSTILE):
            prompt = (
                f"Explain step by step how to solve problem {int(rng.integers(0, 10**6))} in the style of a textbook"
            )
            rows.append((minute * 60 + int(rng.integers(0, 59)), attacker, prompt, "hydra"))
    rows.sort(key=lambda r: r[0])
    lines = [
        json.dumps(
            {
                "timestamp": f"2026-03-02T{ts // 3600:02d}:{ts % 3600 // 60:02d}:{ts % 60:02d}Z",
                "user": account,
                "prompt": prompt,
                "output_tokens": 200,
                "label": label,
            }
        )
        for ts, account, prompt, label in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _replay(log: Path, out: Path, *options: str) -> str:
    maps = ["--map", "account_id=user", "--map", "prompt=prompt"]
    result = CliRunner().invoke(
        app, ["replay", str(log), *maps, "--detectors", "templates", "--out", str(out), *options]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _only_escaped(folder: Path) -> None:
    page = (folder / "report.html").read_text(encoding="utf-8")
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    for text in (page, summary):
        assert "<script" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the account is shown, as text


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _log(tmp_path_factory.mktemp("replay-report") / "gateway.jsonl")


def test_a_labelled_replay_reports_metrics_beside_the_baselines(log: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  account_id: user\ntime:\n  column: timestamp\ntext:\n  prompt: prompt\nlabels: label\n"
    )
    out = tmp_path / "labelled"
    output = _replay(log, out, "--mapping", str(mapping))
    assert "report.html" in output
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## Leaderboard (from the labels)" in summary
    for baseline in ("null", "random", "periodic"):
        assert f"| _{baseline}_ |" in summary  # every baseline beside the detector, in italics
    assert "| **templates** |" in summary
    assert "## Alarms" in summary and "## Top " in summary
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="leaderboard"' in page and page.count('<tr class="baseline">') == 3
    for stem in ("pr-replay-passive", "survival-replay-passive", "collateral-replay-passive", "scores-replay"):
        assert f'id="{stem}"' in page and (out / "plots" / f"{stem}.png").is_file()
    _only_escaped(out)


def test_an_unlabelled_replay_reports_the_triage_view(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "unlabelled"
    _replay(log, out)
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "Leaderboard" not in summary and "no labels: triage view" in summary
    assert re.search(r"\| templates \| [1-9]", summary)  # alarms per detector
    top = summary.split("## Top ", 1)[1]
    # the three template senders lead the triage table, with the score that put them there
    ranked = [line.split(" | ")[0].removeprefix("| ") for line in top.splitlines() if line.startswith("| ")][1:4]
    assert sorted(ranked) == sorted(["atk-1", "atk-2", "&lt;script&gt;alert(1)&lt;/script&gt;"])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="scores-replay"' in page and 'id="triage"' in page and 'id="leaderboard"' not in page
    _only_escaped(out)


def test_extractbench_report_rewrites_a_replays_report_or_says_what_is_missing(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    _replay(log, out)
    before = (out / "report.html").read_bytes(), (out / "summary.md").read_bytes()
    (out / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert ((out / "report.html").read_bytes(), (out / "summary.md").read_bytes()) == before
    triage = (out / "triage.csv").read_bytes()
    (out / "triage.csv").unlink()
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 2
    assert "not a finished replay" in result.output and "triage.csv" in result.output
    # a table with a wrong column or value is named, column and all (the checked results layer)
    (out / "triage.csv").write_bytes(triage)
    (out / "score_distribution.csv").write_text("detector,low,high,accounts\nrate,0,0.1,many\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 2, result.output
    assert "score_distribution.csv:2: column 'accounts': expected an integer, found 'many'" in result.output
