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
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from simulator.scenario.base import StrictModel

__all__ = ["SearchParam"]


class SearchParam(StrictModel):
    """One campaign parameter the red-team search may vary."""

    path: str = Field(min_length=1, description="Scenario parameter by dotted path, e.g. 'campaigns[0].accounts'.")
    low: float | str | None = Field(default=None, description="Smallest value of a numeric range ('20/day', '2k').")
    high: float | str | None = Field(default=None, description="Largest value of a numeric range.")
    log: bool = Field(default=False, description="Log-uniform over the range (low > 0).")
    choices: list[Any] | None = Field(default=None, min_length=1, description="The values to choose among.")

    @model_validator(mode="after")
    def _range_or_choices(self) -> SearchParam:
        # paths walk the Scenario schema, which holds this model: imported when first used
        from simulator.scenario.paths import PathError, check_path, check_value

        try:
            types_ = check_path(self.path)
        except PathError as exc:
            raise ValueError(str(exc)) from None
        ranged = self.low is not None and self.high is not None
        if ranged == (self.choices is not None) or (self.low is None) != (self.high is None):
            raise ValueError(f"either low and high or choices for {self.path}, got neither or both")
        for value in self.choices or [self.low, self.high]:
            reason = check_value(types_, value)
            if reason is not None:
                raise ValueError(f"values that fit {self.path} ({reason}), got {value!r}")
        return self
