"""Token lengths: a log-normal with optional extra modes (a log-normal mixture).

Real token-length distributions are not one log-normal. Coding completions have
a narrow body of very short answers and a tail of longer ones; conversation
answers have a body around a hundred tokens plus a sharp mode of length-targeted
answers near 400 tokens (Azure LLM inference trace 2023). :class:`TokenLengths`
keeps the familiar ``median``/``sigma`` spelling of :class:`~simulator.scenario.base.LogNormal`
for the main component and adds ``modes``, each with its own share, median and
sigma:

    X ~ (1 − Σ sᵢ) · LogNormal(median, sigma) + Σ sᵢ · LogNormal(medianᵢ, sigmaᵢ)

rounded to integers and clipped to ``[min, max]``. ``extractbench calibrate`` fits
these by expectation-maximisation on log tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from simulator.scenario.base import LogNormal, StrictModel
from simulator.units import Count

# numpy is imported by the functions that draw or compute with arrays, not here: validating a
# scenario file needs none of it, and importing it was a large share of `extractbench validate`'s start-up
if TYPE_CHECKING:
    import numpy as np

__all__ = ["Mode", "TokenLengths"]


class Mode(StrictModel):
    """An extra log-normal component of a :class:`TokenLengths` mixture."""

    share: float = Field(gt=0, lt=1, description="Probability that a draw comes from this mode.")
    median: Count = Field(description="Median of the mode, in tokens.")
    sigma: float = Field(ge=0, le=6, description="Standard deviation of the natural log within the mode.")


class TokenLengths(LogNormal):
    """A log-normal (``median``, ``sigma``) with optional extra ``modes``."""

    modes: list[Mode] = Field(
        default_factory=list, description="Extra log-normal modes with their shares (the rest is the main component)."
    )

    @model_validator(mode="after")
    def _shares_below_one(self) -> TokenLengths:
        total = sum(mode.share for mode in self.modes)
        if total >= 1:
            raise ValueError(f"mode shares that add up to less than 1, got {total:g}")
        return self

    @property
    def mean(self) -> float:
        """Mean before clipping: ``Σ wᵢ · medianᵢ · exp(sigmaᵢ² / 2)`` over components."""
        import numpy as np

        rest = 1.0 - sum(mode.share for mode in self.modes)
        main = rest * self.median * np.exp(self.sigma**2 / 2)
        return float(main + sum(m.share * m.median * np.exp(m.sigma**2 / 2) for m in self.modes))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` integer draws (int64)."""
        import numpy as np

        if not self.modes:
            return super().sample(rng, n)
        medians = np.array([self.median] + [m.median for m in self.modes], dtype=np.float64)
        sigmas = np.array([self.sigma] + [m.sigma for m in self.modes], dtype=np.float64)
        shares = np.array([m.share for m in self.modes], dtype=np.float64)
        cumulative = np.cumsum(np.r_[1.0 - shares.sum(), shares])
        component = np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), shares.size)
        values = np.exp(np.log(np.maximum(medians[component], 1e-9)) + sigmas[component] * rng.standard_normal(n))
        return np.clip(np.rint(values), self.min, self.max).astype(np.int64)
