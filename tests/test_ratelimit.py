"""The vectorised token buckets against a plain sequential reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.ratelimit import TokenBuckets, _sequential, admit


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


def one_at_a_time(accounts, orgs, account_keys, org_keys, ts, costs, update_org):
    """The exact rule over Python floats, one request at a time: refill each bucket the
    request touches (``min(C, L + rate * dt)`` when ``dt > 0``), admit when every one
    holds the cost (within 1e-9), then consume it; the organisation's bucket only where
    ``update_org`` says so. Updates both tables; returns the admissions."""
    state = {}

    def bucket(table, key):
        entry = state.get((id(table), key))
        if entry is None:
            entry = state[(id(table), key)] = [table, key, table.level[key].tolist(), float(table.updated[key])]
        return entry

    admitted = []
    for a, o, t, cost, own_org in zip(
        account_keys.tolist(), org_keys.tolist(), ts.tolist(), costs.tolist(), update_org.tolist(), strict=True
    ):
        touched = [bucket(accounts, a)] + ([bucket(orgs, o)] if own_org else [])
        for entry in touched:
            table, key, level, updated = entry
            dt = t - updated
            if dt > 0:
                capacity, rate = table.capacity[key].tolist(), table.rate[key].tolist()
                entry[2] = [min(capacity[d], level[d] + rate[d] * dt) for d in range(3)]
                entry[3] = t
        ok = all(entry[2][d] + 1e-9 >= cost[d] for entry in touched for d in range(3))
        if ok:
            for entry in touched:
                entry[2] = [entry[2][d] - cost[d] for d in range(3)]
        admitted.append(ok)
    for table, key, level, updated in state.values():
        table.level[key] = level
        table.updated[key] = updated
    return np.array(admitted, dtype=bool)


@st.composite
def contended_ticks(draw):
    """Rows of accounts spread over a few organisations (several accounts sharing one),
    each organisation simulated with its accounts or not, at times with ties, against
    buckets that start part full and run dry within the tick."""
    n_orgs = draw(st.integers(1, 3))
    org_of = np.array(draw(st.lists(st.integers(0, n_orgs - 1), min_size=1, max_size=6)))
    simulated = np.array(draw(st.lists(st.booleans(), min_size=n_orgs, max_size=n_orgs)))
    rows = draw(st.lists(st.tuples(*[st.integers(0, 60)] * 2, st.integers(0, 240), st.integers(0, 5)), max_size=60))
    n = len(rows)
    inputs, outputs, quarters, accounts = np.array(rows, dtype=np.int64).reshape(n, 4).T
    account_keys = accounts % org_of.size
    ts = np.sort(quarters).astype(float) / 4 + 60
    costs = np.column_stack([np.ones(n), inputs, outputs]).astype(float)

    def buckets(size):
        table = TokenBuckets()
        table.grow(size, 0.0)
        rates = np.array(draw(st.lists(st.sampled_from([0.05, 0.3, 2.0, 7.5]), min_size=3, max_size=3)))
        table.set_limits(np.arange(size), np.tile(rates, (size, 1)), draw(st.sampled_from([10.0, 60.0])))
        fill = np.array(draw(st.lists(st.floats(0, 1), min_size=size, max_size=size)))
        table.level = table.capacity * fill[:, None]
        table.updated = np.array(draw(st.lists(st.sampled_from([0.0, 59.5, 70.25]), min_size=size, max_size=size)))
        return table

    accounts, orgs = buckets(org_of.size), buckets(n_orgs)
    org_keys = org_of[account_keys]
    return accounts, orgs, account_keys, org_keys, ts, costs, simulated[org_keys]


def _copy(table):
    twin = TokenBuckets()
    twin.capacity, twin.rate = table.capacity.copy(), table.rate.copy()
    twin.level, twin.updated = table.level.copy(), table.updated.copy()
    return twin


@settings(max_examples=300, deadline=None)
@given(contended_ticks())
def test_contended_rows_are_admitted_as_one_request_at_a_time_to_the_bit(tick) -> None:
    accounts, orgs, *rows = tick
    expected_accounts, expected_orgs = _copy(accounts), _copy(orgs)
    expected = one_at_a_time(expected_accounts, expected_orgs, *rows)
    got = _sequential(accounts, orgs, *rows)
    np.testing.assert_array_equal(got, expected)
    for table, reference in ((accounts, expected_accounts), (orgs, expected_orgs)):
        assert table.level.tobytes() == reference.level.tobytes()
        assert table.updated.tobytes() == reference.updated.tobytes()


def test_an_account_in_two_simulated_organisations_is_refused() -> None:
    accounts, orgs = TokenBuckets(), TokenBuckets()
    accounts.grow(1, 0.0)
    orgs.grow(2, 0.0)
    accounts.set_limits(np.array([0]), np.array([[1.0, 10.0, 10.0]]), 60.0)
    orgs.set_limits(np.arange(2), np.array([[1.0, 10.0, 10.0]] * 2), 60.0)
    rows = (np.array([0, 0]), np.array([0, 1]), np.array([1.0, 2.0]), np.ones((2, 3)), np.array([True, True]))
    with pytest.raises(ValueError, match="every row of an account must name the same organisation"):
        _sequential(accounts, orgs, *rows)
