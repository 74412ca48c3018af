"""An ensemble reuses the scores of identical detectors run beside it, and only then."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from detectors.ensemble import Ensemble
from detectors.rate import RateSaturation
from detectors.registry import build
from detectors.sharing import StaleMemberError
from simulator.conformance import reference_stream

MEMBERS = ("rate", "capability", "lockstep")


def fresh_stream() -> list:
    return [dataclasses.replace(batch) for batch in reference_stream()]


def scores_of(results: list) -> list:
    return [None if s is None or s.empty else s.sort_index() for s in results]


def assert_same(a: list, b: list) -> None:
    for x, y in zip(scores_of(a), scores_of(b), strict=True):
        assert (x is None) == (y is None)
        if x is not None:
            pd.testing.assert_series_equal(x, y)


@pytest.fixture(scope="module")
def alone() -> list:
    ensemble = Ensemble(members=MEMBERS)
    return [ensemble.update(batch) for batch in fresh_stream()]


def test_an_ensemble_beside_its_members_reuses_their_scores_bit_for_bit(alone: list) -> None:
    zoo = [build(name) for name in MEMBERS]
    ensemble = Ensemble(members=MEMBERS)
    beside = []
    for batch in fresh_stream():
        for detector in zoo:
            detector.update(batch)
        beside.append(ensemble.update(batch))
    assert_same(alone, beside)
    assert all("source_" in vars(member) for member in ensemble.members_)  # followers: they computed nothing


def test_a_member_goes_on_alone_when_its_twin_is_dropped(alone: list) -> None:
    zoo = [build(name) for name in MEMBERS]
    ensemble = Ensemble(members=MEMBERS)
    beside = []
    for tick, batch in enumerate(fresh_stream()):
        for detector in zoo if tick < 60 else zoo[1:]:  # the harness drops "rate" at tick 60
            detector.update(batch)
        beside.append(ensemble.update(batch))
    assert_same(alone, beside)
    assert "source_" not in vars(ensemble.members_[0])


def test_a_twin_that_runs_ahead_is_not_followed(alone: list) -> None:
    stream = fresh_stream()
    ahead = build("rate")
    for batch in stream:  # scores recorded on every batch, but by a detector already past them
        ahead.update(batch)
    ensemble = Ensemble(members=MEMBERS)
    results = [ensemble.update(batch) for batch in stream[:-1]]
    assert not any("source_" in vars(member) for member in ensemble.members_)
    results.append(ensemble.update(stream[-1]))  # on the last batch the two are in step again
    assert_same(alone, results)


def test_a_member_cannot_go_on_from_a_twin_that_failed() -> None:
    stream = fresh_stream()
    twin, ensemble = RateSaturation(), Ensemble(members=("rate",))
    for batch in stream[:30]:
        twin.update(batch)
        ensemble.update(batch)
    twin.failed_ = True  # as after an update that raised
    with pytest.raises(StaleMemberError, match="cannot go on alone"):
        ensemble.update(stream[30])


def test_shared_arrays_are_read_only() -> None:
    batch = fresh_stream()[100]
    RateSaturation().update(batch)
    from detectors.view import view

    shared = view(batch)
    for array in (shared.column("ts"), shared.account_of_row, shared.account_sum("requests"), shared.string_hash("ip")):
        with pytest.raises(ValueError):
            array[:1] = 0
        with pytest.raises(ValueError):
            array.flags.writeable = True
    assert np.isfinite(shared.column("ts")).all()


def test_seeded_members_take_the_ensembles_seed_so_a_seeded_run_shares_them() -> None:
    members = ("lockstep", "isolation-forest(n_estimators=10)", "isolation-forest(n_estimators=10, seed=3)")
    ensemble = Ensemble(members=members, seed=7)
    ensemble._start()
    assert [m.seed for m in ensemble.members_] == [7, 7, 3]
    zoo = [build("isolation-forest(n_estimators=10)", seed=7), build("isolation-forest(n_estimators=10)", seed=3)]
    for batch in fresh_stream():
        for detector in zoo:
            detector.update(batch)
        ensemble.update(batch)
    assert ["source_" in vars(m) for m in ensemble.members_[1:]] == [True, True]
