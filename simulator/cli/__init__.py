"""The ``extractbench`` command line: a thin layer over the packages.

One module per command; each parses options, calls the library and prints.
Input errors exit with code 2 and a located message, never a traceback.
Command modules import only Typer at load time, and the libraries they need
inside the command, so that ``extractbench --help`` starts at once.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Annotated

import typer

from simulator.cli import audit as _audit
from simulator.cli import baseline as _baseline
from simulator.cli import calibrate as _calibrate
from simulator.cli import check as _check
from simulator.cli import detectors as _detectors
from simulator.cli import frontier as _frontier
from simulator.cli import perf as _perf
from simulator.cli import redteam as _redteam
from simulator.cli import replay as _replay
from simulator.cli import report as _report
from simulator.cli import run as _run
from simulator.cli import scenarios as _scenarios
from simulator.cli import schema as _schema
from simulator.cli import simulate as _simulate
from simulator.cli import validate as _validate
from simulator.cli.termination import INTERRUPTED, TERMINATED, raise_on_sigterm, stop, was_terminated

__all__ = ["app", "main"]

app = typer.Typer(
    name="extractbench",
    help="Simulate coordinated model-extraction traffic on an LLM API and benchmark detectors of it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from simulator import __version__

        typer.echo(f"extractbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True),
    ] = False,
) -> None:
    """Simulate coordinated model-extraction traffic on an LLM API and benchmark detectors of it."""


app.command("validate")(_validate.validate)
app.command("simulate")(_simulate.simulate)
app.command("run")(_run.run)
app.command("detectors")(_detectors.detectors)
app.command("report")(_report.report)
app.command("baseline")(_baseline.baseline)
app.command("check")(_check.check)
app.command("schema")(_schema.schema)
app.command("scenarios")(_scenarios.scenarios)
app.command("calibrate")(_calibrate.calibrate)
app.command("audit")(_audit.audit)
app.command("perf")(_perf.perf)
app.command("replay")(_replay.replay)
app.command("frontier")(_frontier.frontier)
app.command("red-team")(_redteam.red_team)


FILE_REFUSED = 74
"""Exit status when the system refused a file operation (disk full, permission denied,
a path through a file): ``EX_IOERR`` of BSD's sysexits."""

_REFUSALS = frozenset(
    getattr(errno, name)
    for name in ("ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EFBIG", "EIO", "EMFILE")
    if hasattr(errno, name)
)
"""Errors of the system, not of extractbench, even where the error names no file (Arrow's
writers name none)."""


def main() -> None:
    """Entry point of the console script."""
    raise_on_sigterm()
    try:
        app()
    except SystemExit as done:  # Typer ends every command so; an interrupt as status 130
        if done.code == INTERRUPTED and was_terminated():
            sys.exit(TERMINATED)
        raise
    except KeyboardInterrupt:
        what, status = stop()
        typer.echo(what, err=True)
        sys.exit(status)
    except Exception as exc:  # an internal error: say so briefly unless debugging
        if os.environ.get("EXTRACTBENCH_DEBUG"):
            raise
        if isinstance(exc, OSError) and (exc.filename is not None or exc.errno in _REFUSALS):  # no bug
            files = " → ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
            typer.echo(f"extractbench: {files}: {exc.strerror}" if files else f"extractbench: {exc}", err=True)
            sys.exit(FILE_REFUSED)
        typer.echo(
            f"extractbench: internal error: {type(exc).__name__}: {exc}\n"
            "(set EXTRACTBENCH_DEBUG=1 to see the traceback, and please report it)",
            err=True,
        )
        sys.exit(1)
