"""The separability audit: can attackers be told apart without modelling extraction?

Only :mod:`~simulator.audit.signals` is imported eagerly (the scenario schema
imports it).
"""

from __future__ import annotations

from simulator.audit.signals import SIGNALS

__all__ = ["SIGNALS"]
