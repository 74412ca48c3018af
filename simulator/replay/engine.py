"""A replay: logs read in chunks, mapped, cut into ticks and streamed through detectors.

The same machinery as a passive benchmark cell (:mod:`simulator.bench.runner`): every
tick is folded into the :class:`~simulator.bench.ledger.TrafficLedger`, the same
:class:`~simulator.traffic.RequestBatch` goes to every detector through the guard
(:func:`~simulator.bench.guard.checked_update`; a detector that fails stops alone), and
its scores go to a :class:`~simulator.bench.ledger.ScoreLog` that alarms at the policy's
threshold. Labels (if any) reach the outcomes table only, after the run.

Memory: one chunk, one sorting window and one tick of rows at a time, plus state
per account (the ledger, the score logs, the detectors' own, the account book). The
score changes, which grow with time, go to disk as they happen (:mod:`simulator.bench.spill`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector
from detectors.registry import BASELINES
from simulator.bench.cells import DetectorSpec
from simulator.bench.guard import DetectorFailedError, Failure, checked_update
from simulator.bench.ledger import ScoreLog, TrafficLedger
from simulator.bench.spill import ScoreSpill, remove_stale_spills
from simulator.metrics.evaluate import evaluate
from simulator.metrics.outcomes import CAMPAIGN_SCHEMA, OUTCOME_SCHEMA, RunFrame
from simulator.replay.accounts import AccountBook
from simulator.replay.badrows import BadRows
from simulator.replay.formats import CHUNK_ROWS, Format, read_chunks
from simulator.replay.labels import AccountLabels
from simulator.replay.mapping import ReplayMapping
from simulator.replay.needs import skip_reason
from simulator.replay.normalise import WIDE, Normaliser
from simulator.replay.ticking import Tick, Ticker
from simulator.traffic import ACCOUNT_SCHEMA, REQUEST_SCHEMA, RequestBatch, TickTraffic

__all__ = ["DetectorRun", "ReplayInput", "ReplayRun", "replay_logs"]

ProgressCallback = Callable[[int], None]
"""Called as ``progress(rows_read)`` after every chunk."""


@dataclass(frozen=True)
class ReplayInput:
    """What to replay and how."""

    logs: tuple[Path, ...]
    mapping: ReplayMapping
    detectors: tuple[DetectorSpec, ...]
    """The detectors (:func:`simulator.bench.plan.detector_specs`); each is built afresh for the run."""
    tick: float = 60.0
    fmt: Format | None = None
    labels_file: Path | None = None
    accounts_file: Path | None = None
    threshold: float = 0.5
    until: float | None = None
    """Replay at least this many seconds after the origin (empty ticks at the end included)."""
    chunk_rows: int = CHUNK_ROWS
    seed: int = 0
    """Seed given to detectors named without parameters that take one (as a benchmark run's seed)."""


@dataclass
class DetectorRun:
    """One detector in a replay: its score log, or why it did not run or stopped."""

    label: str
    detector: Detector | None
    log: ScoreLog
    skipped: str | None = None
    failure: Failure | None = None
    seconds: float = 0.0


@dataclass
class ReplayRun:
    """Everything a replay produced (the folder is written from it)."""

    origin: datetime | None
    ticks: int
    tick: float
    rows_read: int
    rows_replayed: int
    bad: BadRows
    missing: list[str]
    runs: list[DetectorRun]
    outcomes: dict[str, pa.Table] = field(default_factory=dict)
    """Per detector that ran: :data:`~simulator.metrics.outcomes.OUTCOME_SCHEMA` rows."""
    scores: ScoreSpill | None = None
    """Every detector's score changes, on disk until :meth:`close`."""
    campaigns: pa.Table | None = None
    labelled: bool = False
    metrics: pd.DataFrame | None = None
    wall_seconds: float = 0.0

    @property
    def duration(self) -> float:
        return self.ticks * self.tick

    def trajectory(self, label: str) -> pa.Table:
        """The score changes of detector ``label`` (:data:`~simulator.bench.ledger.TRAJECTORY_SCHEMA`,
        by tick then account), read back whole: for small replays and tests."""
        assert self.scores is not None, "the replay's score changes were deleted (close)"
        return self.scores.table(label)

    def close(self) -> None:
        """Delete the score changes kept on disk."""
        if self.scores is not None:
            self.scores.close()
            self.scores = None


def _batch(tick: Tick, origin: datetime, accounts: pd.DataFrame) -> RequestBatch:
    table = tick.table
    if table.num_columns == 0:
        table = REQUEST_SCHEMA.empty_table()
    else:
        table = table.select(REQUEST_SCHEMA.names).cast(REQUEST_SCHEMA)
    return RequestBatch(tick.index, tick.start, tick.end, origin, table, accounts)


def replay_logs(spec: ReplayInput, progress: ProgressCallback | None = None) -> ReplayRun:
    """Replay ``spec.logs`` (in the order given, as one stream) through ``spec.detectors``."""
    started = time.perf_counter()
    bad = BadRows()
    normaliser = Normaliser(spec.mapping, spec.tick, bad)
    ticker = Ticker(spec.tick, float(spec.mapping.order_window), spec.mapping.late_share, bad)
    book = AccountBook(spec.accounts_file, spec.tick)
    labels = AccountLabels() if spec.labels_file is not None or spec.mapping.labels is not None else None
    if spec.labels_file is not None and labels is not None:
        labels.read_file(spec.labels_file, bad)
    ledger = TrafficLedger()
    remove_stale_spills()  # what a killed replay or run left in the temporary folder
    spill = ScoreSpill(lambda codes: np.array([book.ids[c] for c in codes.tolist()], dtype=object))
    runs: list[DetectorRun] = []
    started_detectors: list[bool] = []
    rows_read = rows_replayed = ticks = 0

    def start_detectors() -> None:
        available = [name for name in REQUEST_SCHEMA.names if name not in normaliser.missing]
        if book.has_registry:
            available += [f"accounts.{name}" for name in ACCOUNT_SCHEMA.names]
        started_detectors.append(True)
        for detector_spec in spec.detectors:
            label = detector_spec.label
            log = ScoreLog(spec.threshold, 0, record=False, sink=spill.sink(label))
            reason = skip_reason(detector_spec.prototype, available)
            if reason is not None:
                runs.append(DetectorRun(label, None, log, skipped=reason))
                continue
            try:
                runs.append(DetectorRun(label, detector_spec.instantiate(spec.seed), log))
            except Exception as exc:  # a bad configuration fails this detector only
                failure = Failure(-1, f"could not be built: {type(exc).__name__}: {exc}")
                runs.append(DetectorRun(label, None, log, failure=failure))

    def step(tick: Tick) -> None:
        nonlocal ticks, rows_replayed
        assert normaliser.origin is not None
        ids = tick.table.column("account_id").to_numpy(zero_copy_only=False) if tick.table.num_columns else None
        orgs = tick.table.column("org_id").to_numpy(zero_copy_only=False) if tick.table.num_columns else None
        empty = np.empty(0, dtype=object)
        codes, accounts = book.tick(tick.index, empty if ids is None else ids, empty if orgs is None else orgs)
        batch = _batch(tick, normaliser.origin, accounts)
        ticks = tick.index + 1
        rows_replayed += len(batch)
        ledger.add(TickTraffic(batch, codes, np.full(len(batch), -1, dtype=np.int64)))
        for run in runs:
            if run.detector is None:
                continue
            begun = time.perf_counter()
            try:
                found, scores = checked_update(run.detector, batch, book)  # type: ignore[arg-type]
            except DetectorFailedError as failed:
                run.failure, run.detector = failed.failure, None
                continue
            finally:
                run.seconds += time.perf_counter() - begun
            run.log.update(batch.tick, batch.end, found, scores, ledger)
            run.log.contain(batch.tick, ledger)

    try:
        for path in spec.logs:
            wide = tuple(sorted({spec.mapping.source(name) for name in WIDE}))
            for chunk in read_chunks(path, spec.fmt, bad, spec.chunk_rows, wide):
                rows_read += chunk.table.num_rows
                rows = normaliser.rows(chunk)
                if not started_detectors and normaliser.present is not None:
                    start_detectors()
                if progress is not None:
                    progress(rows_read)
                if rows is None:
                    continue
                if labels is not None and rows.labels is not None:
                    labels.add(rows.table.column("account_id").to_numpy(zero_copy_only=False), rows.labels)
                for tick in ticker.push(rows):
                    step(tick)
        if not started_detectors:
            start_detectors()
        if normaliser.origin is not None:
            until = None if spec.until is None else int(np.ceil(spec.until / spec.tick - 1e-9))
            for tick in ticker.finish(until):
                step(tick)
    except BaseException:
        spill.close()  # no temporary files left behind by a refused log
        raise
    run = ReplayRun(
        origin=normaliser.origin,
        ticks=ticks,
        tick=spec.tick,
        rows_read=rows_read,
        rows_replayed=rows_replayed,
        bad=bad,
        missing=normaliser.missing,
        runs=runs,
        labelled=labels is not None,
        scores=spill,
    )
    spill.finish()
    _finish(run, ledger, book, labels)
    run.wall_seconds = time.perf_counter() - started
    return run


def _finish(run: ReplayRun, ledger: TrafficLedger, book: AccountBook, labels: AccountLabels | None) -> None:
    """Outcomes per detector, campaign totals and (with labels) the metrics."""
    n = len(book)
    ids = np.asarray(book.ids, dtype=object)
    ledger.totals.ensure(n)
    t = ledger.totals
    campaign = labels.of(ids) if labels is not None else np.full(n, None, dtype=object)
    attacker = np.array([c is not None for c in campaign.tolist()], dtype=bool)
    for dr in run.runs:
        if dr.skipped is not None or dr.failure is not None:
            continue
        a = dr.log.accounts
        a.ensure(n)
        codes = np.flatnonzero((t.requests[:n] > 0) | ~np.isnan(a.alarm_ts[:n]))
        codes = codes[np.argsort(ids[codes].astype(str), kind="stable")]
        served_before, output_before = a.served_before_alarm[codes], a.output_before_containment[codes]
        run.outcomes[dr.label] = pa.Table.from_arrays(
            [
                pa.array(ids[codes], type=pa.string()),
                pa.array(attacker[codes]),
                pa.array(campaign[codes], type=pa.string()),
                pa.array(t.requests[codes]),
                pa.array(t.served[codes]),
                pa.array(t.forbidden[codes]),
                pa.array(t.output[codes]),
                pa.array(t.first_ts[codes], from_pandas=True),
                pa.array(a.peak[codes]),
                pa.array(a.alarm_ts[codes], from_pandas=True),
                pa.array(np.where(served_before >= 0, served_before, t.served[codes])),
                pa.array(np.where(output_before >= 0, output_before, t.output[codes])),
            ],
            schema=OUTCOME_SCHEMA,
        )
    names = sorted({c for c in campaign.tolist() if c is not None})
    run.campaigns = pa.Table.from_pydict(
        {
            "campaign": names,
            "accounts": [int((campaign == name).sum()) for name in names],
            "replacements": [0] * len(names),
            "output_tokens": [int(t.output[:n][campaign == name].sum()) for name in names],
            "spent_usd": [float("nan")] * len(names),  # a log does not say what a campaign paid
        },
        schema=CAMPAIGN_SCHEMA,
    )
    if labels is None:
        return
    frame = RunFrame(run.duration, "passive")
    campaigns = run.campaigns.to_pandas()
    rows = []
    for label, outcomes in run.outcomes.items():
        for metric, value in evaluate(outcomes.to_pandas(), campaigns, frame).items():
            rows.append({"detector": label, "metric": metric, "value": value})
    run.metrics = pd.DataFrame(rows, columns=["detector", "metric", "value"])


TRIAGE_COLUMNS = (
    "account_id",
    "top_score",
    "top_detector",
    "first_alarm_s",
    "requests",
    "output_tokens",
    "first_seen_s",
)
"""The columns of the triage table before each detector's ``score:<label>``."""


def top_accounts(run: ReplayRun, count: int = 20) -> pd.DataFrame:
    """The ``count`` accounts with the highest score from any detector, for triage: each
    detector's maximum score (what drove the account's rank), the detector that scored it
    highest, its first alarm and its traffic totals. Ties: by account id. The baselines
    (``null``, ``random``, ``periodic``) are left out: their scores say nothing of an account."""
    frames = []
    ranked = {label: o for label, o in run.outcomes.items() if label not in BASELINES} or run.outcomes
    for label, outcomes in ranked.items():
        columns = outcomes.select(["account_id", "max_score"]).to_pandas().set_index("account_id")["max_score"]
        frames.append(columns.rename(label))
    if not frames:
        return pd.DataFrame(columns=list(TRIAGE_COLUMNS))
    scores = pd.concat(frames, axis=1).fillna(0.0)
    first = next(iter(ranked.values())).to_pandas().set_index("account_id")
    alarms = pd.concat(
        [o.select(["account_id", "alarm_ts"]).to_pandas().set_index("account_id")["alarm_ts"] for o in ranked.values()],
        axis=1,
    ).min(axis=1)
    table = pd.DataFrame(
        {
            "account_id": scores.index,
            "top_score": scores.max(axis=1).to_numpy(),
            "top_detector": scores.idxmax(axis=1).to_numpy(),
            "first_alarm_s": alarms.reindex(scores.index).to_numpy(),
            "requests": first["requests"].reindex(scores.index).to_numpy(),
            "output_tokens": first["output_tokens"].reindex(scores.index).to_numpy(),
            "first_seen_s": first["first_ts"].reindex(scores.index).to_numpy(),
        }
    )
    table = pd.concat([table.reset_index(drop=True), scores.add_prefix("score:").reset_index(drop=True)], axis=1)
    table = table.sort_values(["top_score", "account_id"], ascending=[False, True], kind="stable")
    return table.head(count).reset_index(drop=True)


def score_distribution(run: ReplayRun, bins: Sequence[float] = tuple(np.linspace(0, 1, 11))) -> pd.DataFrame:
    """Per detector, how many accounts' maximum score falls in each bin ``[low, high)`` (the
    last bin includes 1)."""
    rows = []
    edges = np.asarray(bins, dtype=np.float64)
    for label, outcomes in run.outcomes.items():
        peak = pc.fill_null(outcomes.column("max_score"), 0.0).to_numpy()
        counts, _ = np.histogram(peak, bins=edges)
        for low, high, count in zip(edges[:-1], edges[1:], counts.tolist(), strict=True):
            rows.append({"detector": label, "low": float(low), "high": float(high), "accounts": int(count)})
    return pd.DataFrame(rows, columns=["detector", "low", "high", "accounts"])
