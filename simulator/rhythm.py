"""Daily and weekly rhythm: how activity varies with local time.

All functions are vectorised over accounts. Local time is UTC plus the account's
offset in hours; the simulation clock is seconds since the scenario start,
whose UTC time is ``origin``.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

__all__ = ["diurnal_weight", "local_hour_and_weekday", "weekly_weight"]


def local_hour_and_weekday(
    origin: datetime, t: float | np.ndarray, utc_offset_hours: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Local hour of day (float in [0, 24)) and weekday (0 = Monday) at simulation
    time(s) ``t`` for accounts with the given UTC offsets."""
    origin_hours = origin.hour + origin.minute / 60 + origin.second / 3600
    hours = origin_hours + np.asarray(t) / 3600.0 + np.asarray(utc_offset_hours)
    days = np.floor(hours / 24.0)
    return hours - 24.0 * days, ((origin.weekday() + days) % 7).astype(np.int64)


def diurnal_weight(local_hour: np.ndarray, peak_hour: float, peak_to_trough: float) -> np.ndarray:
    """Relative activity at ``local_hour``: ``1 + a·cos(2π(h − peak_hour)/24)`` with
    ``a = (R − 1)/(R + 1)``, so the daily mean is 1 and peak/trough is ``R``.

    >>> float(diurnal_weight(np.array([14.0]), 14.0, 3.0)[0]), float(diurnal_weight(np.array([2.0]), 14.0, 3.0)[0])
    (1.5, 0.5)
    """
    ratio = max(float(peak_to_trough), 1.0)
    amplitude = (ratio - 1.0) / (ratio + 1.0)
    return 1.0 + amplitude * np.cos(2.0 * np.pi * (np.asarray(local_hour) - peak_hour) / 24.0)


def weekly_weight(weekday: np.ndarray, weekend_factor: float) -> np.ndarray:
    """Relative activity by weekday: weekend days get ``weekend_factor`` relative to
    weekdays, normalised so that the weekly mean is 1."""
    norm = 7.0 / (5.0 + 2.0 * weekend_factor)
    return np.where(np.asarray(weekday) >= 5, weekend_factor, 1.0) * norm
