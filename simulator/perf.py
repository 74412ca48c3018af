"""How fast the simulator and the detectors run on this machine: ``extractbench perf``.

Every time is CPU time of the measuring process (``time.process_time``: on an
idle machine the same as wall-clock time; on a shared one, far less noisy), and
every figure is printed beside references measured in the same process, a moment
before:

* **SimPy reference** — events/s of bare SimPy: 10,000 processes each waiting on
  a one-second ``timeout`` again and again (one event per timeout);
* **numpy reference** — elements/s of ``numpy.sort`` on a million float64 values;
* **simulation** — requests/s of ``simulate`` (the world stepped tick by tick,
  the visible table built and written to Parquet with the labels), and that rate
  divided by the SimPy reference;
* **per-tick overhead** — milliseconds per tick of a world with almost no traffic
  (one-second ticks, a few accounts): what every tick costs whatever its size;
* **detectors** — events/s of each detector's ``update`` alone (requests handed
  to it / seconds inside ``update``), on batches recorded once from the
  simulation, beside the null detector's; each detector gets its own copies of
  the batches, so it pays for whatever it derives from them (the pandas frame,
  the shared per-batch aggregates); then the **zoo**: every detector updated on
  the same batches in one passive run, as the benchmark harness does
  (events / total seconds of all updates);
* **benchmark cell** — CPU seconds of one passive benchmark cell of the same
  world (:func:`~simulator.bench.runner.run_cell`: the world stepped without
  Parquet output, every detector updated through the harness's guard, their score
  logs and spilled score changes, and the reference rows with their supervised
  ceiling), as ``extractbench run`` runs each cell, and that time divided by the
  simulation's: what a benchmark of a world costs beside simulating it; then the
  same cell without the reference rows (what the detectors and the harness alone
  cost: the ceiling's five cross-validated fits are a fixed cost per world);
* **peak memory** — peak resident memory (MB) of a fresh process that simulates
  the scenario and streams it through the zoo, at two durations with the same
  accounts (so the second has several times the requests of the first).

Throughput depends on the traffic: a tick's fixed costs weigh more when ticks are
small, so run it at the scale of your own traffic (``--scale``, ``--tick``).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.scenario import Scenario

HOUR = 3600.0

__all__ = [
    "DEFAULT_SCENARIO",
    "CellTime",
    "DetectorRate",
    "MemoryPoint",
    "PerfConfig",
    "PerfReport",
    "benchmark_cell",
    "bundled_scenario",
    "detector_rates",
    "measure",
    "numpy_reference",
    "peak_memory",
    "record_batches",
    "simpy_reference",
    "simulation_rate",
    "tick_overhead",
]

DEFAULT_SCENARIO = "hydra-cluster"
"""The bundled scenario ``perf`` measures by default (the reference threat)."""

_clock = time.process_time
"""CPU seconds of this process: on a machine shared with other work, wall-clock
time measures the other work too; on an idle one the two agree."""

Progress = Callable[[str], None]
"""Called with a short description of each step as it starts."""


def bundled_scenario(name: str = DEFAULT_SCENARIO) -> Path | None:
    """The path of a bundled scenario (``scenarios/<name>.yaml``), or None."""
    from simulator.scenario.bundled import bundled_scenario as find

    return find(name)


@dataclass(frozen=True)
class PerfConfig:
    """What ``perf`` measures: the scenario and sizes, and the detectors."""

    scenario: Scenario
    """The scenario as loaded (``scale``, ``duration`` and ``tick`` below are applied to it)."""
    scale: float = 1.0
    """Account counts and volumes multiplier for the simulation and detector figures
    (1: the scenario's own size; the bundled hydra-cluster then sends about 1,100
    requests a one-minute tick once its campaign runs)."""
    duration: float = 8 * HOUR
    """Simulated span (seconds) for the simulation and detector figures."""
    tick: float | None = None
    """Tick (seconds; default: the scenario's)."""
    detectors: tuple[str, ...] = ()
    """Detector specs (default: every registered detector)."""
    memory_durations: tuple[float, float] = (2 * HOUR, 8 * HOUR)
    """The two simulated spans (seconds) of the peak-memory runs, at ``memory_scale``."""
    memory_scale: float = 1.0
    overhead_ticks: int = 1800
    """One-second ticks of the per-tick overhead run."""
    seed: int | None = None

    def resolved(self, duration: float | None = None, scale: float | None = None) -> Scenario:
        """The scenario with this configuration's overrides (or the given ones)."""
        return self.scenario.resolved(
            seed=self.seed,
            duration=self.duration if duration is None else duration,
            scale=self.scale if scale is None else scale,
            tick=self.tick,
        )


@dataclass(frozen=True)
class DetectorRate:
    """One detector's throughput on the recorded batches."""

    name: str
    events: int
    """Requests handed to ``update``."""
    seconds: float
    """Seconds inside ``update``."""

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class CellTime:
    """One passive benchmark cell of the measured world (every detector, the reference rows)."""

    seconds: float
    """CPU seconds of the whole cell (the world's build included, as in the simulation's time)."""
    detector_seconds: float
    """Seconds inside the detectors' updates, as the cell's cost meters time them (wall
    clock, on the ticks not sampled for memory)."""
    without_references: float
    """CPU seconds of the same cell without the reference rows (the detectors and the
    harness around them): ``seconds`` minus this is what the artefacts row and the
    supervised ceiling's cross-validated fits cost."""


@dataclass(frozen=True)
class MemoryPoint:
    """Peak resident memory of one passive run through the zoo in a fresh process."""

    duration: float
    """Simulated span (seconds)."""
    requests: int
    accounts: int
    peak_rss_mb: float
    """Peak resident memory of the process (MB), imports included."""
    baseline_rss_mb: float
    """Resident memory after the imports, before the world was built (MB)."""


@dataclass(frozen=True)
class PerfReport:
    """Every figure ``perf`` prints (see the module docstring for their definitions)."""

    machine: dict[str, str | int]
    simpy_events_per_s: float
    numpy_elements_per_s: float
    scenario: str
    scale: float
    duration: float
    tick: float
    requests: int
    ticks: int
    accounts: int
    simulation_seconds: float
    tick_overhead_ms: float
    """Milliseconds per tick of an almost empty world."""
    pandas_frame_ms: float
    """Milliseconds per tick to convert the batches' Arrow tables to pandas (``RequestBatch.requests``)."""
    detectors: tuple[DetectorRate, ...]
    zoo: DetectorRate
    cell: CellTime | None = None
    """The benchmark cell of the same world (None: not measured)."""
    memory: tuple[MemoryPoint, ...] = field(default_factory=tuple)

    @property
    def simulation_requests_per_s(self) -> float:
        return self.requests / self.simulation_seconds if self.simulation_seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, object]:
        """The report as plain data (what ``--json`` prints)."""
        null = next((d for d in self.detectors if d.name == "null"), None)

        def rate(d: DetectorRate) -> dict[str, object]:
            out: dict[str, object] = {
                "name": d.name,
                "events": d.events,
                "seconds": round(d.seconds, 4),
                "events_per_s": round(d.events_per_s, 1),
            }
            if null is not None:
                out["vs_null"] = d.events_per_s / null.events_per_s
            return out

        def vs_simulation(seconds: float) -> float | None:
            return seconds / self.simulation_seconds if self.simulation_seconds > 0 else None

        return {
            "machine": self.machine,
            "references": {
                "simpy_events_per_s": round(self.simpy_events_per_s, 1),
                "numpy_elements_per_s": round(self.numpy_elements_per_s, 1),
            },
            "simulation": {
                "scenario": self.scenario,
                "scale": self.scale,
                "duration_s": self.duration,
                "tick_s": self.tick,
                "requests": self.requests,
                "ticks": self.ticks,
                "accounts": self.accounts,
                "seconds": round(self.simulation_seconds, 3),
                "requests_per_s": round(self.simulation_requests_per_s, 1),
                "vs_simpy": self.simulation_requests_per_s / self.simpy_events_per_s,
                "vs_numpy": self.simulation_requests_per_s / self.numpy_elements_per_s,
            },
            "tick_overhead_ms": round(self.tick_overhead_ms, 4),
            "pandas_frame_ms_per_tick": round(self.pandas_frame_ms, 4),
            "detectors": [rate(d) for d in self.detectors],
            "zoo": {**rate(self.zoo), "vs_simulation": self.zoo.events_per_s / self.simulation_requests_per_s},
            "cell": None
            if self.cell is None
            else {
                "seconds": round(self.cell.seconds, 3),
                "detector_seconds": round(self.cell.detector_seconds, 3),
                "vs_simulation": vs_simulation(self.cell.seconds),
                "seconds_without_references": round(self.cell.without_references, 3),
                "vs_simulation_without_references": vs_simulation(self.cell.without_references),
            },
            "memory": [
                {
                    "duration_s": m.duration,
                    "requests": m.requests,
                    "accounts": m.accounts,
                    "peak_rss_mb": round(m.peak_rss_mb, 1),
                    "baseline_rss_mb": round(m.baseline_rss_mb, 1),
                }
                for m in self.memory
            ],
        }


# -- references ----------------------------------------------------------------------------


def simpy_reference(processes: int = 10_000, steps: int = 20) -> float:
    """Events/s of bare SimPy: ``processes`` processes each yielding a one-second
    ``timeout`` ``steps`` times (``processes × steps`` events)."""
    import simpy

    env = simpy.Environment()

    def sleeper(env: simpy.Environment) -> object:
        for _ in range(steps):
            yield env.timeout(1.0)

    for _ in range(processes):
        env.process(sleeper(env))
    started = _clock()
    env.run()
    return processes * steps / (_clock() - started)


def numpy_reference(size: int = 1_000_000, repeats: int = 3) -> float:
    """Elements/s of ``numpy.sort`` on ``size`` random float64 values (best of ``repeats``)."""
    values = np.random.default_rng(0).random(size)
    best = float("inf")
    for _ in range(repeats):
        started = _clock()
        np.sort(values)
        best = min(best, _clock() - started)
    return size / best


# -- the world -----------------------------------------------------------------------------


def simulation_rate(scenario: Scenario) -> tuple[int, int, float]:
    """Simulate ``scenario`` with Parquet output into a temporary folder: returns
    (requests, accounts, seconds)."""
    from simulator.simulation_folder import simulate_to_folder

    with tempfile.TemporaryDirectory(prefix="extractbench-perf-") as folder:
        started = _clock()
        summary = simulate_to_folder(scenario, Path(folder))
        seconds = _clock() - started
    return summary.requests, summary.accounts, seconds


def tick_overhead(scenario: Scenario, ticks: int = 1800) -> float:
    """Milliseconds per tick of ``scenario`` shrunk to a few accounts (scale 0.001),
    with one-second ticks, over ``ticks`` ticks: the world's fixed cost per tick
    (SimPy stepping, the gateway's decisions, the batch), the world's build excluded."""
    from simulator.world import World

    tiny = scenario.resolved(scale=0.001, duration=float(ticks), tick=1.0)
    world = World(tiny)
    world.build()
    started = _clock()
    count = 0
    for _ in world.ticks():
        count += 1
    return (_clock() - started) * 1000.0 / max(count, 1)


def record_batches(scenario: Scenario) -> list:
    """The visible batches of one run of ``scenario``, kept in memory."""
    from simulator.world import World

    return [traffic.batch for traffic in World(scenario).ticks()]


def _fresh_copies(batches: Sequence) -> list:
    """New batch objects over the same tables: nothing derived from a batch (its
    pandas frame, its shared aggregates) carries over to the copies."""
    return [dataclasses.replace(batch) for batch in batches]


def detector_rates(batches: Sequence, specs: Sequence[str]) -> tuple[list[DetectorRate], DetectorRate]:
    """Each detector alone on its own copies of ``batches``, then all of them in one
    passive run on shared copies: (per detector, zoo)."""
    from detectors.registry import build

    events = sum(len(batch) for batch in batches)
    rates = []
    for spec in specs:
        detector = build(spec)
        seconds = 0.0
        for batch in _fresh_copies(batches):
            started = _clock()
            detector.update(batch)
            seconds += _clock() - started
        rates.append(DetectorRate(spec, events, seconds))
    zoo = [build(spec) for spec in specs]
    seconds = 0.0
    for batch in _fresh_copies(batches):
        for detector in zoo:
            started = _clock()
            detector.update(batch)
            seconds += _clock() - started
    return rates, DetectorRate("zoo", events, seconds)


def benchmark_cell(scenario: Scenario, specs: Sequence[str]) -> CellTime:
    """Run one passive benchmark cell of ``scenario`` with ``specs`` and the reference rows
    (seed: the scenario's) and time it; then the same cell without the reference rows."""
    from detectors.registry import build
    from simulator.bench.cells import Cell, DetectorSpec, ScenarioSpec
    from simulator.bench.policy import AlarmPolicy
    from simulator.bench.runner import run_cell

    def timed(references: bool) -> tuple[float, float]:
        cell = Cell(
            "passive",
            ScenarioSpec(scenario.name, scenario, "<perf>"),
            scenario.seed,
            tuple(DetectorSpec(spec, build(spec)) for spec in specs),
            AlarmPolicy(),
            references=references,
        )
        started = _clock()
        result = run_cell(cell)
        seconds = _clock() - started
        return seconds, sum(d.cost.update_seconds for d in result.detectors if d.cost is not None)

    seconds, inside = timed(references=True)
    without, _ = timed(references=False)
    return CellTime(seconds, inside, without)


def _pandas_frame_ms(batches: Sequence) -> float:
    copies = _fresh_copies(batches)
    started = _clock()
    for batch in copies:
        _ = batch.requests
    return (_clock() - started) * 1000.0 / max(len(copies), 1)


@dataclass(frozen=True)
class _MemoryJob:
    scenario: dict
    specs: tuple[str, ...]


def _memory_run(job: _MemoryJob) -> tuple[int, int, float, float]:
    """In a fresh process: simulate and stream through the zoo; (requests, accounts,
    peak RSS MB, baseline RSS MB)."""
    from detectors.registry import build
    from simulator.world import World

    def rss(field_name: str) -> float:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name):
                    return int(line.split()[1]) / 1024
        return float("nan")

    scenario = Scenario.model_validate(job.scenario)
    zoo = [build(spec) for spec in job.specs]
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # reset the peak to the current size
    except OSError:
        pass
    baseline = rss("VmRSS:")
    world = World(scenario)
    requests = 0
    for traffic in world.ticks():
        requests += len(traffic.batch)
        for detector in zoo:
            detector.update(traffic.batch)
    return requests, len(world.registry), rss("VmHWM:"), baseline


def peak_memory(config: PerfConfig, specs: Sequence[str]) -> list[MemoryPoint]:
    """Peak resident memory of a passive run through the zoo at each of
    ``config.memory_durations`` (each in a fresh process; Linux only, else empty)."""
    if platform.system() != "Linux":
        return []
    points = []
    context = multiprocessing.get_context("spawn")
    for duration in config.memory_durations:
        scenario = config.resolved(duration=duration, scale=config.memory_scale)
        job = _MemoryJob(scenario.model_dump(mode="json"), tuple(specs))
        with context.Pool(1) as pool:
            requests, accounts, peak, baseline = pool.apply(_memory_run, (job,))
        points.append(MemoryPoint(duration, requests, accounts, peak, baseline))
    return points


def measure(config: PerfConfig, *, memory: bool = True, progress: Progress | None = None) -> PerfReport:
    """Every figure of :class:`PerfReport`, in one process (memory in child processes)."""
    from detectors.registry import names

    def step(text: str) -> None:
        if progress is not None:
            progress(text)

    specs = list(config.detectors) or names()
    scenario = config.resolved()
    step("references: bare SimPy, numpy")
    simpy_rate = simpy_reference()
    numpy_rate = numpy_reference()
    step(f"simulating {scenario.name} (scale {config.scale:g}) with Parquet output")
    requests, accounts, seconds = simulation_rate(scenario)
    step("per-tick overhead of an almost empty world")
    overhead = tick_overhead(scenario, config.overhead_ticks)
    step("recording the batches for the detectors")
    batches = record_batches(scenario)
    pandas_ms = _pandas_frame_ms(batches)
    step(f"detectors: {', '.join(specs)}, alone and together")
    rates, zoo = detector_rates(batches, specs)
    del batches
    step("one passive benchmark cell of the same world (every detector, with and without the reference rows)")
    cell = benchmark_cell(scenario, specs)
    points: list[MemoryPoint] = []
    if memory:
        step("peak memory at two sizes (fresh processes)")
        points = peak_memory(config, specs)
    return PerfReport(
        machine={
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
            "cpus": multiprocessing.cpu_count(),
        },
        simpy_events_per_s=simpy_rate,
        numpy_elements_per_s=numpy_rate,
        scenario=scenario.name,
        scale=config.scale,
        duration=float(scenario.duration),
        tick=float(scenario.tick),
        requests=requests,
        ticks=scenario.n_ticks,
        accounts=accounts,
        simulation_seconds=seconds,
        tick_overhead_ms=overhead,
        pandas_frame_ms=pandas_ms,
        detectors=tuple(rates),
        zoo=zoo,
        cell=cell,
        memory=tuple(points),
    )
