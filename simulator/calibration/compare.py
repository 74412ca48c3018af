"""Simulated against real: the side-by-side of ``extractbench calibrate``.

:func:`simulate_sample` runs a scenario and keeps, per served request, the
columns the comparison needs (time, account, archetype, tokens, conversation);
:func:`compare` computes every statistic for the real traces and the simulated
sample; :func:`markdown_table` renders it (the figure is
:func:`simulator.calibration.figure.plot_comparison`).

Pairings: the Azure conversation trace is compared with ``chat`` accounts, the
Azure code trace with ``coding_assistant`` accounts and the Mooncake
conversation trace with ``agent`` accounts (long contexts); per-client figures
(volume Gini, top-1% share, ten-minute inter-arrival CV) compare ServeGen
clients with all simulated accounts that sent a request; the hour-of-day
profile compares ServeGen's hourly totals (local time of one provider) with the
whole simulated population by UTC hour. Arrival statistics of a half-hour trace
are compared with the simulation cut into segments of the trace's length and
averaged, so that the daily rhythm of a week-long run does not inflate them.
For every token distribution the table also gives the KS statistic between the
trace's own first and second half: the distance a model fitted to one period
should expect against another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from simulator.calibration.fitting import TraceFit
from simulator.calibration.statistics import (
    QUANTILES,
    gini,
    hourly_profile,
    index_of_dispersion,
    inter_arrival_cv,
    ks_statistic,
    peak_to_trough,
    session_structure,
    top_share,
    window_cv,
)
from simulator.calibration.traces import TraceSet
from simulator.scenario import Scenario
from simulator.traffic import STATUS_OK
from simulator.units import DAY
from simulator.world import World

__all__ = [
    "WORKLOADS",
    "Comparison",
    "Row",
    "SimulatedSample",
    "Workload",
    "compare",
    "markdown_table",
    "simulate_sample",
]

DISPERSION_WIDTHS: tuple[float, ...] = (1.0, 10.0, 60.0)
"""Bin widths (s) of the index of dispersion."""


@dataclass(frozen=True)
class Workload:
    """A real trace and the simulated archetypes it is compared with."""

    name: str
    trace: str
    """Attribute of :class:`~simulator.calibration.traces.TraceSet`."""
    roles: tuple[str, ...]


WORKLOADS: tuple[Workload, ...] = (
    Workload("chat", "azure_conv", ("chat",)),
    Workload("coding", "azure_code", ("coding_assistant",)),
    Workload("long context", "mooncake", ("agent",)),
)


@dataclass(frozen=True)
class SimulatedSample:
    """Served (status 200) requests of one simulation, column by column."""

    ts: np.ndarray
    """Seconds since the scenario start."""
    account: np.ndarray
    """Registry code of the request's account."""
    role: np.ndarray
    """Index into :attr:`roles` of the account's archetype."""
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    conversation: np.ndarray
    roles: tuple[str, ...]
    origin: datetime
    duration: float

    def of(self, roles: tuple[str, ...] | None) -> np.ndarray:
        """Boolean mask of requests from accounts of ``roles`` (None: everyone)."""
        if roles is None:
            return np.ones(self.ts.size, dtype=bool)
        codes = [self.roles.index(r) for r in roles if r in self.roles]
        return np.isin(self.role, codes)

    def account_volumes(self) -> np.ndarray:
        """Requests per account, over accounts that sent at least one."""
        return np.unique(self.account, return_counts=True)[1].astype(np.float64)

    def utc_hours(self) -> np.ndarray:
        """UTC hour of day (0-23) of each request in whole simulated days."""
        whole = np.floor(self.duration / DAY) * DAY
        start = self.origin.hour + self.origin.minute / 60 + self.origin.second / 3600
        ts = self.ts[self.ts < whole]
        return np.floor(start + ts / 3600.0).astype(np.int64) % 24


def simulate_sample(
    scenario: Scenario, seed: int | None = None, progress: Callable[[int, int], None] | None = None
) -> SimulatedSample:
    """Run ``scenario`` and keep what the comparison needs of every served request
    (``progress(ticks_done, ticks_total)`` is called after each tick)."""
    world = World(scenario, seed=seed)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("ts", "account", "in", "out", "conv")}
    for traffic in world.ticks():
        table = traffic.table
        served = table.column("status").to_numpy() == STATUS_OK
        parts["ts"].append(table.column("ts").to_numpy()[served])
        parts["account"].append(traffic.account_codes[served])
        parts["in"].append(table.column("input_tokens").to_numpy()[served])
        parts["out"].append(table.column("output_tokens").to_numpy()[served])
        parts["conv"].append(table.column("conversation_id").to_numpy()[served])
        if progress is not None:
            progress(traffic.batch.tick + 1, scenario.n_ticks)
    joined = {k: np.concatenate(v) if v else np.empty(0) for k, v in parts.items()}
    account_roles = np.asarray(world.registry.truth.column("role"), dtype=str)
    roles, role_of_account = np.unique(account_roles, return_inverse=True)
    account = joined["account"].astype(np.int64)
    return SimulatedSample(
        ts=joined["ts"],
        account=account,
        role=(role_of_account[account] if account.size else np.empty(0, dtype=np.int64)).astype(np.int16),
        input_tokens=joined["in"].astype(np.int32),
        output_tokens=joined["out"].astype(np.int32),
        conversation=joined["conv"],
        roles=tuple(roles.tolist()),
        origin=scenario.start,
        duration=float(scenario.duration),
    )


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side: a statistic of a workload, real and simulated."""

    workload: str
    statistic: str
    real: float
    simulated: float
    ks: float | None = None
    """KS statistic between the real and simulated distribution, where one applies."""


@dataclass
class Comparison:
    """Every row plus the curves the figure draws."""

    rows: list[Row] = field(default_factory=list)
    cdfs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """``"<workload> <input|output>"`` → (real values, simulated values)."""
    dispersion: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    """Workload → (real, simulated) index of dispersion at :data:`DISPERSION_WIDTHS`."""
    real_profile: np.ndarray = field(default_factory=lambda: np.ones(24))
    simulated_profile: np.ndarray = field(default_factory=lambda: np.ones(24))
    real_volumes: np.ndarray = field(default_factory=lambda: np.empty(0))
    simulated_volumes: np.ndarray = field(default_factory=lambda: np.empty(0))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([row.__dict__ for row in self.rows])

    def value(self, workload: str, statistic: str) -> Row:
        """The row of ``statistic`` for ``workload``; ``KeyError`` if absent."""
        for row in self.rows:
            if row.workload == workload and row.statistic == statistic:
                return row
        raise KeyError(f"No row {statistic!r} for {workload!r}")


def _span(ts: np.ndarray) -> float:
    return float(ts.max() - ts.min()) if ts.size > 1 else 0.0


def compare(traces: TraceSet, sample: SimulatedSample) -> Comparison:
    """Every statistic of the side-by-side for ``traces`` and ``sample``."""
    out = Comparison()
    add = out.rows.append
    for workload in WORKLOADS:
        real = getattr(traces, workload.trace)
        mask = sample.of(workload.roles)
        sim_ts = sample.ts[mask]
        for column, label in (("output_tokens", "output"), ("input_tokens", "input")):
            r = real[column].to_numpy()
            s = (sample.output_tokens if column == "output_tokens" else sample.input_tokens)[mask]
            out.cdfs[f"{workload.name} {label}"] = (r, s)
            ks = ks_statistic(r, s)
            for q in QUANTILES:
                add(
                    Row(
                        workload.name,
                        f"{label} tokens p{round(q * 100)}",
                        float(np.quantile(r, q)),
                        float(np.quantile(s, q)) if s.size else float("nan"),
                    )
                )
            add(Row(workload.name, f"{label} tokens KS", 0.0, ks, ks=ks))
            # how much the trace itself drifts: its first half against its second (in time)
            half = r.size // 2
            add(
                Row(
                    workload.name,
                    f"{label} tokens KS, trace's 1st vs 2nd half",
                    ks_statistic(r[:half], r[half:]),
                    np.nan,
                )
            )
        span = _span(real.ts.to_numpy())
        sim_rate = sim_ts.size / sample.duration
        add(Row(workload.name, "mean rate (requests/s)", real.shape[0] / max(span, 1e-9), sim_rate))
        add(
            Row(workload.name, "inter-arrival CV", inter_arrival_cv(real.ts.to_numpy()), inter_arrival_cv(sim_ts, span))
        )
        real_idc = [index_of_dispersion(real.ts.to_numpy(), w) for w in DISPERSION_WIDTHS]
        sim_idc = [index_of_dispersion(sim_ts, w, span) for w in DISPERSION_WIDTHS]
        out.dispersion[workload.name] = (real_idc, sim_idc)
        for w, r_value, s_value in zip(DISPERSION_WIDTHS, real_idc, sim_idc, strict=True):
            add(Row(workload.name, f"index of dispersion {w:g} s", r_value, s_value))

    single, _, p99 = session_structure(traces.mooncake.conversation[traces.mooncake.conversation >= 0])
    chat = sample.of(("chat",))
    sim_single, _, sim_p99 = session_structure(sample.conversation[chat])
    add(Row("chat", "single-request sessions", single, sim_single))
    add(Row("chat", "session length p99 (requests)", p99, sim_p99))

    clients = traces.servegen_clients.est_requests.to_numpy()
    clients = clients[clients > 0]
    volumes = sample.account_volumes()
    out.real_volumes, out.simulated_volumes = clients, volumes
    add(Row("population", "per-client volume Gini", gini(clients), gini(volumes)))
    add(Row("population", "top-1% clients' share of requests", top_share(clients), top_share(volumes)))
    real_cv = traces.servegen_clients.rate_weighted_mean_cv.to_numpy()
    real_cv = real_cv[(traces.servegen_clients.est_requests.to_numpy() > 0) & np.isfinite(real_cv)]
    sim_cv = window_cv(sample.ts, sample.account)
    add(
        Row(
            "population",
            "per-client 10-min inter-arrival CV (median)",
            float(np.median(real_cv)) if real_cv.size else float("nan"),
            float(np.median(sim_cv)) if sim_cv.size else float("nan"),
        )
    )
    hourly = traces.servegen_hourly.groupby("hour_of_day").est_requests.sum()
    out.real_profile = hourly_profile(hourly.index.to_numpy(), hourly.to_numpy())
    hours = sample.utc_hours()
    out.simulated_profile = hourly_profile(hours) if hours.size else np.full(24, np.nan)
    add(
        Row(
            "population",
            "hour-of-day peak/trough",
            peak_to_trough(out.real_profile),
            peak_to_trough(out.simulated_profile) if hours.size else float("nan"),
        )
    )
    add(
        Row(
            "population",
            "index of dispersion 60 s (whole run)",
            float("nan"),
            index_of_dispersion(sample.ts, 60.0),
        )
    )
    return out


def _format(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def markdown_table(comparison: Comparison, fit: TraceFit | None = None, defaults: dict[str, str] | None = None) -> str:
    """The side-by-side as Markdown: one table of statistics, then (if given) the
    fitted parameters next to the schema defaults."""
    lines = ["| workload | statistic | real | simulated |", "|---|---|---:|---:|"]
    for row in comparison.rows:
        real = "–" if row.ks is not None else _format(row.real)
        lines.append(f"| {row.workload} | {row.statistic} | {real} | {_format(row.simulated)} |")
    if fit is not None:
        lines += ["", "| parameter | fitted on these traces | schema default |", "|---|---|---|"]
        for name, value in fit.parameters().items():
            text = value if isinstance(value, str) else _format(value)
            lines.append(f"| {name} | {text} | {(defaults or {}).get(name, '–')} |")
    return "\n".join(lines) + "\n"
