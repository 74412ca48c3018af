"""Shared infrastructure: dense blocks in the graph of accounts and what they share.

Fraud rings reuse infrastructure because it costs money: proxy ranges, a handful
of client builds, a few payment cards, e-mail addresses from one generator. The
2026 disclosures attribute hydra clusters through exactly such links, and
EvilCohort (Stringhini, Mourlanne, Jacob, Egele, Kruegel and Vigna, USENIX
Security 2015) finds malicious account communities by the IP addresses they
share. Here the evidence is a bipartite graph between accounts and *assets*:

* ``subnet`` — the IPv4 /24 network of a request;
* ``asn_fingerprint`` — the pair (ASN, client fingerprint) of a request;
* ``payment`` — the account's payment fingerprint (registry);
* ``email_pattern`` — the shape of the account's e-mail address: runs of letters
  become ``a`` and runs of digits ``0`` in the handle, the domain kept
  (``jsmith42@mail.com`` → ``a0@mail.com``) (registry).

Request links live in a sliding window of two generations of ``window`` ticks;
registry links stay. Every ``every`` ticks the detector looks for dense blocks
as FRAUDAR does (Hooi, Song, Beutel, Shah, Shin and Faloutsos, KDD 2016): an
edge to an asset shared by ``d`` accounts weighs ``1 / log(d + 5)`` (popular
assets, such as a big ISP's /24 or a free-mail pattern, count for little: the
"camouflage" resistance), assets used by one account are dropped, and a block's
density is its total edge weight divided by its number of nodes (accounts plus
assets). Blocks are found by peeling: repeatedly remove every node whose weighted
degree is within a factor ``1 + epsilon`` of the smallest (and at least the
lowest 5% of nodes), and keep the densest intermediate subgraph: a batched
version of FRAUDAR's one-node-at-a-time greedy peeling (batching after Bahmani,
Kumar and Vassilvitskii, VLDB 2012), with sparse matrix sums and no per-node
loop, on a matrix that shrinks with every pass. The block's accounts are then removed and the next block sought,
up to ``blocks`` blocks of at least ``min_accounts`` accounts. An account in a
block of density ``g`` scores ``g / (g + half_density)``; others are not scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from detectors.accounts import AccountIndex
from detectors.base import Constraint, Detector, Interval
from detectors.scoring import saturating
from detectors.sharing import shares_scores
from detectors.view import view
from simulator.hashing import splitmix64
from simulator.traffic import RequestBatch

__all__ = ["LINKS", "SharedInfrastructure", "dense_blocks"]

LINKS: tuple[str, ...] = ("subnet", "asn_fingerprint", "payment", "email_pattern")
"""The kinds of shared asset that link accounts."""


def dense_blocks(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, blocks: int, min_rows: int, epsilon: float
) -> list[tuple[np.ndarray, float]]:
    """Dense blocks of a weighted bipartite graph (edges ``rows[i] — cols[i]`` with
    ``weights[i]``, no edge twice; row and column ids are dense from 0): up to
    ``blocks`` pairs of (row ids, density), densest first, each with at least
    ``min_rows`` rows.

    The adjacency is built once (one sort of the edges by column) and shared by the
    peelings of all blocks: ``O(E log E)`` once, then ``O(E)`` per block to set it up.

    >>> r = np.array([0, 0, 1, 1, 2, 2, 3]); c = np.array([0, 1, 0, 1, 0, 1, 2])
    >>> [(ids.tolist(), round(g, 2)) for ids, g in dense_blocks(r, c, np.ones(7), 2, 2, 0.1)]
    [([0, 1, 2], 1.2)]
    """
    if rows.size == 0:
        return []
    n_rows, n_cols = int(rows.max()) + 1, int(cols.max()) + 1
    rows, cols, weights = np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(weights, np.float64)
    step_rows, step_cols = np.diff(rows), np.diff(cols)
    if not ((step_rows > 0) | ((step_rows == 0) & (step_cols > 0))).all():  # not yet in a CSR matrix's order
        order = np.lexsort((cols, rows))  # edges row by row, columns ascending
        rows, cols, weights = rows[order], cols[order], weights[order]
    graph = _Adjacency.of(rows, cols, weights, n_rows, n_cols)
    remaining = np.arange(n_rows)
    found: list[tuple[np.ndarray, float]] = []
    for _ in range(blocks):
        block, density = _peel(graph, remaining, epsilon)
        if block.size < min_rows or density <= 0:
            break
        found.append((block, density))
        remaining = np.setdiff1d(remaining, block, assume_unique=True)
    return found


_PEEL_STEP = 0.05
"""Each peeling pass removes at least this share of the remaining nodes."""


_TABLE_BUDGET = 4
"""The table of column sums (see ``_Adjacency``) may hold at most this many entries per
edge (counting at least 16,384 edges); beyond, columns are summed from their edges."""


@dataclass(frozen=True)
class _Adjacency:
    """A bipartite graph's edges seen from both sides. Nodes are numbered rows first
    (``0 .. n_rows - 1``), then columns (``n_rows + column``); edges are numbered in
    row-major order. ``edge[start[v]:start[v + 1]]`` are node ``v``'s edges (a row's in
    column order, a column's in row order) and ``other`` their other ends.

    Where every column's edges weigh the same (as the detector weighs them: by the
    column's number of accounts), ``table[kind[c], n]`` is the sum of ``n`` edges of column
    ``c`` added one after the other from 0 (one running sum per distinct weight), so a
    column's degree follows from its number of remaining edges alone."""

    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    n_rows: int
    start: np.ndarray
    edge: np.ndarray
    other: np.ndarray
    row_degree: np.ndarray
    kind: np.ndarray | None
    table: np.ndarray | None

    @classmethod
    def of(cls, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n_rows: int, n_cols: int) -> _Adjacency:
        """The adjacency of edges given in row-major order: one stable sort by column,
        ``O(E log E)``."""
        by_col = np.argsort(cols, kind="stable")  # a column's edges stay in row order
        counts = np.concatenate([np.bincount(rows, minlength=n_rows), np.bincount(cols, minlength=n_cols)])
        start = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        edge = np.concatenate([np.arange(rows.size), by_col])
        other = np.concatenate([cols + n_rows, rows[by_col]])
        row_degree = _row_sums(weights, counts[:n_rows])
        col_counts = counts[n_rows:]
        col_weight = weights[by_col][np.minimum(start[n_rows:-1] - rows.size, rows.size - 1)]  # each one's first
        kind, table = None, None
        if (weights[by_col] == np.repeat(col_weight, col_counts)).all():
            distinct, kind = np.unique(col_weight, return_inverse=True)
            if distinct.size * (col_counts.max() + 1) <= _TABLE_BUDGET * max(rows.size, 1 << 14):
                table = np.zeros((distinct.size, col_counts.max() + 1))
                table[:, 1:] = distinct[:, None]
                table = np.cumsum(table, axis=1)  # an accumulation adds one term after the other
        return cls(
            rows, cols, weights, n_rows, start, edge, other, row_degree, kind if table is not None else None, table
        )

    def edges_of(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``edge`` of the nodes' edges, node after node, and each one's node
        (as an index into ``nodes``)."""
        first, counts = self.start[nodes], self.start[nodes + 1] - self.start[nodes]
        owner = np.repeat(np.arange(nodes.size), counts)
        return np.arange(owner.size) + (first - (np.cumsum(counts) - counts))[owner], owner

    def live_sums(self, nodes: np.ndarray, live_edge: np.ndarray, is_row: bool) -> np.ndarray:
        """The weighted degrees of ``nodes`` (all rows or all columns) over their live
        edges: ``O(d)`` on the nodes' ``d`` edges."""
        position, owner = self.edges_of(nodes)
        edge = self.edge[position]
        live = live_edge[edge]
        edge, owner = edge[live], owner[live]
        if is_row:
            return _row_sums(self.weights[edge], np.bincount(owner, minlength=nodes.size))
        return np.bincount(owner, weights=self.weights[edge], minlength=nodes.size)


def _row_sums(weights: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each row's sum of consecutive ``weights`` (``counts`` of them), summed as a CSR
    matrix sums a row (``numpy.add.reduceat``), 0 for a row without edges."""
    sums = np.zeros(counts.size)
    if weights.size:
        nonempty = counts > 0
        sums[nonempty] = np.add.reduceat(weights, (np.cumsum(counts) - counts)[nonempty])
    return sums


def _peel(graph: _Adjacency, row_ids: np.ndarray, epsilon: float) -> tuple[np.ndarray, float]:
    """The densest subgraph met while peeling the lowest-degree nodes in batches, starting
    from the rows ``row_ids`` (ascending) and the columns they have edges to: each pass
    removes every node within ``1 + epsilon`` of the smallest weighted degree, and at least
    the lowest ``_PEEL_STEP`` of the nodes.

    Degrees are kept between passes, and a pass recomputes only those of the nodes that
    lost an edge, from their remaining edges, exactly as a CSR matrix sums them (a row's
    weights by ``numpy.add.reduceat`` in column order, a column's one edge after the other
    in row order; the density's numerator is the sum of the row degrees in row order),
    so that degrees, densities and the removal order are those of a full recomputation,
    bit for bit. A pass costs ``O(n)`` array operations on the ``n`` remaining nodes
    (selection and density) plus ``O(d)`` on the ``d`` edges of the removed nodes and of
    their neighbours, instead of ``O(E)`` on all remaining edges."""
    n_rows = graph.n_rows
    member = np.zeros(n_rows, dtype=bool)
    member[row_ids] = True
    live_edge = member[graph.rows]
    live = np.flatnonzero(live_edge)
    col_count = np.bincount(graph.cols[live], minlength=graph.start.size - 1 - n_rows)
    col_degree = np.bincount(graph.cols[live], weights=graph.weights[live], minlength=col_count.size)
    col_ids = np.flatnonzero(col_count)
    nodes = np.concatenate([row_ids, col_ids + n_rows])  # ascending: rows, then columns
    degree = np.concatenate([graph.row_degree[row_ids], col_degree[col_ids]])
    alive = np.zeros(graph.start.size - 1, dtype=bool)
    alive[nodes] = True
    alive_rows = row_ids.size
    best_density, best_rows = -1.0, np.empty(0, dtype=np.int64)
    while alive_rows and alive_rows < nodes.size:
        density = float(degree[:alive_rows].sum()) / nodes.size
        if density > best_density:
            best_density, best_rows = density, nodes[:alive_rows]
        floor = degree.min() * (1.0 + epsilon)
        k = max(1, int(_PEEL_STEP * nodes.size))
        low = degree <= floor
        if np.count_nonzero(low) < k:
            low = degree <= max(_kth_smallest(degree, k), floor)
        removed, kept = nodes[low], ~low
        alive_rows = int(np.count_nonzero(kept[:alive_rows]))
        nodes, degree = nodes[kept], degree[kept]
        if not alive_rows or alive_rows == nodes.size:
            break
        alive[removed] = False
        position, _ = graph.edges_of(removed)
        edge = graph.edge[position]
        lost = live_edge[edge]
        live_edge[edge[lost]] = False
        neighbours = graph.other[position[lost]]
        touched, lost_edges = np.unique(neighbours[alive[neighbours]], return_counts=True)
        split = int(np.searchsorted(touched, n_rows))
        touched_cols = touched[split:] - n_rows
        if graph.table is not None:
            col_count[touched_cols] -= lost_edges[split:]
            col_sums = graph.table[graph.kind[touched_cols], col_count[touched_cols]]
        else:
            col_sums = graph.live_sums(touched[split:], live_edge, is_row=False)
        row_sums = graph.live_sums(touched[:split], live_edge, is_row=True)
        degree[np.searchsorted(nodes, touched)] = np.concatenate([row_sums, col_sums])
    return best_rows, best_density


def _kth_smallest(values: np.ndarray, k: int) -> float:
    """The ``k``-th smallest of ``values`` (1-based), as ``np.partition`` finds it, but
    selecting among a small candidate set when a strided sample bounds it: the
    values up to a sample quantile, if there are at least ``k`` of them.

    >>> float(_kth_smallest(np.arange(10_000.0)[::-1], 500))
    499.0
    """
    if values.size >= 4096:
        stride = values.size // 512
        sample = values[::stride]
        rank = min(sample.size - 1, 2 * k // stride + 4)
        candidates = values[values <= np.partition(sample, rank)[rank]]
        if candidates.size >= k:
            return float(np.partition(candidates, k - 1)[k - 1])
    return float(np.partition(values, k - 1)[k - 1])


class SharedInfrastructure(Detector):
    """Dense blocks of accounts sharing /24 networks, client builds, cards and e-mail patterns (FRAUDAR)."""

    signal = "shared IP ranges, client fingerprints, payment, e-mail patterns"
    reference = (
        "FRAUDAR (Hooi et al., KDD 2016) dense-block detection; batched peeling after Bahmani et al. (VLDB 2012); "
        "accounts behind shared IPs (EvilCohort, Stringhini et al., USENIX Security 2015); 2026 hydra disclosures"
    )
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "links": tuple,
        "window": Interval(int, 1, None),
        "every": Interval(int, 1, None),
        "blocks": Interval(int, 1, None),
        "min_accounts": Interval(int, 2, None),
        "epsilon": Interval(float, 0.0, None, closed="neither"),
        "half_density": Interval(float, 0.0, None, closed="neither"),
    }

    def __init__(
        self,
        links: tuple[str, ...] = LINKS,
        window: int = 1440,
        every: int = 120,
        blocks: int = 8,
        min_accounts: int = 3,
        epsilon: float = 0.1,
        half_density: float = 1.0,
    ) -> None:
        self.links = links
        self.window = window
        self.every = every
        self.blocks = blocks
        self.min_accounts = min_accounts
        self.epsilon = epsilon
        self.half_density = half_density

    def _start(self) -> None:
        self.check_params()
        unknown = [link for link in self.links if link not in LINKS]
        if unknown or not self.links:
            raise ValueError(f"Unknown links {unknown}; valid links: {', '.join(LINKS)}")
        self.index_ = ix = AccountIndex()
        ix.add_array("payment", np.uint64)
        ix.add_array("email_pattern", np.uint64)
        ix.add_array("score", np.float64)
        self.edges_: list[list[np.ndarray]] = [[], []]  # generations: current, previous; (code << 64 | asset) pairs
        self.generation_ = 0

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "index_"):
            self._start()
        if batch.tick // self.window != self.generation_:
            steps = batch.tick // self.window - self.generation_
            self.generation_ = batch.tick // self.window
            self.edges_ = [[], self.edges_[0] if steps == 1 else []]
        ix = self.index_
        v = view(batch)
        if len(batch.accounts):
            codes = ix.register(v)
            if "payment" in self.links:
                ix["payment"][codes] = splitmix64(v.registry_hash("payment_fingerprint") ^ np.uint64(21))
            if "email_pattern" in self.links:
                ix["email_pattern"][codes] = splitmix64(v.registry_email_pattern_hash ^ np.uint64(22))
        if v.n:
            codes = ix.codes_for(v)[v.account_of_row]
            assets = []
            if "subnet" in self.links:
                assets.append(splitmix64(v.string_hash("subnet") ^ np.uint64(23)))
            if "asn_fingerprint" in self.links:
                fingerprint = splitmix64(v.string_hash("client_fingerprint") ^ np.uint64(24))
                assets.append(splitmix64(fingerprint ^ v.column("asn").astype(np.uint64)))
            if assets:
                links = np.column_stack([np.tile(codes.astype(np.uint64), len(assets)), np.concatenate(assets)])
                _add(self.edges_[0], links)
        if (batch.tick + 1) % self.every:
            return None
        return self._evaluate()

    def _evaluate(self) -> pd.Series | None:
        ix = self.index_
        for generation in self.edges_:
            _compact(generation)
        parts = [g[0] for g in self.edges_ if g]
        for link in ("payment", "email_pattern"):
            if link in self.links:
                have = np.flatnonzero(ix[link] != 0)
                parts.append(np.column_stack([have.astype(np.uint64), ix[link][have]]))
        if not parts:
            return None
        pairs = np.concatenate(parts)
        asset, assets = pd.factorize(pairs[:, 1])  # by hashing; then rank the distinct assets alone
        rank = np.empty(assets.size, dtype=np.int64)
        rank[np.argsort(assets)] = np.arange(assets.size)
        asset = rank[asset]  # each link's asset, numbered in ascending order of hash
        # distinct (account, asset) edges, sorted by account then asset: one sort of integer keys
        edge = np.unique(pairs[:, 0].astype(np.int64) * assets.size + asset)
        account, asset = np.divmod(edge, assets.size)
        degree = np.bincount(asset, minlength=assets.size)  # accounts per asset
        shared = degree[asset] >= 2
        account, asset = account[shared], asset[shared]
        score = np.zeros(len(ix))
        if account.size:
            first = np.r_[True, account[1:] != account[:-1]]
            rows, row_ids = account[first], np.cumsum(first) - 1
            col_ids = (np.cumsum(degree >= 2) - 1)[asset]
            weights = 1.0 / np.log(degree[asset] + 5.0)
            for block, density in dense_blocks(row_ids, col_ids, weights, self.blocks, self.min_accounts, self.epsilon):
                members = rows[block]
                score[members] = np.maximum(score[members], saturating(np.array([density]), self.half_density)[0])
        changed = np.flatnonzero(score != ix["score"])
        ix["score"][changed] = score[changed]
        if changed.size == 0:
            return None
        return ix.scores(changed, score[changed])


_COMPACT_ROWS = 1 << 16
"""A generation's request links are deduplicated once this many rows (and at least as
many as it already holds) have been added since its last deduplication."""


def _add(generation: list[np.ndarray], pairs: np.ndarray) -> None:
    """Append (account code, asset hash) rows to a generation, deduplicating it when
    the rows added since the last deduplication outgrow it (so that memory follows
    distinct links, and each row is hashed a bounded number of times)."""
    generation.append(pairs)
    added = sum(part.shape[0] for part in generation[1:])
    if added >= max(_COMPACT_ROWS, generation[0].shape[0]):
        _compact(generation)


def _compact(generation: list[np.ndarray]) -> None:
    """Make a generation one array of distinct rows."""
    if len(generation) > 1 or (generation and generation[0].size):
        generation[:] = [_distinct(np.concatenate(generation))]


def _distinct(pairs: np.ndarray) -> np.ndarray:
    """The distinct rows of a (n, 2) uint64 array, deduplicated on a 64-bit hash of
    the row (one hash table of n keys instead of a lexicographic row sort)."""
    key = splitmix64(pairs[:, 1] ^ splitmix64(pairs[:, 0]))
    return pairs[~pd.Series(key).duplicated().to_numpy()]  # hashing, not sorting: the order does not matter
