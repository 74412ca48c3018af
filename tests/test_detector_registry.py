"""Finding and configuring detectors by name; the baselines."""

from __future__ import annotations

import pandas as pd
import pytest

from detectors import ParameterError, PeriodicDetector, RandomDetector, UnknownDetectorError, build, resolve
from detectors.base import Detector, Interval
from detectors.testing import make_batch


def batch(tick: int, accounts: list[str]):
    return make_batch(tick, account_id=accounts)


def test_an_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownDetectorError, match=r"Unknown detector 'randon'\. Did you mean 'random'\?.*null"):
        resolve("randon")


def test_a_module_class_path_is_accepted() -> None:
    assert resolve("detectors.baselines:NullDetector").cls.__name__ == "NullDetector"
    with pytest.raises(UnknownDetectorError, match="has no attribute"):
        resolve("detectors.baselines:Nope")


def test_an_unknown_parameter_is_rejected_with_the_valid_ones() -> None:
    with pytest.raises(
        ParameterError, match=r"unknown parameter 'evry'\. Did you mean 'every'\?.*every, accounts, seed"
    ):
        build("periodic", evry=5)


def test_a_value_outside_its_constraint_gets_one_message_shape() -> None:
    with pytest.raises(
        ParameterError,
        match=r"The 'every' parameter of PeriodicDetector must be an int in the range "
        r"\[1, inf\)\. Got 0 instead\.",
    ):
        build("periodic", every=0)


def test_a_spec_carries_parameters_in_brackets() -> None:
    detector = build("periodic(every=7, accounts=2)")
    assert detector.get_params() | {"every": 7, "accounts": 2} == detector.get_params()
    assert build("detectors.baselines:PeriodicDetector( every = 4 )").get_params()["every"] == 4
    assert build("ensemble(members=[rate, capability])").members == ("rate", "capability")
    assert build("periodic(every=7)", every=9).get_params()["every"] == 9  # keywords override the spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("periodic(evry=5)", r"unknown parameter 'evry'\. Did you mean 'every'\?"),
        ("periodic(every=0)", r"The 'every' parameter of PeriodicDetector must be an int"),
        ("periodic(5)", r"In 'periodic\(5\)': expected 'param=value', got '5'"),
        ("periodic(every=1, every=2)", r"parameter 'every' given twice"),
        ("periodic(every=[1)", r"cannot read the value of 'every'"),
        ("periodic(every=1", r"Expected a detector name or 'name\(param=value, \.\.\.\)'"),
        ("perodic(every=1)", r"Unknown detector 'perodic'\. Did you mean 'periodic'\?"),
    ],
)
def test_a_bad_spec_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises((ParameterError, UnknownDetectorError), match=message):
        build(spec)


def test_clone_and_repr_show_the_configuration() -> None:
    detector = build("periodic", every=5, seed=3)
    assert repr(detector) == "PeriodicDetector(every=5, seed=3)"
    twin = detector.clone()
    assert twin is not detector and twin.get_params() == detector.get_params()


def test_the_random_baseline_scores_each_account_once_reproducibly() -> None:
    a, b = RandomDetector(seed=1), RandomDetector(seed=1)
    first = a.update(batch(0, ["x", "y", "x"]))
    assert list(first.index) == ["x", "y"] and ((first >= 0) & (first <= 1)).all()
    pd.testing.assert_series_equal(first, b.update(batch(0, ["x", "y"])))
    assert a.update(batch(1, ["x"])) is None


def test_the_periodic_baseline_flags_every_k_ticks() -> None:
    detector = PeriodicDetector(every=3, accounts=2, seed=0)
    flagged = [detector.update(batch(k, ["a", "b", "c", "d"])) for k in range(6)]
    assert [s is None for s in flagged] == [True, True, False, True, True, False]
    assert set(flagged[2].index) | set(flagged[5].index) == {"a", "b", "c", "d"}
    assert (flagged[2] == 1).all()


def test_interval_constraints_describe_themselves() -> None:
    assert str(Interval(float, 0.0, 1.0, closed="both")) == "a float in the range [0, 1]"
    assert not Interval(int, 1, None).accepts(True)


def test_a_detector_must_implement_update() -> None:
    class Incomplete(Detector):
        pass

    with pytest.raises(TypeError):
        Incomplete()
