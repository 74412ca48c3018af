"""The per-batch view the detectors share: one aggregation of a tick that the zoo reads.

Every detector needs the same few things from a batch: its numeric columns as
numpy arrays, its categorical columns as integer codes, its string columns
hashed, and its rows grouped by account with a few sums per account. Computed
by each detector, that is most of a tick's cost, repeated a dozen times;
:func:`view` computes each piece once per batch, on first use, and caches it on
the batch object (as :attr:`~simulator.traffic.RequestBatch.requests` caches the
pandas frame), so the second detector to ask pays nothing.

Sharing is safe because a view has no state of its own: every value is a pure
function of the batch's visible columns (nothing carried over from earlier
batches, nothing written by a detector), and every array it hands out is
read-only and cannot be made writeable again, so no detector can change what
another one reads.

Accounts are grouped in order of first appearance in the batch (``account_ids``,
``account_of_row``); with the stream's serial numbers
(:class:`~simulator.traffic.AccountSerials`), grouping costs no string work at all.
Sums per account are ``numpy.bincount`` over the rows in row order, so a detector
folding them gets exactly the floats it would get grouping the rows itself.

String hashes are pandas' stable 64-bit SipHash of the UTF-8 text (what
:func:`~detectors.accounts.hash_strings` salts), computed once per distinct
value of the batch.
"""

from __future__ import annotations

import itertools
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from detectors.emails import ascii_email_patterns, email_patterns
from simulator.hashing import text_hashes
from simulator.prompts import TOPICS
from simulator.traffic import AccountSerials, RequestBatch, read_only

__all__ = ["BatchView", "frozen", "scores_serials", "view"]

_SERIALS = itertools.count()
"""Numbers the views of a process, so that a detector's history (the batches it has
seen, :mod:`detectors.sharing`) can be compared with another's; never part of a score."""

_CACHE = "_detectors_view"
"""Name under which a batch keeps its view (in the instance dictionary, as
``functools.cached_property`` does, so that the frozen dataclass stays frozen)."""


frozen = read_only
"""A read-only view of an array that cannot be made writeable again."""


def scores_serials(scores: pd.Series, serials: AccountSerials | None) -> np.ndarray | None:
    """The serial numbers a detector attached to its scores
    (:meth:`~detectors.accounts.AccountIndex.scores`), if they number the accounts
    of ``serials``' stream; else None."""
    attached = scores.attrs.get("serials")
    if attached is None or serials is None or attached[0] is not serials.stream or len(attached[1]) != len(scores):
        return None
    return attached[1]


def _immutable(array: np.ndarray) -> bool:
    """Whether ``array`` is read-only and cannot be made writeable again (as :func:`frozen`
    makes it: a read-only view of a read-only array)."""
    base = array.base
    return not array.flags.writeable and isinstance(base, np.ndarray) and not base.flags.writeable


def view(batch: RequestBatch) -> BatchView:
    """The shared view of ``batch``, built on first use."""
    cached = batch.__dict__.get(_CACHE)
    if cached is None:
        cached = BatchView(batch)
        batch.__dict__[_CACHE] = cached
    return cached


def _chunk(column: pa.ChunkedArray) -> pa.Array:
    """A column as one Arrow array (tables built per tick have one chunk)."""
    if column.num_chunks == 1:
        return column.chunk(0)
    if pa.types.is_dictionary(column.type):
        column = column.unify_dictionaries()
    return column.combine_chunks()


def _first_rows(groups: np.ndarray) -> np.ndarray:
    """For groups numbered 0, 1, 2… in order of first appearance, the row where each appears first."""
    if groups.size == 0:
        return np.empty(0, dtype=np.int64)
    seen = np.maximum.accumulate(groups)
    return np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]])


_SPREAD = 32
"""Serials spanning more than this many slots per row (plus :data:`_SPREAD_FLOOR`) are
grouped by hashing instead of :func:`_group_serials`' scatter, whose scratch array
would touch a memory page per row."""
_SPREAD_FLOOR = 65_536


def _group_serials(serials: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Rows grouped by account serial in order of first appearance, as ``pandas.factorize``
    groups them: (group of each row, first row of each group, serial of each group);
    None when the serials spread too far for a scratch array indexed by serial.

    The first row of serial ``s`` is ``min{i : serials[i] = s}`` (an unbuffered
    ``np.minimum.at`` into a scratch array indexed by ``s − min(serials)``); the rows
    that are their serial's first row, in row order, number the groups. No sort and
    no hash table: a few passes over the rows."""
    serials = np.asarray(serials, dtype=np.int64)
    n = serials.size
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    low = int(serials.min())
    span = int(serials.max()) - low + 1
    if span > _SPREAD * n + _SPREAD_FLOOR:
        return None
    local = serials - low
    scratch = np.empty(span, dtype=np.int64)  # only the slots of present serials are ever read
    scratch[local] = n
    row = np.arange(n)
    np.minimum.at(scratch, local, row)
    first = np.flatnonzero(scratch[local] == row)
    present = local[first]
    scratch[present] = np.arange(first.size)
    return scratch[local], first, present + low


@lru_cache(maxsize=64)
def _topic_positions(vocabulary: tuple[str, ...]) -> np.ndarray:
    """Position in :data:`~simulator.prompts.TOPICS` of each label of a topic
    vocabulary, then of a missing label (code −1): ``len(TOPICS)`` ("other") for
    labels outside the taxonomy. Batches of a stream share one vocabulary, so this
    runs once per stream, not per tick."""
    lookup = {name: i for i, name in enumerate(TOPICS)}
    positions = np.array([lookup.get(label, len(TOPICS)) for label in vocabulary] + [len(TOPICS)], dtype=np.int64)
    return frozen(positions)


_LAST_TOPICS: dict[str, tuple[pa.Array, np.ndarray]] = {}
"""Under ``"topic"``: the topic vocabulary (an Arrow array) of the last batch whose
:attr:`BatchView.topic` was computed, with its :func:`_topic_positions`; a cache,
never part of a result."""


class BatchView:
    """What the detectors read from one batch, computed once (see the module docstring).

    Holds the batch's table and registry rows, not the batch itself (no reference
    cycle: a tick's batch is freed as soon as the harness drops it).
    """

    def __init__(self, batch: RequestBatch) -> None:
        self.table = batch.table
        self.registry = batch.accounts
        self.serials = batch.serials
        self.text_hashes = batch.text_hashes
        self.origin = batch.origin
        self.n = batch.table.num_rows
        self._columns: dict[str, np.ndarray] = {}
        self._hashes: dict[str, np.ndarray] = {}
        self._sums: dict[str, np.ndarray] = {}
        self._categories: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
        self.serial = next(_SERIALS)
        """This view's number among the views of the process."""
        self._scores: dict[tuple[object, int], tuple[Any, Any, int]] = {}

    # -- columns ---------------------------------------------------------------------------

    def column(self, name: str) -> np.ndarray:
        """A numeric or boolean request column as a read-only numpy array."""
        array = self._columns.get(name)
        if array is None:
            array = frozen(np.asarray(_chunk(self.table.column(name)).to_numpy(zero_copy_only=False)))
            self._columns[name] = array
        return array

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """A categorical request column as (index of each row's value in the
        vocabulary, −1 for a missing value; the vocabulary)."""
        codes, vocabulary = self._codes(name)
        return codes, list(vocabulary)

    def _codes(self, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
        cached = self._categories.get(name)
        if cached is None:
            chunk = _chunk(self.table.column(name))
            if not isinstance(chunk, pa.DictionaryArray):
                chunk = chunk.dictionary_encode()
            indices = chunk.indices if chunk.indices.null_count == 0 else chunk.indices.fill_null(-1)
            codes = indices.to_numpy(zero_copy_only=False).astype(np.int64)
            cached = (frozen(codes), tuple(str(value) for value in chunk.dictionary.to_pylist()))
            self._categories[name] = cached
        return cached

    @cached_property
    def topic(self) -> np.ndarray:
        """Index of each request's topic in :data:`simulator.prompts.TOPICS`
        (``len(TOPICS)``, "other", for a label outside the taxonomy or missing)."""
        chunk = _chunk(self.table.column("topic"))
        if not isinstance(chunk, pa.DictionaryArray) or "topic" in self._categories:
            codes, vocabulary = self._codes("topic")
            return frozen(_topic_positions(vocabulary)[codes])
        # a stream's batches share one vocabulary: compared with the last one seen (the
        # Arrow arrays, without building a Python string per label and tick)
        dictionary = chunk.dictionary
        seen = _LAST_TOPICS.get("topic")
        if seen is not None and seen[0].equals(dictionary):
            positions = seen[1]
        else:
            positions = _topic_positions(tuple(str(value) for value in dictionary.to_pylist()))
            _LAST_TOPICS["topic"] = (dictionary, positions)
        indices = chunk.indices if chunk.indices.null_count == 0 else chunk.indices.fill_null(-1)
        return frozen(positions[indices.to_numpy(zero_copy_only=False)])

    @cached_property
    def hour(self) -> np.ndarray:
        """UTC hour of day (0–23) of each request: ``⌊(origin + ts) / 3600⌋ mod 24``.

        The floor of the exact quotient, as ``numpy.floor_divide`` gives it, at a
        fraction of its cost: the rounded quotient ``x / 3600`` is never below the
        integer part of the exact one (rounding is monotone and multiples of 3600
        divide exactly) and at most reaches the next integer, which ``q · 3600 > x``
        (exact for integers below 2⁵³ / 3600) detects."""
        seconds = self.origin.timestamp() + self.column("ts")
        hours = np.floor(seconds / 3600.0)
        hours -= hours * 3600.0 > seconds
        return frozen(hours.astype(np.int64) % 24)

    # -- strings ---------------------------------------------------------------------------

    def string_hash(self, name: str) -> np.ndarray:
        """Per row, pandas' stable 64-bit hash of a string column's text (the value
        :func:`~detectors.accounts.hash_strings` salts), computed once per distinct value.
        ``"subnet"`` is the IPv4 /24 network of ``ip`` (the address without its last octet)."""
        hashes = self._hashes.get(name)
        if hashes is None and self.text_hashes is not None and name in self.text_hashes:
            hashes = frozen(np.asarray(self.text_hashes[name], dtype=np.uint64))  # the producer's, once per value
            self._hashes[name] = hashes
        if hashes is None:
            source = "ip" if name == "subnet" else name
            encoded = _chunk(self.table.column(source))
            if not isinstance(encoded, pa.DictionaryArray):
                encoded = encoded.dictionary_encode()
            values = encoded.dictionary
            if name == "subnet":
                values = pc.replace_substring_regex(values, r"\.[0-9]+$", "")
            distinct = text_hashes(values.to_numpy(zero_copy_only=False))
            hashes = frozen(distinct.astype(np.uint64)[encoded.indices.to_numpy(zero_copy_only=False)])
            self._hashes[name] = hashes
        return hashes

    # -- accounts --------------------------------------------------------------------------

    @cached_property
    def _grouping(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(account of each row, first row of each account, serial of each account or None)."""
        serials = self.serials
        if serials is not None:
            grouped = _group_serials(serials.requests)
            if grouped is not None:
                return grouped
            rows, uniques = pd.factorize(serials.requests)
            rows = rows.astype(np.int64)
            return rows, _first_rows(rows), np.asarray(uniques, dtype=np.int64)
        encoded = _chunk(self.table.column("account_id")).dictionary_encode()
        rows = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return rows, _first_rows(rows), None

    @cached_property
    def account_of_row(self) -> np.ndarray:
        """For each row, its account's position in :attr:`account_ids`."""
        return frozen(self._grouping[0])

    @cached_property
    def account_ids(self) -> np.ndarray:
        """The batch's accounts (object array of ``str``), in order of first appearance."""
        first = self._grouping[1]
        column = _chunk(self.table.column("account_id"))
        return frozen(np.asarray(column.take(first).to_numpy(zero_copy_only=False), dtype=object))

    @cached_property
    def account_serials(self) -> np.ndarray | None:
        """The serial of each of :attr:`account_ids` in the stream, or None without serials."""
        serials = self._grouping[2]
        return None if serials is None else frozen(serials)

    @property
    def accounts(self) -> int:
        """Number of distinct accounts with requests in the batch."""
        return int(self._grouping[1].size)

    @cached_property
    def account_requests(self) -> np.ndarray:
        """Requests per account (int64)."""
        return frozen(np.bincount(self.account_of_row, minlength=self.accounts))

    def account_sum(self, key: str) -> np.ndarray:
        """Per account, the sum (float64, rows in order) of a per-row value:
        ``requests`` (1 per row), ``served`` / ``rate_limited`` / ``forbidden`` (status
        200 / 429 / 403), ``cot`` (``cot_requested``), ``first_turn`` (``turn == 0``),
        or any numeric column by name."""
        sums = self._sums.get(key)
        if sums is None:
            if key == "requests":  # counts are exact in float64: the weighted sum of ones
                sums = frozen(self.account_requests.astype(np.float64))
            else:
                sums = frozen(np.bincount(self.account_of_row, weights=self.row_value(key), minlength=self.accounts))
            self._sums[key] = sums
        return sums

    def row_value(self, key: str) -> np.ndarray:
        """The per-row value summed by :meth:`account_sum` (a read-only array)."""
        if key == "requests":
            return self._ones
        derived = {"served": 200, "rate_limited": 429, "forbidden": 403}
        if key in derived:
            cached = self._columns.get(key)
            if cached is None:
                cached = frozen(self.column("status") == derived[key])
                self._columns[key] = cached
            return cached
        if key == "cot":
            return self.column("cot_requested")
        if key == "first_turn":
            cached = self._columns.get(key)
            if cached is None:
                cached = frozen(self.column("turn") == 0)
                self._columns[key] = cached
            return cached
        return self.column(key)

    @cached_property
    def _ones(self) -> np.ndarray:
        return frozen(np.ones(self.n))

    def account_vector_sum(self, values: np.ndarray) -> np.ndarray:
        """Per account, the sum (float64, shape (accounts, width)) of the rows of
        ``values`` (one vector per request row, shape (n, width)), added in row order
        starting from 0.0.

        One weighted ``bincount`` over the flat cells ``account · width + column``
        (``values`` read row by row, so each cell receives its rows in order): the
        floats of the sparse product ``indicator @ values``, without building the
        sparse matrix each tick."""
        values = np.asarray(values)
        width = values.shape[1]
        cells = (self.account_of_row[:, None] * width + np.arange(width)).ravel()
        sums = np.bincount(cells, weights=values.ravel(), minlength=self.accounts * width)
        return sums.reshape(self.accounts, width)

    @cached_property
    def rows_by_account(self) -> np.ndarray:
        """Row numbers grouped by account (in the order of :attr:`account_ids`), each
        account's rows in order: a stable sort of :attr:`account_of_row`."""
        groups = self.account_of_row
        if self.accounts <= np.iinfo(np.uint16).max:
            groups = groups.astype(np.uint16)  # the same stable order, by numpy's radix sort
        return frozen(np.argsort(groups, kind="stable"))

    def account_histogram(self, key: str) -> np.ndarray:
        """Per account, counts (int64, shape (accounts, width)) of a per-row category:
        ``topic`` (:attr:`topic`, width ``len(TOPICS) + 1``), ``hour`` (:attr:`hour`,
        width 24) or a categorical column by name (its codes; width: vocabulary + 1,
        the last for a missing value)."""
        cached = self._sums.get(f"histogram:{key}")
        if cached is None:
            if key == "topic":
                values, width = self.topic, len(TOPICS) + 1
            elif key == "hour":
                values, width = self.hour, 24
            else:
                codes, vocabulary = self.codes(key)
                values, width = np.where(codes < 0, len(vocabulary), codes), len(vocabulary) + 1
            flat = self.account_of_row * width + values
            cached = frozen(np.bincount(flat, minlength=self.accounts * width).reshape(self.accounts, width))
            self._sums[f"histogram:{key}"] = cached
        return cached

    # -- registry rows ---------------------------------------------------------------------

    @cached_property
    def registered_ids(self) -> np.ndarray:
        """Account ids of the batch's registry rows (object array of ``str``)."""
        if not len(self.registry):
            return frozen(np.empty(0, dtype=object))
        return frozen(np.asarray(self.registry["account_id"].to_numpy(dtype=object), dtype=object))

    @cached_property
    def registered_serials(self) -> np.ndarray | None:
        """Serials of the batch's registry rows, or None without serials."""
        if self.serials is None:
            return None
        return frozen(np.arange(self.serials.first, self.serials.first + len(self.registry), dtype=np.int64))

    def registry_hash(self, name: str) -> np.ndarray:
        """:meth:`string_hash` of a registry column (per registry row)."""
        key = f"registry:{name}"
        hashes = self._hashes.get(key)
        if hashes is None:
            values: Any = self.registry[name]
            hashes = frozen(pd.util.hash_pandas_object(values, index=False, categorize=True).to_numpy(np.uint64))
            self._hashes[key] = hashes
        return hashes

    @cached_property
    def registry_email_pattern_hash(self) -> np.ndarray:
        """Per registry row, pandas' stable 64-bit hash of the shape of its e-mail address
        (:func:`~detectors.emails.email_patterns`; the value
        :func:`~detectors.accounts.hash_strings` salts), so that the detectors linking
        accounts by it derive the shapes once per batch."""

        emails = self.registry["email"]
        shapes = ascii_email_patterns(emails)
        if shapes is None:
            patterns = email_patterns(emails)
            return frozen(pd.util.hash_pandas_object(patterns, index=False, categorize=True).to_numpy(np.uint64))
        encoded = shapes.dictionary_encode()  # each distinct shape hashed once, as pandas hashes categories
        distinct = text_hashes(encoded.dictionary.to_numpy(zero_copy_only=False))
        return frozen(distinct.astype(np.uint64)[encoded.indices.to_numpy(zero_copy_only=False)])

    # -- scores shared with ensembles --------------------------------------------------------

    def record_scores(self, key: object, history: int, scores: pd.Series | None, source: Any, after: int) -> None:
        """Keep a copy of the scores a detector returned on this batch (see
        :mod:`detectors.sharing`): ``key`` names its class and configuration,
        ``history`` the batches it had seen before this one, ``after`` its history
        now, ``source`` a weak reference to it. The first record of a key stays."""
        if (key, history) in self._scores:
            return
        copied = None
        if scores is not None and not scores.empty:
            ids = np.asarray(scores.index, dtype=object)
            if not _immutable(ids):
                ids = frozen(ids.copy())
            serials = scores.attrs.get("serials")
            if serials is not None and (
                serials[0] is not getattr(self.serials, "stream", None) or len(serials[1]) != len(ids)
            ):
                serials = None
            copied = (
                ids,
                frozen(scores.to_numpy(dtype=np.float64, copy=True)),
                None if serials is None else frozen(serials[1].copy()),
            )
        self._scores[(key, history)] = (copied, source, after)

    def recorded_scores(self, key: object, history: int) -> tuple[Any, Any, int] | None:
        """What a detector of ``key`` with ``history`` recorded on this batch (scores or
        None, its weak reference, its history after the batch), or None."""
        return self._scores.get((key, history))
