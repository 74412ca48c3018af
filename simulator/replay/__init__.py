"""Replaying real API logs through the detectors (``extractbench replay``).

One module per step: :mod:`~simulator.replay.formats` (reading JSONL, CSV, Parquet in
chunks, gzip too), :mod:`~simulator.replay.mapping` (the mapping file),
:mod:`~simulator.replay.timestamps`, :mod:`~simulator.replay.normalise` (a chunk onto
the visible schema), :mod:`~simulator.replay.derive` (fingerprints and classifier
labels from raw text), :mod:`~simulator.replay.badrows`, :mod:`~simulator.replay.ticking`
(a bounded sorting window and ticks), :mod:`~simulator.replay.accounts`,
:mod:`~simulator.replay.labels`, :mod:`~simulator.replay.needs` (which columns each
detector reads), :mod:`~simulator.replay.engine` (the run) and
:mod:`~simulator.replay.folder` (the results folder). See ``docs/replay.md``.
"""

from simulator.replay.badrows import BadRows
from simulator.replay.engine import ReplayInput, ReplayRun, replay_logs
from simulator.replay.folder import write_folder
from simulator.replay.formats import LogFormatError
from simulator.replay.mapping import EXAMPLE_MAPPING, MappingError, ReplayMapping, load_mapping, mapping_from_pairs
from simulator.replay.ticking import NotInOrderError

__all__ = [
    "EXAMPLE_MAPPING",
    "BadRows",
    "LogFormatError",
    "MappingError",
    "NotInOrderError",
    "ReplayInput",
    "ReplayMapping",
    "ReplayRun",
    "load_mapping",
    "mapping_from_pairs",
    "replay_logs",
    "write_folder",
]
