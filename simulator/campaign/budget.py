"""Budget at work: what a campaign has spent, by category, and what it can still afford
(the spec is :class:`simulator.scenario.campaign.budget.Budget`).

Costs, in USD:

* ``accounts``: ``per_account`` for every account created or bought;
* ``proxies``: ``per_proxy_ip`` per exit address of the pool per day;
* ``tokens``: tokens served at the list price × ``token_price`` × the access
  route's factor (a reseller's discount), charged as responses arrive;
* ``seeding``: prepaid spend bought to climb tiers;
* ``challenges``: each challenge solved;
* ``verification``: each verified identity tried at a step-up verification;
* ``laundering``: paraphrasing outputs against watermarks.

When ``total`` is spent the campaign stops; before, each planning step sends no
more requests than the remainder can pay for at the expected cost per request
(binomial thinning), and enlisting is capped by ``per_account``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.scenario.campaign.budget import Budget

__all__ = ["CATEGORIES", "Ledger"]

CATEGORIES = ("accounts", "proxies", "tokens", "seeding", "challenges", "verification", "laundering")


@dataclass
class Ledger:
    """Money spent so far, by category."""

    budget: Budget
    spent: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0.0))

    @property
    def total_spent(self) -> float:
        return float(sum(self.spent.values()))

    @property
    def remaining(self) -> float:
        total = self.budget.total
        return np.inf if total is None else max(total - self.total_spent, 0.0)

    @property
    def exhausted(self) -> bool:
        return self.budget.total is not None and self.remaining <= 0

    def charge(self, category: str, amount: float) -> None:
        self.spent[category] += float(amount)

    def affordable(self, unit_cost: float, n: int) -> int:
        """How many of ``n`` items at ``unit_cost`` the remainder pays for."""
        if unit_cost <= 0 or self.budget.total is None:
            return n
        return int(min(n, self.remaining // unit_cost))

    def thin(self, rng: np.random.Generator, counts: np.ndarray, unit_cost: float) -> np.ndarray:
        """``counts`` thinned so that their expected cost fits the remainder."""
        wanted = float(counts.sum()) * unit_cost
        if self.budget.total is None or wanted <= self.remaining or wanted == 0:
            return counts
        return rng.binomial(counts, self.remaining / wanted)
