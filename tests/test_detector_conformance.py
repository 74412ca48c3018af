"""Every registered detector passes the conformance suite, and the suite catches what it should."""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from detectors.base import Detector, scores_series
from detectors.registry import names
from detectors.testing import make_accounts, make_batch
from simulator import conformance
from simulator.conformance import parametrize_with_checks


@parametrize_with_checks(names())
def test_every_registered_detector_conforms(detector, check) -> None:
    check(detector)


@pytest.fixture
def tiny_stream(monkeypatch: pytest.MonkeyPatch) -> tuple:
    """A private hand-made stream, so that a misbehaving detector cannot spoil the shared one."""
    batches = tuple(
        make_batch(
            k,
            accounts=make_accounts(account_id=["a", "b"]) if k == 0 else None,
            account_id=["a", "b", "a"],
            ts=[k * 60.0 + 1, k * 60.0 + 2, k * 60.0 + 3],
        )
        for k in range(12)
    )
    monkeypatch.setattr(conformance, "reference_stream", lambda: batches)
    monkeypatch.setattr(conformance, "_registry_digests", functools.cache(conformance._registry_digests.__wrapped__))
    monkeypatch.setattr(conformance, "_OBSERVATIONS", {})
    return batches


def module_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    monkeypatch.setitem(sys.modules, name, module)  # forgotten again after the test
    return module


class Constant(Detector):
    """Scores everyone it sees 0.5."""

    def __init__(self, value: float = 0.5) -> None:
        self.value = value

    def update(self, batch):
        ids = batch.requests["account_id"].unique()
        return scores_series(ids, np.full(len(ids), self.value)) if len(ids) else None


def test_a_well_behaved_detector_passes(tiny_stream, tmp_path, monkeypatch) -> None:
    # copied to a module of its own: this test module quotes ground-truth names on purpose
    source = "import numpy as np\nfrom detectors.base import Detector, scores_series\n\n" + inspect.getsource(Constant)
    module = module_with(tmp_path, monkeypatch, "constant_detector", source)
    conformance.run_checks(module.Constant())


def test_scores_outside_the_unit_interval_fail(tiny_stream) -> None:
    with pytest.raises(AssertionError, match="scores outside \\[0, 1\\]"):
        conformance.check_valid_scores(Constant(value=1.5))


def test_unseeded_randomness_fails_determinism(tiny_stream) -> None:
    class Noisy(Constant):
        def update(self, batch):
            ids = batch.requests["account_id"].unique()
            return scores_series(ids, np.random.default_rng().random(len(ids)))

    with pytest.raises(AssertionError, match="scores at tick 0"):
        conformance.check_determinism(Noisy())


def test_modifying_the_batch_fails(tiny_stream) -> None:
    class Meddler(Constant):
        def update(self, batch):
            batch.requests["turn"] += 1
            return super().update(batch)

    with pytest.raises(AssertionError, match="modified the requests frame at tick 0"):
        conformance.check_batch_untouched(Meddler())


def test_importing_the_registry_or_naming_labels_fails(tiny_stream, tmp_path, monkeypatch) -> None:
    leaky = module_with(
        tmp_path,
        monkeypatch,
        "leaky_detector",
        """
        from detectors.base import Detector
        from simulator.registry import Registry

        class Leaky(Detector):
            def __init__(self):
                pass

            def update(self, batch):
                return getattr(batch, "is_attacker", None)
        """,
    )
    with pytest.raises(AssertionError, match=r"imports simulator.registry.*mentions 'is_attacker'"):
        conformance.check_no_labels(leaky.Leaky())


def test_holding_hidden_traffic_fails(tiny_stream, tmp_path, monkeypatch) -> None:
    hoarder = module_with(
        tmp_path,
        monkeypatch,
        "hoarding_detector",
        """
        import numpy as np
        from detectors.base import Detector
        from simulator.traffic import TickTraffic

        class Hoarder(Detector):
            def __init__(self):
                pass

            def update(self, batch):
                self.kept_ = TickTraffic(batch, np.zeros(0), np.zeros(0))
        """,
    )
    with pytest.raises(AssertionError, match="holds a TickTraffic"):
        conformance.check_no_labels(hoarder.Hoarder())


def test_accepting_any_parameter_fails(tiny_stream) -> None:
    class Lenient(Constant):
        def __init__(self, value: float = 0.5, **extra) -> None:
            self.value = value

    with pytest.raises(AssertionError, match="accepted an unknown parameter"):
        conformance.check_unknown_parameter(Lenient())


def test_nothing_in_the_detectors_package_names_ground_truth_or_imports_the_harness() -> None:
    # what a provider's logs contain is all the detectors package may speak of, even in its docstrings
    package = Path(importlib.import_module("detectors").__file__).parent
    for path in sorted(package.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        named = [name for name in conformance.FORBIDDEN_NAMES if name in text]
        imported = [module for module in conformance.FORBIDDEN_MODULES if module in text]
        assert not named and not imported, (path.name, named, imported)
