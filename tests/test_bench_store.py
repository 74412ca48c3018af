"""Reading stored cells back: per-detector frames of a cell's tables."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.bench.store import _by_detector

ROWS = st.lists(
    st.tuples(
        st.sampled_from(["rate", "null", "lockstep"]),
        st.text(alphabet="abc", min_size=1, max_size=3),
        st.one_of(st.none(), st.sampled_from(["c0", "c1"])),
        st.floats(allow_nan=True, allow_infinity=False, width=64),
        st.integers(min_value=0, max_value=10**6),
    ),
    max_size=40,
)


@given(ROWS)
@settings(max_examples=60, deadline=None)
def test_a_cells_table_is_split_by_detector_as_pandas_groups_it(rows: list[tuple]) -> None:
    detector, account, campaign, score, requests = ([row[i] for row in rows] for i in range(5))
    table = pa.table(
        {
            "detector": pa.array(detector, type=pa.string()),
            "account_id": pa.array(account, type=pa.string()),
            "campaign": pa.array(campaign, type=pa.string()),
            "max_score": pa.array(score, type=pa.float64()),
            "requests": pa.array(requests, type=pa.int64()),
        }
    )
    expected = {
        str(label): frame.drop(columns="detector").reset_index(drop=True)
        for label, frame in table.to_pandas().groupby("detector", sort=False)
    }
    got = _by_detector(table)
    assert list(got) == list(expected)
    for label, frame in expected.items():
        pd.testing.assert_frame_equal(got[label], frame, check_exact=True)
        assert got[label].columns.dtype == frame.columns.dtype
