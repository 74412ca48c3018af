"""The per-call time budget of the guard: a hung call is interrupted, and no handler or timer is left behind."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from simulator.bench.guard import DetectorFailedError, checked_call

BUDGET = 0.05


def _hangs() -> None:
    time.sleep(30)


@pytest.fixture
def own_handler() -> Iterator[object]:
    """A SIGALRM handler of the test's own, in place before the guard is used."""

    def handler(signum: int, frame: object) -> None:
        raise AssertionError("the test's own handler ran")

    previous = signal.signal(signal.SIGALRM, handler)
    yield handler
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_a_hanging_call_is_interrupted_and_the_previous_handler_restored(own_handler: object) -> None:
    with pytest.raises(DetectorFailedError, match=r"update took longer than the per-tick time budget of 0\.05 s"):
        checked_call(3, "update", _hangs, BUDGET)
    assert signal.getsignal(signal.SIGALRM) is own_handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_without_a_budget_nothing_is_armed(own_handler: object) -> None:
    assert checked_call(1, "update", lambda: 7, None) == 7
    assert signal.getsignal(signal.SIGALRM) is own_handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
