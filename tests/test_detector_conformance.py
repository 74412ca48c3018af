"""Every registered detector passes the conformance suite."""

from __future__ import annotations

from detectors.conformance import parametrize_with_checks
from detectors.registry import names


@parametrize_with_checks(names())
def test_every_registered_detector_conforms(detector, check) -> None:
    check(detector)
