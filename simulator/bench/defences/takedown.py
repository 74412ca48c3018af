"""Linked-account takedown at work: which accounts a confirmed alarm links to.

Two accounts are linked when they share a value of one of the spec's ``links``:

* ``payment``, ``email_domain``: the registry's sign-up rows;
* ``ip``, ``subnet`` (/24), ``client`` (client fingerprint): values seen in the
  account's traffic, at most ``per_account`` distinct values of each per account
  (the first seen: memory grows with accounts, not requests).

A value shared by more than ``max_group`` accounts is too common to be evidence
(a webmail domain, a carrier's CGNAT address, a university's NAT, a popular SDK)
and links nobody; values shared by fewer still link customers that share them with
an attacker (a reseller's servers and card, a small office's address): that is the
takedown's collateral. Links are followed one hop from the confirmed account.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from simulator.bench.defences.specs import Takedown
from simulator.registry import Registry
from simulator.traffic import TickTraffic

__all__ = ["LinkIndex"]

_TRAFFIC = {"ip": "ip", "subnet": "subnet", "client": "client_fingerprint"}
_REGISTRY = {"payment": "payment_fingerprint", "email_domain": "email_domain"}


class LinkIndex:
    """The accounts behind each linking value, and the values of each account."""

    def __init__(self, spec: Takedown, registry: Registry) -> None:
        self.spec = spec
        self.registry = registry
        self._traffic = [kind for kind in spec.links if kind in _TRAFFIC]
        self._members: dict[str, dict[int, set[int]]] = {kind: defaultdict(set) for kind in self._traffic}
        self._values: dict[str, dict[int, list[int]]] = {kind: defaultdict(list) for kind in self._traffic}

    def observe(self, traffic: TickTraffic) -> None:
        """Remember the addresses and clients each account sent from in this tick."""
        codes = traffic.account_codes
        if codes.size == 0 or not self._traffic:
            return
        cap = self.spec.per_account
        for kind in self._traffic:
            hashes = np.asarray(traffic.batch.text_hashes[_TRAFFIC[kind]]).astype(np.int64, copy=False)
            pairs = np.unique(np.stack([codes, hashes], axis=1), axis=0)
            members, values = self._members[kind], self._values[kind]
            for code, value in pairs.tolist():
                seen = values[code]
                if len(seen) >= cap or value in seen:
                    continue
                seen.append(value)
                members[value].add(code)

    def linked(self, codes: np.ndarray) -> np.ndarray:
        """Codes of the accounts linked to any of ``codes`` (themselves excluded), sorted."""
        found: set[int] = set()
        limit = self.spec.max_group
        n = len(self.registry)
        for kind in self.spec.links:
            if kind in _REGISTRY:
                column = self.registry.visible.column(_REGISTRY[kind])[:n]
                for value in set(column[codes].tolist()):
                    group = np.flatnonzero(column == value)
                    if group.size <= limit:
                        found.update(group.tolist())
            else:
                members, values = self._members[kind], self._values[kind]
                for code in codes.tolist():
                    for value in values.get(code, ()):
                        group = members[value]
                        if len(group) <= limit:
                            found.update(group)
        found.difference_update(codes.tolist())
        return np.array(sorted(found), dtype=np.int64)
