"""System prompts: the mix of none, stock, client and own prompts, and that who
shares which prompt does not by itself give attackers away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.metrics import average_precision_score
from traffic_helpers import load, run

from simulator.scenario.base import LogNormal
from simulator.scenario.system_prompts import NO_SYSTEM_PROMPT, STOCK_PROMPTS, SystemPromptMix, stock_prompts

HOUR = 3600.0


def test_shares_of_none_stock_and_client_prompts_are_kept() -> None:
    mix = SystemPromptMix(none_share=0.2, stock_share=0.3, client_share=0.4)
    owners = np.arange(20_000) % 50
    clients = np.arange(20_000) % 7 + 1000
    hashes = mix.draw(np.random.default_rng(1), owners, clients)
    stock = set(stock_prompts(np.linspace(0, 0.999, 10_000)).tolist())
    none = hashes == NO_SYSTEM_PROMPT
    is_stock = np.isin(hashes, list(stock))
    only_clients = SystemPromptMix(none_share=0, stock_share=0, client_share=1)
    client_hashes = set(only_clients.draw(np.random.default_rng(2), np.zeros(7), np.arange(7) + 1000).tolist())
    assert len(client_hashes) == 7
    assert none.mean() == pytest.approx(0.2, abs=0.02)
    assert is_stock.mean() == pytest.approx(0.3, abs=0.02)
    assert len(stock) == STOCK_PROMPTS
    # the rest: the client's prompt (one per client, 7 in all) or the owner's own
    rest = hashes[~none & ~is_stock]
    assert np.isin(rest, list(client_hashes)).mean() == pytest.approx(0.4 / 0.5, abs=0.03)


def test_an_owner_keeps_its_own_prompts_and_their_number() -> None:
    mix = SystemPromptMix(none_share=0, stock_share=0, prompts=LogNormal(median=3, sigma=1.0, min=1, max=50))
    owners = np.repeat(np.arange(200), 400)
    hashes = pd.Series(mix.draw(np.random.default_rng(3), owners))
    distinct = hashes.groupby(owners).nunique()
    counts = mix.prompt_counts(np.arange(200))
    assert (distinct.to_numpy() <= counts).all() and np.median(counts) == pytest.approx(3, abs=1)
    assert counts.max() > 10 and counts.min() == 1  # heavy-tailed across owners
    # no two owners share an own prompt
    assert hashes.groupby(hashes).apply(lambda h: owners[h.index].min() == owners[h.index].max()).all()


def test_a_job_keeps_one_prompt_across_blocks() -> None:
    mix = SystemPromptMix()
    jobs = np.arange(1000, dtype=np.uint64)
    owners = jobs % 10
    np.testing.assert_array_equal(mix.for_keys(jobs, owners), mix.for_keys(jobs, owners))
    assert len(set(mix.for_keys(jobs, owners).tolist())) > 10


def test_shares_above_one_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"must be at most 1, got 1\.2"):
        SystemPromptMix(none_share=0.5, stock_share=0.4, client_share=0.3)


@pytest.fixture(scope="module")
def hydra_accounts() -> pd.DataFrame:
    requests, _ = run(
        load("hydra-cluster", scale=0.05, duration=12 * HOUR, seed=4),
        ("account_id", "system_prompt_hash", "max_tokens"),
    )
    accounts = requests.groupby("account_id")
    top = accounts.system_prompt_hash.agg(lambda h: h.value_counts().index[0])
    return pd.DataFrame(
        {
            "attacker": accounts.attacker.first(),
            "prompts": accounts.system_prompt_hash.nunique(),
            "top_prompt_sharers": top.map(requests.groupby("system_prompt_hash").account_id.nunique()),
            "max_tokens_values": accounts.max_tokens.nunique(),
        }
    )


@pytest.mark.parametrize("statistic", ["prompts", "top_prompt_sharers", "max_tokens_values"])
def test_no_system_prompt_or_max_tokens_statistic_separates_attackers_by_itself(
    hydra_accounts: pd.DataFrame, statistic: str
) -> None:
    # a campaign's shared harness prompts are a real signal, so the bar is "not alone perfect"
    y, x = hydra_accounts.attacker, hydra_accounts[statistic].astype(float)
    assert y.sum() >= 20
    best = max(average_precision_score(y, x), average_precision_score(y, -x))
    assert best < 0.9, (statistic, best, y.mean())
