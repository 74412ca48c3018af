"""Per-account aggregates of every visible column, built incrementally from request chunks.

:class:`AccountAggregates` is fed the visible request table chunk by chunk (one
tick, or a few ticks concatenated, or a Parquet row group) with
:meth:`~AccountAggregates.update`, and the account-registry rows with
:meth:`~AccountAggregates.register`; :meth:`~AccountAggregates.features` then
returns one row per account that sent at least one request and one column per
feature of :mod:`simulator.audit.catalogue`, every value finite.

State, and why memory grows with accounts and distinct values, not requests:

* per account, about 30 running sums (requests, token sums and sums of squares,
  turn-0 and chain-of-thought counts, 429/403 counts, gap sums…), the first and
  last request time and a 168-bin hour-of-week histogram (UTC);
* per categorical column (:data:`~simulator.audit.catalogue.CATEGORICAL_COLUMNS`,
  the four SimHash bands), one count per distinct (account, value) pair
  (:class:`~simulator.audit.counts.PairCounts`);
* per account, one 40-bit hash per distinct conversation id (a pool that opens a
  new conversation with every request has as many as it has requests: 8 bytes
  each; distinct counts are exact up to 40-bit hash collisions
  within one account, under 10⁻⁴ for 10,000 conversations);
* per time unit (minute, hour, day), the counts of the slots still open only
  (:class:`~simulator.audit.counts.SlotPeaks`);
* the registry rows (one per account).

Formulas (per account; ``n`` requests, ``s`` of them served with status 200):
``mean = Σx / n``, ``CV = √(Σx²/n − mean²) / mean`` (0 when the mean is 0),
gaps ``g_i = t_i − t_{i−1}`` between successive requests of the account
(``gap_cv`` over the ``g_i``; the log statistics over ``log₁₀ max(g_i, 10⁻³)``),
``turns_per_conversation = n / distinct conversation ids``, output statistics
over the served requests only. Hour-of-day and day-of-week come from
``origin + ts``; local time shifts them by the declared country's typical UTC
offset rounded to the hour (:data:`simulator.geography.COUNTRIES`). Time slots
(``active_minutes``, ``peak_hour_requests``…) count from ``ts = 0``.

Rows must arrive in time order across chunks (ticks and ``requests.parquet``
are), for the gaps and the time slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulator.audit.catalogue import CATEGORICAL_COLUMNS, FEATURE_NAMES, ONE_HOT, OTHER
from simulator.audit.counts import (
    PairCounts,
    PairStatistics,
    SlotPeaks,
    Vocabulary,
    grow,
    pair_keys,
    pair_statistics,
)
from simulator.audit.email import email_styles, local_part_shape
from simulator.geography import COUNTRIES
from simulator.hashing import splitmix64

__all__ = ["REGISTRY_COLUMNS", "AccountAggregates"]

REGISTRY_COLUMNS: tuple[str, ...] = (
    "account_id",
    "org_id",
    "created_ts",
    "signup_pathway",
    "tier",
    "email",
    "email_domain",
    "company",
    "payment_fingerprint",
    "declared_country",
    "verified",
)
"""Registry columns the features read."""

_SUMS: tuple[str, ...] = (
    "requests",
    "served",
    "input_sum",
    "input_sq",
    "output_sum",
    "output_sq",
    "max_sum",
    "max_sq",
    "output_ratio_sum",
    "truncated",
    "cot",
    "turn0",
    "turn_sum",
    "rate_limited",
    "forbidden",
    "gaps",
    "gap_sum",
    "gap_sq",
    "log_gap_sum",
    "log_gap_sq",
    "subsecond_gaps",
)
_S = {name: i for i, name in enumerate(_SUMS)}
_WEEK = 168
_BANDS = 4
_CONVERSATION_BITS = 40
_UNITS = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}
_OFFSETS = {c.code: c.utc_offset_hours for c in COUNTRIES}


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` where the denominator is positive, else 0."""
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _cv(total: np.ndarray, squares: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Coefficient of variation from Σx, Σx² and n: √(Σx²/n − mean²) / mean."""
    mean = _ratio(total, n)
    variance = np.maximum(_ratio(squares, n) - mean**2, 0.0)
    return _ratio(np.sqrt(variance), mean)


class AccountAggregates:
    """Running per-account aggregates of a request stream (see the module docstring).

    ``origin`` is the UTC time of ``ts = 0`` (a batch's ``origin``, a scenario's ``start``).
    """

    def __init__(self, origin: datetime) -> None:
        self.origin = origin
        week_start = origin.weekday() * 86400 + origin.hour * 3600 + origin.minute * 60 + origin.second
        self._week_offset = float(week_start) + origin.microsecond / 1e6
        self._accounts = Vocabulary()
        self._sums = np.zeros((0, len(_SUMS)))
        self._first = np.zeros(0)
        self._last = np.zeros(0)
        self._turn_max = np.zeros(0)
        self._week = np.zeros((0, _WEEK), dtype=np.int64)
        self._vocab = {column: Vocabulary() for column in CATEGORICAL_COLUMNS}
        self._pairs = {column: PairCounts() for column in CATEGORICAL_COLUMNS}
        self._subnet_of_ip = np.zeros(0, dtype=np.int64)
        self._bands = [PairCounts() for _ in range(_BANDS)]
        self._conversations = PairCounts(counted=False)  # distinct conversations, not their requests
        self._slots = {unit: SlotPeaks(seconds) for unit, seconds in _UNITS.items()}
        self._registry: list[pd.DataFrame] = []
        self.rows = 0
        """Requests aggregated so far."""

    def __len__(self) -> int:
        """Accounts seen in requests so far."""
        return len(self._accounts)

    # -- feeding ---------------------------------------------------------------------

    def register(self, accounts: pd.DataFrame) -> None:
        """Keep registry rows (the columns of :data:`REGISTRY_COLUMNS`) of new accounts."""
        if len(accounts):
            self._registry.append(accounts[list(REGISTRY_COLUMNS)].copy())

    def update(self, requests: pa.Table, ticks: Sequence[int] | None = None) -> None:
        """Add a chunk of requests (columns of :data:`simulator.traffic.REQUEST_SCHEMA`, in time order).

        ``ticks`` are the row counts of the successive ticks the chunk concatenates
        (summing to its rows; ``None``: the chunk is one tick). Every float sum is then
        built exactly as if each tick had been added by itself: per (tick, account) one
        partial sum over that tick's rows in row order (gaps: the gaps within the tick,
        then the gap from the account's previous tick), added to the running sums in
        tick order. Integer counts, first/last times, maxima and codes do not depend
        on the chunking at all.
        """
        if ticks is not None and sum(ticks) != requests.num_rows:
            raise ValueError(f"ticks of {sum(ticks)} rows in all for a chunk of {requests.num_rows} rows")
        if requests.num_rows == 0:
            return
        self.rows += requests.num_rows
        encoded = pc.dictionary_encode(requests.column("account_id").combine_chunks())
        local = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        codes = self._accounts._map(encoded.dictionary.to_pylist())
        self._reserve(len(self._accounts))
        account = codes[local]
        m = codes.size

        def column(name: str) -> np.ndarray:
            return requests.column(name).to_numpy()

        ts = column("ts")
        status = column("status")
        served = status == 200
        input_tokens = column("input_tokens").astype(np.float64)
        output_tokens = column("output_tokens").astype(np.float64)
        max_tokens = column("max_tokens").astype(np.float64)
        turn = column("turn").astype(np.float64)
        out_served = np.where(served, output_tokens, 0.0)

        # groups of rows by (account, tick), sorted by account then tick: a stable sort by
        # account keeps the chunk's time order, so an account's ticks follow one another
        order = np.argsort(local, kind="stable")
        local_sorted, ts_sorted = local[order], ts[order]
        new_account = np.r_[True, local_sorted[1:] != local_sorted[:-1]]
        new_group = new_account.copy()
        if ticks is not None:
            tick_sorted = np.repeat(np.arange(len(ticks)), np.asarray(ticks, dtype=np.int64))[order]
            new_group[1:] |= tick_sorted[1:] != tick_sorted[:-1]
        starts = np.flatnonzero(new_group)
        group_sorted = np.cumsum(new_group) - 1
        group = np.empty_like(group_sorted)
        group[order] = group_sorted
        g = starts.size
        group_first, group_last = ts_sorted[starts], np.maximum.reduceat(ts_sorted, starts)
        group_account = local_sorted[starts]
        account_first = np.flatnonzero(new_account[starts])
        account_last = np.r_[account_first[1:] - 1, g - 1]

        partials = np.zeros((g, len(_SUMS)))
        for name, values in {
            "requests": np.ones(ts.size),
            "served": served,
            "input_sum": input_tokens,
            "input_sq": input_tokens**2,
            "output_sum": out_served,
            "output_sq": out_served**2,
            "max_sum": max_tokens,
            "max_sq": max_tokens**2,
            "output_ratio_sum": np.where(served, _ratio(output_tokens, max_tokens), 0.0),
            "truncated": served & (output_tokens >= max_tokens) & (max_tokens > 0),
            "cot": column("cot_requested"),
            "turn0": turn == 0,
            "turn_sum": turn,
            "rate_limited": status == 429,
            "forbidden": status == 403,
        }.items():
            partials[:, _S[name]] = np.bincount(group, weights=np.asarray(values, np.float64), minlength=g)

        self._turn_max[codes] = np.maximum(
            self._turn_max[codes], np.maximum.reduceat(turn[order], np.flatnonzero(new_account))
        )
        # the gap into a tick's first row of an account: from the account's last row of
        # its previous tick in this chunk, or of an earlier chunk (its running last time)
        previous = np.r_[-np.inf, group_last[:-1]]
        previous[account_first] = self._last[codes]
        across = np.flatnonzero(np.isfinite(previous))
        same = ~new_group[1:]
        gap_groups = np.concatenate([group_sorted[1:][same], across])
        gaps = np.concatenate([np.diff(ts_sorted)[same], np.maximum(group_first[across] - previous[across], 0.0)])
        log_gaps = np.log10(np.maximum(gaps, 1e-3))
        for name, values in {
            "gaps": np.ones(gaps.size),
            "gap_sum": gaps,
            "gap_sq": gaps**2,
            "log_gap_sum": log_gaps,
            "log_gap_sq": log_gaps**2,
            "subsecond_gaps": gaps < 1.0,
        }.items():
            partials[:, _S[name]] = np.bincount(gap_groups, weights=np.asarray(values, np.float64), minlength=g)
        # repeated indices are applied one after the other, in order: each account's ticks in tick order
        np.add.at(self._sums, codes[group_account], partials)
        self._first[codes] = np.where(np.isfinite(self._first[codes]), self._first[codes], group_first[account_first])
        self._last[codes] = group_last[account_last]

        hour_of_week = (np.floor((ts + self._week_offset) / 3600.0).astype(np.int64)) % _WEEK
        self._week[codes] += np.bincount(local * _WEEK + hour_of_week, minlength=m * _WEEK).reshape(m, _WEEK)

        for name in CATEGORICAL_COLUMNS:
            if name == "subnet":
                continue
            values = self._vocab[name].encode(requests.column(name))
            self._pairs[name].add(pair_keys(account, values))
            if name == "ip":
                self._pairs["subnet"].add(pair_keys(account, self._subnets(values)))
        simhash = column("prompt_simhash").astype(np.uint64)
        for band, pairs in enumerate(self._bands):
            pairs.add(pair_keys(account, ((simhash >> np.uint64(16 * band)) & np.uint64(0xFFFF)).astype(np.int64)))
        conversation = splitmix64(column("conversation_id").astype(np.uint64)) >> np.uint64(64 - _CONVERSATION_BITS)
        self._conversations.add((account << _CONVERSATION_BITS) | conversation.astype(np.int64))
        for slots in self._slots.values():
            slots.add(account, ts)

    def _reserve(self, n: int) -> None:
        self._sums = grow(self._sums, n)
        self._first = grow(self._first, n, np.inf)
        self._last = grow(self._last, n, -np.inf)
        self._turn_max = grow(self._turn_max, n)
        self._week = grow(self._week, n)

    def _subnets(self, ip_codes: np.ndarray) -> np.ndarray:
        """Subnet codes of IP codes: the /24 of an IPv4 address, the /64 of an IPv6 one."""
        ips, subnets = self._vocab["ip"], self._vocab["subnet"]
        known = self._subnet_of_ip.size
        if len(ips) > known:
            new = [_subnet(str(ip)) for ip in ips.values[known:]]
            self._subnet_of_ip = np.concatenate([self._subnet_of_ip, subnets._map(new)])
        return self._subnet_of_ip[ip_codes]

    # -- reading ---------------------------------------------------------------------

    def account_ids(self) -> list[str]:
        """Ids of the accounts seen in requests, by code."""
        return [str(v) for v in self._accounts.values]

    def features(self, tiers: Sequence[str] = ()) -> pd.DataFrame:
        """One row per account with at least one request (index ``account_id``, sorted),
        one column per name of :data:`~simulator.audit.catalogue.FEATURE_NAMES`.
        ``tiers`` are the gateway's tier names, lowest first (for ``tier_rank``)."""
        n = len(self._accounts)
        sums = {name: self._sums[:n, i] for name, i in _S.items()}
        requests, served = sums["requests"], sums["served"]
        out: dict[str, np.ndarray] = {}
        out["requests"] = requests
        out["input_tokens_total"] = sums["input_sum"]
        out["output_tokens_total"] = sums["output_sum"]

        slots = {unit: peaks.finish(n) for unit, peaks in self._slots.items()}
        out["requests_per_active_hour"] = _ratio(requests, slots["hour"][0])
        out["requests_per_active_day"] = _ratio(requests, slots["day"][0])
        out["peak_minute_requests"] = slots["minute"][1]
        out["peak_hour_requests"] = slots["hour"][1]
        first, last = self._first[:n], self._last[:n]
        out["first_request_hours"] = first / 3600.0
        out["active_span_hours"] = (last - first) / 3600.0
        out["active_days"] = slots["day"][0]
        out["active_hours"] = slots["hour"][0]
        out["active_minutes"] = slots["minute"][0]
        gaps = sums["gaps"]
        out["gap_cv"] = _cv(sums["gap_sum"], sums["gap_sq"], gaps)
        out["gap_log_mean"] = _ratio(sums["log_gap_sum"], gaps)
        out["gap_log_std"] = np.sqrt(np.maximum(_ratio(sums["log_gap_sq"], gaps) - out["gap_log_mean"] ** 2, 0.0))
        out["gap_subsecond_share"] = _ratio(sums["subsecond_gaps"], gaps)

        registry = self._registry_frame(self.account_ids())
        declared = registry["declared_country"].to_numpy(dtype=object)
        week = self._week[:n].astype(np.float64)
        day_profile = week.reshape(n, 7, 24).sum(axis=1)
        p = _ratio(day_profile, requests[:, None])
        out["utc_hour_entropy"] = -np.sum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0), axis=1)
        out["utc_hour_peak_share"] = _ratio(day_profile.max(axis=1, initial=0.0), requests)
        shift = np.array([int(np.floor(_OFFSETS.get(str(c), 0.0) + 0.5)) for c in declared], dtype=np.int64)
        local = week[np.arange(n)[:, None], (np.arange(_WEEK)[None, :] - shift[:, None]) % _WEEK]
        hour, day = np.arange(_WEEK) % 24, np.arange(_WEEK) // 24
        out["local_night_share"] = _ratio(local[:, hour < 6].sum(axis=1), requests)
        out["local_office_share"] = _ratio(local[:, (hour >= 9) & (hour < 18) & (day < 5)].sum(axis=1), requests)
        out["local_weekend_share"] = _ratio(local[:, day >= 5].sum(axis=1), requests)

        stats = {name: pair_statistics(pairs, n) for name, pairs in self._pairs.items()}
        for name, stat in stats.items():
            out[f"{name}_distinct"] = stat.distinct
            out[f"{name}_distinct_ratio"] = _ratio(stat.distinct, requests)
            out[f"{name}_top_share"] = _ratio(stat.top_count, stat.total)
            out[f"{name}_entropy"] = stat.entropy
            out[f"{name}_main_accounts"] = stat.main_accounts
            out[f"{name}_shared_share"] = _ratio(stat.shared_rows, stat.total)

        countries = np.array([str(v) for v in self._vocab["country"].values], dtype=object)
        main_exit = np.where(stats["country"].top_value >= 0, countries[np.maximum(stats["country"].top_value, 0)], "")
        registered = registry["registered"].to_numpy(dtype=bool)
        out["exit_country_mismatch"] = (registered & (main_exit != declared)).astype(np.float64)
        accounts, values, counts = self._pairs["country"].pairs()
        at_home = countries[values] == declared[accounts] if accounts.size else np.zeros(0, dtype=bool)
        out["declared_country_share"] = _ratio(
            np.bincount(accounts[at_home], weights=counts[at_home].astype(np.float64), minlength=n), requests
        )

        out["payment_accounts"] = registry["payment_accounts"].to_numpy(np.float64)
        out["org_accounts"] = registry["org_accounts"].to_numpy(np.float64)
        out["company_accounts"] = registry["company_accounts"].to_numpy(np.float64)
        out["email_domain_accounts"] = registry["email_domain_accounts"].to_numpy(np.float64)
        rank = {name: i for i, name in enumerate(tiers)}
        out["tier_rank"] = np.array([rank.get(str(t), -1) for t in registry["tier"].tolist()], dtype=np.float64)
        out["verified"] = registry["verified"].to_numpy(np.float64)
        created = registry["created_ts"].to_numpy(np.float64)
        out["created_during_run"] = (registered & (created >= 0)).astype(np.float64)
        out["age_at_first_request_days"] = np.where(registered, (first - created) / 86400.0, 0.0)
        digits, dotted = local_part_shape(registry["email"].to_numpy(dtype=object))
        out["email_local_digit_share"], out["email_local_dotted"] = digits, dotted

        conversation_accounts = self._conversations.pairs(_CONVERSATION_BITS)[0]
        conversations = np.bincount(conversation_accounts, minlength=n).astype(np.float64)
        out["turn0_share"] = _ratio(sums["turn0"], requests)
        out["conversations"] = conversations
        out["turns_per_conversation"] = _ratio(requests, conversations)
        out["turn_mean"] = _ratio(sums["turn_sum"], requests)
        out["turn_max"] = self._turn_max[:n].copy()

        out["input_tokens_mean"] = _ratio(sums["input_sum"], requests)
        out["input_tokens_cv"] = _cv(sums["input_sum"], sums["input_sq"], requests)
        out["output_tokens_mean"] = _ratio(sums["output_sum"], served)
        out["output_tokens_cv"] = _cv(sums["output_sum"], sums["output_sq"], served)
        out["max_tokens_mean"] = _ratio(sums["max_sum"], requests)
        out["max_tokens_cv"] = _cv(sums["max_sum"], sums["max_sq"], requests)
        out["output_to_max_mean"] = _ratio(sums["output_ratio_sum"], served)
        out["truncated_share"] = _ratio(sums["truncated"], served)
        out["cot_share"] = _ratio(sums["cot"], requests)

        bands: list[PairStatistics] = [pair_statistics(pairs, n) for pairs in self._bands]
        out["simhash_band_top_share"] = np.mean([_ratio(b.top_count, b.total) for b in bands], axis=0)
        out["simhash_band_distinct_ratio"] = np.mean([_ratio(b.distinct, requests) for b in bands], axis=0)
        out["simhash_band_main_accounts"] = np.mean([b.main_accounts for b in bands], axis=0)
        out["simhash_band_shared_share"] = np.mean([_ratio(b.shared_rows, b.total) for b in bands], axis=0)
        out["rate_limited_share"] = _ratio(sums["rate_limited"], requests)
        out["forbidden_share"] = _ratio(sums["forbidden"], requests)

        one_hot_registry = {
            "declared_country": declared,
            "signup_pathway": registry["signup_pathway"].to_numpy(dtype=object),
            "email_style": email_styles(registry["email_domain"].to_numpy(dtype=object)),
        }
        for family, values in one_hot_registry.items():
            vocabulary = ONE_HOT[family][1]
            known = np.isin(values, np.array(vocabulary, dtype=object)) & registered
            for value in vocabulary:
                hit = (values == value) & known if value != OTHER else registered & ~known
                out[f"{family}={value}"] = hit.astype(np.float64)
        for family, column in (("pathway_share", "pathway"), ("topic_share", "topic"), ("language_share", "language")):
            vocabulary = ONE_HOT[family][1]
            index = {value: i for i, value in enumerate(vocabulary)}
            slot = np.array([index.get(str(v), index[OTHER]) for v in self._vocab[column].values], dtype=np.int64)
            accounts, values, counts = self._pairs[column].pairs()
            k = len(vocabulary)
            table = np.bincount(
                accounts * k + slot[values], weights=counts.astype(np.float64), minlength=n * k
            ).reshape(n, k)
            for i, value in enumerate(vocabulary):
                out[f"{family}={value}"] = _ratio(table[:, i], requests)

        missing = set(FEATURE_NAMES) - set(out)
        extra = set(out) - set(FEATURE_NAMES)
        if missing or extra:
            raise RuntimeError(f"features out of step with the catalogue: missing {missing}, extra {extra}")
        frame = pd.DataFrame({name: np.asarray(out[name], dtype=np.float64) for name in FEATURE_NAMES})
        frame.index = pd.Index(self.account_ids(), name="account_id", dtype=object)
        return frame.sort_index(kind="stable")

    def _registry_frame(self, account_ids: list[str]) -> pd.DataFrame:
        """Registry rows of ``account_ids`` (in that order) with the cross-account counts
        over every registered account; ``registered`` is False for an account without one."""
        if self._registry:
            registry = pd.concat(self._registry, ignore_index=True)
        else:
            registry = pd.DataFrame({name: pd.Series(dtype=object) for name in REGISTRY_COLUMNS})
        registry = registry.drop_duplicates("account_id", keep="last").astype(
            {name: object for name in REGISTRY_COLUMNS if name not in ("created_ts", "verified")}
        )
        for column, name in (
            ("payment_fingerprint", "payment_accounts"),
            ("org_id", "org_accounts"),
            ("company", "company_accounts"),
            ("email_domain", "email_domain_accounts"),
        ):
            registry[name] = registry.groupby(column, dropna=False, sort=False)[column].transform("size") - 1
        registry["registered"] = True
        frame = registry.set_index("account_id").reindex(pd.Index(account_ids, dtype=object))
        defaults = {
            "registered": False,
            "created_ts": 0.0,
            "verified": False,
            "payment_accounts": 0,
            "org_accounts": 0,
            "company_accounts": 0,
            "email_domain_accounts": 0,
        }
        frame = frame.fillna({**defaults, **{c: "" for c in frame.columns if c not in defaults}})
        return frame.infer_objects()


def _subnet(ip: str) -> str:
    if "." in ip:
        return ip.rsplit(".", 1)[0]
    return ":".join(ip.split(":")[:4])
