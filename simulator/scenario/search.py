"""The red-team search space a scenario declares (``search:``): which campaign tactics an
attacker may vary, and within which bounds.

::

    search:
      - {path: "campaigns[0].accounts", low: 10, high: 400, log: true}
      - {path: "campaigns[0].load.requests_per_account", low: 20/day, high: 2k/day, log: true}
      - {path: "campaigns[0].infrastructure.rotation", choices: [request, interval, account]}

A parameter is a numeric range (``low``/``high``, in the field's units or the
scenario's: ``20/day``, ``2k``, ``6h``; whole numbers for an integer field; ``log``
for a log-uniform prior) or a list of ``choices`` (any values the field accepts,
mappings included). The block describes the search, not the world: it is left out of
every dump of the scenario, so it never changes what is simulated or a cell's key.

A parameter is checked against the schema (its path exists, its range or choices fit
the field) by :func:`simulator.scenario.schema.check_search`, which the
:class:`~simulator.scenario.schema.Scenario` runs on each entry of its ``search:``
block: the check walks the scenario schema, which holds this model.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from simulator.scenario.base import StrictModel

__all__ = ["SearchParam"]


class SearchParam(StrictModel):
    """One campaign parameter the red-team search may vary."""

    path: str = Field(min_length=1, description="Scenario parameter by dotted path, e.g. 'campaigns[0].accounts'.")
    low: float | str | None = Field(default=None, description="Smallest value of a numeric range ('20/day', '2k').")
    high: float | str | None = Field(default=None, description="Largest value of a numeric range.")
    log: bool = Field(default=False, description="Log-uniform over the range (low > 0).")
    choices: list[Any] | None = Field(default=None, min_length=1, description="The values to choose among.")
