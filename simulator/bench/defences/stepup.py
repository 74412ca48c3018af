"""Step-up verification at work: who is asked to verify, and when.

At the end of every tick, an account is asked (``Gateway.verify``: 403 from the
next tick until its owner passes) when all of these hold:

* it was not verified at sign-up (the registry's ``verified``) and was never asked;
* it is not banned;
* one trigger fired: its tier index is at least ``tier`` (tiers are reviewed by the
  gateway from age and spend), it has sent at least ``requests`` requests (every
  status), or the detector's maximum score reached ``score``.

Owners answer through the gateway's announcement: customers pass after a log-normal
delay or abandon (:meth:`simulator.actor.Actor.on_enforcement`); campaigns as their
``adaptation.on_verify`` says.
"""

from __future__ import annotations

import numpy as np

from simulator.bench.defences.specs import StepUp
from simulator.gateway import Gateway
from simulator.registry import Registry

__all__ = ["StepUpPolicy"]


class StepUpPolicy:
    """The accounts a :class:`~simulator.bench.defences.specs.StepUp` asks to verify."""

    def __init__(self, spec: StepUp, gateway: Gateway, registry: Registry) -> None:
        self.spec = spec
        self.gateway = gateway
        self.registry = registry
        self.asked_ts = np.full(0, np.nan)
        """When each account (by registry code) was asked (s; NaN: never)."""

    def due(self, requests: np.ndarray, peak: np.ndarray) -> np.ndarray:
        """Codes of the accounts to ask now, given per-code request counts and maximum scores
        (both at least as long as the registry)."""
        n = len(self.registry)
        codes = np.arange(n)
        banned = self.gateway.is_banned(codes)
        if self.asked_ts.size < n:
            self.asked_ts = np.r_[self.asked_ts, np.full(n - self.asked_ts.size, np.nan)]
        spec = self.spec
        fired = np.zeros(n, dtype=bool)
        if spec.tier is not None:
            fired |= self.gateway.accounts.tier[:n] >= spec.tier
        if spec.requests is not None:
            fired |= requests[:n] >= spec.requests
        if spec.score is not None:
            fired |= peak[:n] >= spec.score
        verified = self.registry.visible.column("verified")[:n]
        return np.flatnonzero(fired & ~verified & ~banned & np.isnan(self.asked_ts))

    def ask(self, requests: np.ndarray, peak: np.ndarray, now: float) -> np.ndarray:
        """Ask the :meth:`due` accounts to verify; returns the codes asked."""
        codes = self.due(requests, peak)
        if codes.size:
            asked = self.gateway.verify(codes, float(self.spec.delay), self.spec.abandon)
            self.asked_ts[asked] = now
            return asked
        return codes
