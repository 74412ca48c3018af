"""``extractbench detectors [NAME...]``: list the detectors that can be run."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from detectors.registry import DetectorInfo

__all__ = ["detectors"]


def _parameters(info: DetectorInfo) -> str:
    defaults = info.cls.default_params()
    shown = [f"{name}={defaults[name]!r}" if name in defaults else name for name in info.cls.parameter_names()]
    return ", ".join(shown) if shown else "(none)"


def _details(info: DetectorInfo) -> list[str]:
    constraints = info.cls.parameter_constraints
    lines = [
        f"{info.name} ({info.source}: {info.path})",
        f"  {info.summary}",
        f"  signal: {info.cls.signal or '-'}",
        f"  follows: {info.cls.reference or '-'}",
        "  parameters:" if info.cls.parameter_names() else "  parameters: (none)",
    ]
    defaults = info.cls.default_params()
    for name in info.cls.parameter_names():
        constraint = constraints.get(name)
        rule = f"  ({constraint if not isinstance(constraint, type) else constraint.__name__})" if constraint else ""
        lines.append(f"    {name} = {defaults.get(name, '(required)')!r}{rule}")
    return lines


def _document(info: DetectorInfo) -> dict[str, Any]:
    defaults = info.cls.default_params()
    return {
        "name": info.name,
        "source": info.source,
        "path": info.path,
        "summary": info.summary,
        "signal": info.cls.signal or None,
        "reference": info.cls.reference or None,
        "parameters": {name: defaults.get(name) for name in info.cls.parameter_names()},
        "required": [name for name in info.cls.parameter_names() if name not in defaults],
    }


def detectors(
    names_: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="NAME",
            help="Detectors to describe in detail: registry names or 'package.module:Class' (default: list all).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON list (name, source, summary, signal, parameters and defaults)."),
    ] = False,
) -> None:
    """List the built-in and installed detectors with their signal, parameters and a
    one-line description; with names, describe those in detail. An unknown name exits
    with code 2 and lists the valid ones."""
    from detectors.registry import UnknownDetectorError, names, resolve

    if as_json:
        documents = []
        for name in names_ or names():
            try:
                documents.append(_document(resolve(name)))
            except UnknownDetectorError as error:
                if names_:
                    typer.echo(f"extractbench detectors: {error}", err=True)
                    raise typer.Exit(code=2) from None
                documents.append({"name": name, "error": f"cannot be loaded: {error}"})
        typer.echo(json.dumps(documents, indent=2, default=repr))
        return
    if names_:
        infos = []
        for name in names_:
            try:
                infos.append(resolve(name))
            except UnknownDetectorError as error:
                typer.echo(f"extractbench detectors: {error}", err=True)
                raise typer.Exit(code=2) from None
        typer.echo("\n\n".join("\n".join(_details(info)) for info in infos))
        return
    rows: list[tuple[str, str, str, str]] = []
    for name in names():
        try:
            info = resolve(name)
        except UnknownDetectorError as error:  # a broken plug-in does not hide the others
            rows.append((name, "-", "-", f"cannot be loaded: {error}"))
            continue
        rows.append((name, info.cls.signal or "-", _parameters(info), info.summary))
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if console.is_terminal:
        table = Table(title="Detectors (extractbench detectors NAME for details)")
        for column in ("name", "signal", "parameters", "description"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    for name, signal, parameters, summary in rows:
        typer.echo(f"{name}: {summary}\n  signal: {signal}\n  parameters: {parameters}")
