"""Traffic-window distribution shift: an MMD two-sample test against a benign reference.

Attack traffic mixed into a reseller's stream of legitimate customers hides
every account-level signal the reseller's key carries; what remains is that the
stream's *distribution* moves. The maximum mean discrepancy (Gretton, Borgwardt,
Rasch, Schölkopf and Smola, JMLR 2012) measures that move as the distance
between the mean kernel embeddings of two samples; with random Fourier features
(Rahimi and Recht, NIPS 2007) the embedding is an explicit vector,
``φ(u) = √(2/D) cos(uW + b)`` with ``W ~ N(0, 1/bandwidth²)``, ``b ~ U(0, 2π)``
(seeded), and ``MMD² ≈ ‖μ_window − μ_reference‖²`` costs ``D`` numbers per stream.

A request is described by ``u`` = (log10 input, output and max tokens,
chain-of-thought flag, conversation opener flag, one-hot topic / √2). Traffic is
split into streams by the request column ``group`` (default the access
``pathway``; ``None``: one stream). Per stream:

* the **reference** is the mean embedding of the stream's first ``reference``
  seconds of traffic (counted from the stream's first request). It must be a
  period you trust to be benign and long enough to cover the daily rhythm's
  swings: with one hour of night-time traffic as reference, ordinary daytime
  traffic already looks shifted;
* the **window** is the exponentially decayed mean embedding (half-life
  ``window_half_life`` seconds); ``δ = μ_window − μ_reference``;
* the **shift** ``z = ‖δ‖² / noise²`` compares the MMD with its size under no
  shift, ``noise² = (1 − ‖μ_reference‖²)(1/n_window + 1/n_reference)``, and
  ``gate = (z − 1) / (z − 1 + 3)`` (0 without a shift).

Each account keeps its own decayed mean embedding ``m`` (half-life
``half_life``) over ``n`` requests; its share of the shift is the witness
function averaged over its requests, relative to the reference,
``w = (m − μ_reference)·δ / ‖δ‖²`` — about ``1/π`` for an account whose traffic is
the new component making up a share ``π`` of the window, about 0 for an account
that looks like the reference. Then

    score = gate · saturating(w · n / (n + prior_requests), 1)
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import ThreadpoolController

from detectors.accounts import DecayedSums
from detectors.base import Constraint, Detector, Interval
from detectors.features import DAY, topic_codes
from detectors.scoring import saturating
from detectors.sharing import shares_scores
from detectors.view import BatchView, view
from simulator.prompts import TOPICS
from simulator.traffic import RequestBatch

__all__ = ["WindowShift", "request_vectors"]


def request_vectors(requests: pd.DataFrame) -> np.ndarray:
    """The per-request description ``u`` embedded by :class:`WindowShift`: shape (n, 5 + len(TOPICS) + 1)."""
    n = len(requests)
    topics = np.zeros((n, len(TOPICS) + 1))
    topics[np.arange(n), topic_codes(requests["topic"])] = 1.0 / np.sqrt(2.0)
    numeric = np.column_stack(
        [
            np.log10(1.0 + requests["input_tokens"].to_numpy(dtype=np.float64)),
            np.log10(1.0 + requests["output_tokens"].to_numpy(dtype=np.float64)),
            np.log10(1.0 + requests["max_tokens"].to_numpy(dtype=np.float64)),
            requests["cot_requested"].to_numpy(dtype=np.float64),
            (requests["turn"].to_numpy() == 0).astype(np.float64),
        ]
    )
    return np.hstack([numeric, topics])


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's handle on its BLAS thread pools (looked up once)."""
    return ThreadpoolController().select(user_api="blas")


class _OneBlasThread:
    """While entered, every BLAS library runs on one thread; their threads are
    restored on exit (``ThreadpoolController.limit`` without its inventory of every
    thread pool on each entry, tens of microseconds a tick)."""

    def __enter__(self) -> None:
        self.libraries = _blas().lib_controllers
        self.threads = [library.num_threads for library in self.libraries]
        for library in self.libraries:
            library.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        for library, count in zip(self.libraries, self.threads, strict=True):
            library.set_num_threads(count)


def _vectors(v: BatchView) -> np.ndarray:
    """:func:`request_vectors` from a batch's shared view, as float32 (each value
    computed in float64, then rounded once, as ``request_vectors(…).astype(np.float32)``)."""
    n = v.n
    u = np.zeros((n, 5 + len(TOPICS) + 1), dtype=np.float32)
    u[:, 0] = np.log10(1.0 + v.column("input_tokens").astype(np.float64))
    u[:, 1] = np.log10(1.0 + v.column("output_tokens").astype(np.float64))
    u[:, 2] = np.log10(1.0 + v.column("max_tokens").astype(np.float64))
    u[:, 3] = v.column("cot_requested")
    u[:, 4] = v.column("turn") == 0
    u[np.arange(n), 5 + v.topic] = 1.0 / np.sqrt(2.0)
    return u


def _streams(v: BatchView, column: str) -> tuple[np.ndarray, list[str]]:
    """Per row, its stream's position among the batch's streams (in the order of
    their codes), and their names (the values of ``column``; a missing value is the
    stream ``"nan"``)."""
    codes, vocabulary = v.codes(column)
    present = np.flatnonzero(np.bincount(codes + 1, minlength=len(vocabulary) + 1))  # code + 1, ascending
    position = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    position[present] = np.arange(present.size)
    names = [vocabulary[c - 1] if c > 0 else "nan" for c in present.tolist()]
    return position[codes + 1], names


def _account_rows(v: BatchView, phi: np.ndarray) -> np.ndarray:
    """Per account of the batch, its requests and the sum of its rows of ``phi``,
    side by side (float64, shape (accounts, 1 + width)), each sum added in row
    order from 0.0: the floats of ``account_sum("requests")`` and
    ``account_vector_sum(phi)``, in the layout of the detector's per-account sums.

    The sparse product ``indicator @ [1 | phi]`` with the rows of each account in
    order (:attr:`~detectors.view.BatchView.rows_by_account`): scipy adds ``1.0 ·
    row`` (exact) to a zeroed sum row after row, the very additions of the weighted
    ``bincount`` behind ``account_vector_sum``, for a third of its cost."""
    values = np.empty((v.n, 1 + phi.shape[1]))
    values[:, 0] = 1.0
    values[:, 1:] = phi
    starts = np.zeros(v.accounts + 1, dtype=np.int64)
    np.cumsum(v.account_requests, out=starts[1:])
    indicator = sparse.csr_matrix((np.ones(v.n), v.rows_by_account, starts), shape=(v.accounts, v.n))
    return indicator @ values


class WindowShift(Detector):
    """Accounts behind a shift of their traffic stream away from a benign reference (MMD)."""

    signal = "distribution of a traffic stream against a benign reference"
    reference = (
        "Maximum mean discrepancy (Gretton et al., JMLR 2012) with random Fourier features (Rahimi and Recht, "
        "NIPS 2007); attack traffic mixed into reseller streams in the 2026 disclosures"
    )
    checking_params: ClassVar[dict[str, Any]] = {"reference": 3600.0}
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "reference": Interval(float, 0.0, None, closed="neither"),
        "window_half_life": Interval(float, 0.0, None, closed="neither"),
        "half_life": Interval(float, 0.0, None, closed="neither"),
        "components": Interval(int, 2, 4096, closed="both"),
        "bandwidth": Interval(float, 0.0, None, closed="neither"),
        "prior_requests": Interval(float, 0.0, None),
        "seed": Interval(int, 0, None),
    }

    def __init__(
        self,
        group: str | None = "pathway",
        reference: float = 6 * 3600.0,
        window_half_life: float = 3600.0,
        half_life: float = DAY,
        components: int = 64,
        bandwidth: float = 1.0,
        prior_requests: float = 10.0,
        seed: int = 0,
    ) -> None:
        self.group = group
        self.reference = reference
        self.window_half_life = window_half_life
        self.half_life = half_life
        self.components = components
        self.bandwidth = bandwidth
        self.prior_requests = prior_requests
        self.seed = seed

    def _start(self) -> None:
        self.check_params()
        rng = np.random.default_rng(self.seed)
        d = 5 + len(TOPICS) + 1
        self.weights_ = rng.normal(0.0, 1.0 / self.bandwidth, size=(d, self.components)).astype(np.float32)
        self.offsets_ = rng.uniform(0.0, 2 * np.pi, size=self.components).astype(np.float32)
        self.accounts_ = DecayedSums(self.half_life, {"n": 1, "embedding": self.components})
        self.accounts_.index.add_array("first", np.int64, fill=-1)
        self.first_seen_ = 0
        self.streams_: dict[str, dict[str, np.ndarray | float]] = {}

    def _embed(self, u: np.ndarray) -> np.ndarray:
        """Random Fourier features of the rows of ``u`` (float32: the sums are float64)."""
        phase = u.astype(np.float32, copy=False) @ self.weights_
        phase += self.offsets_
        np.cos(phase, out=phase)
        phase *= np.float32(np.sqrt(2.0 / self.components))
        return phase

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        # a tick's matrix products are small: threads would cost more than they save
        # (and on a busy machine far more); one thread computes the same values
        with _OneBlasThread():
            return self._update(batch)

    def _update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "accounts_"):
            self._start()
        v = view(batch)
        if v.n == 0:
            return None
        phi = self._embed(_vectors(v))
        if self.group is None:
            group_of, names = np.zeros(v.n, dtype=np.int64), ["all"]
        else:
            group_of, names = _streams(v, self.group)
        ix = self.accounts_.index
        codes = ix.codes_for(v)  # one per account of the batch
        stored = self.accounts_.add_rows(batch.end, codes, _account_rows(v, phi))
        # accounts in the order they first sent a request: the scores' matrix products
        # (BLAS) round a row differently depending on where it sits in the matrix
        first = ix["first"]
        new = codes[first[codes] < 0]
        first[new] = self.first_seen_ + np.arange(new.size)
        self.first_seen_ += new.size
        by_first = np.argsort(first[codes])
        touched = codes[by_first]
        place = np.empty(codes.size, dtype=np.int64)
        place[by_first] = np.arange(codes.size)
        position = place[v.account_of_row]
        scores = np.zeros(touched.size)
        scored = np.zeros(touched.size, dtype=bool)
        # the rows stream by stream, each stream's in order: slices instead of a mask and a copy per stream
        by_stream = np.argsort(group_of, kind="stable")
        bounds = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(group_of, minlength=len(names)), out=bounds[1:])
        phi, position = phi.take(by_stream, axis=0), position[by_stream]
        for g, name in enumerate(names):
            rows = slice(bounds[g], bounds[g + 1])
            stream = self._stream(str(name), batch)
            self._fold_stream(stream, phi[rows], batch)
            if batch.end <= stream["reference_until"] or stream["reference_n"] == 0:
                continue
            accounts = np.flatnonzero(np.bincount(position[rows], minlength=touched.size))  # ascending
            scores[accounts] = np.maximum(scores[accounts], self._score(stream, stored, by_first[accounts]))
            scored[accounts] = True
        if not scored.any():
            return None
        return self.accounts_.index.scores(touched[scored], scores[scored])

    def _stream(self, name: str, batch: RequestBatch) -> dict[str, np.ndarray | float]:
        stream = self.streams_.get(name)
        if stream is None:
            zeros = np.zeros(self.components)
            stream = {"reference_sum": zeros, "reference_n": 0.0, "reference_until": batch.start + self.reference,
                      "window_sum": zeros.copy(), "window_n": 0.0, "window_at": batch.end}  # fmt: skip
            self.streams_[name] = stream
        return stream

    def _fold_stream(self, stream: dict, phi: np.ndarray, batch: RequestBatch) -> None:
        total = phi.sum(axis=0)  # float32, row after row
        if batch.end <= stream["reference_until"]:
            stream["reference_sum"] = stream["reference_sum"] + total
            stream["reference_n"] += phi.shape[0]
        decay = np.exp2(-(batch.end - stream["window_at"]) / self.window_half_life)
        stream["window_sum"] = stream["window_sum"] * decay + total
        stream["window_n"] = stream["window_n"] * decay + phi.shape[0]
        stream["window_at"] = batch.end

    def _score(self, stream: dict, stored: np.ndarray, accounts: np.ndarray) -> np.ndarray:
        """The scores of ``accounts`` (positions among the rows ``stored`` after this
        tick's sums, as :meth:`~detectors.accounts.DecayedSums.add_rows` returns them)
        against ``stream``."""
        reference = stream["reference_sum"] / stream["reference_n"]
        delta = stream["window_sum"] / stream["window_n"] - reference
        size = float(delta @ delta)
        noise = max(1.0 - float(reference @ reference), 1e-6) * (1.0 / stream["window_n"] + 1.0 / stream["reference_n"])
        z = size / noise
        gate = max(z - 1.0, 0.0) / (max(z - 1.0, 0.0) + 3.0)
        if gate == 0.0 or size <= 0:
            return np.zeros(accounts.size)
        block = stored[accounts]
        n = block[:, self.accounts_.slot("n")]
        mean = block[:, self.accounts_.slot("embedding")] / n[:, None]
        witness = (mean - reference) @ delta / size
        return gate * saturating(witness * n / (n + self.prior_requests), 1.0)
