"""Batched peeling on an edge list gives, bit for bit, what a plain peeling of a sparse
matrix of the same integer weight units gives, whatever the order of the edges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from detectors.infrastructure import (
    _PEEL_STEP,
    WEIGHT_UNITS,
    _Graph,
    _kth_smallest,
    _Remainder,
    _sorted_distinct,
    dense_blocks,
)


def _peel_matrix(matrix: sparse.csr_matrix, row_ids: np.ndarray, epsilon: float) -> tuple[np.ndarray, float]:
    """The reference: the same peeling with scipy's CSR matrices of whole weight units,
    every degree summed again on every pass."""
    used = np.asarray(matrix.sum(axis=0)).ravel() > 0
    matrix = matrix[:, used]
    best_density, best_rows = -1.0, np.empty(0, dtype=np.int64)
    while matrix.shape[0] and matrix.shape[1]:
        row_degree = np.asarray(matrix.sum(axis=1)).ravel()
        col_degree = np.asarray(matrix.sum(axis=0)).ravel()
        density = int(row_degree.sum()) / WEIGHT_UNITS / (matrix.shape[0] + matrix.shape[1])
        if density > best_density:
            best_density, best_rows = density, row_ids
        degrees = np.concatenate([row_degree, col_degree])
        k = max(1, int(_PEEL_STEP * degrees.size))
        cut = max(np.partition(degrees, k - 1)[k - 1], degrees.min() * (1.0 + epsilon))
        keep_rows, keep_cols = row_degree > cut, col_degree > cut
        matrix = matrix[keep_rows][:, keep_cols]
        row_ids = row_ids[keep_rows]
    return best_rows, best_density


def dense_blocks_matrix(rows, cols, weights, blocks, min_rows, epsilon):
    n_rows, n_cols = int(rows.max()) + 1, int(cols.max()) + 1
    units = np.rint(np.asarray(weights) * WEIGHT_UNITS).astype(np.int64)
    matrix = sparse.csr_matrix((units, (rows, cols)), shape=(n_rows, n_cols))
    remaining = np.arange(n_rows)
    found = []
    for _ in range(blocks):
        block, density = _peel_matrix(matrix[remaining], remaining, epsilon)
        if block.size < min_rows or density <= 0:
            break
        found.append((block, density))
        remaining = np.setdiff1d(remaining, block, assume_unique=True)
    return found


def _random_graph(seed: int, n_rows: int, n_cols: int, dense: float, weighing: str):
    """Distinct edges in any order, weighed per edge at random, per column by its number
    of rows (as the detector weighs them), all alike (ties everywhere), or heavily."""
    rng = np.random.default_rng(seed)
    n = max(1, int(dense * n_rows * n_cols))
    flat = np.unique(rng.integers(0, n_rows * n_cols, n))
    rows, cols = flat // n_cols, flat % n_cols
    order = rng.permutation(rows.size)  # edges in any order
    rows, cols = rows[order], cols[order]
    if weighing == "edge":
        weights = 1.0 / np.log(rng.integers(2, 50, rows.size) + 5.0)
    elif weighing == "heavy":  # too heavy to pack with the other end in 64 bits
        weights = 4.0 + rng.random(rows.size)
    elif weighing == "column":
        weights = 1.0 / np.log(np.bincount(cols)[cols] + 5.0)
    else:
        weights = np.ones(rows.size)
    return rows, cols, weights


def _graph_parameters(max_rows: int, max_cols: int, max_dense: float) -> dict[str, st.SearchStrategy]:
    """Strategies for the arguments of :func:`_random_graph`."""
    return {
        "seed": st.integers(0, 2**32 - 1),
        "n_rows": st.integers(1, max_rows),
        "n_cols": st.integers(1, max_cols),
        "dense": st.floats(0.002, max_dense),
        "weighing": st.sampled_from(["edge", "column", "same", "heavy"]),
    }


@settings(max_examples=60, deadline=None)
@given(**_graph_parameters(400, 300, 0.2))
def test_peeling_an_edge_list_matches_the_sparse_matrix_bit_for_bit(seed, n_rows, n_cols, dense, weighing) -> None:
    rows, cols, weights = _random_graph(seed, n_rows, n_cols, dense, weighing)
    got = dense_blocks(rows, cols, weights, 8, 3, 0.1)
    expected = dense_blocks_matrix(rows, cols, weights, 8, 3, 0.1)
    assert len(got) == len(expected)
    for (a, da), (b, db) in zip(got, expected, strict=True):
        assert a.tolist() == b.tolist() and da == db
    ordered = np.lexsort((cols, rows))  # edges already in row-major order are not sorted again
    again = dense_blocks(rows[ordered], cols[ordered], weights[ordered], 8, 3, 0.1)
    assert [(a.tolist(), da) for a, da in again] == [(b.tolist(), db) for b, db in expected]


@settings(max_examples=60, deadline=None)
@given(**_graph_parameters(200, 200, 0.3))
def test_the_graph_lists_every_edge_once_from_each_end_with_its_weight(seed, n_rows, n_cols, dense, weighing) -> None:
    rows, cols, weights = _random_graph(seed, n_rows, n_cols, dense, weighing)
    graph = _Graph.of(rows, cols, weights)
    weight_units = np.rint(weights * WEIGHT_UNITS).astype(np.int64).tolist()
    n = graph.n_rows
    expected = sorted([(r, c + n, u) for r, c, u in zip(rows.tolist(), cols.tolist(), weight_units, strict=True)])
    expected += sorted((c + n, r, u) for r, c, u in zip(rows.tolist(), cols.tolist(), weight_units, strict=True))
    node = np.repeat(np.arange(graph.n_nodes), graph.edges)
    other, units = graph.edges_of()
    listed = list(zip(node.tolist(), other.tolist(), units.tolist(), strict=True))
    assert sorted(listed) == sorted(expected)
    assert (graph.packed is None) == (weighing == "heavy")  # packed when weights are below 2
    some = np.flatnonzero(np.random.default_rng(seed).random(graph.n_nodes) < 0.5)
    positions = graph.positions_of(some)
    assert [a.tolist() for a in graph.edges_of(some)] == [other[positions].tolist(), units[positions].tolist()]
    degree = [0] * graph.n_nodes
    for v, _, u in expected:
        degree[v] += u
    assert _Remainder.whole(graph).degree.tolist() == degree


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(-(2**62), 2**62), max_size=60), repeat=st.integers(1, 3))
def test_the_sorted_distinct_links_are_the_ones_numpy_unique_finds(values, repeat) -> None:
    array = np.array(values * repeat, dtype=np.int64)
    got = _sorted_distinct(array)
    assert got.dtype == np.int64 and got.tolist() == np.unique(array).tolist()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 30_000), share=st.floats(0.0, 1.0), ties=st.booleans())
def test_the_kth_smallest_degree_is_the_one_a_full_partition_finds(seed, size, share, ties) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 20, size).astype(np.float64) if ties else rng.exponential(size=size)
    k = max(1, int(share * size)) if share < 1.0 else size
    assert _kth_smallest(values, k) == np.partition(values, k - 1)[k - 1]


def test_a_generations_request_links_are_deduplicated_as_they_grow(monkeypatch) -> None:
    import detectors.infrastructure as infrastructure

    monkeypatch.setattr(infrastructure, "_COMPACT_ROWS", 8)
    generation: list[np.ndarray] = []
    tick = np.array([[1, 7], [1, 7], [2, 7]], dtype=np.uint64)
    for _ in range(5):
        infrastructure._add(generation, tick)
    assert sum(part.shape[0] for part in generation) < 5 * tick.shape[0]  # compacted on the way
    infrastructure._compact(generation)
    assert len(generation) == 1 and sorted(map(tuple, generation[0].tolist())) == [(1, 7), (2, 7)]


@pytest.mark.parametrize("weights", [[1.0, np.nan], [1.0, -0.5], [1.0, np.inf], [2.0**30, 1.0]])
def test_weights_that_cannot_be_counted_in_whole_units_are_refused(weights) -> None:
    with pytest.raises(ValueError, match="weights"):
        dense_blocks(np.array([0, 1]), np.array([0, 0]), np.array(weights), 1, 2, 0.1)
