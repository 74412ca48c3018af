"""The categorical vocabularies of the visible schema that the scenario schema names.

They live apart from :mod:`simulator.identity` (which draws identities with
Faker) and :mod:`simulator.prompts` (which draws fingerprints with numpy and
re-exports ``TOPICS`` and ``LANGUAGES``), so that a scenario can be validated
without loading the simulator or numpy.
"""

from __future__ import annotations

__all__ = ["ACCESS_PATHWAYS", "EMAIL_STYLES", "LANGUAGES", "SIGNUP_PATHWAYS", "TOPICS"]

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

TOPICS: tuple[str, ...] = (
    "agentic_tool_use",
    "chit_chat",
    "classification",
    "coding",
    "computer_use",
    "creative_writing",
    "customer_support",
    "data_analysis",
    "general_qa",
    "information_extraction",
    "math",
    "reasoning",
    "rewrite",
    "rubric_grading",
    "summarization",
    "translation",
    "vision",
)
"""The capability taxonomy (sorted). Attack campaigns concentrate on a few of these
(reasoning, coding, agentic tool use, rubric grading, rewrites); legitimate traffic
spreads more widely."""

LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "fr", "hi", "id", "ja", "ko", "pt", "ru", "zh")
"""Language labels (ISO 639-1, sorted)."""
