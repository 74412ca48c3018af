"""The streaming per-account feature aggregator against a batch reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.accounts import AccountIndex, DecayedSums
from detectors.features import _ROW_VALUES, DAY, FEATURES, AccountFeatures
from detectors.sketch import hll_estimate, hll_update
from detectors.testing import ORIGIN, make_accounts, make_batch
from simulator.hashing import splitmix64

ACCOUNTS = ["acct_a", "acct_b", "acct_c", "acct_d"]
TOPIC_NAMES = ["reasoning", "coding", "chit_chat", "math"]


def random_ticks(rng: np.random.Generator, ticks: int) -> list:
    batches = []
    for tick in range(ticks):
        n = int(rng.integers(0, 12))
        batches.append(
            make_batch(
                tick,
                account_id=rng.choice(ACCOUNTS, size=n).tolist(),
                ts=np.sort(tick * 60.0 + rng.uniform(0, 60, size=n)),
                input_tokens=rng.integers(1, 5000, size=n).astype(np.int32),
                output_tokens=rng.integers(0, 3000, size=n).astype(np.int32),
                status=rng.choice(np.array([200, 200, 429, 403], dtype=np.int16), size=n),
                topic=rng.choice(TOPIC_NAMES, size=n).tolist(),
                cot_requested=rng.random(n) < 0.4,
                turn=rng.integers(0, 3, size=n).astype(np.int16),
                model=rng.choice(["m-1", "m-2"], size=n).tolist(),
                ip=[f"10.0.{i % 3}.{i}" for i in rng.integers(0, 9, size=n)],
                asn=rng.integers(1, 4, size=n).astype(np.int32),
                client_fingerprint=[f"fp{i}" for i in rng.integers(0, 3, size=n)],
            )
        )
    return batches


def reference(requests: pd.DataFrame, now: float) -> pd.DataFrame:
    """The same features from all requests at once (no decay), with pandas."""
    out = {}
    for account, rows in requests.groupby("account_id"):
        rows = rows.sort_values("ts", kind="stable")
        n = len(rows)
        served = (rows["status"] == 200).sum()
        gaps = np.diff(rows["ts"].to_numpy())
        topics = rows["topic"].astype(str).value_counts(normalize=True)
        hours = ((ORIGIN.timestamp() + rows["ts"]) // 3600 % 24).value_counts(normalize=True)
        models = rows["model"].astype(str).value_counts(normalize=True)
        log_gaps = np.log1p(gaps)
        out[account] = {
            "requests": np.log1p(n),
            "input_tokens": np.log1p(rows["input_tokens"].mean()),
            "output_tokens": np.log1p(rows["output_tokens"].sum() / max(served, 1e-12)),
            "output_total": np.log1p(rows["output_tokens"].sum()),
            "rate_limited": (rows["status"] == 429).mean(),
            "forbidden": (rows["status"] == 403).mean(),
            "gap_log_mean": log_gaps.mean() if gaps.size else np.log1p(DAY),
            "gap_log_std": log_gaps.std() if gaps.size else 0.0,
            "gap_cv": gaps.std() / gaps.mean() if gaps.size and gaps.mean() > 0 else 0.0,
            "hour_entropy": -(hours * np.log(hours)).sum() / np.log(24),
            "hour_peak": hours.max(),
            "topic_entropy": -(topics * np.log(topics)).sum() / np.log(17),
            "topic_top": topics.max(),
            "cot_share": rows["cot_requested"].mean(),
            "first_turn": (rows["turn"] == 0).mean(),
            "model_top": models.max(),
            "age_days": np.log1p((now - rows["ts"].min()) / DAY),
        }
    return pd.DataFrame(out).T


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ticks=st.integers(1, 8))
def test_streamed_features_match_a_batch_reference_without_decay(seed: int, ticks: int) -> None:
    batches = random_ticks(np.random.default_rng(seed), ticks)
    features = AccountFeatures(half_life=None)
    for batch in batches:
        features.update(batch)
    requests = pd.concat([b.requests for b in batches])
    if requests.empty:
        assert len(features) == 0
        return
    expected = reference(requests, batches[-1].end)
    got = features.frame().loc[expected.index, expected.columns]
    pd.testing.assert_frame_equal(got, expected.astype(float), check_names=False, atol=1e-9, rtol=1e-9)


def test_distinct_counts_are_close_to_the_truth() -> None:
    batches = random_ticks(np.random.default_rng(5), 30)
    features = AccountFeatures()
    for batch in batches:
        features.update(batch)
    requests = pd.concat([b.requests for b in batches])
    got = features.frame()
    truth = requests.groupby("account_id").agg(ips=("ip", "nunique"), fingerprints=("client_fingerprint", "nunique"))
    for column in ("ips", "fingerprints"):
        np.testing.assert_allclose(np.expm1(got.loc[truth.index, column]), truth[column], rtol=0.15)


def test_hyperloglog_estimates_large_counts_within_a_few_standard_errors() -> None:
    registers = np.zeros((3, 64), dtype=np.uint8)
    sizes = [10, 1_000, 50_000]
    for row, size in enumerate(sizes):
        hll_update(registers, np.full(size, row), splitmix64(np.arange(size) + 1_000_000 * row))
    estimate = hll_estimate(registers)
    assert np.all(np.abs(estimate / sizes - 1) < 4 * 1.04 / 8)


def test_decay_halves_volume_after_one_half_life_and_keeps_shares() -> None:
    features = AccountFeatures(half_life=3600.0)
    features.update(make_batch(0, account_id=["a"] * 4, cot_requested=[True, False, True, False]))
    before = features.frame().loc["a"]
    features.update(make_batch(60, account_id=["b"]))  # one hour later, "a" is quiet
    after = features.frame().loc["a"]
    assert np.expm1(after["requests"]) == pytest.approx(np.expm1(before["requests"]) / 2)
    assert after["cot_share"] == before["cot_share"] == 0.5


def test_account_age_comes_from_the_registry_when_the_account_is_registered() -> None:
    features = AccountFeatures()
    registry = make_accounts(account_id=["a"], created_ts=[-10 * DAY])
    features.update(make_batch(0, accounts=registry, account_id=["a", "b"]))
    ages = np.expm1(features.frame()["age_days"])
    assert ages["a"] == pytest.approx(10 + 60 / DAY)
    assert ages["b"] < 1 / 24


def test_features_are_finite_for_every_account_and_named() -> None:
    features = AccountFeatures()
    for batch in random_ticks(np.random.default_rng(1), 5):
        features.update(batch)
    frame = features.frame()
    assert list(frame.columns) == list(FEATURES)
    assert np.isfinite(frame.to_numpy()).all()


def test_account_codes_are_dense_and_first_come_first_served() -> None:
    index = AccountIndex()
    index.add_array("x", np.float64, (2,), fill=7.0)
    assert index.codes(["b", "a"]).tolist() == [0, 1]
    assert index.codes(pd.Series(["c", "b"])).tolist() == [2, 0]
    assert index["x"].shape == (3, 2) and (index["x"] == 7.0).all()
    assert index.lookup(["a", "zz"]).tolist() == [1, -1]


def test_decayed_sums_add_vectors_per_account() -> None:
    sums = DecayedSums(None, {"v": 2})
    codes = sums.fold(0.0, np.array(["a", "b", "a"], dtype=object), v=np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    assert sums.read("v", codes).tolist() == [[6.0, 8.0], [3.0, 4.0]]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ticks=st.integers(1, 12))
def test_features_read_between_ticks_are_those_read_once_at_the_end(seed: int, ticks: int) -> None:
    rng = np.random.default_rng(seed)
    batches = random_ticks(rng, ticks)
    reading, fresh = AccountFeatures(half_life=600.0), AccountFeatures(half_life=600.0)
    for batch in batches:
        reading.update(batch)
        fresh.update(batch)
        some = rng.choice(len(reading), size=int(rng.integers(0, len(reading) + 1))) if len(reading) else []
        reading.matrix(np.asarray(some, dtype=np.int64))
    assert reading.matrix().tobytes() == fresh.matrix().tobytes()


def test_gaps_follow_time_whatever_the_row_order() -> None:
    ts = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 2.0]
    accounts = ["a", "b", "a", "a", "b", "b", "a"]
    shuffled, ordered = AccountFeatures(), AccountFeatures()
    shuffled.update(make_batch(0, account_id=accounts, ts=ts))
    order = np.argsort(ts, kind="stable")
    ordered.update(make_batch(0, account_id=np.array(accounts)[order].tolist(), ts=np.array(ts)[order]))
    gaps = ["gap_log_mean", "gap_log_std", "gap_cv"]
    expected = ordered.frame().sort_index()[gaps]
    pd.testing.assert_frame_equal(shuffled.frame().sort_index()[gaps], expected, rtol=1e-12)
    assert expected.loc["a"].tolist() != expected.loc["b"].tolist()
    last = {
        name: pd.Series(f.index["last_ts"], f.index.ids()).sort_index() for name, f in [("s", shuffled), ("o", ordered)]
    }
    assert last["s"].tolist() == last["o"].tolist() == [9.0, 7.0]


def test_a_ticks_sums_are_the_per_column_sums_bit_for_bit() -> None:
    import dataclasses

    from detectors.view import view
    from simulator.conformance import reference_stream

    features = AccountFeatures()
    for batch in reference_stream()[:60:5]:
        v = view(dataclasses.replace(batch))
        rng = np.random.default_rng(batch.tick)
        has_gap = rng.random(v.n) < 0.8
        gaps = np.where(has_gap, rng.exponential(30.0, size=v.n), 0.0)
        log_gaps = np.log1p(gaps)
        got = features._tick_sums(v, has_gap, gaps, log_gaps)
        names = ("requests", "served", "input", "output", "rate_limited", "forbidden", "cot", "first_turn")
        per_column = {name: v.account_sum(key) for name, key in zip(names, _ROW_VALUES, strict=True)}
        for name, values in (("gaps", has_gap), ("gap", gaps), ("gap_sq", gaps * gaps)):
            per_column[name] = np.bincount(v.account_of_row, weights=values, minlength=v.accounts)
        for name, values in (("log_gap", log_gaps), ("log_gap_sq", log_gaps * log_gaps)):
            per_column[name] = np.bincount(v.account_of_row, weights=values, minlength=v.accounts)
        per_column["hours"] = v.account_histogram("hour")
        per_column["topics"] = v.account_histogram("topic")
        for name, values in per_column.items():
            assert np.array_equal(got[:, features.sums.slot(name)], values), name
        models = got[:, features.sums.slot("models")]
        assert np.array_equal(models.sum(axis=1), v.account_sum("requests"))


@pytest.mark.parametrize("m", [16, 64, 256])
def test_a_sketch_register_keeps_one_plus_the_trailing_zeros_above_its_index_bits(m: int) -> None:
    p = m.bit_length() - 1
    registers = np.zeros((3, m), dtype=np.uint8)
    # row 0: register 5, rest 0b1000 (3 zeros); row 1: rest 0 (the maximum rank); row 2: rest with only its top bit
    hashes = np.array([(8 << p) | 5, 7, (1 << 63) | 2], dtype=np.uint64)
    hll_update(registers, np.array([0, 1, 2]), hashes)
    assert registers[0, 5] == 4 and registers[1, 7] == 64 - p + 1 and registers[2, 2] == 64 - p
    assert np.count_nonzero(registers) == 3


def _estimate_register_by_register(registers: np.ndarray) -> np.ndarray:
    """The estimate as written down: ``Σ 2^-r`` and the zeros counted register by register."""
    m = registers.shape[1]
    alpha = {16: 0.673, 32: 0.697, 64: 0.709}.get(m, 0.7213 / (1 + 1.079 / m))
    raw = alpha * m * m / np.exp2(-registers.astype(np.float64)).sum(axis=1)
    zeros = (registers == 0).sum(axis=1)
    with np.errstate(divide="ignore"):
        linear = m * np.log(m / np.maximum(zeros, 1))
    return np.where((raw <= 2.5 * m) & (zeros > 0), linear, raw)


@settings(max_examples=60, deadline=None)
@given(
    m=st.sampled_from([16, 64, 256]),
    top=st.integers(1, 64),
    empty=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_estimate_is_the_register_by_register_formula_bitwise(m: int, top: int, empty: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    registers = rng.integers(0, top + 1, size=(40, m)).astype(np.uint8)
    registers[rng.random(registers.shape) < empty] = 0
    assert hll_estimate(registers).tobytes() == _estimate_register_by_register(registers).tobytes()


@pytest.mark.parametrize("backlog", [1, 7, 1 << 18])
def test_sketch_items_folded_late_give_the_features_of_items_folded_every_tick(
    backlog: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import detectors.features

    batches = random_ticks(np.random.default_rng(11), 40)
    every_tick = AccountFeatures()
    for batch in batches:
        every_tick.update(batch)
        every_tick.matrix()  # reading folds the waiting items in
    monkeypatch.setattr(detectors.features, "_BACKLOG_ROWS", backlog)
    late = AccountFeatures()
    for batch in batches:
        late.update(batch)
    assert late.matrix().tobytes() == every_tick.matrix().tobytes()
    assert np.array_equal(late.index["sketches"], every_tick.index["sketches"])
