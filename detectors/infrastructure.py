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
Kumar and Vassilvitskii, VLDB 2012), with no per-node loop. Weights are counted
in whole units of 2^-32, so that degrees are exact whatever the order they are
summed in, ties are ties, and a pass only takes the removed nodes' edges away
from their other ends' degrees (each edge at most twice per peeling) instead of
summing every remaining edge again. The block's accounts are then removed and the next
block sought, up to ``blocks`` blocks of at least ``min_accounts`` accounts. An
account in a block of density ``g`` scores ``g / (g + half_density)``; others
are not scored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import sparse

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
    ``weights[i]`` ≥ 0, no edge twice; row and column ids are dense from 0): up to
    ``blocks`` pairs of (row ids, density), densest first, each with at least
    ``min_rows`` rows.

    Weights are counted in whole units of ``1 / WEIGHT_UNITS`` (rounded to the nearest),
    so that degrees are exact integers whatever the order edges are added or taken away
    in: a peeling keeps them up to date by taking away the edges of the nodes it removes,
    instead of summing every remaining edge on every pass. The graph is indexed from both
    sides once (a counting sort of the edges by column, ``O(E + n)``); then a block costs
    ``O(E)`` in all (each edge is taken away at most twice) plus ``O(n)`` per pass on
    the ``n`` nodes left.

    >>> r = np.array([0, 0, 1, 1, 2, 2, 3]); c = np.array([0, 1, 0, 1, 0, 1, 2])
    >>> [(ids.tolist(), round(g, 2)) for ids, g in dense_blocks(r, c, np.ones(7), 2, 2, 0.1)]
    [([0, 1, 2], 1.2)]
    """
    if rows.size == 0:
        return []
    graph = _Graph.of(rows, cols, weights)
    remaining = np.arange(graph.n_rows)
    left = _Remainder.whole(graph)  # the graph without the blocks found so far
    found: list[tuple[np.ndarray, float]] = []
    for _ in range(blocks):
        block, density = _peel(graph, left.degree.copy(), left.nodes(remaining), epsilon)
        if block.size < min_rows or density <= 0:
            break
        found.append((block, density))
        remaining = np.setdiff1d(remaining, block, assume_unique=True)
        left.take_away(graph, block)
    return found


WEIGHT_UNITS = 1 << 32
"""Edge weights are counted in units of ``1 / WEIGHT_UNITS`` (about 2.3e-10)."""

_PEEL_STEP = 0.05
"""Each peeling pass removes at least this share of the remaining nodes."""

_UNIT_BITS = 33
"""Bits of an edge's weight (units) in its packed form (``_Graph.packed``)."""


@dataclass(frozen=True)
class _Graph:
    """A bipartite graph's adjacency seen from both sides. Nodes are numbered rows first
    (``0 .. n_rows - 1``), then columns (``n_rows + column``); node ``v``'s ``edges[v]``
    edges are at ``start[v]:start[v + 1]`` of the edge arrays, which give each edge's
    other end and weight (in units of ``1 / WEIGHT_UNITS``): in one integer,
    ``packed = other << _UNIT_BITS | units``, when every weight is below ``2**_UNIT_BITS``
    units and every node number below ``2**(63 - _UNIT_BITS)`` (so that a peeling pass
    gathers both at once), else as two arrays, ``split = (other, units)``."""

    n_rows: int
    start: np.ndarray
    edges: np.ndarray
    packed: np.ndarray | None
    split: tuple[np.ndarray, np.ndarray] | None

    @classmethod
    def of(cls, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> _Graph:
        weights = np.asarray(weights, dtype=np.float64)
        if not (np.isfinite(weights).all() and weights.min() >= 0 and weights.sum() < 2.0**30):
            raise ValueError("edge weights must be finite, non-negative and sum to less than 2**30")
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        n_rows, n_cols = int(rows.max()) + 1, int(cols.max()) + 1
        units = np.rint(weights * WEIGHT_UNITS).astype(np.int64)
        if rows.size > 1 and not (rows[1:] >= rows[:-1]).all():  # the detector gives them grouped by row
            by_row = np.argsort(rows, kind="stable")
            rows, cols, units = rows[by_row], cols[by_row], units[by_row]
        counts = np.concatenate([np.bincount(rows, minlength=n_rows), np.bincount(cols, minlength=n_cols)])
        start = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        # the column side by a counting sort (CSR to CSC), O(E + n); the order within a column
        # does not matter: sums of whole units do not depend on it
        by_col = sparse.csr_matrix((units, cols, start[: n_rows + 1]), shape=(n_rows, n_cols)).tocsc()
        other = np.concatenate([cols + n_rows, by_col.indices.astype(np.int64)])
        units = np.concatenate([units, by_col.data])
        if int(units.max()) >> _UNIT_BITS == 0 and counts.size >> (63 - _UNIT_BITS) == 0:
            return cls(n_rows, start, counts, other << _UNIT_BITS | units, None)
        return cls(n_rows, start, counts, None, (other, units))

    @property
    def n_nodes(self) -> int:
        return self.start.size - 1

    def positions_of(self, nodes: np.ndarray) -> np.ndarray:
        """Where the edges of ``nodes`` are (in ``packed``, or the arrays of ``split``), node after node."""
        counts = self.edges[nodes]
        ends = np.cumsum(counts)
        total = int(ends[-1]) if ends.size else 0
        return np.arange(total) + np.repeat(self.start[nodes] - ends + counts, counts)

    def edges_of(self, nodes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The other ends and weights (units) of the edges of ``nodes`` (default: every
        node), node after node."""
        positions = slice(None) if nodes is None else self.positions_of(nodes)
        if self.split is not None:
            other, units = self.split
            return other[positions], units[positions]
        packed = self.packed[positions]
        return packed >> _UNIT_BITS, packed & ((1 << _UNIT_BITS) - 1)


@dataclass
class _Remainder:
    """What is left of a graph as rows are taken away (the blocks found): each node's
    degree (weight units) and number of edges over the edges left."""

    n_rows: int
    degree: np.ndarray
    edge_count: np.ndarray

    @classmethod
    def whole(cls, graph: _Graph) -> _Remainder:
        units = graph.edges_of()[1]
        running = np.zeros(units.size + 1, dtype=np.int64)
        # a node's degree is a difference of running sums: exact in int64 (wrapping, were
        # the running sum to pass 2**63, would cancel out: every degree is below 2**62)
        np.cumsum(units, out=running[1:])
        return cls(graph.n_rows, running[graph.start[1:]] - running[graph.start[:-1]], graph.edges.copy())

    def nodes(self, row_ids: np.ndarray) -> np.ndarray:
        """The rows ``row_ids`` (ascending), then every column with edges left."""
        return np.concatenate([row_ids, self.n_rows + np.flatnonzero(self.edge_count[self.n_rows :])])

    def take_away(self, graph: _Graph, rows: np.ndarray) -> None:
        """Take the rows ``rows`` away: their edges from their columns' degrees and edge
        counts (a row's edges all end at columns, which stay; the rows' own entries are
        never read again)."""
        other, units = graph.edges_of(rows)
        np.subtract.at(self.degree, other, units)
        np.subtract.at(self.edge_count, other, 1)


def _peel(graph: _Graph, degree: np.ndarray, nodes: np.ndarray, epsilon: float) -> tuple[np.ndarray, float]:
    """The densest subgraph met while peeling the lowest-degree nodes of ``nodes``
    (ascending: rows, then columns; ``degree``: every node's degree over the edges
    between them, updated in place) in batches: each pass removes every node within
    ``1 + epsilon`` of the smallest weighted degree, and at least the lowest
    ``_PEEL_STEP`` of the nodes (the nodes up to the larger of the two bounds: when
    enough nodes are within ``1 + epsilon``, the ``k``-th smallest degree is below it).
    A subgraph's density is its total edge weight (the sum of its rows' degrees) over
    its number of nodes, ``units / WEIGHT_UNITS / (rows + columns)``.

    A pass takes every edge of the nodes it removes away from the other end's degree,
    without asking whether that end is still there: the degrees of removed nodes are
    never read again, and a node still there loses each of its edges once, when the
    edge's other end goes."""
    n_rows = graph.n_rows
    alive_rows = int(np.searchsorted(nodes, n_rows))
    best_density, best_rows = -1.0, np.empty(0, dtype=np.int64)
    while alive_rows and alive_rows < nodes.size:
        node_degree = degree[nodes]
        density = int(node_degree[:alive_rows].sum()) / WEIGHT_UNITS / nodes.size
        if density > best_density:
            best_density, best_rows = density, nodes[:alive_rows]
        floor = math.floor(int(node_degree.min()) * (1.0 + epsilon))  # degrees are whole units
        k = max(1, int(_PEEL_STEP * nodes.size))
        low = node_degree <= max(int(_kth_smallest(node_degree, k)), floor)
        np.subtract.at(degree, *graph.edges_of(nodes[low]))
        nodes = nodes[~low]
        alive_rows = int(np.searchsorted(nodes, n_rows))
    return best_rows, best_density


def _kth_smallest(values: np.ndarray, k: int) -> np.generic:
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
            return np.partition(candidates, k - 1)[k - 1]
    return np.partition(values, k - 1)[k - 1]


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
        if len(v.registry):
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
                links = np.empty((len(assets), v.n, 2), dtype=np.uint64)  # (code, asset) rows, link kind after kind
                links[:, :, 0] = codes
                links[:, :, 1] = assets
                _add(self.edges_[0], links.reshape(-1, 2))
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
        edge = _sorted_distinct(pairs[:, 0].astype(np.int64) * assets.size + asset)
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


def _sorted_distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, ascending: ``numpy.unique`` by one sort
    and a comparison of neighbours (``numpy.unique`` hashes integers first, which costs
    about ten times a sort on the hundreds of thousands of links of an evaluation)."""
    values = np.sort(values)
    first = np.empty(values.size, dtype=bool)
    first[:1] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]


def _distinct(pairs: np.ndarray) -> np.ndarray:
    """The distinct rows of a (n, 2) uint64 array, deduplicated on a 64-bit hash of
    the row (one hash table of n keys instead of a lexicographic row sort)."""
    key = splitmix64(pairs[:, 1] ^ splitmix64(pairs[:, 0]))
    return pairs[~pd.Series(key).duplicated().to_numpy()]  # hashing, not sorting: the order does not matter
