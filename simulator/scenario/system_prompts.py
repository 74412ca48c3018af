"""System prompts: which one a request carries (its ``system_prompt_hash``).

Real API traffic mixes four sources of system prompt, and who shares a prompt
with whom follows from them:

* **none** — no system prompt at all: one hash, :data:`NO_SYSTEM_PROMPT`,
  shared by everyone who sends none;
* **stock** — the defaults of SDKs, frameworks and tutorials ("You are a
  helpful assistant."): a catalogue of :data:`STOCK_PROMPTS` shared by every
  customer and campaign alike, with Zipf-like popularity (index
  ``⌊STOCK_PROMPTS · u³⌋`` for uniform ``u``: the first few dominate);
* **client** — the prompt built into the client software (an IDE extension, an
  agent framework): shared by everyone on that client build, hashed from the
  client code;
* **own** — one of the owner's own prompts (the features of a customer's
  product, the harness prompts of a campaign). An owner has
  ``⌈prompts⌉`` of them, log-normal across owners and derived from the owner's key
  without storage; the ``k``-th of them is chosen with probability falling in
  ``k`` (index ``⌊count · u²⌋``).

Every hash is a 64-bit :func:`~simulator.hashing.splitmix64` value, so values
alone say nothing about who sent them; only who shares which does.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import Field, model_validator

from simulator.scenario.base import LogNormal, StrictModel

# numpy (and the hashes built on it) is imported by the functions that draw, not here:
# validating a scenario file needs none of it, and importing it was a large share of
# `extractbench validate`'s start-up; NO_SYSTEM_PROMPT is computed when first asked for
if TYPE_CHECKING:
    import numpy as np

    NO_SYSTEM_PROMPT: np.uint64

__all__ = ["NO_SYSTEM_PROMPT", "STOCK_PROMPTS", "SystemPromptMix", "stock_prompts"]

STOCK_PROMPTS = 48
"""Stock system prompts of popular SDKs, frameworks and tutorials."""


class _Salts(NamedTuple):
    none: np.uint64
    """The hash of an empty system prompt (:data:`NO_SYSTEM_PROMPT`)."""
    stock: np.uint64
    client: np.uint64
    own: np.uint64


@cache
def _salts() -> _Salts:
    import numpy as np

    from simulator.hashing import splitmix64
    from simulator.seeding import stable_key

    return _Salts(
        none=np.uint64(splitmix64(np.array([stable_key("system-prompt/none")], dtype=np.uint64))[0]),
        stock=np.uint64(stable_key("system-prompt/stock")),
        client=np.uint64(stable_key("system-prompt/client")),
        own=np.uint64(stable_key("system-prompt/own")),
    )


def __getattr__(name: str) -> Any:
    if name == "NO_SYSTEM_PROMPT":  # the hash of an empty system prompt (numpy.uint64)
        return _salts().none
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def stock_prompts(uniform: np.ndarray) -> np.ndarray:
    """Hashes of stock system prompts for uniform values in [0, 1), the popular ones
    more often."""
    import numpy as np

    from simulator.hashing import splitmix64

    index = np.floor(STOCK_PROMPTS * uniform**3).astype(np.uint64)
    return splitmix64(index ^ _salts().stock)


class SystemPromptMix(StrictModel):
    """Where requests' system prompts come from (shares of requests; the rest are the
    owner's own prompts)."""

    none_share: float = Field(default=0.15, ge=0, le=1, description="Share of requests without a system prompt.")
    stock_share: float = Field(
        default=0.15, ge=0, le=1, description="Share with a stock prompt of an SDK, framework or tutorial."
    )
    client_share: float = Field(
        default=0.0, ge=0, le=1, description="Share with the prompt built into the client software (IDE, agent)."
    )
    prompts: LogNormal = Field(
        default_factory=lambda: LogNormal(median=2, sigma=1.0, min=1, max=200),
        description="Own system prompts per owner (a product's features, a campaign's harness prompts).",
    )

    @model_validator(mode="after")
    def _shares_fit(self) -> SystemPromptMix:
        total = self.none_share + self.stock_share + self.client_share
        if total > 1.0 + 1e-9:
            raise ValueError(f"none_share + stock_share + client_share must be at most 1, got {total:g}")
        return self

    def prompt_counts(self, owners: np.ndarray) -> np.ndarray:
        """Own prompts of each owner key: ``median · exp(sigma · z)`` clipped to
        ``[min, max]`` and rounded up, with ``z`` a normal value hashed from the key."""
        import numpy as np

        from simulator.hashing import hashed_normal

        p = self.prompts
        counts = np.ceil(p.median * np.exp(p.sigma * hashed_normal(owners, int(_salts().own))))
        return np.clip(counts, max(p.min, 1), p.max).astype(np.uint64)

    def draw(self, rng: np.random.Generator, owners: np.ndarray, clients: np.ndarray | None = None) -> np.ndarray:
        """System prompt hashes of requests (or sessions) by ``owners`` (keys: account
        codes, campaign keys), sent from client software ``clients``."""
        n = owners.size
        return self._choose(owners, clients, rng.random(n), rng.random(n), rng.random(n))

    def for_keys(self, keys: np.ndarray, owners: np.ndarray, clients: np.ndarray | None = None) -> np.ndarray:
        """Like :meth:`draw`, with the randomness hashed from ``keys`` (one per job):
        every request of one job carries the job's prompt, whichever block it is in."""
        from simulator.hashing import hashed_uniform

        return self._choose(owners, clients, hashed_uniform(keys, 1), hashed_uniform(keys, 2), hashed_uniform(keys, 3))

    def _choose(
        self,
        owners: np.ndarray,
        clients: np.ndarray | None,
        source: np.ndarray,
        slot_uniform: np.ndarray,
        stock_uniform: np.ndarray,
    ) -> np.ndarray:
        import numpy as np

        from simulator.hashing import splitmix64

        salts = _salts()
        owners = owners.astype(np.uint64)
        slot = np.floor(self.prompt_counts(owners) * slot_uniform**2).astype(np.uint64)
        hashes = splitmix64(splitmix64(owners ^ salts.own) ^ slot)
        if clients is not None and self.client_share > 0:
            use = source < self.none_share + self.stock_share + self.client_share
            hashes[use] = splitmix64(clients[use].astype(np.uint64) ^ salts.client)
        stock = source < self.none_share + self.stock_share
        hashes[stock] = stock_prompts(stock_uniform[stock])
        hashes[source < self.none_share] = salts.none
        return hashes
