"""Running one cell: a simulation streamed through detectors, open or closed loop.

At the end of every tick the runner

1. folds the tick into the traffic ledger (per-account totals, requests in the
   warm-up) and the leakage series (attacker output per bin, :mod:`simulator.bench.leakage`);
2. hands the **same** batch object to every detector (each a fresh clone), through
   the guard (:mod:`simulator.bench.guard`) and the cost meter;
3. records the returned scores in the detector's score log, which alarms accounts
   whose score reaches the policy's threshold and, ``review_delay`` later, contains
   them, keeps each account's maximum score within the warm-up and after it, and
   queues the alarms of the operating threshold (the warm-up threshold, set when the
   warm-up ends) for the analysts' budget;
4. in **active** mode only, turns those containments into gateway actions (ban,
   throttle, challenge), which apply from the next tick; the campaigns react. With a
   defence stack (:mod:`simulator.bench.defences`), the containments go to the stack,
   which confirms and enforces them and adds its own actions at the end of the tick.
   Every active cell, with a stack or not, measures what the campaigns paid and what
   the customers bore (:class:`~simulator.bench.defences.loop.DefenceMeter`).

In **passive** mode the world never hears of the alarms: every detector sees
identical traffic, and containment is a counterfactual for the leakage metric.
A detector that fails stops there; the others go on.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from detectors.base import Detector
from detectors.view import view
from simulator.bench.cells import GROUPS_SCHEMA, Cell, CellResult, DetectorResult, DetectorSpec, RunFacts
from simulator.bench.cost import CostMeter, peak_rss_mb, reset_peak_rss
from simulator.bench.defences.loop import DefenceLoop, DefenceMeter
from simulator.bench.guard import DetectorFailedError, Failure, Watch, checked_call, checked_update
from simulator.bench.leakage import LeakageSeries
from simulator.bench.ledger import ScoreLog, TrafficLedger
from simulator.bench.references import ReferenceRows
from simulator.bench.spill import ScoreSpill
from simulator.bench.splits import RequestSplits, has_resale
from simulator.metrics.outcomes import CAMPAIGN_SCHEMA, OUTCOME_SCHEMA
from simulator.registry import Registry
from simulator.traffic import TickTraffic
from simulator.world import World

__all__ = ["run_cell"]

_NONE = np.empty(0, dtype=np.int64)


class _DetectorRun:
    """One detector inside a cell: the detector, its score log, its cost meter.

    ``replay`` is a failure an earlier attempt of the cell found by losing its worker
    process (:mod:`simulator.bench.containment`): the detector runs as before up to
    that tick and fails there, without being called, so that the rest of the cell
    comes out as if the failure had been caught in the process."""

    def __init__(
        self,
        spec: DetectorSpec,
        cell: Cell,
        index: int,
        watch: Watch,
        budget: float | None,
        replay: Failure | None,
        spill: ScoreSpill | None,
    ) -> None:
        scenario = cell.scenario.scenario
        self.label = spec.label
        self.index = index
        self.watch = watch
        self.budget = budget
        self.replay = replay
        self.failure: Failure | None = None
        self.detector: Detector | None = None
        if replay is not None and replay.tick < 0:
            self.failure = replay
        else:
            try:
                with watch.calling(-1, index):
                    self.detector = checked_call(-1, "its constructor", lambda: spec.instantiate(cell.seed), budget)
            except DetectorFailedError as failed:  # a bad configuration fails this detector only
                self.failure = Failure(-1, f"could not be built: {failed.failure.reason}")
        self.log = ScoreLog(
            cell.policy.threshold,
            cell.policy.containment_lag(float(scenario.tick)),
            record=False,
            warmup_ticks=cell.warmup_ticks,
            warmup_end=cell.warmup_ticks * float(scenario.tick),
            target_fpr=cell.target_fpr,
            # the score changes grow with the run: they go to disk as they happen
            sink=spill.sink(spec.label) if spill is not None else None,
        )
        self.spill = spill
        self.meter = CostMeter(scenario.n_ticks)

    def step(self, traffic: TickTraffic, ledger: TrafficLedger, registry: Registry) -> np.ndarray:
        """Update the detector on one tick; returns the accounts to contain now."""
        if self.failure is not None or self.detector is None:
            return _NONE
        if self.replay is not None and traffic.batch.tick >= self.replay.tick:
            self.failure = self.replay
            self.detector = None
            return _NONE
        # a batch of its own: whatever the detector does to its frames, the others never see
        batch = traffic.batch.isolated()
        detector = self.detector
        try:
            with self.watch.calling(batch.tick, self.index):
                codes, scores = self.meter.measure(
                    batch.tick, len(batch), detector, lambda: checked_update(detector, batch, registry, self.budget)
                )
        except DetectorFailedError as failed:
            self.failure = failed.failure
            self.detector = None
            return _NONE
        self.log.update(batch.tick, batch.end, codes, scores, ledger)
        return self.log.contain(batch.tick, ledger)

    def result(self, ledger: TrafficLedger, registry: Registry) -> DetectorResult:
        if self.failure is not None:
            return DetectorResult(self.label, None, None, None, self.failure)
        ids = registry.visible.column("account_id")
        scores = self.spill.hand_over(self.label) if self.spill is not None else None
        n = len(registry)
        self.log.accounts.ensure(n)
        a = self.log.accounts
        codes = _outcome_codes(ledger, registry, a.alarm_ts[:n])
        outcomes = _outcome_table(
            ledger,
            registry,
            codes,
            a.peak[:n],
            a.alarm_ts[:n],
            a.served_before_alarm[:n],
            a.output_before_containment[:n],
        )
        windows = self.log.windows(codes, ids, ledger)
        return DetectorResult(self.label, outcomes, scores, self.meter.result(), windows=windows)


def _with_splits(result: DetectorResult, splits: RequestSplits, registry: Registry) -> DetectorResult:
    """``result`` with its accounts' request splits (row-aligned with its outcomes)."""
    if result.outcomes is None:
        return result
    ids = result.outcomes.column("account_id").to_numpy(zero_copy_only=False)
    codes = registry.codes_of(ids) if ids.size else np.empty(0, dtype=np.int64)
    return dataclasses.replace(result, requests=splits.table(result.label, codes, ids))


def _nullable(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.float64(), from_pandas=True)


def _outcome_codes(ledger: TrafficLedger, registry: Registry, alarm_ts: np.ndarray) -> np.ndarray:
    """Codes of the accounts that sent a request or were alarmed, sorted by account id."""
    n = len(registry)
    ledger.totals.ensure(n)
    codes = np.flatnonzero((ledger.totals.requests[:n] > 0) | ~np.isnan(alarm_ts))
    ids = registry.visible.column("account_id")[codes]
    return codes[np.argsort(ids.astype(str), kind="stable")]


def _reference_outcomes(scores: pd.Series, ledger: TrafficLedger, registry: Registry) -> pa.Table:
    """Outcomes of a reference row: ``scores`` (by account id) as maximum scores, no alarms."""
    n = len(registry)
    peak = np.zeros(n)
    peak[registry.codes_of(scores.index)] = scores.to_numpy(dtype=np.float64)
    never = np.full(n, -1, dtype=np.int64)
    alarm_ts = np.full(n, np.nan)
    codes = _outcome_codes(ledger, registry, alarm_ts)
    return _outcome_table(ledger, registry, codes, peak, alarm_ts, never, never)


def _outcome_table(
    ledger: TrafficLedger,
    registry: Registry,
    codes: np.ndarray,
    peak: np.ndarray,
    alarm_ts: np.ndarray,
    served_before_alarm: np.ndarray,
    output_before_containment: np.ndarray,
) -> pa.Table:
    """:data:`OUTCOME_SCHEMA` rows of ``codes`` (:func:`_outcome_codes`), from the ledger
    and per-code score columns (−1 before an alarm or containment: everything served)."""
    t = ledger.totals
    truth = registry.truth
    served_before = served_before_alarm[codes]
    output_before = output_before_containment[codes]
    return pa.Table.from_arrays(
        [
            pa.array(registry.visible.column("account_id")[codes], type=pa.string()),
            pa.array(truth.column("is_attacker")[codes]),
            pa.array(truth.column("campaign")[codes], type=pa.string()),
            pa.array(t.requests[codes]),
            pa.array(t.served[codes]),
            pa.array(t.forbidden[codes]),
            pa.array(t.output[codes]),
            _nullable(t.first_ts[codes]),
            pa.array(peak[codes]),
            _nullable(alarm_ts[codes]),
            pa.array(np.where(served_before >= 0, served_before, t.served[codes])),
            pa.array(np.where(output_before >= 0, output_before, t.output[codes])),
        ],
        schema=OUTCOME_SCHEMA,
    )


def _campaigns(world: World, ledger: TrafficLedger) -> pa.Table:
    """Per-campaign totals (:data:`CAMPAIGN_SCHEMA`), sorted by campaign name: the
    campaigns' own outcomes, and the output tokens the ledger saw served to their accounts."""
    registry = world.registry
    n = len(registry)
    ledger.totals.ensure(n)
    labels = registry.truth.column("campaign")[:n]
    attacker = registry.truth.column("is_attacker")[:n]
    outcomes = sorted(world.campaign_outcomes(), key=lambda outcome: outcome.campaign)
    return pa.Table.from_pydict(
        {
            "campaign": [outcome.campaign for outcome in outcomes],
            "accounts": [outcome.accounts for outcome in outcomes],
            "replacements": [outcome.replaced for outcome in outcomes],
            "output_tokens": [
                int(ledger.totals.output[:n][attacker & (labels == outcome.campaign)].sum()) for outcome in outcomes
            ],
            "spent_usd": [float(sum(outcome.spent.values())) for outcome in outcomes],
        },
        schema=CAMPAIGN_SCHEMA,
    )


def _groups(world: World, ledger: TrafficLedger) -> pa.Table:
    """Every registered account with the population group or campaign that owns it and
    whether it sent a request (:data:`GROUPS_SCHEMA`), sorted by account id."""
    registry = world.registry
    n = len(registry)
    ledger.totals.ensure(n)
    ids = registry.visible.column("account_id")[:n].astype(str)
    order = np.argsort(ids, kind="stable")
    owners = np.array([actor.name for actor in world.actors], dtype=object)
    return pa.Table.from_arrays(
        [
            pa.array(ids[order], type=pa.string()),
            pa.array(registry.truth.column("is_attacker")[:n][order]),
            pa.array(owners[registry.truth.column("actor")[:n][order]], type=pa.string()),
            pa.array(ledger.totals.requests[:n][order] > 0),
        ],
        schema=GROUPS_SCHEMA,
    )


def run_cell(
    cell: Cell,
    *,
    budget: float | None = None,
    replay: Mapping[str, Failure] | None = None,
    watch: Watch | None = None,
) -> CellResult:
    """Simulate ``cell`` and return its results (a pure function of the cell).

    ``budget``: seconds each detector call may take (None: unbounded); ``replay``:
    failures found by earlier attempts, by detector label; ``watch``: where the cell
    stands, for a watching process (:mod:`simulator.bench.containment`)."""
    reset_peak_rss()
    started = time.perf_counter()
    scenario = cell.scenario.scenario
    world = World(scenario, cell.seed)
    world.build()
    registry = world.registry
    spill = ScoreSpill(lambda codes: registry.visible.column("account_id")[codes]) if cell.record_scores else None
    try:
        return _run(cell, world, budget, replay or {}, watch or Watch(), spill, started)
    finally:
        if spill is not None:  # the files of failed detectors, or of a cell that raised
            spill.close()


def _run(
    cell: Cell,
    world: World,
    budget: float | None,
    replay: Mapping[str, Failure],
    watch: Watch,
    spill: ScoreSpill | None,
    started: float,
) -> CellResult:
    """The body of :func:`run_cell`, once the world is built and the score changes have their spill."""
    scenario = cell.scenario.scenario
    ledger = TrafficLedger(cell.warmup_ticks)
    runs = [
        _DetectorRun(spec, cell, index, watch, budget, replay.get(spec.label), spill)
        for index, spec in enumerate(cell.detectors)
    ]
    leakage = LeakageSeries(scenario.n_ticks, float(scenario.tick), cell.mode, [run.label for run in runs])
    references = ReferenceRows(scenario) if cell.references else None
    defences = DefenceLoop(cell.defences, world, cell.policy) if cell.defended and cell.defences else None
    # every active cell measures what the campaigns paid and what the customers bore,
    # so that the alarm policy alone compares with the stacks like for like
    meter = defences.meter if defences is not None else DefenceMeter(world, None) if cell.mode == "active" else None
    splits = RequestSplits([run.label for run in runs], cell.mode) if has_resale(scenario) else None
    requests = 0
    for traffic in world.ticks():
        batch = traffic.batch
        requests += len(batch)
        ledger.add(traffic)
        if splits is not None:  # before the detectors: containment at the end of earlier ticks only
            # (active cells read the gateway's statuses of this tick, already final)
            splits.add(
                traffic,
                world.registry.truth.column("is_attacker"),
                {run.label: run.log.contained for run in runs if run.failure is None},
            )
        if references is not None:
            references.add(batch)
        leakage.add(
            traffic,
            world.registry.truth.column("is_attacker"),
            {run.label: run.log for run in runs if run.failure is None},
        )
        if all(run.failure is not None for run in runs):
            if defences is not None:  # the other defences go on without the detector
                defences.after_tick(traffic, ledger, runs[0].log)
            elif meter is not None:
                meter.observe(traffic)
            continue  # keep simulating: the facts and campaign totals describe the whole run
        # the shared view is built once, outside every detector's timing; the pandas frame
        # only if a detector reads it (in that detector's time: most read Arrow columns)
        view(batch)
        for run in runs:
            due = run.step(traffic, ledger, world.registry)
            if cell.mode == "active" and due.size:
                if defences is not None:
                    defences.alarmed(due)
                else:
                    cell.policy.enforce(world.gateway, due)
        if defences is not None:
            defences.after_tick(traffic, ledger, runs[0].log)
        elif meter is not None:
            meter.observe(traffic)
    if spill is not None:
        spill.finish()
    registry = world.registry
    n = len(registry)
    attackers = registry.truth.column("is_attacker")[:n]
    ledger.totals.ensure(n)
    facts = RunFacts(
        duration=float(scenario.duration),
        ticks=scenario.n_ticks,
        requests=requests,
        accounts=n,
        attacker_accounts=int(attackers.sum()),
        customer_output_tokens=int(ledger.totals.output[:n][~attackers].sum()),
    )
    results = [run.result(ledger, registry) for run in runs]
    if splits is not None:
        results = [_with_splits(result, splits, registry) for result in results]
    if references is not None:
        for label, scores in references.scores(registry).items():
            results.append(DetectorResult(label, _reference_outcomes(scores, ledger, registry), None, None))
    return CellResult(
        key=cell.key,
        facts=facts,
        campaigns=_campaigns(world, ledger),
        detectors=tuple(results),
        leakage=leakage.table([run.label for run in runs if run.failure is None]),
        groups=_groups(world, ledger) if cell.mode == "passive" else None,
        defences=defences.table() if defences is not None else meter.table(None) if meter is not None else None,
        wall_seconds=time.perf_counter() - started,
        peak_rss_mb=peak_rss_mb(),
    )
