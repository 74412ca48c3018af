"""``extractbench schema``: print the JSON Schema of scenario files, for editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["scenario_json_schema", "schema"]


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file: pydantic's schema of
    :class:`~simulator.scenario.Scenario` in validation mode, with every field's
    description, the human spellings of durations, counts and rates, and a
    ``oneOf`` with a discriminator for each family of ``kind``."""
    from simulator.scenario import Scenario

    document = Scenario.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}


def schema(
    out: Annotated[
        Path | None, typer.Option(help="Write the schema to this file instead of standard output.", dir_okay=False)
    ] = None,
) -> None:
    """Print the JSON Schema of scenario files (for editor validation and completion); with
    --out, write it to that file, creating its folder."""
    text = json.dumps(scenario_json_schema(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
