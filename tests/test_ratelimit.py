"""The vectorised token buckets against a plain sequential reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.ratelimit import TokenBuckets, admit


def reference(levels_a, levels_o, updated_a, updated_o, cap_a, rate_a, cap_o, rate_o, acc, org, ts, costs):
    """One request at a time: refill, check both buckets, consume."""
    la, lo = levels_a.copy(), levels_o.copy()
    ua, uo = updated_a.copy(), updated_o.copy()
    out = []
    for a, o, t, c in zip(acc, org, ts, costs, strict=True):
        la[a] = np.minimum(cap_a[a], la[a] + rate_a[a] * max(t - ua[a], 0))
        ua[a] = max(ua[a], t)
        lo[o] = np.minimum(cap_o[o], lo[o] + rate_o[o] * max(t - uo[o], 0))
        uo[o] = max(uo[o], t)
        ok = bool(np.all(la[a] + 1e-9 >= c) and np.all(lo[o] + 1e-9 >= c))
        if ok:
            la[a] -= c
            lo[o] -= c
        out.append(ok)
    return np.array(out, dtype=bool), la, lo, ua, uo


@st.composite
def ticks(draw):
    n_accounts = draw(st.integers(1, 4))
    org_of = np.array(draw(st.lists(st.integers(0, 1), min_size=n_accounts, max_size=n_accounts)))
    n = draw(st.integers(0, 40))
    acc = np.array(draw(st.lists(st.integers(0, n_accounts - 1), min_size=n, max_size=n)), dtype=np.int64)
    ts = np.sort(np.array(draw(st.lists(st.floats(0, 120), min_size=n, max_size=n))))
    costs = np.column_stack(
        [
            np.ones(n),
            draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)) or np.zeros(0),
            draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)) or np.zeros(0),
        ]
    )
    rate_a = np.array(draw(st.lists(st.sampled_from([0.05, 0.5, 2.0]), min_size=3, max_size=3)))
    rate_o = np.array(draw(st.lists(st.sampled_from([0.2, 1.0, 5.0]), min_size=3, max_size=3)))
    burst = draw(st.sampled_from([10.0, 60.0]))
    return n_accounts, org_of, acc, ts, costs.reshape(n, 3), rate_a, rate_o, burst


@settings(max_examples=300, deadline=None)
@given(ticks(), ticks())
def test_vectorised_admission_matches_one_request_at_a_time(first, second) -> None:
    n_accounts, org_of, _, _, _, rate_a, rate_o, burst = first
    accounts, orgs = TokenBuckets(), TokenBuckets()
    accounts.grow(n_accounts, 0.0)
    orgs.grow(2, 0.0)
    accounts.set_limits(np.arange(n_accounts), np.tile(rate_a, (n_accounts, 1)), burst)
    orgs.set_limits(np.arange(2), np.tile(rate_o, (2, 1)), burst)
    state = (accounts.level.copy(), orgs.level.copy(), accounts.updated.copy(), orgs.updated.copy())
    # two consecutive ticks, the second starting where the first ended
    for offset, (_, _, acc, ts, costs, *_rest) in ((0.0, first), (200.0, second)):
        acc = acc % n_accounts
        ts = ts + offset
        expected, *state = reference(
            *state, accounts.capacity, accounts.rate, orgs.capacity, orgs.rate, acc, org_of[acc], ts, costs
        )
        got = admit(accounts, orgs, acc, org_of[acc], ts, costs)
        np.testing.assert_array_equal(got, expected)
        la, lo, _, _ = state
        # compare levels refilled to a common time (last-update times may differ)
        t = offset + 150.0
        np.testing.assert_allclose(
            accounts.levels_at(np.arange(n_accounts), np.full(n_accounts, t)),
            np.minimum(accounts.capacity, la + accounts.rate * (t - state[2])[:, None]),
            atol=1e-6,
        )
        np.testing.assert_allclose(
            orgs.levels_at(np.arange(2), np.full(2, t)),
            np.minimum(orgs.capacity, lo + orgs.rate * (t - state[3])[:, None]),
            atol=1e-6,
        )


def test_a_request_larger_than_the_bucket_is_never_admitted() -> None:
    accounts, orgs = TokenBuckets(), TokenBuckets()
    accounts.grow(1, 0.0)
    orgs.grow(1, 0.0)
    accounts.set_limits(np.array([0]), np.array([[1.0, 10.0, 10.0]]), 60.0)
    orgs.set_limits(np.array([0]), np.array([[10.0, 100.0, 100.0]]), 60.0)
    got = admit(
        accounts,
        orgs,
        np.array([0, 0]),
        np.array([0, 0]),
        np.array([1.0, 2.0]),
        np.array([[1, 601, 1], [1, 5, 5]], dtype=float),
    )
    assert got.tolist() == [False, True]
