"""Unsupervised per-account anomaly: an isolation forest over the behaviour features.

Isolation forests (Liu, Ting and Zhou, ICDM 2008) isolate a point with random
axis-parallel cuts; points that few cuts isolate are anomalies. Here the points
are accounts, described by the rolling features of
:class:`~detectors.features.AccountFeatures` (volume, tokens, 429 share,
inter-arrival statistics, hour-of-day profile, topic entropy and concentration,
chain-of-thought share, fingerprint, IP, /24 and ASN diversity, model mix,
account age). It is :class:`~detectors.adapters.EstimatorAdapter` with
scikit-learn's ``IsolationForest`` built in: refit every ``refit_every`` ticks on
up to ``max_train`` accounts with ``min_requests`` requests or more, scores the
negated ``score_samples`` as an ECDF among the training accounts.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sklearn.ensemble import IsolationForest

from detectors.adapters import EstimatorAdapter
from detectors.base import Constraint, Interval
from detectors.features import DAY

__all__ = ["IsolationForestDetector"]


class IsolationForestDetector(EstimatorAdapter):
    """Accounts whose behaviour features are easy to isolate (isolation forest)."""

    signal = "per-account behaviour features"
    reference = "Isolation forest (Liu, Ting and Zhou, ICDM 2008) over rolling per-account features"
    checking_params: ClassVar[dict[str, Any]] = {"n_estimators": 20, "refit_every": 30}
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        **EstimatorAdapter.parameter_constraints,
        "n_estimators": Interval(int, 1, None),
        "max_samples": Interval(int, 2, None),
    }
    score_method = "-score_samples"
    scale = False  # trees are invariant to monotone rescaling

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int = 256,
        features: tuple[str, ...] | None = None,
        half_life: float = DAY,
        refit_every: int = 60,
        score_every: int = 15,
        min_requests: int = 5,
        max_train: int = 20_000,
        seed: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.features = features
        self.half_life = half_life
        self.refit_every = refit_every
        self.score_every = score_every
        self.min_requests = min_requests
        self.max_train = max_train
        self.seed = seed

    def make_estimator(self, n_samples: int) -> Any:
        return IsolationForest(
            n_estimators=self.n_estimators, max_samples=min(self.max_samples, n_samples), random_state=self.seed
        )
