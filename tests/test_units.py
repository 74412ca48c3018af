from __future__ import annotations

import pytest

from simulator.units import format_duration, parse_count, parse_duration, parse_rate


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1.5h", 5400), ("7d", 604800), ("2w", 1209600), (30, 30), ("250ms", 0.25)],
)
def test_durations_are_parsed_into_seconds(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("60/min", 1.0), ("1.2M/day", 1.2e6 / 86400), ("300/5m", 1.0), ("3600/h", 1.0), (2, 2.0), ("50k/min", 50e3 / 60)],
)
def test_rates_are_parsed_into_events_per_second(text: object, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


def test_counts_take_si_suffixes() -> None:
    assert parse_count("30k") == 30_000
    assert parse_count("1.2M") == 1_200_000


@pytest.mark.parametrize("bad", ["abc", "7 parsecs", "-3s", True, None, "nan", [1]])
def test_a_bad_duration_says_what_was_expected_and_what_was_given(bad: object) -> None:
    with pytest.raises(ValueError, match=r"duration .*got"):
        parse_duration(bad)


@pytest.mark.parametrize("bad", ["fast", "10/parsec", "1/0s"])
def test_a_bad_rate_names_the_accepted_forms(bad: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(bad)


def test_durations_format_back_to_their_shortest_spelling() -> None:
    assert format_duration(604800) == "1w"
    assert format_duration(5400) == "90m"
    assert format_duration(-86400 * 3) == "-3d"
    assert parse_duration(format_duration(12345.0)) == 12345.0
