"""Calibration of the legitimate population against public LLM-serving traces.

:mod:`~simulator.calibration.traces` reads the trace formats,
:mod:`~simulator.calibration.statistics` holds the comparison statistics,
:mod:`~simulator.calibration.fitting` fits the archetype parameters the traces
determine, :mod:`~simulator.calibration.compare` sets simulated against real,
:mod:`~simulator.calibration.figure` draws it and :mod:`~simulator.calibration.run`
writes the report of ``extractbench calibrate``.
"""

from __future__ import annotations

from simulator.calibration.compare import Comparison, SimulatedSample, compare, markdown_table, simulate_sample
from simulator.calibration.fitting import TraceFit, fit_traces, schema_defaults
from simulator.calibration.run import CalibrationReport, run_calibration
from simulator.calibration.traces import TraceError, TraceSet

__all__ = [
    "CalibrationReport",
    "Comparison",
    "SimulatedSample",
    "TraceError",
    "TraceFit",
    "TraceSet",
    "compare",
    "fit_traces",
    "markdown_table",
    "run_calibration",
    "schema_defaults",
    "simulate_sample",
]
