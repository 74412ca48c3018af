"""Batched peeling on an edge list gives, bit for bit, what it gave on a sparse matrix."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from detectors.infrastructure import _PEEL_STEP, dense_blocks


def _peel_matrix(matrix: sparse.csr_matrix, row_ids: np.ndarray, epsilon: float) -> tuple[np.ndarray, float]:
    """The reference: the same peeling with scipy's CSR matrices."""
    used = np.asarray(matrix.sum(axis=0)).ravel() > 0
    matrix = matrix[:, used]
    best_density, best_rows = -1.0, np.empty(0, dtype=np.int64)
    while matrix.shape[0] and matrix.shape[1]:
        row_degree = np.asarray(matrix.sum(axis=1)).ravel()
        col_degree = np.asarray(matrix.sum(axis=0)).ravel()
        density = float(row_degree.sum()) / (matrix.shape[0] + matrix.shape[1])
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
    matrix = sparse.csr_matrix((weights, (rows, cols)), shape=(n_rows, n_cols))
    remaining = np.arange(n_rows)
    found = []
    for _ in range(blocks):
        block, density = _peel_matrix(matrix[remaining], remaining, epsilon)
        if block.size < min_rows or density <= 0:
            break
        found.append((block, density))
        remaining = np.setdiff1d(remaining, block, assume_unique=True)
    return found


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), n_rows=st.integers(1, 400), n_cols=st.integers(1, 300), dense=st.floats(0.002, 0.2)
)
def test_peeling_an_edge_list_matches_the_sparse_matrix_bit_for_bit(seed, n_rows, n_cols, dense) -> None:
    rng = np.random.default_rng(seed)
    n = max(1, int(dense * n_rows * n_cols))
    flat = np.unique(rng.integers(0, n_rows * n_cols, n))
    rows, cols = flat // n_cols, flat % n_cols
    order = rng.permutation(rows.size)  # edges in any order
    rows, cols = rows[order], cols[order]
    weights = 1.0 / np.log(rng.integers(2, 50, rows.size) + 5.0)
    got = dense_blocks(rows, cols, weights, 8, 3, 0.1)
    expected = dense_blocks_matrix(rows, cols, weights, 8, 3, 0.1)
    assert len(got) == len(expected)
    for (a, da), (b, db) in zip(got, expected, strict=True):
        assert a.tolist() == b.tolist() and da == db
