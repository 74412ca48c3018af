"""Building blocks shared by every part of the scenario schema.

Every model is frozen and rejects unknown keys (``extra="forbid"``), and every
field carries a description: the descriptions become the JSON Schema that
editors use to validate and complete scenario files.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from simulator.geography import country_codes
from simulator.units import COUNT_PATTERN, DAY, Count, Duration, parse_count
from simulator.vocabulary import LANGUAGES, SIGNUP_PATHWAYS, TOPICS

# numpy is imported by the functions that draw or compute with arrays, not here: validating a
# scenario file needs none of it, and importing it was a large share of `extractbench validate`'s start-up
if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "MAX_ACCOUNTS",
    "AccountCount",
    "AgeRange",
    "CountryWeights",
    "EmailStyleWeights",
    "LanguageWeights",
    "LogNormal",
    "PathwayWeights",
    "StrictModel",
    "TopicWeights",
    "normalised",
    "scale_count",
]


class StrictModel(BaseModel):
    """Frozen, unknown keys rejected: the base of every scenario model."""

    # validators are built when first used, not at import: building the ~85 scenario models'
    # validators one by one at import was the largest part of `extractbench validate`'s start-up
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, defer_build=True)


def _weights_over(valid: tuple[str, ...], what: str):
    def check(weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(valid))
        if unknown:
            raise ValueError(f"{what} names among: {', '.join(valid)}, got unknown {', '.join(map(repr, unknown))}")
        if not all(math.isfinite(w) for w in weights.values()) or not math.isfinite(sum(weights.values())):
            # an infinite weight (or two that add up past the largest float) makes NaN probabilities
            raise ValueError(f"{what} weights that are finite numbers, got {weights}")
        if weights and sum(weights.values()) <= 0:
            raise ValueError(f"{what} weights that add up to more than 0, got {weights}")
        return weights

    return AfterValidator(check)


def _whole_count(value: object) -> int:
    return round(parse_count(value))


MAX_ACCOUNTS = 100_000_000
"""The most accounts one customer group or campaign may declare (10^8): larger counts
would not fit in memory and are a typo more often than an intent."""

AccountCount = Annotated[
    int,
    Field(le=MAX_ACCOUNTS),
    BeforeValidator(
        _whole_count,
        json_schema_input_type=Annotated[int, Field(ge=0)] | Annotated[str, StringConstraints(pattern=COUNT_PATTERN)],
    ),
]
"""A whole number of accounts; YAML may say ``2k``."""

_NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]

TopicWeights = Annotated[dict[str, _NonNegative], _weights_over(TOPICS, "topic")]
"""Relative weights over the capability taxonomy (:data:`simulator.vocabulary.TOPICS`)."""

LanguageWeights = Annotated[dict[str, _NonNegative], _weights_over(LANGUAGES, "language")]
"""Relative weights over language labels (:data:`simulator.vocabulary.LANGUAGES`)."""

CountryWeights = Annotated[dict[str, _NonNegative], _weights_over(country_codes(), "country")]
"""Relative weights over ISO country codes (:data:`simulator.geography.COUNTRIES`)."""

EmailStyleWeights = dict[Literal["corporate", "freemail", "edu", "disposable"], _NonNegative]
"""Relative weights over e-mail styles (:data:`simulator.vocabulary.EMAIL_STYLES`)."""

PathwayWeights = Annotated[dict[str, _NonNegative], _weights_over(SIGNUP_PATHWAYS, "sign-up pathway")]
"""Relative weights over sign-up pathways (:data:`simulator.identity.SIGNUP_PATHWAYS`)."""


def scale_count(count: int, factor: float) -> int:
    """``round(count · factor)``, but never 0 when ``count`` was positive."""
    return max(1, round(count * factor)) if count > 0 else 0


def normalised(weights: dict[str, float], order: tuple[str, ...]) -> np.ndarray:
    """Weights as probabilities over ``order`` (names missing from ``weights`` get 0)."""
    import numpy as np

    values = np.array([float(weights.get(name, 0.0)) for name in order], dtype=np.float64)
    return values / values.sum()


class LogNormal(StrictModel):
    """A log-normal distribution given by its median and the standard deviation
    ``sigma`` of its logarithm; draws are rounded to integers and clipped to
    ``[min, max]``."""

    median: Count = Field(description="Median of the distribution (for token lengths: tokens).")
    sigma: float = Field(ge=0, le=6, description="Standard deviation of the natural log of the value.")
    min: Count = Field(default=1, description="Smallest value drawn.")
    max: Count = Field(default=1_000_000, description="Largest value drawn.")

    @model_validator(mode="after")
    def _ordered(self) -> LogNormal:
        if self.min > self.max:
            raise ValueError(f"min ({self.min:g}) no larger than max ({self.max:g})")
        return self

    @property
    def mean(self) -> float:
        """Mean before clipping: ``median · exp(sigma² / 2)``."""
        import numpy as np

        return float(self.median * np.exp(self.sigma**2 / 2))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` integer draws (int64)."""
        import numpy as np

        values = np.exp(rng.normal(np.log(max(self.median, 1e-9)), self.sigma, size=n))
        return np.clip(np.rint(values), self.min, self.max).astype(np.int64)


class AgeRange(StrictModel):
    """How long before the scenario start accounts were created; ages are drawn
    log-uniformly between ``min`` and ``max``."""

    min: Duration = Field(default=DAY, description="Youngest account age at the start, e.g. '1d'.")
    max: Duration = Field(default=2 * 365 * DAY, description="Oldest account age at the start, e.g. '2y' as '730d'.")

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min:g}s) no larger than max ({self.max:g}s)")
        return self

    def sample_created(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Creation times in seconds relative to the scenario start (≤ 0)."""
        import numpy as np

        low, high = np.log(max(self.min, 1.0)), np.log(max(self.max, 1.0))
        return -np.exp(rng.uniform(low, high, size=n))
