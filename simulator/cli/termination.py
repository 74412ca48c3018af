"""SIGTERM ends a command the way Ctrl-C does.

A cancelled CI job, ``docker stop``, ``timeout`` and ``kill`` send SIGTERM, whose
default action ends the process where it stands: temporary files half-written
in the output folder, spilled score changes left in the temporary folder. Turned
into :class:`Terminated`, a :class:`KeyboardInterrupt`, it takes the interrupt's
path instead: writers delete their temporary files, a run ends its workers and
keeps its completed cells for a resume. The status is the shell's for SIGTERM,
143 (128 + 15), against 130 for Ctrl-C. A second SIGTERM ends the process at once,
as it would have without this.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["INTERRUPTED", "TERMINATED", "Terminated", "raise_on_sigterm", "stop", "was_terminated"]

INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT)."""
TERMINATED = 143
"""Exit status after SIGTERM (128 + SIGTERM)."""

_received = threading.Event()


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    _received.set()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated


def raise_on_sigterm() -> None:
    """Have SIGTERM raise :class:`Terminated` in the main thread (called from the main
    thread; a SIGTERM the process was started ignoring stays ignored)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)


def was_terminated() -> bool:
    """Whether this process received SIGTERM since :func:`raise_on_sigterm`."""
    return _received.is_set()


def stop() -> tuple[str, int]:
    """What stopped the command, called on a :class:`KeyboardInterrupt`, and its exit
    status: ("terminated", 143) after SIGTERM, ("interrupted", 130) after Ctrl-C."""
    return ("terminated", TERMINATED) if was_terminated() else ("interrupted", INTERRUPTED)
