"""The account registry: organisations, accounts, API keys, and the hidden truth.

Two tables with the same row order describe accounts:

* ``visible``: what the provider records at sign-up (schema v1 account registry:
  id, organisation, creation time, sign-up pathway, tier floor, name, e-mail,
  payment fingerprint, declared country, verification). Detectors may read this.
* ``truth``: ground truth (is it an attacker, which campaign, which role, which
  actor owns it). Only the metrics and the export of ``labels.parquet`` read it.

Keeping the two in separate stores, with separate accessors, makes a leak a
visible mistake rather than a forgotten column filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.columns import ColumnStore
from simulator.geography import COUNTRIES
from simulator.vocabulary import SIGNUP_PATHWAYS

__all__ = ["ACCOUNT_COLUMNS", "LABEL_COLUMNS", "NewAccounts", "Registry", "known_codes"]

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "org_id",
    "created_ts",
    "signup_pathway",
    "tier",
    "name",
    "email",
    "email_domain",
    "company",
    "payment_fingerprint",
    "declared_country",
    "verified",
)
"""Visible account-registry columns, in output order."""

LABEL_COLUMNS: tuple[str, ...] = ("account_id", "is_attacker", "campaign", "role")
"""Ground-truth columns (``labels.parquet``)."""

INDEXED_LOOKUP_IDS = 128
"""From this many ids on, :meth:`Registry.lookup` uses its pandas index of the ids
(about 20 µs a call and 0.03 µs an id, against 0.2 µs an id in the dictionary)."""


def known_codes(account_ids: Sequence[str] | np.ndarray | pd.Index, codes: np.ndarray) -> np.ndarray:
    """``codes``, a look-up of ``account_ids`` (−1 for an unknown id), if every id is
    known; otherwise a ``KeyError`` naming the unknown ids."""
    if (codes < 0).any():
        unknown = [a for a, code in zip(account_ids, codes.tolist(), strict=True) if code < 0]
        raise KeyError(f"Unknown account ids {unknown[:5]}{' …' if len(unknown) > 5 else ''}")
    return codes


@dataclass(frozen=True)
class NewAccounts:
    """Everything needed to register a block of accounts (one entry per account)."""

    org: np.ndarray
    """Organisation codes (from :meth:`Registry.add_orgs`)."""
    created_ts: np.ndarray
    """Creation times, seconds relative to the scenario start (negative: before)."""
    signup_pathway: np.ndarray
    """Indices into :data:`simulator.identity.SIGNUP_PATHWAYS`."""
    tier_floor: np.ndarray
    """Lowest tier index the account can be in (contracts, programmes)."""
    name: np.ndarray
    email: np.ndarray
    email_domain: np.ndarray
    payment_fingerprint: np.ndarray
    declared_country: np.ndarray
    """Indices into :data:`simulator.geography.COUNTRIES`."""
    verified: np.ndarray
    initial_spend: np.ndarray
    """Spend in USD before the scenario start (drives the starting tier)."""
    is_attacker: bool
    campaign: str | None
    role: np.ndarray | str
    """Archetype name for customers, campaign role (``harvester``…) for attackers."""


class Registry:
    """Organisations, accounts and keys created so far, with opaque ids."""

    def __init__(self, tier_names: tuple[str, ...]) -> None:
        self.tier_names = tier_names
        self.orgs = ColumnStore({"org_id": object, "name": object, "created_ts": np.float64})
        self.visible = ColumnStore(
            {
                "account_id": object,
                "org": np.int64,
                "created_ts": np.float64,
                "signup_pathway": np.int8,
                "tier_floor": np.int8,
                "name": object,
                "email": object,
                "email_domain": object,
                "payment_fingerprint": object,
                "declared_country": np.int16,
                "verified": np.bool_,
                "initial_spend": np.float64,
            }
        )
        self.truth = ColumnStore({"is_attacker": np.bool_, "campaign": object, "role": object, "actor": np.int32})
        self.keys = ColumnStore({"key_id": object, "account": np.int64, "pathway": np.int8})
        self._by_id: dict[str, int] = {}
        self._ids: pd.Index | None = None
        self._published = 0
        self._serials = ColumnStore({"serial": np.int64}, defaults={"serial": -1})
        self._empty: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.visible)

    def add_orgs(self, org_ids: np.ndarray, names: np.ndarray, created_ts: np.ndarray) -> np.ndarray:
        """Register organisations; returns their codes."""
        return self.orgs.append(org_id=org_ids, name=names, created_ts=created_ts)

    def add_accounts(self, account_ids: np.ndarray, accounts: NewAccounts, actor: int) -> np.ndarray:
        """Register accounts owned by ``actor``; returns their codes."""
        n = len(account_ids)
        codes = self.visible.append(
            account_id=account_ids,
            org=accounts.org,
            created_ts=accounts.created_ts,
            signup_pathway=accounts.signup_pathway,
            tier_floor=accounts.tier_floor,
            name=accounts.name,
            email=accounts.email,
            email_domain=accounts.email_domain,
            payment_fingerprint=accounts.payment_fingerprint,
            declared_country=accounts.declared_country,
            verified=accounts.verified,
            initial_spend=accounts.initial_spend,
        )
        roles = np.broadcast_to(np.asarray(accounts.role, dtype=object), (n,))
        self.truth.append(
            is_attacker=np.full(n, accounts.is_attacker),
            campaign=np.full(n, accounts.campaign, dtype=object),
            role=roles,
            actor=np.full(n, actor, dtype=np.int32),
        )
        for code, account_id in zip(codes.tolist(), account_ids, strict=True):
            self._by_id[account_id] = code
        return codes

    def add_keys(self, key_ids: np.ndarray, accounts: np.ndarray, pathways: np.ndarray) -> np.ndarray:
        """Register API keys (one row per key); returns their codes."""
        return self.keys.append(key_id=key_ids, account=accounts, pathway=pathways)

    def codes_of(self, account_ids: object) -> np.ndarray:
        """Account codes of the given account ids; unknown ids are an error naming them."""
        ids = [account_ids] if isinstance(account_ids, str) else account_ids
        return known_codes(ids, self.lookup(ids))

    def lookup(self, account_ids: Sequence[str] | np.ndarray | pd.Index) -> np.ndarray:
        """Account codes of the given account ids, −1 for an unknown id.

        The ids are looked up in a pandas index of the registered ids (a hash table in C,
        about a tenth of a dictionary lookup per id from Python); ids registered since that
        index was built are looked up in the dictionary, as are fewer than
        :data:`INDEXED_LOOKUP_IDS` ids (for them, the index's fixed cost per call exceeds
        the dictionary's per id)."""
        by_id = self._by_id
        if len(account_ids) < INDEXED_LOOKUP_IDS:
            return np.fromiter((by_id.get(a, -1) for a in account_ids), dtype=np.int64, count=len(account_ids))
        index = self._id_index()
        if index is None:
            codes = np.full(len(account_ids), -1, dtype=np.int64)
        else:
            codes = index.get_indexer(account_ids).astype(np.int64, copy=False)
        newer = np.flatnonzero(codes < 0)
        if newer.size:
            codes[newer] = [by_id.get(a, -1) for a in np.asarray(account_ids, dtype=object)[newer].tolist()]
        return codes

    def _id_index(self) -> pd.Index | None:
        """A pandas index of the ids of accounts ``0 … m − 1`` (position = code), rebuilt
        once the accounts registered since its last build exceed an eighth of ``m`` (and
        256), so that building it costs amortised O(1) an account; None if two accounts
        ever shared an id (the dictionary then answers, the later account winning)."""
        n = len(self)
        index = self._ids
        if index is None or n - len(index) > max(256, len(index) // 8):
            index = self._ids = pd.Index(self.visible.column("account_id")[:n], dtype=object)
        return index if index.is_unique else None

    def account_frame(self, codes: np.ndarray) -> pd.DataFrame:
        """Visible registry rows of ``codes``, sorted by ``account_id`` (so that row
        order carries no information about who created the account)."""
        return self._sorted_frame(codes)[0]

    def _sorted_frame(self, codes: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        """:meth:`account_frame` and the codes of its rows, in its order."""
        codes = np.asarray(codes, dtype=np.int64)
        v = self.visible
        org = v.column("org")[codes]
        frame = pd.DataFrame(
            {
                "account_id": pd.array(v.column("account_id")[codes], dtype="str"),
                "org_id": pd.array(self.orgs.column("org_id")[org], dtype="str"),
                "created_ts": v.column("created_ts")[codes],
                "signup_pathway": pd.Categorical.from_codes(
                    v.column("signup_pathway")[codes], categories=list(SIGNUP_PATHWAYS)
                ),
                "tier": pd.Categorical.from_codes(v.column("tier_floor")[codes], categories=list(self.tier_names)),
                "name": pd.array(v.column("name")[codes], dtype="str"),
                "email": pd.array(v.column("email")[codes], dtype="str"),
                "email_domain": pd.array(v.column("email_domain")[codes], dtype="str"),
                "company": pd.array(self.orgs.column("name")[org], dtype="str"),
                "payment_fingerprint": pd.array(v.column("payment_fingerprint")[codes], dtype="str"),
                "declared_country": pd.Categorical.from_codes(
                    v.column("declared_country")[codes], categories=[c.code for c in COUNTRIES]
                ),
                "verified": v.column("verified")[codes],
            }
        )
        frame = frame.sort_values("account_id", kind="stable")
        return frame.reset_index(drop=True), codes[frame.index.to_numpy()]

    def publish_new(self) -> pd.DataFrame:
        """Registry rows of accounts created since the previous call (for the next batch).

        Each published account gets its serial number (:meth:`serials_of`): the
        accounts published before it, in the order the batches show them."""
        start, end = self._published, len(self)
        self._published = end
        if start == end:
            if self._empty is None:
                self._empty = self.account_frame(np.empty(0, dtype=np.int64))
            return self._empty.copy(deep=False)  # no rows to change; a column added to one copy stays there
        frame, codes = self._sorted_frame(np.arange(start, end, dtype=np.int64))
        self._serials.ensure(end)
        self._serials.serial[codes] = np.arange(start, end, dtype=np.int64)
        return frame

    @property
    def published(self) -> int:
        """Accounts published so far (:meth:`publish_new`)."""
        return self._published

    def serials_of(self, codes: np.ndarray) -> np.ndarray:
        """Serial numbers of published accounts: their position in the order the batches
        showed their registry rows (batch by batch, each batch's rows sorted by
        ``account_id``); −1 for an account not published yet. A function of the
        visible batches only, so it carries no label."""
        self._serials.ensure(len(self))
        return self._serials.serial[np.asarray(codes, dtype=np.int64)]

    def label_frame(self) -> pd.DataFrame:
        """Ground truth per account, sorted by ``account_id``: never give this to a detector."""
        t = self.truth
        frame = pd.DataFrame(
            {
                "account_id": pd.array(self.visible.column("account_id"), dtype="str"),
                "is_attacker": t.column("is_attacker").copy(),
                "campaign": pd.array(t.column("campaign"), dtype="str"),
                "role": pd.array(t.column("role"), dtype="str"),
            }
        )
        return frame.sort_values("account_id", kind="stable").reset_index(drop=True)
