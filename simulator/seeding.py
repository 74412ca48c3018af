"""Independent random streams per actor and subsystem, from one root seed.

Every actor (a legitimate archetype group, a campaign) and every subsystem (identity,
gateway) draws from its own :class:`numpy.random.Generator`. Streams are derived
from the root seed and a stable name through ``SeedSequence(seed, spawn_key=...)``,
so that adding, removing or changing one actor never shifts another's draws, and
the order in which streams are requested does not matter. There is no global
random state anywhere in extractbench.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["SeedStreams", "stable_key"]


def stable_key(name: str) -> int:
    """A 64-bit integer that depends only on ``name`` (not on ``PYTHONHASHSEED``)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class SeedStreams:
    """Named, independent random streams derived from one root seed.

    >>> streams = SeedStreams(7)
    >>> a = streams.generator("campaign/hydra-1").integers(1 << 30)
    >>> b = SeedStreams(7).generator("campaign/hydra-1").integers(1 << 30)
    >>> bool(a == b)
    True
    """

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"Negative seed {seed}")
        self.seed = int(seed)

    def sequence(self, name: str) -> np.random.SeedSequence:
        """The seed sequence of the stream called ``name``."""
        return np.random.SeedSequence(self.seed, spawn_key=(stable_key(name),))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh generator for the stream called ``name`` (same name ⇒ same draws)."""
        return np.random.Generator(np.random.PCG64(self.sequence(name)))

    def secret(self, name: str) -> bytes:
        """16 bytes derived from the stream ``name``, used as a key for opaque ids."""
        return self.sequence(name).generate_state(4, dtype=np.uint32).tobytes()
