"""Countries the simulated customers and proxies live in: UTC offsets and languages.

A small fixed table; shares are rough orders of magnitude of LLM-API usage by
country, used only as defaults. Faker locales give local names and e-mail
domains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# numpy is imported by the functions that draw or compute with arrays, not here: validating a
# scenario file needs none of it, and importing it was a large share of `extractbench validate`'s start-up
if TYPE_CHECKING:
    import numpy as np


__all__ = ["COUNTRIES", "Country", "country_codes", "default_country_weights"]


@dataclass(frozen=True)
class Country:
    code: str
    """ISO 3166-1 alpha-2."""
    utc_offset_hours: float
    """Typical offset of local time from UTC, in hours (the most populous zone)."""
    language: str
    """Main language label (see :data:`simulator.prompts.LANGUAGES`)."""
    faker_locale: str
    share: float
    """Default share of legitimate customers (relative weight)."""


COUNTRIES: tuple[Country, ...] = (
    Country("AU", 10.0, "en", "en_AU", 0.02),
    Country("BR", -3.0, "pt", "pt_BR", 0.04),
    Country("CA", -5.0, "en", "en_CA", 0.03),
    Country("CN", 8.0, "zh", "zh_CN", 0.02),
    Country("DE", 1.0, "de", "de_DE", 0.05),
    Country("ES", 1.0, "es", "es_ES", 0.02),
    Country("FR", 1.0, "fr", "fr_FR", 0.04),
    Country("GB", 0.0, "en", "en_GB", 0.06),
    Country("ID", 7.0, "id", "id_ID", 0.02),
    Country("IN", 5.5, "en", "en_IN", 0.08),
    Country("JP", 9.0, "ja", "ja_JP", 0.04),
    Country("KR", 9.0, "ko", "ko_KR", 0.03),
    Country("MX", -6.0, "es", "es_MX", 0.02),
    Country("NL", 1.0, "en", "nl_NL", 0.02),
    Country("RU", 3.0, "ru", "ru_RU", 0.01),
    Country("SG", 8.0, "en", "en_US", 0.02),
    Country("US", -6.0, "en", "en_US", 0.38),
    Country("VN", 7.0, "en", "vi_VN", 0.01),
    Country("AE", 4.0, "ar", "ar_AE", 0.01),
    Country("IL", 2.0, "en", "he_IL", 0.02),
    Country("PL", 1.0, "en", "pl_PL", 0.02),
    Country("SE", 1.0, "en", "sv_SE", 0.02),
    Country("TR", 3.0, "en", "tr_TR", 0.01),
    Country("HK", 8.0, "zh", "zh_TW", 0.02),
)


def country_codes() -> tuple[str, ...]:
    return tuple(country.code for country in COUNTRIES)


def default_country_weights() -> np.ndarray:
    """Default customer shares per country, normalised to sum to 1."""
    import numpy as np

    weights = np.array([country.share for country in COUNTRIES], dtype=np.float64)
    return weights / weights.sum()
