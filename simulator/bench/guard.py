"""Guarding the harness against a misbehaving detector.

A detector that raises, or returns something other than scores in [0, 1] keyed by
known account ids, fails **alone**: the reason is recorded, the detector gets no
further batches, and every other detector's results survive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detectors.base import Detector
from simulator.registry import Registry
from simulator.traffic import RequestBatch

__all__ = ["DetectorFailedError", "Failure", "checked_update"]


@dataclass(frozen=True)
class Failure:
    """Why a detector's cell failed."""

    tick: int
    reason: str


class DetectorFailedError(Exception):
    """A detector raised or returned invalid scores at ``tick``."""

    def __init__(self, tick: int, reason: str) -> None:
        super().__init__(f"tick {tick}: {reason}")
        self.failure = Failure(tick, reason)


def _examples(values: pd.Index | np.ndarray) -> str:
    shown = [repr(v) for v in list(values[:3])]
    return ", ".join(shown) + (" …" if len(values) > 3 else "")


def checked_update(detector: Detector, batch: RequestBatch, registry: Registry) -> tuple[np.ndarray, np.ndarray]:
    """Call ``detector.update(batch)`` and return (registry codes, scores) of the
    accounts whose score changed; raise :class:`DetectorFailedError` with the reason if
    the call raises or its result is not a Series of finite scores in [0, 1]
    indexed by unique, known ``account_id`` strings."""
    tick = batch.tick
    try:
        result = detector.update(batch)
    except Exception as exc:  # any error of third-party code fails its detector only
        raise DetectorFailedError(tick, f"update raised {type(exc).__name__}: {exc}") from None
    if result is None:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    if not isinstance(result, pd.Series):
        raise DetectorFailedError(tick, f"update returned a {type(result).__name__}, expected a pandas Series or None")
    if result.empty:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    index = result.index
    if pd.api.types.infer_dtype(index, skipna=False) != "string":
        raise DetectorFailedError(
            tick, f"scores are indexed by {index.dtype} values ({_examples(index)}), expected account_id strings"
        )
    if index.has_duplicates:
        raise DetectorFailedError(tick, f"scores repeat account ids ({_examples(index[index.duplicated()])})")
    try:
        scores = result.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DetectorFailedError(tick, f"scores of dtype {result.dtype} are not numbers") from None
    bad = ~np.isfinite(scores)
    if bad.any():
        raise DetectorFailedError(tick, f"non-finite score {scores[bad][0]} for account {index[bad][0]!r}")
    outside = (scores < 0) | (scores > 1)
    if outside.any():
        raise DetectorFailedError(
            tick, f"score {scores[outside][0]:g} outside [0, 1] for account {index[outside][0]!r}"
        )
    try:
        codes = registry.codes_of(index)
    except KeyError as exc:
        raise DetectorFailedError(tick, f"scores for accounts not in the registry: {exc.args[0]}") from None
    return codes, scores
