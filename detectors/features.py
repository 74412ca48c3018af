"""One streaming, vectorised per-account feature aggregator shared by the detectors.

:class:`AccountFeatures` folds every tick's requests into a fixed amount of state
per account (about 1 kB: decayed sums, small histograms, four HyperLogLog
sketches and the features last read) with numpy group-by operations (``bincount``,
``maximum.at``): no Python loop over requests, and a tick costs time in
proportion to its rows plus its distinct accounts, never to the history.

Sums decay exponentially with ``half_life`` seconds: a sum ``S`` last updated at
``t0`` is worth ``S · 2^(-(t - t0) / half_life)`` at time ``t`` (applied lazily,
when the account is next touched or read). Shares and means are ratios of two
decayed sums, hence weighted towards recent traffic. Distinct counts
(fingerprints, IPs, /24 networks, ASNs) are cumulative since the account was
first seen. ``half_life=None`` turns decay off (plain sums since first seen).

The features (:data:`FEATURES`), each a float per account:

================== ===========================================================
``requests``        ``log1p`` of the decayed request count (volume)
``input_tokens``    ``log1p`` of mean input tokens per request
``output_tokens``   ``log1p`` of mean output tokens per *served* request
``output_total``    ``log1p`` of the decayed sum of output tokens served
``rate_limited``    share of requests answered 429
``forbidden``       share of requests answered 403
``gap_log_mean``    mean of ``log1p(inter-arrival seconds)``
``gap_log_std``     standard deviation of the same
``gap_cv``          coefficient of variation of inter-arrival seconds
``hour_entropy``    entropy of the UTC hour-of-day profile / ``log 24``
``hour_peak``       share of requests in the busiest hour of day
``topic_entropy``   entropy of the topic mix / ``log`` (number of topics)
``topic_top``       share of the most frequent topic (concentration)
``cot_share``       share of requests asking for chain-of-thought
``first_turn``      share of requests opening a conversation (``turn == 0``)
``model_top``       share of the most used model (model mix)
``fingerprints``    ``log1p`` of distinct client fingerprints
``ips``             ``log1p`` of distinct IP addresses
``subnets``         ``log1p`` of distinct IPv4 /24 networks
``asns``            ``log1p`` of distinct ASNs
``ips_per_request`` distinct IP addresses / requests since first seen
``age_days``        ``log1p`` of account age in days (registry ``created_ts``,
                    else first request)
================== ===========================================================

Accounts with fewer than two requests have no inter-arrival gap; their gap
features are those of one gap of ``half_life`` (a quiet account), so that no
feature is ever NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detectors.accounts import DecayedSums, runs
from detectors.sketch import hll_estimate, hll_update
from detectors.view import BatchView, view
from simulator.hashing import splitmix64
from simulator.prompts import TOPICS
from simulator.traffic import RequestBatch
from simulator.units import DAY

__all__ = ["FEATURES", "AccountFeatures", "entropy", "topic_codes"]

FEATURES: tuple[str, ...] = (
    "requests",
    "input_tokens",
    "output_tokens",
    "output_total",
    "rate_limited",
    "forbidden",
    "gap_log_mean",
    "gap_log_std",
    "gap_cv",
    "hour_entropy",
    "hour_peak",
    "topic_entropy",
    "topic_top",
    "cot_share",
    "first_turn",
    "model_top",
    "fingerprints",
    "ips",
    "subnets",
    "asns",
    "ips_per_request",
    "age_days",
)
"""Names of the features, in the column order of :meth:`AccountFeatures.matrix`."""

_SUMS = (
    "requests",
    "served",
    "input",
    "output",
    "rate_limited",
    "forbidden",
    "cot",
    "first_turn",
    "gaps",
    "gap",
    "gap_sq",
    "log_gap",
    "log_gap_sq",
)
_ROW_VALUES = ("requests", "served", "input_tokens", "output_tokens", "rate_limited", "forbidden", "cot", "first_turn")
"""The view's per-row values (:meth:`~detectors.view.BatchView.row_value`) summed into the first of :data:`_SUMS`."""
_REQUESTS, _OUTPUT_TOTAL, _AGE_DAYS = (FEATURES.index(name) for name in ("requests", "output_total", "age_days"))
_N_TOPICS = len(TOPICS) + 1  # the taxonomy plus "other"
_MAX_MODELS = 8
_HLL_M = 64
_SKETCHES = ("fingerprints", "ips", "subnets", "asns")
_BACKLOG_ROWS = 1 << 18
"""Request rows whose sketch items wait (a few bytes a row) before
:meth:`AccountFeatures._fold_sketches` adds them, whether or not a feature was read."""


def entropy(counts: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row of non-negative ``counts``; 0 for an empty row."""
    total = counts.sum(axis=1, keepdims=True)
    p = np.divide(counts, total, out=np.zeros_like(counts, dtype=np.float64), where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=1)


def topic_codes(topic: pd.Series) -> np.ndarray:
    """Index of each request's topic in :data:`simulator.prompts.TOPICS` (``len(TOPICS)``
    for a label outside the taxonomy), mapped through the categories, not per row."""
    categorical = topic if isinstance(topic.dtype, pd.CategoricalDtype) else topic.astype("category")
    lookup = {name: i for i, name in enumerate(TOPICS)}
    mapping = np.array([lookup.get(str(c), len(TOPICS)) for c in categorical.cat.categories] + [len(TOPICS)])
    return mapping[categorical.cat.codes.to_numpy()]  # code -1 (missing) maps to "other"


class AccountFeatures:
    """Streaming per-account features over the requests seen so far.

    ``update(batch)`` folds in one tick and returns the codes of the accounts it
    touched; ``frame()`` / ``matrix()`` read features of any accounts as of the
    latest tick. The account codes come from :attr:`index`.
    """

    def __init__(self, half_life: float | None = DAY) -> None:
        self.half_life = half_life
        self.sums = DecayedSums(
            half_life, {**dict.fromkeys(_SUMS, 1), "hours": 24, "topics": _N_TOPICS, "models": _MAX_MODELS}
        )
        self.index = ix = self.sums.index
        ix.add_array("last_ts", np.float64, fill=np.nan)
        ix.add_array("created_ts", np.float64, fill=np.nan)
        ix.add_array("total", np.int64)
        ix.add_array("sketches", np.uint8, (len(_SKETCHES), _HLL_M))  # one per name of _SKETCHES
        ix.add_array("settled", np.float64, (len(FEATURES),))
        ix.add_array("unsettled", bool, fill=True)
        self.now = 0.0
        self._model_slot: dict[str, int] = {}
        self._backlog: list[tuple[np.ndarray, ...]] = []  # per batch: each row's account, then its sketch items
        self._backlog_rows = 0
        self._sum_columns = np.arange(len(_SUMS))[:, None]  # where each of _SUMS sits in a row of sums

    def __len__(self) -> int:
        return len(self.index)

    # -- learning ----------------------------------------------------------------------

    def update(self, batch: RequestBatch) -> np.ndarray:
        """Fold in one tick; return the sorted codes of the accounts with requests in it."""
        self.now = max(self.now, float(batch.end))
        ix = self.index
        v = view(batch)
        if len(v.registry):  # the view's registry rows: the batch's own frame is copied on first read
            created = ix.register(v)
            ix["created_ts"][created] = v.registry["created_ts"].to_numpy(dtype=np.float64)
        if v.n == 0:
            return np.empty(0, dtype=np.int64)
        codes = ix.codes_for(v)  # one per account of the batch, in its order
        rows = v.account_of_row
        row_codes = codes[rows]
        ts = v.column("ts")
        gaps = self._gaps(v, codes, row_codes, ts)
        has_gap = ~np.isnan(gaps)
        gaps = np.where(has_gap, gaps, 0.0)
        log_gaps = np.log1p(gaps)
        ix["total"][codes] += v.account_requests
        self.sums.add_rows(self.now, codes, self._tick_sums(v, has_gap, gaps, log_gaps))
        unknown = np.isnan(ix["created_ts"][row_codes])
        if unknown.any():  # not in the registry: age counts from the first request
            np.fmin.at(ix["created_ts"], row_codes[unknown], ts[unknown])
        # the sketch items (per sketch of _SKETCHES) wait until a feature is read: the view's
        # read-only arrays, kept as they are
        self._backlog.append(
            (
                row_codes,
                v.string_hash("client_fingerprint"),
                v.string_hash("ip"),
                v.string_hash("subnet"),
                v.column("asn"),
            )
        )
        self._backlog_rows += row_codes.size
        if self._backlog_rows >= _BACKLOG_ROWS:
            self._fold_sketches()
        ix["unsettled"][codes] = True
        return np.sort(codes)

    def _gaps(self, v: BatchView, codes: np.ndarray, row_codes: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Seconds since the same account's previous request, per row (NaN for an
        account's first request ever); remembers each account's last request time.
        ``codes``: one per account of the batch; ``row_codes``: one per row."""
        last_ts = self.index["last_ts"]
        previous = np.empty_like(ts)
        if ts.size < 2 or bool(np.all(ts[1:] >= ts[:-1])):
            # rows in time order (as a tick's batch comes): each account's rows in row
            # order are in time order, ties in row order, as sorting by time would put them
            order = v.rows_by_account
            t = ts[order]
            ends = np.cumsum(v.account_requests)
            first, last = ends - v.account_requests, ends - 1
            previous[1:] = t[:-1]
            previous[first] = last_ts[codes]
            last_ts[codes] = t[last]
        else:
            order = np.lexsort((ts, row_codes))
            c, t = row_codes[order], ts[order]
            rank, size = runs(c)
            previous[1:] = t[:-1]
            starts, ends = rank == 0, rank == size - 1
            previous[starts] = last_ts[c[starts]]
            last_ts[c[ends]] = t[ends]
        gaps = np.empty_like(t)
        gaps[order] = np.maximum(t - previous, 0.0)
        return gaps

    def _tick_sums(self, v: BatchView, has_gap: np.ndarray, gaps: np.ndarray, log_gaps: np.ndarray) -> np.ndarray:
        """Per account of the batch, one row of :attr:`sums` (float64, its columns side by
        side): the sums of :data:`_SUMS`, then the requests per hour of day, topic and
        model slot. ``has_gap``, ``gaps``, ``log_gaps``: per row.

        One weighted ``bincount`` over the flat cells ``account · width + column`` fills
        all of them: each cell receives its rows in row order, so every sum is the float
        a ``bincount`` per column gives (the view's :meth:`~BatchView.account_sum`), and
        every count is exact."""
        slot = self.sums.slot
        width = self.sums.width
        weights = np.empty((len(_SUMS) + 3, v.n))
        for i, key in enumerate(_ROW_VALUES):
            weights[i] = v.row_value(key)
        weights[8] = has_gap
        weights[9] = gaps
        np.multiply(gaps, gaps, out=weights[10])
        weights[11] = log_gaps
        np.multiply(log_gaps, log_gaps, out=weights[12])
        weights[len(_SUMS) :] = 1.0  # the three histograms count rows
        cells = np.empty(weights.shape, dtype=np.int64)
        cells[: len(_SUMS)] = self._sum_columns
        np.add(v.hour, slot("hours").start, out=cells[len(_SUMS)])
        np.add(v.topic, slot("topics").start, out=cells[len(_SUMS) + 1])
        np.add(self._model_slots(v), slot("models").start, out=cells[len(_SUMS) + 2])
        cells += v.account_of_row * width
        sums = np.bincount(cells.ravel(), weights=weights.ravel(), minlength=v.accounts * width)
        return sums.reshape(v.accounts, width)

    def _model_slots(self, v: BatchView) -> np.ndarray:
        """Per row, its model's slot (models numbered in order of first appearance, the
        last slot shared by the rest)."""
        codes, vocabulary = v.codes("model")
        present = np.flatnonzero(np.bincount(codes + 1, minlength=len(vocabulary) + 1)) - 1  # sorted, -1: missing
        mapping = np.full(len(vocabulary) + 1, _MAX_MODELS - 1, dtype=np.int64)
        for code in present[present >= 0].tolist():
            name = vocabulary[code]
            slot = self._model_slot.get(name)
            if slot is None:
                slot = min(len(self._model_slot), _MAX_MODELS - 1)  # beyond the last slot: "other"
                self._model_slot[name] = slot
            mapping[code] = slot
        return mapping[codes]

    def _fold_sketches(self) -> None:
        """Add the waiting sketch items to the sketches, every batch's and all four sketches
        at once. A register keeps the largest rank it is given, whatever the order, so the
        registers are those that adding batch by batch gives."""
        if not self._backlog:
            return
        rows, fingerprints, ips, subnets, asns = (np.concatenate(part) for part in zip(*self._backlog, strict=True))
        self._backlog, self._backlog_rows = [], 0
        items = np.concatenate(
            [fingerprints ^ np.uint64(1), ips ^ np.uint64(2), subnets ^ np.uint64(3), asns.astype(np.uint64)]
        )
        sketch_rows = (rows * len(_SKETCHES) + np.arange(len(_SKETCHES))[:, None]).ravel()
        hll_update(self.index["sketches"].reshape(-1, _HLL_M), sketch_rows, splitmix64(items))

    # -- reading -----------------------------------------------------------------------

    def matrix(self, codes: np.ndarray | None = None) -> np.ndarray:
        """Features of ``codes`` (default: every account seen) as of the latest tick:
        a float64 array of shape (accounts, len(FEATURES)).

        Only ``requests``, ``output_total`` and ``age_days`` move with the clock alone;
        the others change only when the account sends requests, so they are kept
        per account (``settled``) and computed again only for the accounts whose
        requests came in since they were last read."""
        ix = self.index
        codes = np.arange(len(ix)) if codes is None else np.asarray(codes, dtype=np.int64)
        if codes.size == 0:
            return np.empty((0, len(FEATURES)))
        unsettled = codes[ix["unsettled"][codes]]
        if unsettled.size:
            ix["settled"][unsettled] = self._settled(unsettled)
            ix["unsettled"][unsettled] = False
        features = np.take(ix["settled"], codes, axis=0)
        volume_factor = self.sums.decay_factor(codes, self.now)
        features[:, _REQUESTS] = np.log1p(self.sums.read("requests", codes) * volume_factor)
        features[:, _OUTPUT_TOTAL] = np.log1p(self.sums.read("output", codes) * volume_factor)
        age = np.maximum(self.now - ix["created_ts"][codes], 0.0) / DAY
        features[:, _AGE_DAYS] = np.log1p(np.nan_to_num(age, nan=0.0))
        return features

    def _settled(self, codes: np.ndarray) -> np.ndarray:
        """The features of ``codes`` that change only with their requests (the columns
        of the others are 0): a float64 array of shape (accounts, len(FEATURES))."""
        ix = self.index
        block = self.sums.rows(codes)  # one gather of every column, read below by slot
        col = {name: block[:, self.sums.slot(name)] for name in _SUMS}
        requests = np.maximum(col["requests"], 1e-12)
        quiet = np.log1p(self.half_life if self.half_life is not None else DAY)
        gaps = col["gaps"]
        has = gaps > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mean = np.where(has, col["log_gap"] / gaps, quiet)
            log_var = np.where(has, col["log_gap_sq"] / gaps - log_mean**2, 0.0)
            gap_mean = col["gap"] / gaps
            gap_var = col["gap_sq"] / gaps - gap_mean**2
            gap_cv = np.where(has & (gap_mean > 0), np.sqrt(np.maximum(gap_var, 0.0)) / gap_mean, 0.0)
        hours, topics, models = (
            np.ascontiguousarray(block[:, self.sums.slot(name)]) for name in ("hours", "topics", "models")
        )
        self._fold_sketches()
        estimates = hll_estimate(np.take(ix["sketches"], codes, axis=0).reshape(-1, _HLL_M)).reshape(-1, len(_SKETCHES))
        distinct = {name: estimates[:, i] for i, name in enumerate(_SKETCHES)}
        total = np.maximum(ix["total"][codes], 1)
        clock = np.zeros(codes.size)  # requests, output_total and age_days: see matrix
        columns = [
            clock,
            np.log1p(col["input"] / requests),
            np.log1p(col["output"] / np.maximum(col["served"], 1e-12)),
            clock,
            col["rate_limited"] / requests,
            col["forbidden"] / requests,
            log_mean,
            np.sqrt(np.maximum(log_var, 0.0)),
            gap_cv,
            entropy(hours) / np.log(24),
            _top_share(hours),
            entropy(topics[:, : len(TOPICS)]) / np.log(len(TOPICS)),
            _top_share(topics),
            col["cot"] / requests,
            col["first_turn"] / requests,
            _top_share(models),
            np.log1p(distinct["fingerprints"]),
            np.log1p(distinct["ips"]),
            np.log1p(distinct["subnets"]),
            np.log1p(distinct["asns"]),
            distinct["ips"] / total,
            clock,
        ]
        return np.column_stack(columns)

    def frame(self, codes: np.ndarray | None = None) -> pd.DataFrame:
        """:meth:`matrix` as a DataFrame indexed by ``account_id``, columns :data:`FEATURES`."""
        codes = np.arange(len(self.index)) if codes is None else np.asarray(codes, dtype=np.int64)
        index = pd.Index(self.index.ids(codes), name="account_id", dtype="str")
        return pd.DataFrame(self.matrix(codes), index=index, columns=list(FEATURES))


def _top_share(counts: np.ndarray) -> np.ndarray:
    total = counts.sum(axis=1)
    return np.divide(counts.max(axis=1), total, out=np.zeros(counts.shape[0]), where=total > 0)
