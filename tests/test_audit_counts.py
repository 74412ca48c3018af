"""Streaming (account, value) counts: chunked adds give the counts of the whole stream."""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.audit import counts
from simulator.audit.counts import PairCounts, pair_keys, pair_statistics


def _stream(seed: int) -> list[np.ndarray]:
    """Chunks of pair keys of very different sizes, many repeated within and across chunks."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(0, 3_000, size=40)
    return [pair_keys(rng.integers(0, 50, size=n), rng.integers(0, 2**20, size=n) % (n // 3 + 7)) for n in sizes]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_counts_of_chunks_are_those_of_the_whole_stream(seed: int) -> None:
    chunks = _stream(seed)
    counted, distinct = PairCounts(), PairCounts(counted=False)
    for chunk in chunks:
        counted.add(chunk)
        distinct.add(chunk)
    keys, counts = np.unique(np.concatenate(chunks), return_counts=True)
    merged_keys, merged_counts = counted.merged()
    np.testing.assert_array_equal(merged_keys, keys)
    np.testing.assert_array_equal(merged_counts, counts)
    assert merged_counts.dtype == np.int64
    distinct_keys, ones = distinct.merged()
    np.testing.assert_array_equal(distinct_keys, keys)
    assert (ones == 1).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**62), 2**62), max_size=300), st.integers(1, 9))
def test_counting_and_summing_by_key_agree_with_a_dictionary(values: list[int], spread: int) -> None:
    """Sorted distinct keys with their counts (and sums of integer counts), whatever the
    order or repetition of the keys."""
    keys = np.asarray(values, dtype=np.int64) // spread
    weights = np.arange(keys.size, dtype=np.int64) % 5
    expected_counts: dict[int, int] = {}
    expected_sums: dict[int, int] = {}
    for key, weight in zip(keys.tolist(), weights.tolist(), strict=True):
        expected_counts[key] = expected_counts.get(key, 0) + 1
        expected_sums[key] = expected_sums.get(key, 0) + weight
    distinct, counted = counts._count_keys(keys)
    assert distinct.dtype == np.int64 and counted.dtype == np.uint32
    assert distinct.tolist() == sorted(expected_counts)
    assert counted.tolist() == [expected_counts[k] for k in sorted(expected_counts)]
    summed_keys, sums = counts._sum_by_key(keys, weights)
    assert summed_keys.tolist() == sorted(expected_sums)
    assert sums.tolist() == [expected_sums[k] for k in sorted(expected_sums)]


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 31), st.integers(0, 32), st.integers(0, 400), st.integers(0, 2**32))
def test_sorted_keys_are_numpy_s_whether_packed_or_not(high_bits: int, low_bits: int, n: int, seed: int) -> None:
    """Keys whose halves fit in 31 bits together are sorted packed as int32, the others as
    they are: both give ``np.sort`` (and ``np.unique``) exactly, at every width."""
    rng = np.random.default_rng(seed)
    high = rng.integers(0, 2**high_bits, size=n, dtype=np.int64)
    low = rng.integers(0, 2**low_bits, size=n, dtype=np.int64)
    keys = (high << 32) | low
    ordered = counts._sorted_keys(keys)
    assert ordered.dtype == np.int64
    np.testing.assert_array_equal(ordered, np.sort(keys))
    np.testing.assert_array_equal(counts._count_keys(keys)[0], np.unique(keys))


def test_pair_counts_refuse_more_rows_than_their_counts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PairCounts, "_LIMIT", 10)
    pairs = PairCounts()
    pairs.add(np.arange(10))
    with pytest.raises(ValueError, match="32-bit"):
        pairs.add(np.arange(1))


def test_pair_counts_hold_12_bytes_a_pair_and_merge_in_little_more() -> None:
    # SimHash bands of a long run: nearly one distinct pair per row, so these bytes are the run's weight
    rng = np.random.default_rng(0)
    chunks = [pair_keys(rng.integers(0, 300, 20_000), rng.integers(0, 2**16, 20_000)) for _ in range(30)]
    distinct = np.unique(np.concatenate(chunks)).size
    for counted, bytes_per_pair in ((True, 12), (False, 8)):
        pairs = PairCounts(counted=counted)
        tracemalloc.start()
        try:
            for chunk in chunks:
                pairs.add(chunk)
            held, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert held < 1.01 * bytes_per_pair * distinct  # 16 bytes a pair, counted or not, before
        if counted:
            assert peak < 2.6 * held  # 3.1 times when runs merged by sorting their concatenation


@pytest.mark.parametrize("seed", [0, 1])
def test_pair_statistics_in_pieces_are_those_of_all_pairs_at_once(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = PairCounts()
    for chunk in _stream(seed):
        pairs.add(chunk)
    whole = pair_statistics(pairs, 60)  # a piece holds every pair (accounts 50..59 have none)
    assert whole.total.sum() == sum(chunk.size for chunk in _stream(seed)) and (whole.top_value[50:] == -1).all()
    for size in (1, 7, 500):  # pieces of about 1, 7 and 500 pairs: never an account split over two
        monkeypatch.setattr(counts, "PAIRS_PER_PIECE", size)
        pieces = pair_statistics(pairs, 60)
        for field in dataclasses.fields(whole):
            np.testing.assert_array_equal(getattr(pieces, field.name), getattr(whole, field.name), strict=True)


def test_pair_chunks_keep_each_account_in_one_piece() -> None:
    pairs = PairCounts()
    pairs.add(pair_keys(np.array([0, 0, 0, 1, 2, 2]), np.array([5, 6, 7, 5, 1, 2])))
    pieces = [accounts.tolist() for accounts, _, _ in pairs.chunks(2)]
    assert pieces == [[0, 0, 0], [1, 2, 2]]
    accounts, values, own = (np.concatenate(parts) for parts in zip(*pairs.chunks(1), strict=True))
    np.testing.assert_array_equal(accounts, [0, 0, 0, 1, 2, 2])
    np.testing.assert_array_equal(values, [5, 6, 7, 5, 1, 2])
    assert own.dtype == np.int64 and (own == 1).all()
