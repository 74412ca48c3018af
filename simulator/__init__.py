"""extractbench's simulator: scenarios, the SimPy world, the gateway and traffic export."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
