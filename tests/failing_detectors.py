"""Toy detectors that raise mid-run or take their time, for the report and harness tests.

They live apart from the report tests because a cell runs in a process of its own,
which imports a detector's module to unpickle it: importing a report test module
(and with it matplotlib) would cost each such cell about a second.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from detectors.base import Detector, scores_series

__all__ = ["BreaksAtTen", "Fails", "Slow", "environment"]


class Fails(Detector):
    """Raises on the third tick: a row in failures.csv."""

    def __init__(self) -> None:
        pass

    def update(self, batch):
        if batch.tick == 3:
            raise RuntimeError("boom")
        return None


class BreaksAtTen(Detector):
    """Scores every account 0.1 and raises at tick 10."""

    def __init__(self) -> None:
        pass

    def update(self, batch):
        if batch.tick == 10:
            raise RuntimeError("boom")
        ids = pd.unique(batch.requests["account_id"])
        return scores_series(ids, np.full(len(ids), 0.1)) if len(ids) else None


class Slow(Detector):
    """Takes half a second a tick: a cell of two hours in one-minute ticks lasts a minute."""

    def __init__(self) -> None:
        pass

    def update(self, batch):
        time.sleep(0.5)
        return None


def environment() -> dict[str, str]:
    """This process's environment with this folder on ``PYTHONPATH``: a run started as a
    subprocess can then name these detectors by module path (``failing_detectors:Slow``)."""
    paths = [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}
