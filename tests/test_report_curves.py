"""The curves behind the plots, the figure style and sweep detection: pure functions."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from sklearn.metrics import average_precision_score

from simulator.report.curves import kaplan_meier, precision_recall, threshold_sweep
from simulator.report.style import detector_order, detector_styles, time_unit
from simulator.report.sweeps import find_sweeps


def test_without_censoring_kaplan_meier_is_the_share_not_yet_detected() -> None:
    times, share = kaplan_meier([30.0, 10.0, 20.0, 20.0], [True, True, True, True])
    assert times.tolist() == [0.0, 10.0, 20.0, 30.0]
    assert share.tolist() == [1.0, 0.75, 0.25, 0.0]


def test_censored_subjects_leave_the_risk_set_without_lowering_the_curve() -> None:
    # one detection at 5 among 4; two censored at 6 and 7; the last detected at 8 alone
    times, share = kaplan_meier([5.0, 6.0, 7.0, 8.0], [True, False, False, True])
    assert times.tolist() == [0.0, 5.0, 8.0]
    assert share.tolist() == pytest.approx([1.0, 0.75, 0.0])
    # nothing detected: the curve stays at 1 (a detector that misses)
    assert kaplan_meier([5.0, 9.0], [False, False])[1].tolist() == [1.0]


def test_the_area_under_the_precision_recall_steps_is_the_average_precision() -> None:
    rng = np.random.default_rng(4)
    truth = rng.random(300) < 0.2
    score = np.clip(rng.normal(0.4 + 0.3 * truth, 0.2), 0, 1).round(2)  # ties on purpose
    recall, precision = precision_recall(truth, score)
    area = float(np.sum((recall[:-1] - recall[1:]) * precision[:-1]))
    assert area == pytest.approx(average_precision_score(truth, score))
    assert precision_recall([True, True], [0.1, 0.2])[0].size == 0  # one class only: no curve


def test_a_lower_threshold_catches_more_attackers_and_flags_more_customers() -> None:
    rng = np.random.default_rng(5)
    truth = rng.random(400) < 0.3
    score = np.where(rng.random(400) < 0.1, 0.0, rng.random(400))
    sweep = threshold_sweep(truth, score, runs=2)
    assert (np.diff(sweep.threshold) < 0).all() and (sweep.threshold > 0).all()
    assert (np.diff(sweep.recall) >= 0).all() and (np.diff(sweep.flagged) >= 0).all()
    # at the lowest positive threshold: every attacker and customer scored above 0
    assert sweep.recall[-1] == pytest.approx(np.mean(score[truth] > 0))
    assert sweep.flagged[-1] == pytest.approx(np.sum(score[~truth] > 0) / 2)


def test_baselines_are_grey_and_dashed_and_fifteen_detectors_get_distinct_colours() -> None:
    labels = ["null", *(f"d{i}" for i in range(15)), "random", "periodic"]
    styles = detector_styles(labels)
    assert detector_order(labels)[-3:] == ["null", "random", "periodic"]
    baselines = [styles[name] for name in ("null", "random", "periodic")]
    assert all(s.baseline and s.dashes != "-" for s in baselines)
    assert len({s.dashes for s in baselines}) == 3
    assert all(np.ptp(to_rgb(s.colour)) < 1e-9 for s in baselines)  # grey: r = g = b
    colours = [styles[f"d{i}"].colour for i in range(15)]
    assert len(set(colours)) == 15 and all(styles[f"d{i}"].dashes == "-" for i in range(15))
    assert all(c not in colours for c in (s.colour for s in baselines))


@pytest.mark.parametrize(("span", "unit"), [(7200.0, "min"), (86400.0, "h"), (2 * 86400.0, "h"), (14 * 86400.0, "d")])
def test_times_are_shown_in_a_unit_that_suits_the_run(span: float, unit: str) -> None:
    assert time_unit(span)[1] == unit


def test_a_sweep_is_labels_of_one_class_differing_in_one_parameter() -> None:
    plan = [
        {"label": "w5", "class": "m:Burst", "params": {"window": 5, "k": 2}},
        {"label": "w50", "class": "m:Burst", "params": {"window": 50, "k": 2}},
        {"label": "w10", "class": "m:Burst", "params": {"window": 10, "k": 2}},
        {"label": "two", "class": "m:Other", "params": {"a": 1, "b": 1}},
        {"label": "apart", "class": "m:Other", "params": {"a": 2, "b": 2}},
        {"label": "periodic", "class": "m:Periodic", "params": {"every": 60, "seed": "<run seed>"}},
        {"label": "p20", "class": "m:Periodic", "params": {"every": 20, "seed": 0}},
        {"label": "null", "class": "m:Null", "params": {}},
    ]
    sweeps = {s.cls: s for s in find_sweeps(plan)}
    assert set(sweeps) == {"m:Burst", "m:Periodic"}  # m:Other differs in two parameters
    assert sweeps["m:Burst"].parameter == "window" and sweeps["m:Burst"].numeric
    assert [label for _, label in sweeps["m:Burst"].points] == ["w5", "w50", "w10"]
    assert sweeps["m:Periodic"].parameter == "every"  # the run's seed is not a swept parameter
