"""Exact token-bucket rate limiting, vectorised over the requests of one tick.

Each key (an account, an organisation) has one bucket per dimension (requests,
input tokens, output tokens). A bucket of capacity ``C`` refills continuously at
rate ``r`` per second, never above ``C``. A request of cost ``c`` (1 request, its
input tokens, its output tokens) is admitted when *every* bucket of its account
*and* of its organisation holds at least its cost in that dimension, and then
consumes it; otherwise it is rejected (HTTP 429) and consumes nothing.

Output tokens are charged at admission, as if the gateway knew the completion's
length (a simplification: real gateways estimate from ``max_tokens`` and settle later).

Vectorisation. Most keys never come near their limit, so the tick is split:

* a key is *clear* when its level at its first request of the tick, ``L0``, covers
  the sum ``S`` of all its costs in the tick. Since refills only add, every one of
  its requests is then admitted. Rows whose account and organisation are both
  clear are admitted without a loop;
* the remaining rows (contended keys) go through an exact sequential loop.

The end level of a key whose rows were all admitted follows in closed form. With
requests at times ``t_1..t_n``, costs ``c_i``, ``P_i = sum_{k<i} c_k`` and
``A_i = r t_i - P_i``, the level just before request ``i`` is
``L'_i = A_i + min(L0 - A_1, C - max_{j<=i} A_j)``, so after the last request
``L_end = A_n + min(L0 - A_1, C - max_j A_j) - c_n``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KeyGroups", "TokenBuckets", "admit"]

DIMENSIONS = 3
_EPS = 1e-9


class TokenBuckets:
    """Bucket state for a growing set of keys (rows), ``DIMENSIONS`` buckets per key."""

    def __init__(self) -> None:
        self.capacity = np.zeros((0, DIMENSIONS))
        self.rate = np.zeros((0, DIMENSIONS))
        self.level = np.zeros((0, DIMENSIONS))
        self.updated = np.zeros(0)

    def __len__(self) -> int:
        return self.level.shape[0]

    def grow(self, n: int, start_time: float) -> None:
        """Make room for keys ``0..n-1``; new keys start with full buckets at ``start_time``
        (limits must then be set with :meth:`set_limits` before they send)."""
        old = len(self)
        if n <= old:
            return
        extra = n - old
        self.capacity = np.vstack([self.capacity, np.zeros((extra, DIMENSIONS))])
        self.rate = np.vstack([self.rate, np.zeros((extra, DIMENSIONS))])
        self.level = np.vstack([self.level, np.full((extra, DIMENSIONS), np.inf)])
        self.updated = np.concatenate([self.updated, np.full(extra, start_time)])

    def set_limits(self, keys: np.ndarray, rate: np.ndarray, burst_seconds: float) -> None:
        """Set the sustained rates (per second, shape ``(len(keys), 3)``) of ``keys``;
        capacity is ``rate * burst_seconds``. Levels above the new capacity are cut."""
        self.rate[keys] = rate
        self.capacity[keys] = rate * burst_seconds
        self.level[keys] = np.minimum(self.level[keys], self.capacity[keys])

    def levels_at(self, keys: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Levels of ``keys`` refilled up to ``times`` (state unchanged)."""
        elapsed = np.maximum(times - self.updated[keys], 0.0)[:, None]
        return np.minimum(self.capacity[keys], self.level[keys] + self.rate[keys] * elapsed)


class KeyGroups:
    """Rows grouped by key: a stable sort (``order``), the sorted distinct keys
    (``unique``), where each key's rows start in ``order`` (``starts``) and how many
    there are (``counts``). Built once per tick and shared with billing."""

    __slots__ = ("counts", "order", "starts", "unique")

    def __init__(self, keys: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        if keys.size:
            starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
        else:
            starts = np.empty(0, dtype=np.intp)
        self.order = order
        self.starts = starts
        self.unique = sorted_keys[starts]
        self.counts = np.diff(np.append(starts, keys.size))

    def inverse(self) -> np.ndarray:
        """Per row, the index of its key in ``unique`` (as ``np.unique(..., return_inverse=True)``)."""
        inverse = np.empty(self.order.size, dtype=np.intp)
        inverse[self.order] = np.repeat(np.arange(self.unique.size), self.counts)
        return inverse


class _Groups:
    """Rows grouped by key, with the rows' times and costs in group order and each
    key's limits and level at its first request: what both the clear test and the
    closed-form drain need (limits do not change while a tick is admitted)."""

    __slots__ = ("capacity", "costs", "counts", "level0", "order", "rate", "starts", "ts", "unique")

    def __init__(
        self,
        buckets: TokenBuckets,
        keys: np.ndarray,
        ts: np.ndarray,
        costs: np.ndarray,
        grouped: KeyGroups | None = None,
    ) -> None:
        grouped = KeyGroups(keys) if grouped is None else grouped
        self.order = grouped.order
        self.starts = grouped.starts
        self.unique = grouped.unique
        self.counts = grouped.counts
        # np.take gathers rows of 2-D arrays several times faster than indexing does
        self.ts = ts[self.order]
        self.costs = np.take(costs, self.order, axis=0)
        self.capacity = np.take(buckets.capacity, self.unique, axis=0)
        self.rate = np.take(buckets.rate, self.unique, axis=0)
        # TokenBuckets.levels_at, with the limits gathered once
        elapsed = np.maximum(self.ts[self.starts] - buckets.updated[self.unique], 0.0)[:, None]
        self.level0 = np.minimum(self.capacity, np.take(buckets.level, self.unique, axis=0) + self.rate * elapsed)

    def clear_keys(self) -> np.ndarray:
        """Per key: is it clear (its first-request level covers all its costs)?"""
        totals = np.add.reduceat(self.costs, self.starts, axis=0)
        return np.all(self.level0 + _EPS >= totals, axis=1)

    def per_row(self, per_key: np.ndarray) -> np.ndarray:
        """A value per key spread to the key's rows (in the rows' own order)."""
        out = np.empty(self.order.size, dtype=per_key.dtype)
        out[self.order] = np.repeat(per_key, self.counts)
        return out


def _drain(buckets: TokenBuckets, groups: _Groups) -> None:
    """Update the state of the grouped keys for rows that were all admitted (closed
    form); ``groups`` are those rows grouped, taken before any change to ``buckets``."""
    if groups.order.size == 0:
        return
    unique, starts, counts = groups.unique, groups.starts, groups.counts
    t, c = groups.ts, groups.costs
    group = np.repeat(np.arange(unique.size), counts)
    rel_t = t - t[starts][group]
    rate = np.take(groups.rate, group, axis=0)
    csum = np.cumsum(c, axis=0)
    group_base = np.take(np.vstack([np.zeros((1, DIMENSIONS)), csum[starts[1:] - 1]]), group, axis=0)
    prefix = csum - c - group_base  # P_i: costs before row i within its group
    a = rate * rel_t[:, None] - prefix
    ends = np.append(starts[1:], t.size) - 1
    a_max = np.maximum.reduceat(a, starts, axis=0)
    capacity = groups.capacity
    end_level = (
        np.take(a, ends, axis=0)
        + np.minimum(groups.level0 - np.take(a, starts, axis=0), capacity - a_max)
        - np.take(c, ends, axis=0)
    )
    buckets.level[unique] = np.clip(end_level, 0.0, capacity)
    buckets.updated[unique] = t[ends]


def _sequential(
    accounts: TokenBuckets,
    orgs: TokenBuckets,
    account_keys: np.ndarray,
    org_keys: np.ndarray,
    ts: np.ndarray,
    costs: np.ndarray,
    update_org: np.ndarray,
) -> np.ndarray:
    """Exact per-request admission for contended rows (already in time order).

    ``update_org[i]`` says whether row i's organisation bucket is simulated here
    (contended organisations) or drained in closed form afterwards (clear ones).
    """
    admitted = np.zeros(ts.size, dtype=bool)
    state: dict[tuple[int, int], list[float]] = {}

    def load(table: TokenBuckets, tag: int, key: int) -> list[float]:
        entry = state.get((tag, key))
        if entry is None:
            entry = [
                *table.level[key].tolist(),
                float(table.updated[key]),
                *table.capacity[key].tolist(),
                *table.rate[key].tolist(),
            ]
            state[(tag, key)] = entry
        return entry

    def refill(entry: list[float], now: float) -> None:
        dt = now - entry[3]
        if dt > 0:
            for d in range(DIMENSIONS):
                entry[d] = min(entry[4 + d], entry[d] + entry[7 + d] * dt)
            entry[3] = now

    for i, (a, o, now, cost, own_org) in enumerate(
        zip(account_keys.tolist(), org_keys.tolist(), ts.tolist(), costs.tolist(), update_org.tolist(), strict=True)
    ):
        acc = load(accounts, 0, a)
        refill(acc, now)
        ok = all(acc[d] + _EPS >= cost[d] for d in range(DIMENSIONS))
        org = None
        if own_org:
            org = load(orgs, 1, o)
            refill(org, now)
            ok = ok and all(org[d] + _EPS >= cost[d] for d in range(DIMENSIONS))
        if ok:
            admitted[i] = True
            for d in range(DIMENSIONS):
                acc[d] -= cost[d]
                if org is not None:
                    org[d] -= cost[d]
    for (tag, key), entry in state.items():
        table = accounts if tag == 0 else orgs
        table.level[key] = entry[:DIMENSIONS]
        table.updated[key] = entry[3]
    return admitted


def admit(
    accounts: TokenBuckets,
    orgs: TokenBuckets,
    account_keys: np.ndarray,
    org_keys: np.ndarray,
    ts: np.ndarray,
    costs: np.ndarray,
    account_groups: KeyGroups | None = None,
    org_groups: KeyGroups | None = None,
) -> np.ndarray:
    """Admit or reject each request (rows in time order) and update both bucket sets.
    ``account_groups`` and ``org_groups``, if given, are ``KeyGroups`` of
    ``account_keys`` and ``org_keys`` (the caller's, reused instead of sorting again).

    Returns a boolean array: True where the request is admitted.
    """
    n = ts.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    costs = np.asarray(costs, dtype=np.float64)
    account_rows = _Groups(accounts, account_keys, ts, costs, account_groups)
    org_rows = _Groups(orgs, org_keys, ts, costs, org_groups)
    account_clear = account_rows.clear_keys()
    org_clear = org_rows.clear_keys()
    if account_clear.all() and org_clear.all():
        # the common tick: every row admitted, both drains reuse the groups above
        _drain(accounts, account_rows)
        _drain(orgs, org_rows)
        return np.ones(n, dtype=bool)
    org_clear = org_rows.per_row(org_clear)
    fast = account_rows.per_row(account_clear) & org_clear
    admitted = fast.copy()
    slow = np.flatnonzero(~fast)
    admitted[slow] = _sequential(
        accounts, orgs, account_keys[slow], org_keys[slow], ts[slow], costs[slow], ~org_clear[slow]
    )
    # accounts whose rows all took the fast path drain in closed form; an account
    # with any slow row has all its rows slow (the same account, or its one org)
    for table, keys, rows in (
        (accounts, account_keys, np.flatnonzero(fast)),
        (orgs, org_keys, np.flatnonzero(org_clear & admitted)),
    ):
        _drain(table, _Groups(table, keys[rows], ts[rows], costs[rows]))
    return admitted
