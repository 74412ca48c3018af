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
* the remaining rows (contended keys) go through an exact sequential loop, one
  coupled component at a time (an organisation simulated with its accounts, or an
  account alone), over plain floats with the refill increments computed for all
  rows at once.

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


def _refill_steps(table: TokenBuckets, keys: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray, KeyGroups]:
    """Per row (in time order): whether its key refills at the row, by how much
    (``rate * dt`` per dimension, shape ``(rows, 3)``), and the rows grouped by key.

    The key was last updated at the latest of its stored update time and its earlier
    rows' times, and ``dt`` is the row's time minus that: the same subtraction and
    product as refilling one request at a time, only all rows at once."""
    groups = KeyGroups(keys)
    t = ts[groups.order]
    previous = np.empty_like(t)
    previous[1:] = t[:-1]
    previous[groups.starts] = -np.inf
    since = np.maximum(previous, np.repeat(table.updated[groups.unique], groups.counts))
    dt = np.empty_like(t)
    dt[groups.order] = t - since
    return dt > 0, np.take(table.rate, keys, axis=0) * dt[:, None], groups


_Columns = tuple[list[float], list[float], list[float]]
"""Three per-row values (one list per dimension), as plain floats."""


def _columns(values: np.ndarray) -> _Columns:
    """The three columns of ``values`` (shape ``(rows, 3)``) as lists of floats."""
    return values[:, 0].tolist(), values[:, 1].tolist(), values[:, 2].tolist()


def _admit_alone(
    level: list[float], capacity: list[float], refills: list[bool], steps: _Columns, costs: _Columns
) -> list[bool]:
    """Admit one account's rows in time order against its own buckets only; ``level``
    is updated in place. Refill: ``L = min(C, L + rate * dt)``; admit when
    ``L + 1e-9 >= cost`` in every dimension, then ``L -= cost``."""
    l0, l1, l2 = level
    c0, c1, c2 = capacity
    eps = _EPS
    admitted = []
    for refill, s0, s1, s2, k0, k1, k2 in zip(refills, *steps, *costs, strict=True):
        if refill:
            # min(C, L + step) as min picks: C unless the sum is below it
            x0, x1, x2 = l0 + s0, l1 + s1, l2 + s2
            l0 = x0 if x0 < c0 else c0
            l1 = x1 if x1 < c1 else c1
            l2 = x2 if x2 < c2 else c2
        ok = l0 + eps >= k0 and l1 + eps >= k1 and l2 + eps >= k2
        if ok:
            l0 -= k0
            l1 -= k1
            l2 -= k2
        admitted.append(ok)
    level[:] = (l0, l1, l2)
    return admitted


def _admit_shared(
    levels: list[list[float]],
    capacities: list[list[float]],
    members: list[int],
    refills: list[bool],
    steps: _Columns,
    org_level: list[float],
    org_capacity: list[float],
    org_refills: list[bool],
    org_steps: _Columns,
    costs: _Columns,
) -> list[bool]:
    """Admit the rows of one organisation's accounts in time order against the
    account's buckets and the organisation's (the rule of :func:`_admit_alone` on
    both); ``members[i]`` indexes row i's account in ``levels`` and ``capacities``,
    and ``levels`` and ``org_level`` are updated in place."""
    o0, o1, o2 = org_level
    d0, d1, d2 = org_capacity
    eps = _EPS
    admitted = []
    for member, refill, s0, s1, s2, org_refill, r0, r1, r2, k0, k1, k2 in zip(
        members, refills, *steps, org_refills, *org_steps, *costs, strict=True
    ):
        level = levels[member]
        l0, l1, l2 = level
        if refill:
            c0, c1, c2 = capacities[member]
            x0, x1, x2 = l0 + s0, l1 + s1, l2 + s2
            l0 = x0 if x0 < c0 else c0
            l1 = x1 if x1 < c1 else c1
            l2 = x2 if x2 < c2 else c2
        if org_refill:
            x0, x1, x2 = o0 + r0, o1 + r1, o2 + r2
            o0 = x0 if x0 < d0 else d0
            o1 = x1 if x1 < d1 else d1
            o2 = x2 if x2 < d2 else d2
        ok = (
            l0 + eps >= k0
            and l1 + eps >= k1
            and l2 + eps >= k2
            and o0 + eps >= k0
            and o1 + eps >= k1
            and o2 + eps >= k2
        )
        if ok:
            l0 -= k0
            l1 -= k1
            l2 -= k2
            o0 -= k0
            o1 -= k1
            o2 -= k2
        level[:] = (l0, l1, l2)
        admitted.append(ok)
    org_level[:] = (o0, o1, o2)
    return admitted


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

    Rows interact only through the buckets they share, so they fall into independent
    components: an organisation simulated here with all its accounts' rows, or an
    account alone (an account belongs to one organisation). Each component runs in
    a loop over plain floats, with every row's refill increment computed beforehand:
    each bucket goes through the same operations in the same order as one request at
    a time, so admissions and levels are the same to the bit.
    """
    account_refills, account_steps, by_account = _refill_steps(accounts, account_keys, ts)
    account_levels = accounts.level[by_account.unique].tolist()
    level_of = dict(zip(by_account.unique.tolist(), account_levels, strict=True))
    components = by_account
    org_rows = np.flatnonzero(update_org)
    if org_rows.size:
        component = np.where(update_org, -1 - org_keys, account_keys)
        spans = component[by_account.order]
        if not np.isin(np.flatnonzero(spans[1:] != spans[:-1]) + 1, by_account.starts).all():
            raise ValueError("every row of an account must name the same organisation")
        components = KeyGroups(component)
        org_refills, org_steps, by_org = _refill_steps(orgs, org_keys[org_rows], ts[org_rows])
        org_levels = orgs.level[by_org.unique].tolist()
        org_level_of = dict(zip(by_org.unique.tolist(), org_levels, strict=True))
        # the organisations' components (negative keys) come first in the order, by org then time
        shared = components.order[: org_rows.size]
        members_in_order = account_keys[shared]
        at = np.searchsorted(org_rows, shared)
        shared_refills, shared_steps = org_refills[at].tolist(), _columns(np.take(org_steps, at, axis=0))
    order = components.order
    refills, steps = account_refills[order].tolist(), _columns(np.take(account_steps, order, axis=0))
    row_costs = _columns(np.take(costs, order, axis=0))
    admitted: list[bool] = []
    for start, count, key in zip(
        components.starts.tolist(), components.counts.tolist(), components.unique.tolist(), strict=True
    ):
        rows = slice(start, start + count)
        if key >= 0:
            admitted += _admit_alone(
                level_of[key],
                accounts.capacity[key].tolist(),
                refills[rows],
                tuple(column[rows] for column in steps),
                tuple(column[rows] for column in row_costs),
            )
            continue
        members, index = np.unique(members_in_order[rows], return_inverse=True)
        admitted += _admit_shared(
            [level_of[member] for member in members.tolist()],
            accounts.capacity[members].tolist(),
            index.tolist(),
            refills[rows],
            tuple(column[rows] for column in steps),
            org_level_of[-1 - key],
            orgs.capacity[-1 - key].tolist(),
            shared_refills[rows],
            tuple(column[rows] for column in shared_steps),
            tuple(column[rows] for column in row_costs),
        )
    out = np.empty(ts.size, dtype=bool)
    out[order] = admitted
    _store(accounts, by_account, account_levels, ts)
    if org_rows.size:
        _store(orgs, by_org, org_levels, ts[org_rows])
    return out


def _store(table: TokenBuckets, groups: KeyGroups, levels: list[list[float]], ts: np.ndarray) -> None:
    """Write the simulated ``levels`` of the grouped keys (in ``groups.unique`` order)
    and their update times: the latest of the stored one and their rows' ``ts``."""
    table.level[groups.unique] = np.reshape(levels, (-1, DIMENSIONS))
    last = ts[groups.order[groups.starts + groups.counts - 1]]
    table.updated[groups.unique] = np.maximum(table.updated[groups.unique], last)


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
