"""The detector protocol: a small class with one verb.

A detector scores accounts; **higher means more suspicious**, in ``[0, 1]``.
The harness drives it: at the end of every tick it calls :meth:`Detector.update`
with the tick's :class:`~simulator.traffic.RequestBatch` (what a provider's logs
would hold, nothing more) and records the scores it returns. Deciding alarms is
not the detector's job: an alarm policy (threshold, review delay, action) sits
outside it.

Conventions (after scikit-learn and River):

* the constructor's keyword arguments *are* the configuration: stored unchanged
  under the same names, no work in ``__init__``; learned state lives in
  attributes with a trailing underscore, created on first use;
* randomness only through a ``seed`` parameter;
* :meth:`get_params` reads the parameters back, :meth:`clone` makes a fresh,
  unfitted copy, ``repr`` shows the configuration;
* parameter constraints are declared once, in ``parameter_constraints``, and
  checked by :meth:`check_params` with one message shape:
  "The 'window' parameter of RateZScore must be an int in the range [1, inf). Got 0 instead."

A detector in twenty lines::

    class BusyAccounts(Detector):
        '''Scores accounts by their share of the busiest account's volume.'''

        signal = "volume"
        parameter_constraints = {"decay": Interval(float, 0.0, 1.0, closed="both")}

        def __init__(self, decay: float = 0.99) -> None:
            self.decay = decay

        def update(self, batch):
            counts = batch.requests.groupby("account_id", observed=True).size()
            if not hasattr(self, "volume_"):
                self.volume_ = pd.Series(dtype=float)
            self.volume_ = self.volume_.mul(self.decay).add(counts, fill_value=0)
            return (self.volume_ / self.volume_.max()).loc[counts.index]
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from simulator.traffic import RequestBatch, read_only

__all__ = ["Detector", "Interval", "Options", "ParameterError", "scores_series"]


class ParameterError(ValueError):
    """A detector was given an unknown parameter or a value outside its constraint."""


@dataclass(frozen=True)
class Interval:
    """A numeric constraint: values of ``kind`` between ``low`` and ``high``
    (``None`` for unbounded), endpoints included as ``closed`` says."""

    kind: type
    low: float | None
    high: float | None
    closed: Literal["left", "right", "both", "neither"] = "left"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, int):
            return False
        if self.kind is float and not isinstance(value, int | float):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        below = self.low is not None and (
            value < self.low or (value == self.low and self.closed not in ("left", "both"))
        )
        above = self.high is not None and (
            value > self.high or (value == self.high and self.closed not in ("right", "both"))
        )
        return not (below or above)

    def __str__(self) -> str:
        left = "[" if self.closed in ("left", "both") and self.low is not None else "("
        right = "]" if self.closed in ("right", "both") and self.high is not None else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        article = "an" if self.kind is int else "a"
        return f"{article} {self.kind.__name__} in the range {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Options:
    """A constraint to one of a fixed set of values."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


Constraint = Interval | Options | type


def _accepts(constraint: Constraint, value: Any) -> bool:
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return constraint.accepts(value)


def _describe(constraint: Constraint) -> str:
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    return str(constraint)


class Detector(ABC):
    """Base class of every detector. Subclasses implement :meth:`update`."""

    signal: ClassVar[str] = ""
    """The evidence the detector uses, in a few words (shown by ``extractbench detectors``)."""
    reference: ClassVar[str] = ""
    """The paper or report the detector follows."""
    parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    """Constraint per constructor parameter (parameters without one are not checked)."""
    emits_scores: ClassVar[bool] = True
    """False for a detector that by design never scores anyone (the null baseline)."""
    requires: ClassVar[tuple[str, ...]] = ()
    """Optional packages (import names) the detector needs with its default parameters."""
    checking_params: ClassVar[dict[str, Any]] = {}
    """Parameters the conformance suite builds the detector with to keep its runs short
    (as scikit-learn's checks shrink ``n_estimators``); the defaults are checked too."""

    @abstractmethod
    def update(self, batch: RequestBatch) -> pd.Series | None:
        """Learn from one tick and return the new scores of the accounts whose score
        changed: a Series indexed by ``account_id`` with values in [0, 1]. ``None`` or
        an empty Series means no change. Must not modify ``batch``."""

    # -- configuration -----------------------------------------------------------------

    @classmethod
    def parameter_names(cls) -> list[str]:
        """Names of the constructor's keyword arguments."""
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        signature = inspect.signature(cls.__init__)
        return {
            name: p.default
            for name, p in signature.parameters.items()
            if name != "self" and p.default is not inspect.Parameter.empty
        }

    def get_params(self) -> dict[str, Any]:
        """The configuration: each constructor argument as stored."""
        return {name: getattr(self, name) for name in self.parameter_names()}

    def clone(self) -> Detector:
        """A fresh, unfitted detector with the same configuration. Parameters that are
        models themselves (a detector, a scikit-learn or PyOD estimator, a River model)
        are cloned too, so that no learned state is shared."""
        return type(self)(**{name: _clone_value(value) for name, value in self.get_params().items()})

    def check_params(self) -> None:
        """Raise :class:`ParameterError` for a value outside its declared constraint."""
        for name, constraint in self.parameter_constraints.items():
            value = getattr(self, name)
            if not _accepts(constraint, value):
                raise ParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be {_describe(constraint)}. "
                    f"Got {value!r} instead."
                )

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        defaults = self.default_params()
        shown = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k, object()) != v]
        return f"{type(self).__name__}({', '.join(shown)})"


def _clone_value(value: Any) -> Any:
    """A fresh copy of a parameter value: models are cloned unfitted, plain values kept."""
    if isinstance(value, Detector):
        return value.clone()
    if isinstance(value, list | tuple):
        return type(value)(_clone_value(v) for v in value)
    if hasattr(value, "get_params") and hasattr(value, "fit"):  # scikit-learn and PyOD estimators
        from sklearn.base import clone

        return clone(value)
    if callable(getattr(value, "clone", None)):  # River models
        return value.clone()
    return value


def scores_series(account_ids: Any, scores: Any, *, own_ids: bool = False) -> pd.Series:
    """A score Series as :meth:`Detector.update` returns it (float64, indexed by
    account_id). The index keeps the given ``str`` objects (object dtype): no copy
    into another string type per account and tick; its array is read-only (so that a
    record of the scores, :mod:`detectors.sharing`, may keep it without a copy).

    ``own_ids``: ``account_ids`` is an object array the caller hands over (a fresh
    one that nothing else refers to), used as it is instead of a copy."""
    ids = np.asarray(account_ids, dtype=object)
    if not (own_ids and ids is account_ids) and (ids.base is not None or ids is account_ids):
        ids = ids.copy()  # never share a caller's storage
    values = np.asarray(scores, dtype=np.float64)
    if ids.ndim != 1 or values.shape != ids.shape or _SINGLE_COLUMN is None:
        index = pd.Index(ids, name="account_id", dtype=object)
        return pd.Series(values, index=index, name="score")
    if values.base is not None or values is scores:
        values = values.copy()
    # the public constructors inspect every element and re-check every argument (tens of
    # microseconds a tick, for every detector): the same objects, put together directly
    index = pd.Index._simple_new(read_only(ids), name="account_id")
    manager = _SINGLE_COLUMN.from_array(values, index)
    series = pd.Series._from_mgr(manager, manager.axes)
    series.name = "score"
    return series


def _single_column() -> Any:
    """pandas' manager of a Series' one column, or None where pandas moved what
    :func:`scores_series` uses (then it calls the public constructors)."""
    try:
        from pandas.core.internals import SingleBlockManager
    except ImportError:
        return None
    needed = (
        hasattr(pd.Index, "_simple_new"),
        hasattr(pd.Series, "_from_mgr"),
        hasattr(SingleBlockManager, "from_array"),
    )
    return SingleBlockManager if all(needed) else None


_SINGLE_COLUMN = _single_column()
