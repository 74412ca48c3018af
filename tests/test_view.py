"""The shared per-batch view computes what a detector would compute from the rows itself."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from detectors.accounts import DecayedSums
from detectors.base import scores_series
from detectors.capability import CapabilityConcentration
from detectors.view import _first_rows, _group_serials, view
from simulator.conformance import reference_stream


@pytest.mark.parametrize("seed", range(5))
def test_grouping_by_serials_matches_factorize(seed: int) -> None:
    rng = np.random.default_rng(seed)
    serials = rng.integers(1000, 1000 + rng.integers(1, 3000), size=rng.integers(1, 2000)).astype(np.int64)
    grouped = _group_serials(serials)
    assert grouped is not None
    rows, uniques = pd.factorize(serials)
    expected = (rows.astype(np.int64), _first_rows(rows.astype(np.int64)), uniques.astype(np.int64))
    for got, want in zip(grouped, expected, strict=True):
        assert got.dtype == np.int64
        assert np.array_equal(got, want)


def test_grouping_by_serials_numbers_accounts_in_int64_whatever_the_serials_type() -> None:
    grouped = _group_serials(np.array([7, 3, 7, 5], dtype=np.int32))
    assert grouped is not None
    assert [part.dtype for part in grouped] == [np.int64] * 3
    assert [part.tolist() for part in grouped] == [[0, 1, 0, 2], [0, 1, 3], [7, 3, 5]]


def test_grouping_by_serials_declines_serials_spread_far_apart() -> None:
    assert _group_serials(np.array([0, 10**9], dtype=np.int64)) is None
    empty = _group_serials(np.empty(0, dtype=np.int64))
    assert empty is not None and all(part.size == 0 for part in empty)


def test_scores_series_is_the_series_the_public_constructor_builds() -> None:
    ids = np.array(["b", "a", "c"], dtype=object)
    values = np.array([0.25, 1.0, 0.0])
    series = scores_series(ids, values)
    expected = pd.Series(values.copy(), index=pd.Index(ids.copy(), name="account_id", dtype=object), name="score")
    pd.testing.assert_series_equal(series, expected, check_index_type=True, check_series_type=True)
    ids[0], values[0] = "z", 0.5  # the caller's arrays stay the caller's
    assert series.index[0] == "b" and series.iloc[0] == 0.25
    assert scores_series(np.empty(0, dtype=object), np.empty(0)).empty


def test_a_handed_over_id_array_becomes_the_read_only_index_a_record_keeps_without_a_copy() -> None:
    ids = np.array(["b", "a"], dtype=object)
    series = scores_series(ids, np.array([0.5, 0.25]), own_ids=True)
    kept = np.asarray(series.index, dtype=object)
    assert np.shares_memory(kept, ids) and not kept.flags.writeable
    with pytest.raises(ValueError, match="WRITEABLE"):
        kept.flags.writeable = True
    v = view(dataclasses.replace(reference_stream()[0]))
    v.record_scores("key", 0, series, None, 1)
    recorded = v.recorded_scores("key", 0)[0]
    assert recorded[0] is kept or np.shares_memory(recorded[0], ids)
    assert recorded[0].tolist() == ["b", "a"] and recorded[1].tolist() == [0.5, 0.25]


def test_a_record_copies_an_index_that_can_still_change() -> None:
    ids = np.array(["b", "a"], dtype=object)
    series = pd.Series([0.5, 0.25], index=pd.Index(ids, name="account_id", dtype=object), name="score")
    v = view(dataclasses.replace(reference_stream()[0]))
    v.record_scores("key", 0, series, None, 1)
    np.asarray(series.index, dtype=object)[0] = "z"
    assert v.recorded_scores("key", 0)[0][0].tolist() == ["b", "a"]


def test_capability_totals_of_the_whole_traffic_are_the_sums_over_its_accounts() -> None:
    detector, expected = CapabilityConcentration(), None
    at = -np.inf
    for batch in reference_stream()[:80]:
        v = view(dataclasses.replace(batch))
        if v.n == 0:
            continue
        detector.update(batch)
        counts = detector._counts(v)
        if expected is None:
            expected = np.zeros(counts.shape[1])
        expected *= np.exp2(-(batch.end - at) / detector.half_life)
        expected[0] += v.n
        expected[1:] += counts[:, 1:].sum(axis=0)
        at = batch.end
        assert detector.population_.tobytes() == expected.tobytes()


def test_adding_rows_side_by_side_is_adding_each_column() -> None:
    rng = np.random.default_rng(7)
    columns = {"requests": 1, "cot": 1, "topics": 4}
    by_column, by_row = DecayedSums(60.0, columns), DecayedSums(60.0, columns)
    for now in (0.0, 30.0, 95.0):
        names = [f"a{c}" for c in np.unique(rng.integers(0, 20, size=8))]
        codes = by_column.index.codes(names)
        assert np.array_equal(by_row.index.codes(names), codes)
        requests, cot, topics = rng.random(codes.size), rng.random(codes.size), rng.random((codes.size, 4))
        expected = by_column.add(now, codes, requests=requests, cot=cot, topics=topics)
        got = by_row.add_rows(now, codes, np.column_stack((requests, cot, topics)))
        assert np.array_equal(got, expected)
    assert np.array_equal(by_row.index["_sums"], by_column.index["_sums"])


def test_capability_counts_are_the_views_per_account_sums() -> None:
    detector = CapabilityConcentration()
    detector._start()
    for batch in reference_stream()[:60:7]:
        v = view(dataclasses.replace(batch))
        expected = np.column_stack(
            (v.account_sum("requests"), v.account_sum("cot"), v.account_histogram("topic").astype(np.float64))
        )
        assert np.array_equal(detector._counts(v), expected)


def test_per_account_vector_sums_are_the_sparse_indicator_product() -> None:
    from scipy import sparse

    rng = np.random.default_rng(3)
    for batch in reference_stream()[:60:7]:
        v = view(dataclasses.replace(batch))
        values = rng.normal(size=(v.n, 5))
        indicator = sparse.csr_matrix((np.ones(v.n), (v.account_of_row, np.arange(v.n))), shape=(v.accounts, v.n))
        assert np.array_equal(v.account_vector_sum(values), indicator @ values)


@pytest.mark.parametrize(
    ("fill", "dtype"),
    [(0, np.int64), (0.0, np.float64), (-0.0, np.float64), (np.nan, np.float64), (-1, np.int64), (True, bool)],
)
def test_per_account_arrays_start_at_their_fill_value_bit_for_bit(fill: object, dtype: type) -> None:
    from detectors.accounts import _filled

    got = _filled((5, 3), fill, np.dtype(dtype))
    expected = np.full((5, 3), fill, dtype=dtype)
    assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


def test_requests_per_account_are_the_sum_of_ones_per_row() -> None:
    for batch in reference_stream()[:60:7]:
        v = view(dataclasses.replace(batch))
        expected = np.bincount(v.account_of_row, weights=np.ones(v.n), minlength=v.accounts)
        assert v.account_sum("requests").dtype == np.float64
        assert np.array_equal(v.account_sum("requests"), expected)


def test_hour_of_day_is_the_floor_division_even_next_to_the_hour() -> None:
    batch = next(b for b in reference_stream() if len(b))
    origin = batch.origin.timestamp()
    hours = origin + 3600.0 * np.arange(1, 200)
    seconds = np.concatenate([np.nextafter(hours, -np.inf), hours, np.nextafter(hours, np.inf)])
    seconds = np.concatenate([seconds, origin + np.random.default_rng(5).uniform(0, 30 * 86400, size=10_000)])
    ts = seconds - origin
    ts.sort()
    table = batch.table.slice(0, 1).take(np.zeros(ts.size, dtype=np.int64))
    table = table.set_column(table.schema.get_field_index("ts"), "ts", pa.array(ts))
    v = view(dataclasses.replace(batch, table=table, serials=None, text_hashes=None))
    expected = ((origin + ts) // 3600 % 24).astype(np.int64)
    assert v.hour.dtype == np.int64
    assert np.array_equal(v.hour, expected)


def test_rows_by_account_is_the_stable_sort_of_the_accounts_of_the_rows() -> None:
    for batch in reference_stream()[:60:7]:
        v = view(dataclasses.replace(batch))
        assert np.array_equal(v.rows_by_account, np.argsort(v.account_of_row, kind="stable"))


def test_topics_are_positions_in_the_taxonomy_whatever_the_vocabulary_of_the_batch() -> None:
    from detectors.testing import make_batch
    from simulator.prompts import TOPICS

    vocabularies = [["coding", "reasoning"], ["reasoning", "coding"], ["coding", "reasoning"], ["not-a-topic", "math"]]
    for tick, labels in enumerate(vocabularies * 2):
        topics = [labels[i % len(labels)] for i in range(7)]
        v = view(make_batch(tick, account_id=["a"] * 7, topic=topics))
        expected = [TOPICS.index(t) if t in TOPICS else len(TOPICS) for t in topics]
        assert v.topic.tolist() == expected


def test_row_codes_are_the_codes_of_the_accounts_of_the_rows() -> None:
    from detectors.accounts import AccountIndex

    by_rows, by_accounts = AccountIndex(), AccountIndex()
    for batch in reference_stream()[:80]:  # accounts first seen in their requests, then known ones
        v = view(dataclasses.replace(batch))
        expected = by_accounts.codes_for(v)[v.account_of_row]
        assert np.array_equal(by_rows.row_codes(v), expected)
        assert len(by_rows) == len(by_accounts)
    assert np.array_equal(by_rows.ids(), by_accounts.ids())
