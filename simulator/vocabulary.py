"""The categorical vocabularies of the visible schema that the scenario schema names.

They live apart from :mod:`simulator.identity` (which draws identities with
Faker) so that a scenario can be validated without loading the simulator.
"""

from __future__ import annotations

__all__ = ["ACCESS_PATHWAYS", "EMAIL_STYLES", "SIGNUP_PATHWAYS"]

SIGNUP_PATHWAYS: tuple[str, ...] = (
    "direct",
    "education",
    "enterprise",
    "marketplace",
    "research",
    "reseller",
    "startup",
)
"""How an account signed up (visible in the account registry)."""

ACCESS_PATHWAYS: tuple[str, ...] = ("cloud_marketplace", "direct_api", "reseller")
"""How a request reaches the API (visible per request, from the API key)."""

EMAIL_STYLES: tuple[str, ...] = ("corporate", "disposable", "edu", "freemail")
"""E-mail styles of new identities: ``corporate`` (first.last@company), ``freemail``
(handle@gmail.com…), ``edu`` (handle@ a university's domain, as it looks in the
person's country: ``.edu``, ``.ac.uk``, ``uni-….de``; see
:data:`simulator.identity.ACADEMIC_DOMAINS`) or ``disposable`` (random
handle@throwaway domain)."""
