"""No label leakage: nothing visible separates attackers from customers by itself.

Ground truth never appears in the visible files, and no surface property (the
length, alphabet or prefix of ids, request ids, the order of rows) separates
attackers from customers better than chance.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from simulator.cli import app

LABEL_WORDS = ("attacker", "campaign", "role", "template", "label", "truth", "actor", "harvester")
TOLERANCE = 0.06  # |AUC − 0.5| allowed for a surface feature


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, quickstart_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = tmp_path_factory.mktemp("leak")
    result = CliRunner().invoke(
        app, ["simulate", str(quickstart_path), "--duration", "3h", "--out", str(out), "--scale", "2"]
    )
    assert result.exit_code == 0, result.output
    requests = pq.read_table(out / "requests.parquet").to_pandas()
    accounts = pq.read_table(out / "accounts.parquet").to_pandas()
    labels = pq.read_table(out / "labels.parquet").to_pandas().set_index("account_id")
    requests["y"] = labels.is_attacker.reindex(requests.account_id).to_numpy()
    accounts["y"] = labels.is_attacker.reindex(accounts.account_id).to_numpy()
    return requests, accounts


def auc(y: np.ndarray, score: np.ndarray) -> float:
    return float(roc_auc_score(y, score))


def test_visible_files_have_no_ground_truth_column(run) -> None:
    requests, accounts = run
    for frame in (requests.drop(columns="y"), accounts.drop(columns="y")):
        for column in frame.columns:
            assert not any(word in column.lower() for word in LABEL_WORDS), column
    role_values = {"harvester", "chat", "coding_assistant", "batch", "eval_harness", "hydra-quick"}
    for column in accounts.select_dtypes(include=["object", "string", "category"]).columns:
        assert not role_values & set(accounts[column].astype(str)), column


@pytest.mark.parametrize("column", ["account_id", "org_id"])
def test_account_and_org_ids_share_length_alphabet_and_prefix(run, column: str) -> None:
    _, accounts = run
    ids = accounts[column].astype(str)
    prefix = ids.str.split("_").str[0]
    assert prefix.nunique() == 1
    assert ids.str.len().nunique() == 1
    alphabet = set(string.ascii_lowercase + "234567_")
    for y in (True, False):
        assert set("".join(ids[accounts.y == y])) <= alphabet
    body = ids.str.split("_").str[1]
    for position in (0, 5, 19):
        codes = body.str[position].map(ord).to_numpy()
        assert abs(auc(accounts.y.to_numpy(), codes) - 0.5) < TOLERANCE * 2


def test_key_ids_share_length_alphabet_and_prefix(run) -> None:
    requests, _ = run
    keys = requests.drop_duplicates("key_id")
    assert keys.key_id.str.len().nunique() == 1
    assert keys.key_id.str[:4].nunique() == 1
    codes = keys.key_id.str[4].map(ord).to_numpy()
    assert abs(auc(keys.y.to_numpy(), codes) - 0.5) < 0.15


def test_request_ids_do_not_separate_attackers(run) -> None:
    requests, _ = run
    assert requests.request_id.is_unique
    assert abs(auc(requests.y.to_numpy(), requests.request_id.to_numpy().astype(np.float64)) - 0.5) < TOLERANCE


def test_row_order_within_a_tick_does_not_separate_attackers(run) -> None:
    requests, _ = run
    tick = (requests.ts // 60).astype(int)
    position = requests.groupby(tick).cumcount()
    size = tick.map(tick.value_counts())
    relative = ((position + 0.5) / size).to_numpy()
    assert abs(auc(requests.y.to_numpy(), relative) - 0.5) < TOLERANCE


def test_registry_row_order_does_not_separate_attackers(run) -> None:
    _, accounts = run
    assert accounts.account_id.is_monotonic_increasing
    assert abs(auc(accounts.y.to_numpy(), np.arange(len(accounts))) - 0.5) < TOLERANCE * 2
