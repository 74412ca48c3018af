"""The scenarios and suites shipped with extractbench, found wherever it is installed.

In the repository they live in ``scenarios/`` (and ``scenarios/suites/``); a wheel
ships the same files as the package data of ``simulator.bundled`` (``setup.py``
maps that package onto ``scenarios/``), found with :mod:`importlib.resources`.
So ``extractbench run`` and ``extractbench validate quickstart`` work from any
folder after ``pip install .``, and a scenario named without a path (``quickstart``)
is the bundled one.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

__all__ = [
    "BUNDLE_PACKAGE",
    "bundled_root",
    "bundled_scenario",
    "bundled_scenarios",
    "bundled_suite",
    "bundled_suites",
    "missing_hint",
    "resolve_scenario_path",
    "resolve_suite_path",
]

BUNDLE_PACKAGE = "simulator.bundled"
"""The package whose data are the bundled scenarios in an installed wheel."""

_CHECKOUT = Path(__file__).resolve().parents[2] / "scenarios"
"""``scenarios/`` of a source checkout (and of an editable install)."""


def bundled_root() -> Path | None:
    """The folder of the bundled scenarios (its ``suites/`` beside them), or None
    when neither the installed package data nor a source checkout has them."""
    try:
        # a data-only package has no __init__.py: a namespace package, whose files() is a
        # MultiplexedPath; joining a child gives the plain path of the folder that has it
        suites = resources.files(BUNDLE_PACKAGE) / "suites"
    except ModuleNotFoundError:
        suites = None
    if isinstance(suites, Path) and suites.is_dir():  # plain files (a zipped install is not supported)
        return suites.parent
    if (_CHECKOUT / "suites").is_dir():
        return _CHECKOUT
    return None


def bundled_scenarios() -> dict[str, Path]:
    """Every bundled scenario file by name (the file name without ``.yaml``), sorted."""
    root = bundled_root()
    if root is None:
        return {}
    return {path.stem: path for path in sorted(root.glob("*.yaml"))}


def bundled_suites() -> dict[str, Path]:
    """Every bundled suite file by name, sorted."""
    root = bundled_root()
    if root is None:
        return {}
    return {path.stem: path for path in sorted((root / "suites").glob("*.yaml"))}


def bundled_scenario(name: str) -> Path | None:
    """The bundled scenario called ``name`` (``quickstart`` or ``quickstart.yaml``), or None."""
    return bundled_scenarios().get(name.removesuffix(".yaml"))


def bundled_suite(name: str) -> Path | None:
    """The bundled suite called ``name`` (``quick`` or ``quick.yaml``), or None."""
    return bundled_suites().get(name.removesuffix(".yaml"))


def _resolve(value: str | Path, find: Callable[[str], Path | None]) -> Path:
    path = Path(value)
    if path.exists():
        return path
    text = str(value)
    found = find(text) if "/" not in text and "\\" not in text else None
    return found if found is not None else path


def resolve_scenario_path(value: str | Path) -> Path:
    """The file a scenario argument means: the path itself when it exists (or names a
    folder), else the bundled scenario of that bare name (``quickstart``); otherwise
    the path unchanged, for the loader to report as missing."""
    return _resolve(value, bundled_scenario)


def resolve_suite_path(value: str | Path) -> Path:
    """The file a suite argument means: the path when it exists, else the bundled suite of that bare name."""
    return _resolve(value, bundled_suite)


def missing_hint(value: str | Path) -> str:
    """What to say when a scenario file is not found: the bundled names to use instead."""
    names = ", ".join(bundled_scenarios()) or "none found (is extractbench installed completely?)"
    return (
        f"{value}: expected an existing scenario file; got no such file (looked in {Path.cwd()}); "
        f"bundled scenarios, usable by name: {names}"
    )
