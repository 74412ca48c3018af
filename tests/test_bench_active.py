"""The closed loop on the reference threat: enforcement contains a hydra, and the hydra reacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

from detectors.base import Detector, scores_series
from simulator import bench
from simulator.scenario.loading import load_scenario


class ReasoningFarm(Detector):
    """An honest heuristic (visible columns only). Accounts whose requests mostly ask
    for chain-of-thought on few topics score their chain-of-thought share (once they
    sent ``min_requests`` requests on at most ``max_topics`` topics); the payment cards
    of accounts scoring ``burn_at`` or more are burned, and every account paying with a
    burned card (seen in the registry, even before its first request) scores 1."""

    def __init__(self, min_requests: int = 5, max_topics: int = 6, burn_at: float = 0.5) -> None:
        self.min_requests = min_requests
        self.max_topics = max_topics
        self.burn_at = burn_at

    def update(self, batch):
        if not hasattr(self, "stats_"):
            self.stats_: dict[str, list[int]] = {}  # account → [requests, chain-of-thought, topic bit mask]
            self.card_: dict[str, str] = {}
            self.holders_: dict[str, list[str]] = {}
            self.burned_: set[str] = set()
        for account, card in zip(batch.accounts["account_id"], batch.accounts["payment_fingerprint"], strict=True):
            self.card_[account] = card
            self.holders_.setdefault(card, []).append(account)
        scores: dict[str, float] = {}
        requests = batch.requests
        if not requests.empty:
            ids, inverse = np.unique(requests["account_id"].to_numpy(dtype=object), return_inverse=True)
            counts = np.bincount(inverse)
            cot = np.bincount(inverse, weights=requests["cot_requested"].to_numpy())
            masks = np.zeros(ids.size, dtype=np.int64)
            np.bitwise_or.at(masks, inverse, np.left_shift(1, requests["topic"].cat.codes.to_numpy().astype(np.int64)))
            for i, account in enumerate(ids):
                stats = self.stats_.setdefault(account, [0, 0, 0])
                stats[0] += int(counts[i])
                stats[1] += int(cot[i])
                stats[2] |= int(masks[i])
                focused = stats[0] >= self.min_requests and bin(stats[2]).count("1") <= self.max_topics
                scores[account] = stats[1] / stats[0] if focused else 0.0
        fresh = {self.card_[a] for a, score in scores.items() if score >= self.burn_at} - self.burned_
        self.burned_ |= fresh
        for card in fresh:
            scores.update(dict.fromkeys(self.holders_[card], 1.0))
        for account in batch.accounts["account_id"]:
            if self.card_[account] in self.burned_:
                scores[account] = 1.0
        if not scores:
            return None
        return scores_series(list(scores), list(scores.values()))


@pytest.fixture(scope="module")
def closed_loop(tmp_path_factory: pytest.TempPathFactory) -> pd.Series:
    """Hydra-cluster at 1% for 8 hours (the campaign starts at 6 h), closed loop, one seed."""
    scenario = load_scenario(SCENARIOS / "hydra-cluster.yaml").resolved(scale=0.01, duration=8 * 3600.0)
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


def test_challenged_hydra_accounts_are_refused_until_the_campaign_passes(tmp_path) -> None:
    scenario = load_scenario(SCENARIOS / "hydra-cluster.yaml").resolved(scale=0.01, duration=8 * 3600.0)
    results = bench.run(
        [scenario],
        detectors=[ReasoningFarm(), "null"],
        seeds=1,
        mode="active",
        policy={"action": "challenge"},
        jobs=1,
        out=tmp_path / "run",
        record_scores=False,
    )
    assert results.failures.empty
    metrics = results.metrics.set_index(["detector", "metric"])["value"]
    assert metrics[("ReasoningFarm", "detection_rate")] == 1.0
    # a challenge costs the campaign time, not accounts: less leakage than no defence, no replacements
    assert metrics[("ReasoningFarm", "leakage_share")] < metrics[("null", "leakage_share")]
    assert metrics[("ReasoningFarm", "replacements")] == 0
