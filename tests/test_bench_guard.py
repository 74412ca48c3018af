"""The per-call time budget of the guard: how its SIGALRM handler and timer are armed."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from simulator.bench.guard import DetectorFailedError, budget_alarm, checked_call

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


def test_within_budget_alarm_every_call_is_still_interrupted_and_no_timer_is_left(own_handler: object) -> None:
    with budget_alarm(BUDGET):
        assert checked_call(1, "update", lambda: 7, BUDGET) == 7
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        for tick in (2, 3):
            with pytest.raises(DetectorFailedError, match="took longer than the per-tick time budget"):
                checked_call(tick, "update", _hangs, BUDGET)
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is own_handler


def test_a_call_that_replaces_the_handler_does_not_escape_the_next_budget(own_handler: object) -> None:
    def takes_the_alarm() -> None:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)

    with budget_alarm(BUDGET):
        checked_call(1, "update", takes_the_alarm, BUDGET)
        with pytest.raises(DetectorFailedError, match="took longer than the per-tick time budget"):
            checked_call(2, "update", _hangs, BUDGET)
        # the call put back what it found: the handler the detector left
        assert signal.getsignal(signal.SIGALRM) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGALRM) is own_handler


def test_without_a_budget_nothing_is_armed(own_handler: object) -> None:
    with budget_alarm(None):
        assert signal.getsignal(signal.SIGALRM) is own_handler
        assert checked_call(1, "update", lambda: 7, None) == 7
    assert signal.getsignal(signal.SIGALRM) is own_handler
