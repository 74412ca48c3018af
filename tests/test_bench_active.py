"""The closed loop on the reference threat: enforcement contains a hydra, and the hydra reacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

from detectors.base import Detector, scores_series
from simulator import bench
from simulator.loading import load_scenario


class ReasoningFarm(Detector):
    """An honest heuristic (visible columns only): accounts whose requests mostly ask
    for chain-of-thought while staying on few topics. Score: the chain-of-thought
    share, once an account has sent ``min_requests`` requests on at most ``max_topics`` topics."""

    def __init__(self, min_requests: int = 5, max_topics: int = 6) -> None:
        self.min_requests = min_requests
        self.max_topics = max_topics

    def update(self, batch):
        requests = batch.requests
        if requests.empty:
            return None
        if not hasattr(self, "stats_"):
            self.stats_: dict[str, list[int]] = {}  # account → [requests, chain-of-thought, topic bit mask]
        ids, inverse = np.unique(requests["account_id"].to_numpy(dtype=object), return_inverse=True)
        counts = np.bincount(inverse)
        cot = np.bincount(inverse, weights=requests["cot_requested"].to_numpy())
        topic_bits = np.left_shift(1, requests["topic"].cat.codes.to_numpy().astype(np.int64))
        masks = np.zeros(ids.size, dtype=np.int64)
        np.bitwise_or.at(masks, inverse, topic_bits)
        scores = np.zeros(ids.size)
        for i, account in enumerate(ids):
            stats = self.stats_.setdefault(account, [0, 0, 0])
            stats[0] += int(counts[i])
            stats[1] += int(cot[i])
            stats[2] |= int(masks[i])
            if stats[0] >= self.min_requests and bin(stats[2]).count("1") <= self.max_topics:
                scores[i] = stats[1] / stats[0]
        return scores_series(ids, scores)


@pytest.fixture(scope="module")
def closed_loop(tmp_path_factory: pytest.TempPathFactory) -> pd.Series:
    """Hydra-cluster at 2% for 8 hours (the campaign starts at 6 h), closed loop, one seed."""
    scenario = load_scenario(SCENARIOS / "hydra-cluster.yaml").resolved(scale=0.02, duration=8 * 3600.0)
    results = bench.run(
        [scenario],
        detectors=[ReasoningFarm(), "null"],
        seeds=1,
        mode="active",
        jobs=1,
        out=tmp_path_factory.mktemp("active") / "run",
        record_scores=False,
    )
    assert results.failures.empty
    return results.metrics.set_index(["detector", "metric"])["value"]


def test_a_detector_leaves_the_hydra_less_than_the_null_detector_does(closed_loop: pd.Series) -> None:
    assert closed_loop[("null", "leakage_share")] == 1.0
    assert closed_loop[("ReasoningFarm", "leakage_share")] < closed_loop[("null", "leakage_share")]
    assert closed_loop[("ReasoningFarm", "leakage_tokens")] < closed_loop[("null", "leakage_tokens")]
    assert closed_loop[("ReasoningFarm", "detection_rate")] == 1.0
    assert closed_loop[("ReasoningFarm", "recall")] > 0.5


def test_the_hydra_replaces_the_accounts_the_closed_loop_bans(closed_loop: pd.Series) -> None:
    assert closed_loop[("null", "replacements")] == 0
    assert closed_loop[("ReasoningFarm", "replacements")] > 0
