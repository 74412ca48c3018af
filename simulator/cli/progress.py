"""Progress of a benchmark run on the command line: a Rich bar on a terminal, plain
lines elsewhere (CI logs, ``nohup``, notebooks), nothing with ``-q``."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO

__all__ = ["CellProgress", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``h:mm:ss`` (or ``m:ss`` under an hour) of a non-negative span in seconds.

    >>> format_seconds(75.4), format_seconds(3725)
    ('1:15', '1:02:05')
    """
    whole = round(max(seconds, 0.0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class CellProgress:
    """Reports ``progress(cells_done, cells_total)`` calls.

    ``style`` is ``bar`` (a transient Rich bar on standard error), ``lines`` (one line
    per finished cell on ``stream``, or one per 1% of the cells when there are more than
    100, each with the time elapsed and an estimate of the time left: elapsed ÷ cells
    computed × cells still to compute; cells reused from an earlier attempt count as
    done but not in the rate), or ``none``."""

    def __init__(self, style: str, stream: TextIO | None = None) -> None:
        self.style = style
        self.stream = stream if stream is not None else sys.stderr
        self._started = time.perf_counter()
        self._reused: int | None = None
        self._last_line = -1
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> CellProgress:
        if self.style == "bar":
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("benchmarking"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("cells"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("run", total=None)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, error, trace)

    def __call__(self, done: int, total: int) -> None:
        if self._reused is None:
            self._reused = done
            self._started = time.perf_counter()
            if self.style == "lines" and done:
                self._write(f"{done} of {total} cells reused from an earlier attempt")
        if self.style == "bar":
            self._bar.update(self._task, completed=done, total=total)
        elif self.style == "lines" and done > self._reused:
            step = max(1, total // 100)
            if done != total and (done - self._reused) % step:
                return
            elapsed = time.perf_counter() - self._started
            computed = done - self._reused
            left = elapsed / computed * (total - done)
            self._write(
                f"cell {done}/{total} done ({100 * done / total:.0f}%), {format_seconds(elapsed)} elapsed, "
                f"about {format_seconds(left)} left"
            )

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
