"""Audits of commercial organisations at work.

At the end of every tick, each organisation with at least ``min_accounts`` accounts
(registry rows: visible) that was never audited is drawn with probability
``1 − (1 − rate)^(tick / day)``, in a fixed order, while fewer than ``capacity``
audits are open. An audit ends ``duration`` later with a finding drawn with
probability

    P(find) = 1 − Π_c (1 − sensitivity · (1 − conceal_c))

over the campaigns ``c`` with accounts in the organisation (``conceal_c``: what the
campaign hides, its ``adaptation.on_audit.conceal``), or ``false_finding`` for an
organisation without any. An audit is an investigation outside the logs
(contracts, invoices, interviews), which is why its outcome depends on what the
organisation really does; whom to audit is chosen from visible sizes only. A
finding closes the organisation: every account in it is banned (reason ``audit``),
its legitimate end customers included.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulator.bench.defences.specs import Audit
from simulator.registry import Registry
from simulator.units import DAY

__all__ = ["Audits", "FindingChance"]

FindingChance = Callable[[int], float]
"""The chance an audit of an organisation (registry code) finds a violation."""


class Audits:
    """Open audits, their ends, and the organisations they closed."""

    def __init__(self, spec: Audit, registry: Registry, chance: FindingChance, rng: np.random.Generator) -> None:
        self.spec = spec
        self.registry = registry
        self.chance = chance
        self.rng = rng
        self.audited: set[int] = set()
        self.open: dict[int, float] = {}
        """Organisation code → when its audit ends (s)."""
        self.closed: list[tuple[int, float]] = []
        """(organisation, time) of every finding."""

    def step(self, now: float, tick_seconds: float) -> list[int]:
        """Finish the audits due by ``now`` and open new ones; returns the organisations closed now."""
        closed = []
        for org, end in sorted(self.open.items()):
            if end <= now:
                del self.open[org]
                if self.rng.random() < self.chance(org):
                    closed.append(org)
                    self.closed.append((org, now))
        room = self.spec.capacity - len(self.open)
        if room > 0:
            sizes = np.bincount(self.registry.visible.column("org")[: len(self.registry)])
            eligible = [org for org in np.flatnonzero(sizes >= self.spec.min_accounts).tolist()]
            eligible = [org for org in eligible if org not in self.audited]
            p = 1 - (1 - self.spec.rate) ** (tick_seconds / DAY)
            drawn = np.asarray(eligible)[self.rng.random(len(eligible)) < p] if eligible else np.empty(0, int)
            for org in drawn[:room].tolist():
                self.audited.add(org)
                self.open[org] = now + float(self.spec.duration)
        return closed

    def accounts_of(self, orgs: list[int]) -> np.ndarray:
        """Codes of every account in ``orgs``."""
        column = self.registry.visible.column("org")[: len(self.registry)]
        return np.flatnonzero(np.isin(column, orgs))
