"""Scores shared between identical detectors on the same batches: how an ensemble
reuses its members' work.

In a passive run the harness updates every detector of the zoo on each batch,
and the ensemble then updates its own copies of the same detectors on the same
batch. A detector is a deterministic function of its class, its parameters and
the batches it has seen, so two detectors that agree on all three return the
same scores: the second need not compute them.

* :func:`shares_scores` decorates a detector's ``update``: after each update, the
  scores are recorded on the batch's shared view
  (:meth:`~detectors.view.BatchView.record_scores`, a read-only copy) under the
  detector's *key* (class and parameters) and *history* (a hash chain of the
  views it has been updated on, :attr:`~detectors.view.BatchView.serial`), with a
  weak reference to the detector.
* :func:`shared_update` updates a member of an ensemble. If an identical detector
  with the member's history recorded its scores on this batch *and has just
  done so* (its history is now the member's plus this batch: the two move in
  step, as the harness drives them), the scores are taken, the member's history
  moves on and its own state stays behind: it *follows* that detector.
  Otherwise the member updates itself. A follower that finds no scores to take
  (its source was dropped by the harness, or is fed other batches) first
  becomes a copy of its source, which is exactly at the follower's history, and
  then updates itself; if the source is gone, failed in its last update or has
  moved elsewhere, :class:`StaleMemberError` is raised and the ensemble fails at
  that tick.

Nothing here changes a score: a reused score is bit for bit the one the member
would have computed. Only the cost moves: in a run of the whole zoo, the
ensemble's throughput no longer includes members that the harness already runs.
"""

from __future__ import annotations

import copy
import functools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from detectors.view import view
from simulator.traffic import RequestBatch

if TYPE_CHECKING:
    import pandas as pd

    from detectors.base import Detector

__all__ = ["StaleMemberError", "share_key", "shared_update", "shares_scores"]

Scores = tuple[np.ndarray, np.ndarray, np.ndarray | None] | None
"""Account ids (object array), their scores and, on a simulated stream, their serial
numbers (else None); or None for no change."""


class StaleMemberError(RuntimeError):
    """A member that followed an identical detector can neither follow it nor go on alone."""


def share_key(detector: Detector) -> tuple[str, str]:
    """The detector's class and parameters (what, with its history, decides its scores)."""
    key = detector.__dict__.get("share_key_")
    if key is None:
        cls = type(detector)
        key = (f"{cls.__module__}.{cls.__qualname__}", repr(sorted(detector.get_params().items())))
        detector.__dict__["share_key_"] = key
    return key


def _next(history: int, serial: int) -> int:
    return hash((history, serial))


def shares_scores(
    update: Callable[[Detector, RequestBatch], pd.Series | None],
) -> Callable[[Detector, RequestBatch], pd.Series | None]:
    """Decorate ``update`` to record its scores on the batch's shared view."""

    @functools.wraps(update)
    def recorded(self: Detector, batch: RequestBatch) -> pd.Series | None:
        shared = view(batch)
        history = getattr(self, "history_", 0)
        try:
            scores = update(self, batch)
        except BaseException:
            self.failed_ = True  # its state may be half-updated: no one may copy it
            raise
        after = _next(history, shared.serial)
        self.history_ = after
        shared.record_scores(share_key(self), history, scores, weakref.ref(self), after)
        return scores

    return recorded


def shared_update(member: Detector, batch: RequestBatch) -> tuple[Detector, Scores]:
    """Update an ensemble's ``member`` on ``batch``, taking an identical detector's
    scores when it moves in step with the member (see the module docstring).
    Returns the member (a copy of its source if it had to go on alone) and its
    :data:`Scores`."""
    shared = view(batch)
    history = getattr(member, "history_", 0)
    record = shared.recorded_scores(share_key(member), history)
    if record is not None:
        scores, source, after = record
        producer = source()
        if producer is not None and producer is not member and getattr(producer, "history_", None) == after:
            member.history_ = after
            member.source_ = source
            return member, scores
    source = member.__dict__.get("source_")
    if source is not None:  # a follower must first catch up with its source
        producer = source()
        if producer is None or getattr(producer, "failed_", False) or producer.history_ != history:
            raise StaleMemberError(
                f"{member!r} followed an identical detector that is gone, failed or moved elsewhere at tick "
                f"{batch.tick}; the member skipped the batches it followed and cannot go on alone"
            )
        member = copy.deepcopy(producer)
    result = member.update(batch)
    if result is None or result.empty:
        return member, None
    serials = result.attrs.get("serials")
    if serials is not None and (
        serials[0] is not getattr(batch.serials, "stream", None) or len(serials[1]) != len(result)
    ):
        serials = None
    ids = np.asarray(result.index, dtype=object)
    return member, (ids, result.to_numpy(dtype=np.float64), None if serials is None else serials[1])
