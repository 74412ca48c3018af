"""Adapters: other people's anomaly detectors as extractbench detectors.

Three shapes plug in with a line each:

* :class:`EstimatorAdapter` — any scikit-learn or PyOD outlier detector (``fit``
  plus ``score_samples`` or ``decision_function``) over the rolling per-account
  features of :class:`~detectors.features.AccountFeatures`. The estimator is refit
  every ``refit_every`` ticks on every account with at least ``min_requests``
  requests (a seeded subsample of at most ``max_train``); between refits, the
  accounts active in a tick are scored with the latest fit. Raw scores become
  scores by their :func:`~detectors.scoring.ecdf` among the training accounts'
  raw scores: 0.5 is a typical account, 1 one beyond every training account.
* :class:`RiverAdapter` — a River anomaly model (``score_one`` / ``learn_one`` on
  dicts) over the same per-account features: each tick, every active account's
  feature vector is scored, then learnt (score before learn, as River evaluates).
  Scores are the ECDF of the raw score among the last ``reference`` raw scores.
* :class:`EventAdapter` — a per-event model in River's style over the requests
  themselves: each request is scored, then learnt; a request's score is the ECDF
  of its raw score among the last ``reference`` raw scores, and an account's score
  is the exponentially decayed mean of its requests' scores. This calls Python
  once per request (River is built that way), so it is the slow one.

Which way is "anomalous"? PyOD's ``decision_function`` is larger for outliers;
scikit-learn's ``score_samples`` and ``decision_function`` are larger for
*inliers*. ``score_method="auto"`` picks PyOD's ``decision_function`` for PyOD
models and the negated ``score_samples`` (else ``decision_function``) otherwise;
name one explicitly ("-score_samples", "decision_function", ...) for other
libraries.

A model given as a text (``"sklearn.ensemble:IsolationForest"``) is built by
:func:`detectors.models.instantiate`: a suite file may name registered models only.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from detectors.accounts import AccountIndex
from detectors.base import Constraint, Detector, Interval, Options
from detectors.features import DAY, FEATURES, AccountFeatures
from detectors.models import instantiate
from detectors.scoring import Reservoir, ecdf
from detectors.sharing import shares_scores
from simulator.traffic import RequestBatch

__all__ = ["EstimatorAdapter", "EventAdapter", "RiverAdapter", "RunningZScore", "instantiate"]

RIVER_METHODS = ("score_one", "learn_one", "clone")
"""What the River-style adapters call on their model."""

SCORE_METHODS = ("auto", "decision_function", "-decision_function", "score_samples", "-score_samples")


def _check_features(features: tuple[str, ...] | None) -> list[int]:
    names = list(FEATURES) if features is None else list(features)
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names:
        raise ValueError(f"Unknown features {unknown}; valid features: {', '.join(FEATURES)}")
    return [FEATURES.index(name) for name in names]


class _FeatureModel(Detector):
    """Shared state of the adapters over :class:`AccountFeatures`."""

    def _start(self) -> None:
        self.check_params()
        self.columns_ = _check_features(self.features)
        self.features_ = AccountFeatures(half_life=self.half_life)

    def _eligible(self, codes: np.ndarray) -> np.ndarray:
        return codes[self.features_.index["total"][codes] >= self.min_requests]

    def _vectors(self, codes: np.ndarray) -> np.ndarray:
        matrix = self.features_.matrix(codes)
        return matrix if self.columns_ == list(range(len(FEATURES))) else matrix[:, self.columns_]


class EstimatorAdapter(_FeatureModel):
    """Any scikit-learn or PyOD outlier detector over rolling per-account features."""

    signal = "per-account behaviour features (any estimator)"
    reference = "scikit-learn / PyOD outlier detectors over rolling per-account features"
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "half_life": Interval(float, 0.0, None, closed="neither"),
        "refit_every": Interval(int, 1, None),
        "score_every": Interval(int, 1, None),
        "min_requests": Interval(int, 1, None),
        "max_train": Interval(int, 10, None),
        "score_method": Options(SCORE_METHODS),
        "scale": bool,
        "seed": Interval(int, 0, None),
    }

    def __init__(
        self,
        estimator: Any = "sklearn.ensemble:IsolationForest",
        features: tuple[str, ...] | None = None,
        half_life: float = DAY,
        refit_every: int = 60,
        score_every: int = 15,
        min_requests: int = 5,
        max_train: int = 20_000,
        score_method: str = "auto",
        scale: bool = True,
        seed: int = 0,
    ) -> None:
        self.estimator = estimator
        self.features = features
        self.half_life = half_life
        self.refit_every = refit_every
        self.score_every = score_every
        self.min_requests = min_requests
        self.max_train = max_train
        self.score_method = score_method
        self.scale = scale
        self.seed = seed

    def make_estimator(self, n_samples: int) -> Any:
        """A fresh, unfitted estimator (to be fit on ``n_samples`` accounts), seeded with
        ``seed`` where it takes a ``random_state``."""
        estimator = instantiate(self.estimator, required=("fit",))
        if hasattr(estimator, "get_params"):
            from sklearn.base import clone

            estimator = clone(estimator)
            if "random_state" in estimator.get_params(deep=False):
                estimator.set_params(random_state=self.seed)
        return estimator

    @shares_scores
    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "features_"):
            self._start()
            self.model_ = None
            self.rng_ = np.random.default_rng(self.seed)
            self.pending_ = np.zeros(0, dtype=bool)
        touched = self.features_.update(batch)
        if self.pending_.size < len(self.features_):
            self.pending_ = np.r_[self.pending_, np.zeros(len(self.features_) - self.pending_.size, dtype=bool)]
        self.pending_[touched] = True
        due = (batch.tick + 1) % self.refit_every == 0 or self.model_ is None
        fitted: tuple[np.ndarray, np.ndarray] | None = None
        if due and self._refit():
            self.pending_[:] = True  # a new fit changes every account's score
            fitted = self.__dict__.pop("fitted_")  # (codes, raw scores) of the training accounts
        if self.model_ is None or ((batch.tick + 1) % self.score_every and not self.pending_.all()):
            return None
        codes = self._eligible(np.flatnonzero(self.pending_))
        self.pending_[codes] = False
        if codes.size == 0:
            return None
        # the accounts just fit, their features unchanged since: their raw scores are known
        known = fitted is not None and np.array_equal(fitted[0], codes)
        raw = fitted[1] if fitted is not None and known else self._raw(self._vectors(codes))
        return self.features_.index.scores(codes, ecdf(self.reference_, raw))

    def _refit(self) -> bool:
        codes = self._eligible(np.arange(len(self.features_)))
        if codes.size < 10:
            return False
        if codes.size > self.max_train:
            codes = np.sort(self.rng_.choice(codes, size=self.max_train, replace=False))
        x = self._vectors(codes)
        if self.scale:
            self.center_ = np.median(x, axis=0)
            spread = np.subtract(*np.percentile(x, [75, 25], axis=0))
            self.spread_ = np.where(spread > 1e-9, spread, np.maximum(x.std(axis=0), 1.0))
            x = (x - self.center_) / self.spread_
        model = self.make_estimator(x.shape[0])
        model.fit(x)
        self.model_ = model
        raw = self._score(x)
        self.reference_ = np.sort(raw)
        self.fitted_ = (codes, raw)
        return True

    def _raw(self, x: np.ndarray) -> np.ndarray:
        if self.scale:
            x = (x - self.center_) / self.spread_
        return self._score(x)

    def _score(self, x: np.ndarray) -> np.ndarray:
        """Raw anomaly scores, larger = more anomalous."""
        method = self.score_method
        if method == "auto":
            if type(self.model_).__module__.startswith("pyod"):
                method = "decision_function"
            elif hasattr(self.model_, "score_samples"):
                method = "-score_samples"
            else:
                method = "-decision_function"
        sign = -1.0 if method.startswith("-") else 1.0
        raw = sign * np.asarray(getattr(self.model_, method.lstrip("-"))(x), dtype=np.float64)
        return np.nan_to_num(raw, nan=0.0, posinf=np.finfo(np.float64).max, neginf=-np.finfo(np.float64).max)


class RiverAdapter(_FeatureModel):
    """A River anomaly model over rolling per-account features (score, then learn)."""

    signal = "per-account behaviour features (River model)"
    reference = "River anomaly detectors (Montiel et al., JMLR 2021) over rolling per-account features"
    requires = ("river",)
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "half_life": Interval(float, 0.0, None, closed="neither"),
        "min_requests": Interval(int, 1, None),
        "reference": Interval(int, 10, None),
        "seed": Interval(int, 0, None),
    }

    def __init__(
        self,
        model: Any = None,
        features: tuple[str, ...] | None = None,
        half_life: float = DAY,
        min_requests: int = 5,
        reference: int = 10_000,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.features = features
        self.half_life = half_life
        self.min_requests = min_requests
        self.reference = reference
        self.seed = seed

    def make_model(self) -> Any:
        """The River model: a clone of ``model``, by default min-max scaling followed by
        half-space trees (Tan, Ting and Liu, IJCAI 2011) seeded with ``seed``."""
        if self.model is None:
            from river import anomaly, preprocessing

            return preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees(seed=self.seed)
        return instantiate(self.model, required=RIVER_METHODS).clone()

    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "features_"):
            self._start()
            self.model_ = self.make_model()
            self.raw_ = Reservoir(self.reference)
        codes = self._eligible(self.features_.update(batch))
        if codes.size == 0:
            return None
        names = [FEATURES[i] for i in self.columns_]
        raw = np.empty(codes.size)
        for i, vector in enumerate(self._vectors(codes).tolist()):  # one call per active account
            x = dict(zip(names, vector, strict=True))
            raw[i] = self.model_.score_one(x)
            self.model_.learn_one(x)
        reference = self.raw_.sorted() if len(self.raw_) else np.sort(raw)
        self.raw_.add(raw)
        return self.features_.index.scores(codes, ecdf(reference, raw))


class RunningZScore:
    """A minimal per-event anomaly model in River's style: ``score_one(x)`` is the
    largest ``|x_i − mean_i| / std_i`` over the features, with running means and
    variances (Welford) updated by ``learn_one(x)``; 0 until two events are learnt."""

    def __init__(self) -> None:
        self.n = 0
        self.mean: dict[str, float] = {}
        self.m2: dict[str, float] = {}

    def clone(self) -> RunningZScore:
        return RunningZScore()

    def learn_one(self, x: dict[str, float]) -> None:
        self.n += 1
        for key, value in x.items():
            mean = self.mean.get(key, 0.0)
            delta = value - mean
            mean += delta / self.n
            self.mean[key] = mean
            self.m2[key] = self.m2.get(key, 0.0) + delta * (value - mean)

    def score_one(self, x: dict[str, float]) -> float:
        if self.n < 2:
            return 0.0
        worst = 0.0
        for key, value in x.items():
            std = (self.m2.get(key, 0.0) / (self.n - 1)) ** 0.5
            if std > 0:
                worst = max(worst, abs(value - self.mean.get(key, 0.0)) / std)
        return worst


EVENT_COLUMNS = ("input_tokens", "output_tokens", "max_tokens", "cot_requested", "turn", "status")


class EventAdapter(Detector):
    """A per-request ``learn_one``/``score_one`` model; accounts get their requests'
    decayed mean score."""

    signal = "per-request values (any learn_one/score_one model)"
    reference = "River-style online anomaly detection (Montiel et al., JMLR 2021), per request"
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "half_life": Interval(float, 0.0, None, closed="neither"),
        "reference": Interval(int, 10, None),
    }

    def __init__(
        self,
        model: Any = None,
        columns: tuple[str, ...] = EVENT_COLUMNS,
        log_scale: bool = True,
        half_life: float = DAY,
        reference: int = 10_000,
    ) -> None:
        self.model = model
        self.columns = columns
        self.log_scale = log_scale
        self.half_life = half_life
        self.reference = reference

    def update(self, batch: RequestBatch) -> pd.Series | None:
        if not hasattr(self, "model_"):
            self.check_params()
            self.model_ = RunningZScore() if self.model is None else instantiate(self.model, RIVER_METHODS).clone()
            self.raw_ = Reservoir(self.reference)
            self.accounts_ = AccountIndex()
            for name, fill in (("weight", 0.0), ("sum", 0.0), ("at", -np.inf)):
                self.accounts_.add_array(name, np.float64, fill=fill)
        r = batch.requests
        if r.empty:
            return None
        missing = [c for c in self.columns if c not in r.columns]
        if missing:
            raise ValueError(f"EventAdapter columns {missing} are not request columns")
        values = np.column_stack([r[c].to_numpy(dtype=np.float64) for c in self.columns])
        if self.log_scale:
            values = np.log1p(np.abs(values)) * np.sign(values)
        raw = np.empty(len(r))
        for i, vector in enumerate(values.tolist()):  # one call per request: River's design
            x = dict(zip(self.columns, vector, strict=True))
            raw[i] = self.model_.score_one(x)
            self.model_.learn_one(x)
        reference = self.raw_.sorted() if len(self.raw_) else np.sort(raw)
        self.raw_.add(raw)
        codes = self.accounts_.codes(r["account_id"])
        touched, row = np.unique(codes, return_inverse=True)
        ix = self.accounts_
        decay = np.exp2(-(batch.end - ix["at"][touched]) / self.half_life)
        ix["weight"][touched] = ix["weight"][touched] * decay + np.bincount(row, minlength=touched.size)
        ix["sum"][touched] = ix["sum"][touched] * decay + np.bincount(
            row, weights=ecdf(reference, raw), minlength=touched.size
        )
        ix["at"][touched] = batch.end
        return ix.scores(touched, ix["sum"][touched] / ix["weight"][touched])
