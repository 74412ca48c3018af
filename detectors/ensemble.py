"""An ensemble: the zoo's detectors fused into one score.

Each signal misses something: a campaign that paraphrases defeats template
repetition, one that spreads its timing defeats lockstep, one that buys clean
infrastructure defeats the graph. Fusing independent evidence is how outlier
ensembles gain robustness (Aggarwal and Sathe, "Outlier Ensembles", 2017). The
members are detectors by registry name (``members``), each built with its
defaults (a member that takes a ``seed`` gets the ensemble's ``seed`` unless its
spec names one) and driven with the same batches; the ensemble keeps every account's
latest score from every member (0 until a member scores it). Where the harness
already runs an identical detector (same class, parameters and batches) on the
same batches before the ensemble, its scores are reused instead of computed
again (:mod:`detectors.sharing`).

``method`` combines the ``M`` members' latest scores of an account:

* ``"mean"`` (default) — their mean: every member's scores are already on a
  documented [0, 1] scale, and averaging is the most robust combination when
  no labels say which member to trust (Aggarwal and Sathe);
* ``"rank-mean"``, ``"max"``, ``"fisher"`` — on ranks instead, for members whose
  scales disagree: a member's score becomes its mid-rank ``r`` (ECDF) among every
  account's current score from that member (snapshots refreshed every
  ``refresh`` ticks), then the mean rank, the largest rank, or Fisher's method on
  the upper-tail rank p-values ``p = 1 − r + 1/(2n)`` (``X = −2 Σ log p``, score
  the χ²(2M) CDF of ``X``).

On hydra-cluster the rank fusions did worse than the mean (ranks among the
current population move with it, and the maximum over time of a moving rank
rewards noise); see ``docs/detectors.md``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from detectors.accounts import AccountIndex
from detectors.base import Constraint, Detector, Interval, Options
from detectors.scoring import ecdf
from detectors.sharing import shared_update
from detectors.view import view
from simulator.traffic import RequestBatch

__all__ = ["DEFAULT_MEMBERS", "Ensemble"]

DEFAULT_MEMBERS: tuple[str, ...] = (
    "rate",
    "capability",
    "templates",
    "prada",
    "lockstep",
    "infrastructure",
    "lifecycle",
    "shift",
    "isolation-forest",
)
"""Every signal detector of the zoo (not the baselines)."""


class Ensemble(Detector):
    """Fuses the zoo's detectors (the mean of their scores by default)."""

    signal = "all of the above"
    reference = "Outlier ensembles (Aggarwal and Sathe, 2017); Fisher's method for combining p-values (1925)"
    checking_params: ClassVar[dict[str, Any]] = {"members": ("capability", "lockstep", "templates")}
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "members": tuple,
        "method": Options(("fisher", "rank-mean", "max", "mean")),
        "refresh": Interval(int, 1, None),
        "seed": Interval(int, 0, None),
    }

    def __init__(
        self, members: tuple[str, ...] = DEFAULT_MEMBERS, method: str = "mean", refresh: int = 10, seed: int = 0
    ) -> None:
        self.members = members
        self.method = method
        self.refresh = refresh
        self.seed = seed

    def _start(self) -> None:
        from detectors.registry import build, parse_spec, resolve  # the registry lists this module: import it late

        self.check_params()
        if not self.members or "ensemble" in self.members:
            raise ValueError(f"members must name one or more detectors other than 'ensemble'; got {self.members!r}")
        self.members_ = []
        for spec in self.members:
            name, given = parse_spec(spec)
            seeded = "seed" in resolve(name).cls.parameter_names() and "seed" not in given
            # a seeded member takes the ensemble's seed unless its spec names one: a run gives every seeded
            # detector its seed, so the members are then the very detectors beside the ensemble, whose
            # scores they share instead of computing them again
            self.members_.append(build(spec, seed=self.seed) if seeded else build(spec))
        self.index_ = AccountIndex()
        self.index_.add_array("scores", np.float64, (len(self.members_),))
        self.index_.add_array("scored", bool)
        self.sorted_: list[np.ndarray] = [np.zeros(0)] * len(self.members_)

    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "members_"):
            self._start()
        ix = self.index_
        bound = ix.follow(view(batch))  # numbered by the stream's serials, if it has them
        changed = []
        for m, member in enumerate(self.members_):
            member, scores = shared_update(member, batch)  # an identical detector's scores, if it shared them
            self.members_[m] = member
            if scores is None:
                continue
            ids, values, serials = scores
            codes = serials if bound and serials is not None else ix.codes(ids)
            ix["scored"][codes] = True
            ix["scores"][:, m][codes] = values  # through the member's column: a plain scatter
            changed.append(codes)
        if self.method != "mean" and (batch.tick % self.refresh == 0 or not len(self.sorted_[0])):
            scored = ix["scores"][ix["scored"]]  # accounts some member has scored
            self.sorted_ = [np.sort(scored[:, m]) for m in range(len(self.members_))]
        if not changed:
            return None
        union = np.zeros(len(ix), dtype=bool)  # the sorted distinct codes, without sorting them
        for codes in changed:
            union[codes] = True
        codes = np.flatnonzero(union)
        return ix.scores(codes, self._fuse(ix["scores"][codes]))

    def _fuse(self, scores: np.ndarray) -> np.ndarray:
        if self.method == "mean":
            return scores.mean(axis=1)
        ranks = np.column_stack([ecdf(self.sorted_[m], scores[:, m]) for m in range(scores.shape[1])])
        if self.method == "rank-mean":
            return ranks.mean(axis=1)
        if self.method == "max":
            return ranks.max(axis=1)
        n = max(len(self.sorted_[0]), 1)
        p = np.clip(1.0 - ranks + 0.5 / n, 0.5 / n, 1.0)
        return stats.chi2.cdf(-2.0 * np.log(p).sum(axis=1), 2 * scores.shape[1])
