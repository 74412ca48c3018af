"""Breaking points: bisection on a metric with a known threshold, and one real tiny search."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

from simulator.bench.frontier import Target, bisect_frontier, parse_target
from simulator.cli import app


def stub(breaks_at: dict[str, float], spread: float = 0.0):
    """Recall 1 below each detector's breaking point and 0 above, over three seeds."""
    calls: list[list[float]] = []

    def evaluate(xs: list[float]) -> dict[tuple[float, str], list[float]]:
        calls.append(xs)
        return {(x, d): [float(x < b) + s for s in (-spread, 0.0, spread)] for x in xs for d, b in breaks_at.items()}

    return evaluate, calls


def test_bisection_brackets_a_known_breaking_point_per_detector() -> None:
    evaluate, calls = stub({"weak": 300.0, "strong": 3000.0})
    found, table = bisect_frontier(
        evaluate, ["weak", "strong"], 10, 10_000, Target("recall", 0.5, True), steps=6, log=True, integer=True
    )
    weak, strong = found
    assert weak.status == strong.status == "breaks" and weak.holds_at == "lo"
    assert weak.low <= 300 <= weak.high and strong.low <= 3000 <= strong.high
    assert weak.high / weak.low < 1.5 and strong.high / strong.low < 1.5
    assert calls[0] == [10, 10_000] and all(len(xs) <= 2 for xs in calls[1:])  # both detectors share a round
    assert set(table.columns) == {"x", "detector", "mean", "low", "high", "seeds"}


def test_a_detector_that_never_crosses_the_target_holds_or_fails_throughout() -> None:
    evaluate, _ = stub({"always": math.inf, "never": -math.inf})
    found, _ = bisect_frontier(evaluate, ["always", "never"], 1, 100, Target("recall", 0.5, True), steps=3)
    assert [(b.status, b.holds_at) for b in found] == [
        ("holds throughout", "everywhere"),
        ("fails throughout", "nowhere"),
    ]
    assert math.isnan(found[0].point)


def test_a_wide_seed_spread_widens_the_interval_beyond_the_last_bracket() -> None:
    tight, _ = bisect_frontier(stub({"d": 50.0})[0], ["d"], 0, 100, Target("recall", 0.5, True), steps=5)
    loose, _ = bisect_frontier(stub({"d": 50.0}, spread=0.6)[0], ["d"], 0, 100, Target("recall", 0.5, True), steps=5)
    assert loose[0].high - loose[0].low > tight[0].high - tight[0].low


def test_a_target_reads_its_direction_from_the_catalogue() -> None:
    assert parse_target("recall=0.5") == Target("recall", 0.5, True)
    assert parse_target("leakage_share=0.2").higher_is_better is False
    with pytest.raises(ValueError, match="a metric among"):
        parse_target("recal=0.5")


def test_the_frontier_command_runs_a_tiny_search_and_draws_it(tmp_path: Path) -> None:
    out = tmp_path / "frontier"
    result = CliRunner().invoke(
        app,
        [
            "frontier", str(SCENARIOS / "quickstart.yaml"), "--param", "campaigns[0].accounts", "--range", "2:12",
            "--target", "recall=0.5", "--detectors", "null,periodic(every=1,accounts=50)", "--seeds", "1",
            "--steps", "1", "--scale", "0.1", "--duration", "1h", "--warmup", "30m", "--jobs", "1", "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "null" in result.output and "fails throughout" in result.output
    evaluations = pd.read_csv(out / "frontier.csv", keep_default_na=False, na_values=["", "nan"])
    assert sorted(set(evaluations["x"])) == [2, 12] and (out / "frontier.png").stat().st_size > 0
    assert set(pd.read_csv(out / "breaking.csv", keep_default_na=False, na_values=["", "nan"])["detector"]) == {
        "null",
        "periodic(every=1,accounts=50)",
    }


def test_an_unknown_parameter_exits_with_a_located_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "frontier", str(SCENARIOS / "quickstart.yaml"), "--param", "campaigns[0].acounts", "--range", "2:12",
            "--target", "recall=0.5", "--out", str(tmp_path / "x"),
        ],
    )  # fmt: skip
    assert result.exit_code == 2 and "did you mean 'accounts'" in result.output
