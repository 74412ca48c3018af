"""Account lifecycle: sign-up waves through weak pathways, and replacements after bans.

The 2026 disclosures describe fraudulent accounts created in waves through the
sign-up pathways with the weakest verification (education, research and
start-up programmes), aged to climb rate tiers, and replaced "immediately" when
banned, on the same infrastructure. Registration-time signals (bulk sign-up
waves, templated e-mail handles) are how purchased fraudulent accounts were
found on Twitter (Thomas, McCoy, Grier, Kolcz and Paxson, "Trafficking
Fraudulent Accounts", USENIX Security 2013).

Evidence per account, from the account registry rows in the batches and the
requests' statuses:

* ``mix`` — was the account created in a burst of its pathway? Sign-ups are
  counted per ``bin_seconds`` bin of ``created_ts`` and pathway; with ``c`` sign-ups
  in the bin, ``k`` of them through pathway ``p``, and ``q`` the pathway's share of
  all sign-ups, the binomial tail ``P(X ≥ k | c, q)`` measures how unusual the
  pathway's share is in that bin, and ``mix = min(1, −log10 P / burst_log10)``.
  Comparing shares, not counts, keeps a general growth in sign-ups (many young
  accounts) from looking like a wave.
* ``risk`` — the prior risk of the sign-up pathway (``pathway_risk``; pathways
  not listed get ``default_risk``).
* ``replacement`` — accounts created after a ban was seen (a request answered
  403) that share a payment fingerprint, an e-mail pattern (see
  :func:`~detectors.emails.email_patterns`) or a client fingerprint with a
  banned account: one third per kind of match.

    score = noisy_or(risk · mix, replacement)

Scores are recomputed when new registry rows or new bans arrive.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from detectors.accounts import AccountIndex
from detectors.base import Constraint, Detector, Interval
from detectors.features import DAY
from detectors.scoring import noisy_or
from detectors.sharing import shares_scores
from detectors.view import BatchView, view
from simulator.hashing import splitmix64
from simulator.traffic import RequestBatch

__all__ = ["PATHWAY_RISK", "AccountLifecycle"]

PATHWAY_RISK: dict[str, float] = {
    "education": 1.0,
    "research": 1.0,
    "startup": 1.0,
    "reseller": 0.7,
    "marketplace": 0.5,
    "direct": 0.5,
    "enterprise": 0.2,
}
"""Prior risk per sign-up pathway: the disclosures' "weakest verification paths" highest."""


class AccountLifecycle(Detector):
    """Sign-up waves through weak pathways and replacement accounts after bans."""

    signal = "sign-up time, pathway, bans and re-used identity"
    reference = (
        "2026 distillation disclosures (account waves through education/research/start-up programmes, immediate "
        "replacement of banned accounts); registration signals of bulk accounts (Thomas et al., USENIX Security 2013)"
    )
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "bin_seconds": Interval(float, 0.0, None, closed="neither"),
        "burst_log10": Interval(float, 0.0, None, closed="neither"),
        "default_risk": Interval(float, 0.0, 1.0, closed="both"),
    }

    def __init__(
        self,
        bin_seconds: float = DAY,
        burst_log10: float = 6.0,
        pathway_risk: dict[str, float] | None = None,
        default_risk: float = 0.5,
    ) -> None:
        self.bin_seconds = bin_seconds
        self.burst_log10 = burst_log10
        self.pathway_risk = pathway_risk
        self.default_risk = default_risk

    def _start(self) -> None:
        self.check_params()
        self.risk_ = dict(PATHWAY_RISK if self.pathway_risk is None else self.pathway_risk)
        bad = {k: v for k, v in self.risk_.items() if not isinstance(v, int | float) or not 0 <= v <= 1}
        if bad:
            raise ValueError(f"pathway_risk values must be numbers in [0, 1]; got {bad}")
        self.index_ = ix = AccountIndex()
        ix.add_array("registered", bool)
        ix.add_array("created_bin", np.int64)
        ix.add_array("pathway", np.int64, fill=-1)
        ix.add_array("risk", np.float64)
        ix.add_array("created_ts", np.float64, fill=np.nan)
        for name in ("payment", "email_pattern"):
            ix.add_array(name, np.uint64)
        # the text hash of the client fingerprint of each account's last request, mixed into
        # the identity compared with banned accounts' only when scores are computed
        ix.add_array("fingerprint_text", np.uint64)
        ix.add_array("requested", bool)
        ix.add_array("banned", bool)
        ix.add_array("score", np.float64)
        self.pathways_: dict[str, int] = {}
        self.burned_: dict[str, np.ndarray] = {
            k: np.empty(0, np.uint64) for k in ("payment", "email_pattern", "fingerprint")
        }
        self.first_ban_ = np.inf

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "index_"):
            self._start()
        ix = self.index_
        changed = False
        v = view(batch)
        if len(v.registry):
            self._register(v)
            changed = True
        if v.n:
            codes = ix.row_codes(v)
            ix["fingerprint_text"][codes] = v.string_hash("client_fingerprint")  # the last row of each account
            ix["requested"][codes] = True
            forbidden = v.row_value("forbidden")
            fresh = np.unique(codes[forbidden]) if forbidden.any() else codes[:0]  # most ticks ban no one
            fresh = fresh[~ix["banned"][fresh]]
            if fresh.size:
                ix["banned"][fresh] = True
                self.first_ban_ = min(self.first_ban_, float(v.column("ts")[forbidden].min()))
                identities = self._identities()
                for name in self.burned_:
                    self.burned_[name] = np.union1d(self.burned_[name], identities[name][fresh])
                changed = True
        if not changed:
            return None
        score = noisy_or(ix["risk"] * self._mix(), self._replacement())
        moved = np.flatnonzero(score != ix["score"])
        ix["score"][moved] = score[moved]
        return ix.scores(moved, score[moved]) if moved.size else None

    def _register(self, v: BatchView) -> None:
        ix = self.index_
        accounts = v.registry
        codes = ix.register(v)
        created = accounts["created_ts"].to_numpy(dtype=np.float64)
        # each distinct pathway looked up once (pathways numbered in order of first appearance)
        labels, distinct = pd.factorize(accounts["signup_pathway"], use_na_sentinel=False)
        names = [str(name) for name in distinct]
        for name in names:
            self.pathways_.setdefault(name, len(self.pathways_))
        pathway = np.array([self.pathways_[name] for name in names], dtype=np.int64)
        risk = np.array([self.risk_.get(name, self.default_risk) for name in names], dtype=np.float64)
        ix["pathway"][codes] = pathway[labels]
        ix["risk"][codes] = risk[labels]
        ix["created_ts"][codes] = created
        ix["created_bin"][codes] = np.floor(created / self.bin_seconds).astype(np.int64)
        ix["registered"][codes] = True
        ix["payment"][codes] = splitmix64(v.registry_hash("payment_fingerprint") ^ np.uint64(32))
        ix["email_pattern"][codes] = splitmix64(v.registry_email_pattern_hash ^ np.uint64(33))

    def _mix(self) -> np.ndarray:
        """Per account: how unusual its pathway's share of its sign-up bin is."""
        ix = self.index_
        mix = np.zeros(len(ix))
        who = np.flatnonzero(ix["registered"])
        if who.size == 0:
            return mix
        bins, bin_of = np.unique(ix["created_bin"][who], return_inverse=True)
        pathway = ix["pathway"][who]
        width = max(len(self.pathways_), 1)
        counts = np.bincount(bin_of * width + pathway, minlength=bins.size * width).reshape(bins.size, width)
        share = counts.sum(axis=0) / who.size
        in_bin = counts.sum(axis=1)
        k = counts[bin_of, pathway]
        tail = stats.binom.logsf(k - 1, in_bin[bin_of], share[pathway]) / np.log(10)
        mix[who] = np.clip(-tail / self.burst_log10, 0.0, 1.0)
        return mix

    def _replacement(self) -> np.ndarray:
        """Per account: share of the three identity kinds it shares with banned accounts,
        if it was created after the first ban seen."""
        ix = self.index_
        replacement = np.zeros(len(ix))
        if not np.isfinite(self.first_ban_):
            return replacement
        late = ~ix["banned"] & (ix["created_ts"] >= self.first_ban_)
        identities = self._identities()
        for name, burned in self.burned_.items():
            values = identities[name]
            replacement += (late & (values != 0) & np.isin(values, burned[burned != 0])) / 3.0
        return replacement

    def _identities(self) -> dict[str, np.ndarray]:
        """Per account, the three identities compared with banned accounts' (uint64, 0
        for none): payment and e-mail pattern from the registry, and the client
        fingerprint of its last request (0 before its first)."""
        ix = self.index_
        fingerprint = np.where(ix["requested"], splitmix64(ix["fingerprint_text"] ^ np.uint64(31)), np.uint64(0))
        return {"payment": ix["payment"], "email_pattern": ix["email_pattern"], "fingerprint": fingerprint}
