"""The reseller group at work (spec: :mod:`simulator.scenario.population.reseller`):
end customers spread over the reseller's organisations with Zipf-like sizes (the
first the largest); each organisation gets ``keys_per_org`` shared keys
registered to its first account (the reseller's service account),
``servers_per_org`` egress addresses in one /24 network and one client install.
Traffic is session-based, as for the other interactive groups.

Contract with campaigns: :meth:`ResellerGroup.org_codes`,
:meth:`ResellerGroup.shared_keys` and the read-only :meth:`~ResellerGroup.servers`,
:meth:`~ResellerGroup.client` and :meth:`~ResellerGroup.card` of an organisation
work as soon as :meth:`~ResellerGroup.setup` has run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.network import AsnKind
from simulator.population.interactive import InteractiveGroup
from simulator.scenario.population import Resellers
from simulator.vocabulary import ACCESS_PATHWAYS

__all__ = ["ResellerGroup"]


class ResellerGroup(InteractiveGroup):
    """The actor of a :class:`Resellers` group."""

    def __init__(self, config: Any, name: str, index: int, ctx: Any) -> None:
        super().__init__(config, name, index, ctx)
        self._orgs = np.empty(0, dtype=np.int64)
        self._keys: dict[int, np.ndarray] = {}

    # -- contract with campaigns ---------------------------------------------------------

    def org_codes(self) -> np.ndarray:
        """Registry codes of the reseller's organisations."""
        return self._orgs.copy()

    def shared_keys(self, org_code: int) -> np.ndarray:
        """Registry key codes of the shared API keys (pathway ``reseller``) that
        organisation ``org_code`` routes its end customers' traffic through."""
        try:
            return self._keys[int(org_code)].copy()
        except KeyError:
            raise KeyError(
                f"Organisation {org_code} is not one of reseller {self.name!r}'s; its organisations: "
                f"{self._orgs.tolist()}"
            ) from None

    def _org_rows(self, org_code: int) -> np.ndarray:
        """Member rows of the end customers in organisation ``org_code``."""
        orgs = self.ctx.registry.visible.column("org")[self.members.column("code")]
        rows = np.flatnonzero(orgs == int(org_code))
        if rows.size == 0:
            raise KeyError(
                f"Organisation {org_code} is not one of reseller {self.name!r}'s; its organisations: "
                f"{self._orgs.tolist()}"
            )
        return rows

    def servers(self, org_code: int) -> np.ndarray:
        """IP codes of the egress addresses the end customers of ``org_code`` send from
        (the reseller's servers), sorted."""
        rows = self._org_rows(org_code)
        m = self.members
        return np.unique(np.concatenate([m.column("ip0")[rows], m.column("ip1")[rows]]))

    def client(self, org_code: int) -> int:
        """Client code of the reseller's SDK install that organisation ``org_code`` runs."""
        return int(self.members.column("client0")[self._org_rows(org_code)[0]])

    def card(self, org_code: int) -> str:
        """Payment fingerprint of organisation ``org_code`` (the reseller's card)."""
        code = self.members.column("code")[self._org_rows(org_code)[0]]
        return str(self.ctx.registry.visible.column("payment_fingerprint")[code])

    # -- account creation ----------------------------------------------------------------

    @property
    def personal_orgs(self) -> bool:
        return False

    def org_layout(self, n: int) -> np.ndarray:
        """Zipf-like organisation sizes; every organisation gets at least one account."""
        k = min(self.config.resellers, n)
        weights = 1.0 / np.arange(1, k + 1)
        org_of = self.rng.choice(k, size=n, p=weights / weights.sum())
        org_of[:k] = np.arange(k)
        return org_of

    def account_keys(self, codes: np.ndarray, org_of: np.ndarray, orgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg: Resellers = self.config
        pathway = ACCESS_PATHWAYS.index("reseller")
        key0 = np.empty(codes.size, dtype=np.int64)
        key1 = np.empty(codes.size, dtype=np.int64)
        first_member = np.unique(org_of, return_index=True)[1]
        for org, owner in enumerate(first_member.tolist()):
            keys = self.new_keys(np.full(cfg.keys_per_org, codes[owner]), np.full(cfg.keys_per_org, pathway, np.int8))
            self._keys[int(orgs[org])] = keys
            rows = np.flatnonzero(org_of == org)
            key0[rows] = keys[self.rng.integers(0, keys.size, size=rows.size)]
            key1[rows] = keys[self.rng.integers(0, keys.size, size=rows.size)]
        self._orgs = np.concatenate([self._orgs, orgs.astype(np.int64)])
        return key0, key1

    def account_network(
        self, countries: np.ndarray, home: np.ndarray, org_of: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The reseller's egress addresses and SDK install, shared by its end customers
        (wherever the reseller's servers are, whatever the end customers declared)."""
        cfg: Resellers = self.config
        rng = self.rng
        n = countries.size
        ip0 = np.empty(n, dtype=np.int64)
        ip1 = np.empty(n, dtype=np.int64)
        client = np.empty(n, dtype=np.int64)
        for org in range(int(org_of.max()) + 1):
            rows = np.flatnonzero(org_of == org)
            servers = self.ctx.network.allocate(rng, cfg.servers_per_org, AsnKind.DATACENTER, subnets=1)
            ip0[rows] = servers[rng.integers(0, servers.size, size=rows.size)]
            ip1[rows] = servers[rng.integers(0, servers.size, size=rows.size)]
            client[rows] = self.ctx.network.new_client(rng)
        return ip0, ip1, client, client
