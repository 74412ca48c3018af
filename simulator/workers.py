"""Worker processes: how many to start by default, and a worker's life tied to its
parent's, so that no worker outlives a killed run."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["MAX_DEFAULT_JOBS", "default_jobs", "die_with_parent"]

MAX_DEFAULT_JOBS = 8
"""Default cap on worker processes (a benchmark cell's worker holds a whole simulated world)."""

_PR_SET_PDEATHSIG = 1


def default_jobs() -> int:
    """The cores this process may use, at most :data:`MAX_DEFAULT_JOBS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_JOBS))


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent ends (Linux), so that no worker
    outlives a killed run; elsewhere a daemon thread polls the parent's pid."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # the parent ended before the request took effect
                os._exit(1)
            return

    def poll() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=poll, name="watch-parent", daemon=True).start()
