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

    >>> r = np.array([0, 0, 1, 1, 2, 2, 3]); c = np.array([0, 1, 0, 1, 0, 1, 2])
    >>> [(ids.tolist(), round(g, 2)) for ids, g in dense_blocks(r, c, np.ones(7), 2, 2, 0.1)]
    [([0, 1, 2], 1.2)]
    """
    if rows.size == 0:
        return []
    n_rows, n_cols = int(rows.max()) + 1, int(cols.max()) + 1
    order = np.lexsort((cols, rows))  # edges row by row, columns ascending (a CSR matrix's order)
    rows, cols, weights = rows[order], cols[order], np.asarray(weights, dtype=np.float64)[order]
    remaining = np.arange(n_rows)
    found: list[tuple[np.ndarray, float]] = []
    for _ in range(blocks):
        alive = np.zeros(n_rows, dtype=bool)
        alive[remaining] = True
        edges = alive[rows]
        position = np.cumsum(alive) - 1
        block, density = _peel(
            position[rows[edges]], cols[edges], weights[edges], remaining.size, n_cols, remaining, epsilon
        )
        if block.size < min_rows or density <= 0:
            break
        found.append((block, density))
        remaining = np.setdiff1d(remaining, block, assume_unique=True)
    return found


_PEEL_STEP = 0.05
"""Each peeling pass removes at least this share of the remaining nodes."""


def _peel(
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    n_rows: int,
    n_cols: int,
    row_ids: np.ndarray,
    epsilon: float,
) -> tuple[np.ndarray, float]:
    """The densest subgraph met while peeling the lowest-degree nodes in batches:
    each pass removes every node within ``1 + epsilon`` of the smallest weighted
    degree, and at least the lowest ``_PEEL_STEP`` of the nodes, then drops them
    and their edges, so that passes get cheaper as the graph shrinks.

    The graph is a list of edges in row-major order (rows ascending, each row's
    columns ascending), and degrees are summed exactly as a CSR matrix sums them
    (a row's weights by ``numpy.add.reduceat``, a column's one edge after the
    other in row order), so the result does not depend on the representation."""
    used = np.bincount(cols, weights=weights, minlength=n_cols) > 0
    rows, cols, weights, n_cols = _keep(rows, cols, weights, np.ones(n_rows, dtype=bool), used)
    best_density, best_rows = -1.0, np.empty(0, dtype=np.int64)
    while n_rows and n_cols:
        row_degree = np.zeros(n_rows)
        if rows.size:
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            row_degree[rows[starts]] = np.add.reduceat(weights, starts)
        col_degree = np.bincount(cols, weights=weights, minlength=n_cols)
        density = float(row_degree.sum()) / (n_rows + n_cols)
        if density > best_density:
            best_density, best_rows = density, row_ids
        degrees = np.concatenate([row_degree, col_degree])
        k = max(1, int(_PEEL_STEP * degrees.size))
        cut = max(np.partition(degrees, k - 1)[k - 1], degrees.min() * (1.0 + epsilon))
        keep_rows, keep_cols = row_degree > cut, col_degree > cut
        rows, cols, weights, n_cols = _keep(rows, cols, weights, keep_rows, keep_cols)
        n_rows = int(keep_rows.sum())
        row_ids = row_ids[keep_rows]
    return best_rows, best_density


def _keep(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, keep_rows: np.ndarray, keep_cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The edges between kept rows and kept columns, both renumbered densely in order."""
    edges = keep_rows[rows] & keep_cols[cols]
    row_position = np.cumsum(keep_rows) - 1
    col_position = np.cumsum(keep_cols) - 1
    return row_position[rows[edges]], col_position[cols[edges]], weights[edges], int(keep_cols.sum())


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
                self.edges_[0].append(_pairs(np.tile(codes, len(assets)), np.concatenate(assets)))
        if (batch.tick + 1) % self.every:
            return None
        return self._evaluate()

    def _evaluate(self) -> pd.Series | None:
        ix = self.index_
        for generation in self.edges_:  # compact: one deduplicated array per generation
            if len(generation) > 1 or (generation and generation[0].size):
                merged = _distinct(np.concatenate(generation))
                generation[:] = [merged]
        parts = [g[0] for g in self.edges_ if g]
        for link in ("payment", "email_pattern"):
            if link in self.links:
                have = np.flatnonzero(ix[link] != 0)
                parts.append(_pairs(have, ix[link][have]))
        if not parts:
            return None
        pairs = _distinct(np.concatenate(parts))
        account, asset_hash = pairs[:, 0].astype(np.int64), pairs[:, 1]
        asset, degree = np.unique(asset_hash, return_inverse=True, return_counts=True)[1:]
        shared = degree[asset] >= 2
        account, asset = account[shared], asset[shared]
        score = np.zeros(len(ix))
        if account.size:
            rows, row_ids = np.unique(account, return_inverse=True)
            cols, col_ids = np.unique(asset, return_inverse=True)
            weights = 1.0 / np.log(degree[cols][col_ids] + 5.0)
            for block, density in dense_blocks(row_ids, col_ids, weights, self.blocks, self.min_accounts, self.epsilon):
                members = rows[block]
                score[members] = np.maximum(score[members], saturating(np.array([density]), self.half_density)[0])
        changed = np.flatnonzero(score != ix["score"])
        ix["score"][changed] = score[changed]
        if changed.size == 0:
            return None
        return ix.scores(changed, score[changed])


def _pairs(codes: np.ndarray, assets: np.ndarray) -> np.ndarray:
    """Distinct (account code, asset hash) rows as a (n, 2) uint64 array."""
    return _distinct(np.column_stack([codes.astype(np.uint64), assets.astype(np.uint64)]))


def _distinct(pairs: np.ndarray) -> np.ndarray:
    """The distinct rows of a (n, 2) uint64 array, deduplicated on a 64-bit hash of
    the row (one hash table of n keys instead of a lexicographic row sort)."""
    key = splitmix64(pairs[:, 1] ^ splitmix64(pairs[:, 0]))
    return pairs[~pd.Series(key).duplicated().to_numpy()]  # hashing, not sorting: the order does not matter
