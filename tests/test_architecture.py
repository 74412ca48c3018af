"""The layers hold: specs load without the simulation, every kind has its behaviour, and every
tactic variant runs in a world."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
from conftest import ROOT
from pydantic import BaseModel
from traffic_helpers import campaign_actor, campaign_scenario

from simulator.campaign import CAMPAIGNS, TACTICS
from simulator.population import GROUPS
from simulator.scenario.campaign import CampaignBase, CampaignConfig
from simulator.scenario.campaign.infrastructure import Infrastructure
from simulator.scenario.population import ARCHETYPES
from simulator.world import ACTORS, World

SIMULATION = ("simpy", "faker", "simulator.world", "simulator.gateway", "simulator.actor")
BEHAVIOUR = ("simulator.campaign", "simulator.population", "simulator.bench")


def loaded_after(statement: str) -> set[str]:
    """Modules a fresh interpreter holds after running ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


def test_validating_a_scenario_loads_no_simulation() -> None:
    modules = loaded_after(
        "from simulator.scenario import parse_scenario\n"
        "parse_scenario('version: 1\\nname: t\\nstart: 2026-03-02T00:00:00Z\\nduration: 1h\\n')"
    )
    assert not {name for name in modules if name in SIMULATION or name.startswith(BEHAVIOUR)}


NOT_FOR_VALIDATING = ("numpy", "pandas", "pyarrow", "scipy", "sklearn", "matplotlib", "simpy", "faker", "optuna")
"""Libraries that checking a scenario file has no use for: ``extractbench validate``
starts in a fraction of a second because it loads none of them (numpy alone took
about a quarter of its start-up)."""


def test_the_validate_command_loads_no_numeric_plotting_or_simulation_library() -> None:
    modules = loaded_after(
        "import contextlib, io\n"
        "from simulator.cli import app\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    app(['validate', 'quickstart'], standalone_mode=False)\n"
        "assert out.getvalue().startswith('ok '), out.getvalue()"
    )
    assert "simulator.scenario.schema" in modules  # the command did validate
    assert sorted({name.partition(".")[0] for name in modules} & set(NOT_FOR_VALIDATING)) == []


def module_files(root: Path, packages: tuple[str, ...]) -> dict[str, tuple[Path, bool]]:
    """Every module of ``packages`` under ``root``: dotted name → (file, is a package ``__init__``)."""
    found: dict[str, tuple[Path, bool]] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_init = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_init else parts)] = (path, is_init)
    return found


def import_graph(root: Path, packages: tuple[str, ...] = ("simulator", "detectors")) -> dict[str, set[str]]:
    """Which of their own modules each module of ``packages`` imports.

    An edge is any ``import``/``from ... import`` in the module, at module level or
    inside a function, method or class (a function-level import that goes both ways
    is still a circle, only a later one), and ``importlib.import_module("literal")``.
    ``from pkg import name`` goes to ``pkg.name`` when that is a module, else to ``pkg``.
    Not edges: imports under ``if TYPE_CHECKING:`` (never run); the parent packages'
    ``__init__`` that Python runs before a submodule (otherwise every package that
    re-exports its submodules would circle with each of them); and, in a package
    ``__init__``, imports inside functions: those are the lazy re-exports of a
    ``__getattr__`` (``simulator``, ``simulator.audit``), run only when the attribute
    is asked for, once the package is initialised, so a submodule that imports its
    package (for ``__version__``) does not circle through them. Top-level imports of
    an ``__init__`` count like any other.
    """
    modules = module_files(root, packages)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, (path, is_init) in modules.items():
        package = module if is_init else module.rpartition(".")[0]
        names = imported_names(ast.parse(path.read_text(encoding="utf-8")), package, lazy_ignored=is_init)
        targets = {name if name in modules else resolve(name) for name in names}
        graph[module] = {target for target in targets if target is not None and target != module}
    return graph


def imported_names(tree: ast.AST, package: str, *, lazy_ignored: bool) -> set[str]:
    """The dotted names a module imports (``pkg.name`` for ``from pkg import name``), as
    :func:`import_graph` counts them; ``package`` anchors relative imports, and
    ``lazy_ignored`` leaves out imports inside functions."""
    names: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for branch in child.orelse:
                    visit(branch, in_function)
                continue
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if not (lazy_ignored and inside):
                if isinstance(child, ast.Import):
                    names.update(alias.name for alias in child.names)
                elif isinstance(child, ast.ImportFrom):
                    parts = package.split(".")
                    base = parts[: len(parts) - child.level + 1] if child.level else []
                    source = ".".join([*base, child.module] if child.module else base)
                    names.update(f"{source}.{alias.name}" for alias in child.names)
                elif (
                    isinstance(child, ast.Call)
                    and ast.unparse(child.func).endswith("import_module")
                    and child.args
                    and isinstance(child.args[0], ast.Constant)
                    and isinstance(child.args[0].value, str)
                ):
                    names.add(child.args[0].value)
            visit(child, inside)

    visit(tree, False)
    return names


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative), each sorted, in sorted order: every import circle lies in one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return sorted(components)


ALLOWED_CYCLES: list[list[str]] = []
"""Import circles known and not yet removed (none: keep it so; a new entry needs a reason beside it)."""


def test_no_module_of_simulator_or_detectors_imports_itself_in_a_circle() -> None:
    assert import_cycles(import_graph(ROOT)) == ALLOWED_CYCLES


def test_the_cycle_finder_sees_a_circle_through_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "simulator"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("def __getattr__(name):\n    from simulator import a\n    return a\n")
    (package / "sub" / "__init__.py").write_text("from simulator.sub.c import C\n")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import b\nif TYPE_CHECKING:\n    import simulator.d\n"
    )
    (package / "b.py").write_text("import simulator\n\ndef late():\n    from simulator.a import x\n")
    (package / "d.py").write_text("import simulator.a\n")
    (package / "sub" / "c.py").write_text("import importlib\nimportlib.import_module('simulator.sub')\n")
    graph = import_graph(tmp_path, ("simulator",))
    assert graph["simulator"] == set()  # a lazy re-export in a package __init__ is no edge
    assert graph["simulator.a"] == {"simulator.b"}  # nor is an import for type checkers only
    assert import_cycles(graph) == [["simulator.a", "simulator.b"], ["simulator.sub", "simulator.sub.c"]]


def tactic_families(model: type[BaseModel], prefix: str = "") -> dict[str, set[str]]:
    """Every discriminated union (on ``kind``) inside a campaign spec, by field path,
    with the kinds of its variants."""
    found: dict[str, set[str]] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if field.discriminator == "kind":
            found[prefix + name] = {get_args(v.model_fields["kind"].annotation)[0] for v in get_args(annotation)}
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.update(tactic_families(annotation, f"{prefix}{name}."))
    return found


def test_every_tactic_family_has_one_table_with_a_behaviour_for_each_kind() -> None:
    families = tactic_families(CampaignBase)
    families["infrastructure.rotation"] = set(get_args(Infrastructure.model_fields["rotation"].annotation))
    assert {path: set(table) for path, table in TACTICS.items()} == families


def test_every_kind_has_an_actor() -> None:
    union = get_args(CampaignConfig)[0]
    campaign_kinds = {get_args(v.model_fields["kind"].annotation)[0] for v in get_args(union) or (union,)}
    assert set(GROUPS) == set(ARCHETYPES)
    assert set(CAMPAIGNS) == campaign_kinds
    assert set(ACTORS) == set(ARCHETYPES) | campaign_kinds


VARIANTS: dict[str, dict[str, Any]] = {
    "acquisition.creation": {
        "aged": {"kind": "aged"},
        "waves": {"kind": "waves", "waves": 2, "first": "-30m", "every": "40m", "spread": "10m"},
    },
    "acquisition.seeding": {
        "none": {"kind": "none"},
        "prepaid": {"kind": "prepaid", "spend": 20},
        "warmup": {"kind": "warmup", "spend": 0.05, "requests_per_account": "2000/day"},
    },
    "access": {"direct": {"kind": "direct"}, "reseller": {"kind": "reseller", "reseller": "shop"}},
    "infrastructure.clients": {
        "shared": {"kind": "shared", "count": 3},
        "spoofed": {"kind": "spoofed"},
        "rotating": {"kind": "rotating", "count": 5},
    },
    "infrastructure.rotation": {kind: kind for kind in ("request", "interval", "account")},
    "infrastructure.geography": {
        "declared": {"kind": "declared", "abroad": 0.2, "abroad_requests": 0.1},
        "fixed": {"kind": "fixed", "countries": {"JP": 1, "BR": 1}},
    },
    "load.timing": {
        "queue": {"kind": "queue", "workers": 2},
        "synchronised": {"kind": "synchronised"},
        "independent": {"kind": "independent"},
    },
    "load.rhythm": {"flat": {"kind": "flat"}, "human": {"kind": "human"}, "shift": {"kind": "shift"}},
    "conversations": {
        "single_turn": {"kind": "single_turn"},
        "threads": {"kind": "threads"},
        "trajectories": {"kind": "trajectories", "context": "file"},
    },
    "resale": {"none": {"kind": "none"}, "customers": {"kind": "customers", "share": 0.4}},
    "adaptation.on_ban": {"replace": {"kind": "replace"}, "none": {"kind": "none"}},
    "adaptation.on_throttle": {
        "ignore": {"kind": "ignore"},
        "slow_down": {"kind": "slow_down"},
        "spread": {"kind": "spread"},
    },
    "adaptation.on_challenge": {"solve": {"kind": "solve", "delay": "5m"}, "abandon": {"kind": "abandon"}},
    "adaptation.on_verify": {"buy": {"kind": "buy", "success": 0.5}, "abandon": {"kind": "abandon"}},
    "adaptation.on_takedown": {"same": {"kind": "same"}, "fresh": {"kind": "fresh"}},
    "adaptation.on_audit": {"stay": {"kind": "stay"}, "reseller": {"kind": "reseller", "reseller": "shop"}},
    "adaptation.on_watermark": {
        "none": {"kind": "none"},
        "paraphrase": {"kind": "paraphrase"},
        "filter": {"kind": "filter"},
    },
}
"""One runnable spec for every kind of every family (what the test below runs)."""


def test_the_variants_run_below_cover_every_kind() -> None:
    assert {path: set(kinds) for path, kinds in VARIANTS.items()} == {
        path: set(table) for path, table in TACTICS.items()
    }


def nested(path: str, value: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: nested(rest, value) if rest else value}


def enforce(world: World) -> None:
    """Ban (after an alarm, a link, an audit), throttle, challenge and ask to verify harvesting accounts."""
    codes = campaign_actor(world).members.column("code")
    world.gateway.ban(codes[:1])
    world.gateway.ban(codes[1:2], reason="linked")
    world.gateway.ban(codes[8:9], reason="audit")
    world.gateway.throttle(codes[2:4], 0.25, 1800.0)
    world.gateway.challenge(codes[4:6])
    world.gateway.verify(codes[6:8], median_delay=600.0, abandon=0.1)


CASES = [(path, kind) for path, kinds in VARIANTS.items() for kind in kinds]


@pytest.mark.parametrize(("path", "kind"), CASES, ids=[f"{path}={kind}" for path, kind in CASES])
def test_every_kind_of_every_family_runs_in_a_world(path: str, kind: str) -> None:
    campaign = {"load": {"requests_per_account": "3000/day"}}
    override = nested(path, VARIANTS[path][kind])
    for section, value in override.items():
        campaign[section] = {**campaign.get(section, {}), **value} if isinstance(value, dict) else value
    scenario = campaign_scenario(
        campaign,
        population=[{"kind": "chat", "accounts": 10}, {"kind": "reseller", "name": "shop", "accounts": 10}],
        duration="90m",
        tick="5m",
    )
    world = World(scenario)
    campaign_rows = 0
    for traffic in world.ticks():
        mine = world.registry.truth.column("is_attacker")[traffic.account_codes]
        campaign_rows += int(mine.sum())
        if traffic.batch.tick == 6:
            enforce(world)
    outcome = campaign_actor(world).outcome()
    assert campaign_rows > 0 and outcome.requests == campaign_rows
    assert (outcome.banned, outcome.throttled, outcome.challenged, outcome.verified) == (3, 2, 2, 2)


def test_the_command_line_loads_only_typer_until_a_command_runs() -> None:
    """``extractbench --help`` starts in about a tenth of a second because building the
    command line imports no command's work: not pydantic (the scenario schema), not the
    numeric or plotting libraries; each command imports what it needs when it runs."""
    modules = loaded_after("import simulator.cli")
    assert sorted({name.partition(".")[0] for name in modules} & {*NOT_FOR_VALIDATING, "pydantic", "yaml"}) == []
