"""Replaying foreign logs: a gateway-style JSONL with its own schema, bad rows, labels."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.bench.plan import detector_specs
from simulator.cli import app
from simulator.prompts import LANGUAGES, TOPICS
from simulator.replay import (
    EXAMPLE_MAPPING,
    MappingError,
    NotInOrderError,
    ReplayInput,
    ReplayMapping,
    mapping_from_pairs,
    replay_logs,
)
from simulator.replay.derive import classify_cot, classify_language, classify_topic, prompt_simhash
from simulator.replay.mapping import parse_mapping

GATEWAY_MAPPING = """\
version: 1
columns:
  account_id: user
  ip: client_ip
  asn: asn_number
  output_tokens: token_count
  user_agent: user_agent
time:
  column: timestamp
text:
  prompt: prompt
labels: campaign_label
order_window: 30s
"""

BROKEN = {
    3: "this is not json",
    17: '{"timestamp": "yesterday-ish", "user": "u1", "token_count": 5}',
    29: '{"timestamp": "2026-03-02T00:10:00Z", "user": "u2", "token_count": -4}',
    41: '{"timestamp": "2026-03-02T00:10:00Z", "user": "u2"}',
    55: "[1, 2, 3]",
}


def gateway_lines(seed: int = 7) -> list[str]:
    """A gateway log: 30 customers with varied prompts, 6 accounts of campaign 'hydra'
    sending one template step by step, in minute order with a few seconds of jitter."""
    rng = np.random.default_rng(seed)
    words = ["apple", "river", "quantum", "table", "violet", "engine", "harbor", "pencil"]
    words += ["lantern", "meadow", "crystal", "orbit"]
    rows = []
    for i in range(1200):
        t = i * 3.0 + rng.uniform(0, 2.5)
        attacker = i % 5 == 0
        user = f"attacker-{rng.integers(6)}@mail.test" if attacker else f"customer-{rng.integers(30)}@corp.test"
        if attacker:
            prompt = f"Solve this problem step by step and show your reasoning: case {rng.integers(10**6)}"
        else:
            prompt = " ".join(rng.choice(words, size=8))
        stamp = pd.Timestamp("2026-03-02T00:00:00Z") + pd.Timedelta(seconds=t)
        text = stamp.strftime("%Y-%m-%dT%H:%M:%S.%f") + ("Z" if i % 2 else "")  # with and without a zone
        rows.append(
            {
                "timestamp": text,
                "user": user,
                "client_ip": f"10.0.{int(rng.integers(4))}.{int(rng.integers(250))}",
                "asn_number": f"AS{64500 + int(rng.integers(3))}",
                "prompt": prompt,
                "token_count": int(rng.integers(20, 800)),
                "user_agent": "python-httpx/0.27" if attacker else "Mozilla/5.0",
                "campaign_label": "hydra" if attacker else "",
                "region": "eu-west-1",
            }
        )
    lines = [json.dumps(row) for row in rows]
    for line_number, text in BROKEN.items():
        lines.insert(line_number - 1, text)
    return lines


@pytest.fixture
def gateway_log(tmp_path: Path) -> Path:
    path = tmp_path / "gateway.jsonl"
    path.write_text("\n".join(gateway_lines()) + "\n", encoding="utf-8")
    return path


def _replay(log: Path, mapping: ReplayMapping, detectors: list[str], **options: object):
    spec = ReplayInput(logs=(log,), mapping=mapping, detectors=detector_specs(detectors), **options)  # type: ignore[arg-type]
    return replay_logs(spec)


def test_gateway_log_with_malformed_lines_replays_with_metrics_from_its_labels(gateway_log: Path) -> None:
    mapping = parse_mapping(GATEWAY_MAPPING, "gateway.yaml")
    run = _replay(gateway_log, mapping, ["templates", "capability", "lifecycle", "rate", "null"])
    assert run.bad.counts == {
        "malformed": 2,
        "bad_timestamp": 1,
        "bad_tokens": 2,
        "unknown_column": 1200,
    }
    assert run.bad.lines["malformed"] == [f"{gateway_log}:3", f"{gateway_log}:55"]
    assert run.bad.lines["bad_tokens"] == [f"{gateway_log}:29", f"{gateway_log}:41"]
    assert run.bad.ignored == {"region": f"{gateway_log}:1"}
    assert run.rows_read == 1203 and run.rows_replayed == 1200
    status = {dr.label: dr.skipped for dr in run.runs}
    assert "accounts.created_ts" in status["lifecycle"] and "--accounts" in status["lifecycle"]
    assert "status" in status["rate"]  # the gateway log has no status column and no default
    assert status["templates"] is None and status["capability"] is None
    assert run.metrics is not None
    metrics = run.metrics.set_index(["detector", "metric"])["value"]
    # the campaign's template prompts are what the template detector looks for
    assert metrics["templates", "auprc"] == pytest.approx(1.0)
    assert metrics["templates", "detection_rate"] == 1.0
    assert set(metrics["capability"].index) == set(metrics["templates"].index)
    assert metrics["null", "recall"] == 0.0
    campaigns = run.campaigns.to_pandas()
    assert campaigns["campaign"].tolist() == ["hydra"] and campaigns["accounts"].tolist() == [6]


def test_replay_command_writes_the_results_folder_byte_identically(gateway_log: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "gateway.yaml"
    mapping.write_text(GATEWAY_MAPPING, encoding="utf-8")
    folders = [tmp_path / "a", tmp_path / "b"]
    for out in folders:
        args = ["replay", str(gateway_log), "--mapping", str(mapping), "--detectors", "templates,capability,lifecycle"]
        result = CliRunner().invoke(app, [*args, "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert "malformed: 2 rows skipped" in result.output
    assert "lifecycle: skipped" in result.output
    assert "templates: precision" in result.output
    names = ("run.json", "metrics.csv", "outcomes.parquet", "scores.parquet", "alarms.csv", "triage.csv")
    for name in (*names, "summary.md", "report.html"):
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name
    info = json.loads((folders[0] / "run.json").read_text())
    assert info["bad_rows"]["malformed"]["first_lines"] == [f"{gateway_log}:3", f"{gateway_log}:55"]
    # with labels the baselines run beside the detectors named, as in every metrics table
    assert {d["label"]: d["status"] for d in info["detectors"]} == {
        "templates": "ran",
        "capability": "ran",
        "lifecycle": "skipped",
        "null": "ran",
        "random": "ran",
        "periodic": "ran",
    }
    triage = pd.read_csv(folders[0] / "triage.csv", keep_default_na=False, na_values=["", "nan"])
    assert {"account_id", "top_score", "top_detector", "score:templates", "score:capability"} <= set(triage.columns)


def test_without_labels_the_replay_writes_alarms_and_triage_instead_of_metrics(
    gateway_log: Path, tmp_path: Path
) -> None:
    gz = tmp_path / "gateway.jsonl.gz"
    gz.write_bytes(gzip.compress(gateway_log.read_bytes()))
    args = [
        "replay",
        str(gz),
        "--map",
        "account_id=user",
        "--map",
        "prompt=prompt",
        "--map",
        "output_tokens=token_count",
    ]
    result = CliRunner().invoke(app, [*args, "--detectors", "templates", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert not (out / "metrics.csv").exists()
    alarms = pd.read_csv(out / "alarms.csv", keep_default_na=False, na_values=["", "nan"])
    assert len(alarms) and alarms["account_id"].str.startswith("attacker").all()
    triage = pd.read_csv(out / "triage.csv", keep_default_na=False, na_values=["", "nan"])
    assert triage["account_id"].head(6).str.startswith("attacker").all()
    summary = (out / "summary.md").read_text()
    assert "no labels: triage view" in summary and "## Alarms" in summary and "Leaderboard" not in summary


def test_rows_out_of_order_are_sorted_within_the_window_and_counted_beyond_it(tmp_path: Path) -> None:
    rows = [{"ts": t, "account_id": "a", "output_tokens": 1} for t in (0, 65, 62, 70, 130, 10, 200)]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    mapping = ReplayMapping.model_validate({"time": {"column": "ts", "format": "epoch_s"}, "order_window": "10s"})
    run = _replay(log, mapping, ["null"])
    assert run.bad.counts == {"out_of_order": 1} and run.bad.lines["out_of_order"] == [f"{log}:6"]
    assert run.rows_replayed == 6 and run.ticks == 5  # a tick of sorting window before the first row


def test_a_log_far_from_time_order_is_refused_with_how_to_sort_it(tmp_path: Path) -> None:
    log = tmp_path / "shuffled.csv"
    times = np.random.default_rng(1).permutation(3000) * 10
    log.write_text("time,user\n" + "".join(f"{t},u{t % 7}\n" for t in times))
    mapping = mapping_from_pairs(["ts=time", "account_id=user"])
    with pytest.raises(NotInOrderError, match=r"not in time order\. Sort it by time first"):
        _replay(log, mapping, ["null"])
    result = CliRunner().invoke(app, ["replay", str(log), "--map", "ts=time", "--map", "account_id=user"])
    assert result.exit_code == 2 and "Sort it by time first" in result.output


def test_epoch_milliseconds_csv_and_missing_columns_skip_detectors(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("when,acct,out\n1772409600000,a,3\n1772409601500,b,x\n1772409720000,a,4\n")
    run = _replay(log, mapping_from_pairs(["ts=when", "account_id=acct", "output_tokens=out"]), ["templates", "null"])
    assert run.bad.counts == {"bad_tokens": 1} and run.bad.lines["bad_tokens"] == [f"{log}:3"]
    # the origin is the tick one sorting window (5 minutes by default) before the first row
    assert run.origin is not None and run.origin.isoformat() == "2026-03-01T23:55:00+00:00"
    assert run.ticks == 8
    assert "prompt_simhash" in run.missing
    assert {dr.label: dr.skipped is None for dr in run.runs} == {"templates": False, "null": True}


def test_example_mapping_validates_and_bad_mappings_are_located(tmp_path: Path) -> None:
    assert parse_mapping(EXAMPLE_MAPPING, "example.yaml").columns["ip"] == "client_ip"
    result = CliRunner().invoke(app, ["replay", "--example-mapping"])
    assert result.exit_code == 0 and result.output == EXAMPLE_MAPPING
    with pytest.raises(MappingError) as error:
        parse_mapping("version: 1\ncolumns:\n  acount_id: user\ntime:\n  format: unix\n", "bad.yaml")
    text = str(error.value)
    assert "bad.yaml:3" in text and "acount_id" in text
    assert "bad.yaml:5" in text and "time.format" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("order_window: soon\n")
    result = CliRunner().invoke(app, ["replay", str(tmp_path / "x.jsonl"), "--mapping", str(bad)])
    assert result.exit_code == 2 and "bad.yaml:1" in result.output and "order_window" in result.output
    with pytest.raises(MappingError, match="OURS=THEIRS"):
        mapping_from_pairs(["account_id"])


def test_derived_columns_follow_the_documented_classifiers() -> None:
    import pyarrow as pa

    texts = pa.array(
        [
            "Solve this equation step by step: 2x + 1 = 5",
            "Solve this equation step by step: 3x + 1 = 7",
            "Write a poem about the sea",
            "Bonjour, comment traduire le texte pour les enfants",
            "Привет, как дела",
            None,
        ]
    )
    fingerprints = prompt_simhash(texts)
    near = bin(int(fingerprints[0]) ^ int(fingerprints[1])).count("1")
    far = bin(int(fingerprints[0]) ^ int(fingerprints[2])).count("1")
    assert near < 16 < far and fingerprints[5] == 0
    assert [TOPICS[i] for i in classify_topic(texts)][:3] == ["math", "math", "creative_writing"]
    assert [LANGUAGES[i] for i in classify_language(texts)][2:5] == ["en", "fr", "ru"]
    assert classify_cot(texts).tolist() == [True, True, False, False, False, False]
