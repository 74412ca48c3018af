"""The red-team search: the campaign tactics that get the most past one detector.

A black-box search (Optuna's TPE sampler, seeded, so that the same call gives the
same trials) over the campaign parameters the scenario's ``search:`` block declares
(:mod:`simulator.scenario.search`), or :func:`default_space` when it declares none.
Every trial is a closed loop (active cells, one per seed): the detector's alarms
become the policy's bans, the campaign reacts as its scenario says, and what it gets
is what it actually got. Objectives, maximised, averaged over seeds:

* ``leakage``: output tokens served to the campaign over the run (tokens);
* ``cost-per-token``: those tokens per USD the campaign spent (tokens/USD; 0 when it
  spent nothing and got nothing).

``budget`` (USD) caps every trial's spending through the campaign's own
``budget.total``, so a campaign that buys more accounts has less left for tokens.
Trials run in batches of ``batch`` on the executors (ask, run every cell of the batch,
tell in trial order): results do not depend on the executor. A trial whose values the
scenario rejects is told as failed, with the reason kept in the history.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import yaml
from pydantic import ValidationError

from simulator.bench.cells import Cell, ScenarioSpec
from simulator.bench.estimate import SizeLimitError, size_problems
from simulator.bench.executors import make_executor
from simulator.bench.plan import BenchInputError, DetectorChoice, plan_run
from simulator.bench.sweep import range_number, show_value
from simulator.export import atomic_path, write_json, write_table
from simulator.scenario import Scenario
from simulator.scenario.paths import (
    PathError,
    check_path,
    check_value,
    get_value,
    is_integer_field,
    parse_path,
    with_values,
)
from simulator.scenario.schema import check_search
from simulator.scenario.search import SearchParam

__all__ = [
    "DEFAULT_BATCH",
    "SHOWN_SIGNAL",
    "Objective",
    "RedTeamResult",
    "declare_shown",
    "default_space",
    "red_team",
    "scenario_yaml",
    "write_red_team",
    "write_zoo_scenario",
]

Objective = Literal["leakage", "cost-per-token"]

DEFAULT_BATCH = 4
"""Trials asked of the sampler at a time when neither ``batch`` nor ``jobs`` is given."""


def default_space(scenario: Scenario, campaign: int = 0) -> list[SearchParam]:
    """The tactics searched when a scenario declares none, around campaign ``campaign``'s own:
    pool size ¼–4×, rate per account ⅒–3×, limit fraction, exit rotation, proxy kind,
    timing, camouflage share and the sign-up mix (the customers' or the weak pathways)."""
    c = scenario.campaigns[campaign]
    at = f"campaigns[{campaign}]"
    rate = float(c.load.requests_per_account)
    return [
        SearchParam(path=f"{at}.accounts", low=max(1, c.accounts // 4), high=max(2, c.accounts * 4), log=True),
        SearchParam(path=f"{at}.load.requests_per_account", low=rate / 10, high=rate * 3, log=True),
        SearchParam(path=f"{at}.load.limit_fraction", low=0.05, high=1.0),
        SearchParam(path=f"{at}.infrastructure.rotation", choices=["request", "interval", "account"]),
        SearchParam(path=f"{at}.infrastructure.proxies", choices=["residential", "datacenter", "mobile"]),
        SearchParam(
            path=f"{at}.load.timing",
            choices=[{"kind": "queue"}, {"kind": "synchronised"}, {"kind": "independent"}],
        ),
        SearchParam(path=f"{at}.camouflage.filler_share", low=0.0, high=0.8),
        SearchParam(
            path=f"{at}.acquisition.signup_pathways",
            choices=[None, {"education": 1.0, "research": 1.0, "startup": 1.0}],
        ),
    ]


SHOWN_SIGNAL: dict[str, str] = {
    "accounts": "volume",
    "load.requests_per_account": "volume",
    "load.limit_fraction": "rate",
    "load.timing": "timing",
    "infrastructure.rotation": "exits",
    "infrastructure.proxies": "exits",
    "camouflage.filler_share": "topics",
    "acquisition.signup_pathways": "signup",
}
"""The signal (``simulator.scenario.signals``) a campaign shows when the search changes one of
its tactics, by path below ``campaigns[k].``: a trial declares it, as a scenario's author
would, so that its campaign stays honest (docs/audit.md). A path not listed adds nothing."""


def declare_shown(scenario: Scenario, values: Mapping[str, Any], original: Mapping[str, Any]) -> Scenario:
    """``scenario`` with every campaign whose tactic in ``values`` differs from ``original``
    declaring the signal :data:`SHOWN_SIGNAL` says that tactic shows (added once, in order)."""
    added: dict[int, list[str]] = {}
    for path, value in values.items():
        match = re.fullmatch(r"campaigns\[(\d+)\]\.(.+)", path)
        signal = SHOWN_SIGNAL.get(match.group(2)) if match else None
        if signal is not None and value != original.get(path):
            added.setdefault(int(match.group(1)), []).append(signal)  # type: ignore[union-attr]
    declared = {}
    for index, signals in added.items():
        had = list(scenario.campaigns[index].signals)
        new = [s for s in dict.fromkeys(signals) if s not in had]
        if new:
            declared[f"campaigns[{index}].signals"] = [*had, *new]
    return with_values(scenario, declared) if declared else scenario


@dataclass(frozen=True)
class RedTeamResult:
    """What the search found."""

    history: pd.DataFrame
    """One row per trial: ``trial``, ``state``, ``objective``, ``tokens``, ``spent_usd``,
    ``banned``-free facts (``accounts``, ``replacements``), one column per parameter, ``error``."""
    best: list[tuple[int, Scenario]]
    """The best complete trials (trial number, ready-to-run scenario), best first."""
    original: dict[str, Any]
    """The original's value of every searched parameter."""
    baseline: float
    """The original campaign's objective against the detector."""
    importance: dict[str, float] = field(default_factory=dict)
    """Optuna's parameter importances (empty when fewer than two trials completed)."""
    baseline_figures: dict[str, float] = field(default_factory=dict)
    """The original campaign's figures, as a history row has them: ``objective``, ``tokens``,
    ``spent_usd`` (USD), ``accounts`` (registered in all: pool, reserve, replacements),
    ``replacements`` (banned accounts replaced, from the reserve or newly registered)."""


def _suggest(trial: Any, param: SearchParam, integer: bool) -> Any:
    if param.choices is not None:
        index = trial.suggest_categorical(param.path, list(range(len(param.choices))))
        return param.choices[index]
    low, high = range_number(param.low), range_number(param.high)  # type: ignore[arg-type]
    if integer:
        return trial.suggest_int(param.path, math.ceil(low), int(high), log=param.log)
    return trial.suggest_float(param.path, low, high, log=param.log)


def _objective(results: list[pd.DataFrame], objective: Objective, campaign: str) -> dict[str, float]:
    tokens = [float(r.loc[r["campaign"] == campaign, "output_tokens"].sum()) for r in results]
    spent = [float(r.loc[r["campaign"] == campaign, "spent_usd"].sum()) for r in results]
    accounts = [float(r.loc[r["campaign"] == campaign, "accounts"].sum()) for r in results]
    replaced = [float(r.loc[r["campaign"] == campaign, "replacements"].sum()) for r in results]
    mean = lambda values: sum(values) / len(values)  # noqa: E731 - a one-line helper
    if objective == "leakage":
        value = mean(tokens)
    else:
        value = mean([t / s if s > 0 else 0.0 for t, s in zip(tokens, spent, strict=True)])
    return {
        "objective": value,
        "tokens": mean(tokens),
        "spent_usd": mean(spent),
        "accounts": mean(accounts),
        "replacements": mean(replaced),
    }


def red_team(
    scenario: Scenario,
    detector: DetectorChoice,
    *,
    budget: float | None = None,
    trials: int = 20,
    objective: Objective = "leakage",
    seeds: int = 1,
    seed: int = 0,
    batch: int | None = None,
    keep: int = 3,
    jobs: int | None = None,
    scheduler: str | None = None,
    space: Sequence[SearchParam] | None = None,
    fixed: Mapping[str, Any] | None = None,
    force: bool = False,
) -> RedTeamResult:
    """Search ``scenario``'s first campaign's tactics against ``detector`` (see the module
    docstring); ``scenario`` as it runs (scale and span applied). ``seed`` seeds the
    sampler; ``seeds`` root seeds per trial. ``fixed`` (path → value) is set in the original
    and in every trial, over the searched values (e.g. ``campaigns[0].budget.per_account``,
    so that a banned account costs its replacement). Raises :class:`BenchInputError` for bad input, and
    :class:`~simulator.bench.estimate.SizeLimitError` when the scenario or the number of cells
    (``(trials + 1) × seeds``) is past a size limit, unless ``force``."""
    import optuna

    if not scenario.campaigns:
        raise BenchInputError([f"{scenario.name}: a scenario with a campaign to search, got none"])
    if trials < 1:
        raise BenchInputError([f"trials: expected at least 1, got {trials}"])
    plan = plan_run([scenario], detectors=[detector], seeds=seeds, mode="active", references=False)
    if not force:
        problems = size_problems([(scenario.name, scenario)], (trials + 1) * len(plan.seeds))
        if problems:
            raise SizeLimitError(problems)
    spec = plan.detectors[0]
    chosen = list(space or scenario.search or default_space(scenario))
    dump = scenario.model_dump()
    problems = []
    original: dict[str, Any] = {}
    integer: dict[str, bool] = {}
    for param in chosen:
        try:
            check_search(param)  # a space given here was not checked by a scenario
            types_ = check_path(param.path, Scenario)
            original[param.path] = get_value(dump, parse_path(param.path))
            integer[param.path] = is_integer_field(types_)
        except ValueError as exc:  # PathError included
            problems.append(f"search {param.path}: expected {exc}")
    for path, value in (fixed or {}).items():
        try:
            reason = check_value(check_path(path, Scenario), value)
        except PathError as exc:
            problems.append(f"fixed {path}: expected {exc}")
            continue
        if reason is not None:
            problems.append(f"fixed {path}: expected a value that fits it ({reason}), got {show_value(value)}")
    if problems:
        raise BenchInputError(problems)
    fixed = {**(fixed or {}), **({} if budget is None else {"campaigns[0].budget.total": budget})}
    campaign = scenario.campaigns[0].name

    def cells(candidate: Scenario, label: str) -> list[Cell]:
        scenario_spec = ScenarioSpec(label, candidate, "<red-team>")
        return [Cell("active", scenario_spec, s, (spec,), plan.policy, record_scores=False) for s in plan.seeds]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    size = batch or (jobs if jobs is not None else DEFAULT_BATCH)
    rows: list[dict[str, Any]] = []
    candidates: dict[int, Scenario] = {}
    with make_executor(jobs, scheduler, size * len(plan.seeds)) as executor:
        try:
            original_scenario = with_values(scenario, fixed)
        except (PathError, ValidationError) as exc:
            raise BenchInputError([f"fixed values {show_value(fixed)}: the scenario rejects them: {exc}"]) from None
        baseline_cells = cells(original_scenario, "original")
        done = {cell.key: result for cell, result in executor.run(baseline_cells)}
        baseline_figures = _objective([done[c.key].campaigns.to_pandas() for c in baseline_cells], objective, campaign)
        baseline = baseline_figures["objective"]
        while len(rows) < trials:
            asked = [study.ask() for _ in range(min(size, trials - len(rows)))]
            pending: dict[int, tuple[dict[str, Any], list[Cell] | str]] = {}
            for trial in asked:
                values = {p.path: _suggest(trial, p, integer[p.path]) for p in chosen}
                try:
                    candidate = declare_shown(with_values(scenario, {**values, **fixed}), values, original)
                    candidates[trial.number] = candidate
                    pending[trial.number] = (values, cells(candidate, f"trial-{trial.number}"))
                except (PathError, ValidationError) as exc:
                    pending[trial.number] = (values, str(exc).splitlines()[0])
            runnable = [c for _, work in pending.values() if not isinstance(work, str) for c in work]
            results = {cell.key: result for cell, result in executor.run(runnable)}
            for trial in asked:  # told in trial order, whatever order the cells came back in
                values, work = pending[trial.number]
                shown = {p: show_value(v) for p, v in values.items()}
                if isinstance(work, str):
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    rows.append(
                        {"trial": trial.number, "state": "failed", "objective": math.nan, **shown, "error": work}
                    )
                    continue
                figures = _objective([results[c.key].campaigns.to_pandas() for c in work], objective, campaign)
                study.tell(trial, figures["objective"])
                rows.append({"trial": trial.number, "state": "complete", **figures, **shown, "error": ""})
    history = pd.DataFrame(rows)
    complete = history[history["state"] == "complete"].sort_values(["objective", "trial"], ascending=[False, True])
    best = [(int(t), candidates[int(t)]) for t in complete["trial"].head(keep)]
    importance: dict[str, float] = {}
    if len(complete) >= 2:
        try:
            evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
            importance = dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
        except (RuntimeError, ValueError):  # every trial alike: nothing to attribute
            importance = {}
    return RedTeamResult(history, best, original, baseline, importance, baseline_figures)


def scenario_yaml(scenario: Scenario, header: str) -> str:
    """``scenario`` as a ready-to-run YAML file (``extractbench validate`` accepts it), with
    ``header`` as a comment on top."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def _header(
    result: RedTeamResult, rank: int, trial: int, detector: str, objective: Objective, search: Mapping[str, str]
) -> str:
    row = result.history[result.history["trial"] == trial].iloc[0]
    lines = [
        f"Red-team result {rank} against {detector}: trial {trial}, {objective} {row['objective']:.6g} "
        f"(the original: {result.baseline:.6g}); the campaign got {_cost(row)}"
        + (f", the original {_cost(result.baseline_figures)}." if result.baseline_figures else "."),
        *(f"{key}: {value}" for key, value in search.items() if key != "command"),
    ]
    if "command" in search:
        lines.append(f"Regenerate: {search['command']}")
    return "\n".join(lines)


def _cost(figures: Mapping[str, Any]) -> str:
    return (
        f"{figures['tokens']:.6g} output tokens for {figures['spent_usd']:.6g} USD "
        f"(accounts registered: {figures['accounts']:.6g}, banned accounts replaced: {figures['replacements']:.6g})"
    )


def write_red_team(
    result: RedTeamResult, out: Path, detector: str, objective: Objective, search: Mapping[str, str]
) -> list[Path]:
    """Write ``history.csv`` and ``history.parquet`` (every trial), ``best-<k>.yaml`` (the best
    campaigns, ready to run) and ``red-team.json`` (the original's values, its objective, the
    importances, ``search``) into ``out``; returns the scenario files written. ``search`` says
    how the search was made (base scenario, scale, seeds, …; ``command`` the command line) and
    heads every scenario file, one ``key: value`` comment line each."""
    from simulator.bench.assemble import write_csv

    out.mkdir(parents=True, exist_ok=True)
    history = result.history.astype({c: str for c in result.history.columns if result.history[c].dtype == object})
    write_csv(out / "history.csv", history)
    write_table(out / "history.parquet", pa.Table.from_pandas(history, preserve_index=False))
    written = []
    for rank, (trial, scenario) in enumerate(result.best, start=1):
        named = scenario.model_copy(update={"name": f"{scenario.name}-vs-{_slug(detector)}-{rank}"})
        path = out / f"best-{rank}.yaml"
        with atomic_path(path) as tmp:
            header = _header(result, rank, trial, detector, objective, search)
            tmp.write_text(scenario_yaml(named, header), encoding="utf-8")
        written.append(path)
    write_json(
        out / "red-team.json",
        {
            "detector": detector,
            "objective": objective,
            "baseline": result.baseline,
            "baseline_figures": result.baseline_figures,
            "original": {path: show_value(value) for path, value in result.original.items()},
            "importance": {path: float(value) for path, value in result.importance.items()},
            "best_trials": [trial for trial, _ in result.best],
            "search": dict(search),
            "command": search.get("command", ""),
        },
    )
    return written


def write_zoo_scenario(
    result: RedTeamResult, folder: Path, detector: str, objective: Objective, search: Mapping[str, str]
) -> Path | None:
    """Write the best campaign into ``folder`` as ``<base>-vs-<detector>.yaml`` (the scenario
    named the same), headed like ``best-1.yaml``: the hard scenarios kept for the zoo
    (``scenarios/red-team/``). Returns the file, or None when no trial completed."""
    if not result.best:
        return None
    trial, scenario = result.best[0]
    name = f"{scenario.name}-vs-{_slug(detector)}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    with atomic_path(path) as tmp:
        header = _header(result, 1, trial, detector, objective, search)
        tmp.write_text(scenario_yaml(scenario.model_copy(update={"name": name}), header), encoding="utf-8")
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "detector"
