"""Who is behind an account: opaque identifiers, Faker-made profiles, payment.

Boundary (DESIGN.md, no label leakage): every identifier (account, organisation,
API key) is made by :class:`IdFactory` in the same way for attackers and
customers: a fixed prefix and 20 base-32 characters of a keyed BLAKE2b hash of
(actor name, kind, serial number). Ids therefore have one length, one character
set and one prefix, and reveal neither the actor nor the creation order.

Profiles (names, e-mail addresses, companies) come from Faker, drawn once per
actor and locale into small pools and combined with the actor's own generator,
which keeps profile generation fast for tens of thousands of accounts and never
touches Faker's or Python's global random state.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import numpy as np
from faker.config import DEFAULT_LOCALE, PROVIDERS
from faker.generator import Generator
from faker.providers import BaseProvider
from faker.utils.loading import list_module

from simulator.geography import COUNTRIES

__all__ = [
    "ACADEMIC_DOMAINS",
    "EmailStyle",
    "IdFactory",
    "ProfileFactory",
    "payment_fingerprints",
]

EmailStyle = str
"""One of :data:`simulator.vocabulary.EMAIL_STYLES`."""

_DISPOSABLE_DOMAINS = ("mailinator.com", "guerrillamail.com", "10minutemail.net", "tempmail.dev", "sharklasers.com")
_POOL = 120
_FAKER_PROVIDERS = [
    name for name in PROVIDERS if name.rsplit(".", 1)[-1] in ("company", "date_time", "internet", "person")
]
"""The Faker providers the pools draw from (``internet`` formats user names with
``person``'s names and ``date_time``'s years), in Faker's own order so that every
method resolves as with all providers: the pools are the same, and a ``Faker`` is
built in a few milliseconds instead of tens (Faker lists each provider's locale
folders when it builds one)."""


@functools.cache
def _provider_locales(provider: str) -> frozenset[str]:
    """The locales a localised Faker provider has (its sub-packages), listed once."""
    return frozenset(list_module(import_module(provider)))


class _CumulativeWeights:
    """Provider mixin for Faker's ``random_elements`` (behind every ``random_element``).

    A weighted draw from an ``OrderedDict`` (names, formats and suffixes with their
    frequencies) passes ``random.choices`` the cumulative weights, summed once per
    table, where Faker passes the weights and ``random.choices`` sums them on every
    draw (``list(accumulate(weights))``, as here); one element of a tuple, list or
    string is ``random.choice`` of it, as Faker's ``choices_distribution`` draws it.
    The same draws from the same random numbers, without two passes over tables of
    thousands of names per draw. Every other call goes to Faker's own method."""

    def random_elements(
        self,
        elements: Any = ("a", "b", "c"),
        length: int | None = None,
        unique: bool = False,
        use_weighting: bool | None = None,
    ) -> Sequence[Any]:
        if length == 1 and not unique and isinstance(elements, (tuple, list, str)):
            return [self.generator.random.choice(elements)]  # type: ignore[attr-defined]
        weighted = self.__use_weighting__ if use_weighting is None else use_weighting  # type: ignore[attr-defined]
        if isinstance(elements, OrderedDict) and weighted and not unique and length is not None:
            table = elements.__dict__.get("_cumulative_weights")
            if table is None or table[0] != len(elements):
                table = (len(elements), tuple(elements), list(itertools.accumulate(elements.values())))
                elements._cumulative_weights = table  # type: ignore[attr-defined]
            return self.generator.random.choices(table[1], cum_weights=table[2], k=length)  # type: ignore[attr-defined]
        return super().random_elements(elements, length, unique, use_weighting)  # type: ignore[misc]


@functools.cache
def _with_cumulative_weights(provider: type[BaseProvider]) -> type[BaseProvider]:
    """``provider`` with :class:`_CumulativeWeights` in front (one class per provider)."""
    return type(provider.__name__, (_CumulativeWeights, provider), {"__module__": provider.__module__})


def _faker(locale: str) -> Generator:
    """A Faker generator for ``locale`` with the providers of :data:`_FAKER_PROVIDERS`,
    built as ``faker.Faker(locale, providers=...)`` builds it (each provider in its
    ``locale`` where it has one, else in its default locale) but listing each
    provider's locale folders once per process instead of once per locale, and
    drawing weighted elements with :class:`_CumulativeWeights`."""
    generator = Generator(locale=locale, use_weighting=True)
    for name in _FAKER_PROVIDERS:
        module = import_module(name)
        found = None
        if getattr(module, "localized", False):
            found = (
                locale if locale in _provider_locales(name) else getattr(module, "default_locale", "") or DEFAULT_LOCALE
            )
            module = import_module(f"{name}.{found}")
        provider = _with_cumulative_weights(module.Provider)(generator)
        provider.__use_weighting__ = True
        provider.__provider__ = name
        provider.__lang__ = found
        generator.add_provider(provider)
    return generator


ACADEMIC_DOMAINS: dict[str, str] = {
    "US": "{}.edu",
    "GB": "{}.ac.uk",
    "JP": "{}.ac.jp",
    "KR": "{}.ac.kr",
    "IN": "{}.ac.in",
    "IL": "{}.ac.il",
    "ID": "{}.ac.id",
    "AE": "{}.ac.ae",
    "AU": "{}.edu.au",
    "BR": "{}.edu.br",
    "MX": "{}.edu.mx",
    "CN": "{}.edu.cn",
    "HK": "{}.edu.hk",
    "SG": "{}.edu.sg",
    "TR": "{}.edu.tr",
    "VN": "{}.edu.vn",
    "PL": "{}.edu.pl",
    "DE": "uni-{}.de",
    "FR": "univ-{}.fr",
    "ES": "{}.es",
    "NL": "{}.nl",
    "SE": "{}.se",
    "RU": "{}.ru",
    "CA": "{}.ca",
}
"""How a university's e-mail domain looks in each country, ``{}`` standing for its
name: ``.edu`` in the United States, an academic second-level domain (``ac.uk``,
``edu.au``…) where the country has one, and a plain national domain where it does
not (German, French, Dutch, Swedish, Spanish, Russian and Canadian universities),
so that a student's address there reads like any organisation's."""


_BASE32 = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)
"""The lowercase base-32 alphabet (RFC 4648), indexed by a 5-bit value."""
_BIT_WEIGHTS = np.array([16, 8, 4, 2, 1], dtype=np.uint8)
"""The weights of a base-32 character's five bits, most significant first."""


class IdFactory:
    """Opaque identifiers: ``<prefix>_`` plus 20 lowercase base-32 characters."""

    LENGTH = 20

    def __init__(self, secret: bytes) -> None:
        self._secret = secret[:64]

    def make(self, prefix: str, actor: str, serials: np.ndarray | range) -> np.ndarray:
        """Ids for the given serial numbers of ``actor`` (object array of str): the
        prefix, ``_`` and the first 20 characters of the lowercase base-32 text
        (RFC 4648) of a 15-byte keyed BLAKE2b digest of ``actor``, ``prefix`` and the serial."""
        n = len(serials)
        if n == 0:
            return np.empty(0, dtype=object)
        keyed = hashlib.blake2b(key=self._secret, digest_size=15)
        head = f"{actor}\x1f{prefix}\x1f"
        digests = bytearray()
        for serial in serials.tolist() if isinstance(serials, np.ndarray) else serials:
            digest = keyed.copy()
            digest.update(f"{head}{serial}".encode())
            digests += digest.digest()
        # base-32: each character encodes 5 bits, so 20 characters are the first 100 bits
        bits = np.unpackbits(np.frombuffer(bytes(digests), dtype=np.uint8).reshape(n, 15)[:, :13], axis=1)
        symbols = bits[:, : 5 * self.LENGTH].reshape(n, self.LENGTH, 5) @ _BIT_WEIGHTS
        lead = np.frombuffer(f"{prefix}_".encode(), dtype=np.uint8)
        text = np.concatenate([np.broadcast_to(lead, (n, lead.size)), _BASE32[symbols]], axis=1)
        return np.ascontiguousarray(text).view(f"S{text.shape[1]}").ravel().astype(str).astype(object)


def payment_fingerprints(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` new payment-instrument fingerprints (``pm_`` + 16 hex digits)."""
    raw = rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)
    out = np.empty(n, dtype=object)
    out[:] = [f"pm_{value:016x}" for value in raw.tolist()]
    return out


@dataclass
class _LocalePool:
    handles: list[str]
    companies: list[str]
    company_domains: list[str]
    free_domains: list[str]
    full_names: list[str]

    @functools.cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """The pools as object arrays (indexed by numpy), with each handle's first four
        characters and each company domain's first label (a university's name)."""
        arrays = {
            name: np.array(getattr(self, name), dtype=object)
            for name in ("handles", "companies", "company_domains", "free_domains", "full_names")
        }
        arrays["handle_stems"] = np.array([handle[:4] for handle in self.handles], dtype=object)
        arrays["domain_stems"] = np.array([domain.split(".")[0] for domain in self.company_domains], dtype=object)
        for array in arrays.values():
            array.flags.writeable = False  # shared by every factory of the same seed in the process
        return arrays


def _pick(pool: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Entries of ``pool`` chosen by ``draws`` (non-negative integers) modulo its size."""
    return pool[draws % pool.size]


_ACADEMIC_AFFIXES = np.array(
    [ACADEMIC_DOMAINS.get(country.code, "{}.edu").split("{}") for country in COUNTRIES], dtype=object
)
"""Per country, the text before and after a university's name in its e-mail domain."""


_POOLS_KEPT = 256
"""How many locale pools a process keeps (about 50 kB each): a world draws at most one
per locale, and every world built from the same scenario seed draws the same ones."""


@functools.lru_cache(maxsize=_POOLS_KEPT)
def _locale_pool(locale: str, seed: int) -> _LocalePool:
    """The pools of ``locale`` drawn by a Faker seeded with ``seed``: a pure function of
    the two (and of Faker's version), so each process draws them once."""
    fake = _faker(locale)
    fake.seed_instance(seed)
    return _LocalePool(
        handles=[fake.user_name() for _ in range(_POOL)],
        companies=[fake.company() for _ in range(_POOL // 2)],
        company_domains=[fake.domain_name() for _ in range(_POOL // 2)],
        free_domains=sorted({fake.free_email_domain() for _ in range(12)}),
        full_names=[fake.name() for _ in range(_POOL)],
    )


_LOCALE_OF_COUNTRY = np.array([country.faker_locale for country in COUNTRIES], dtype=object)
"""Per country index, its Faker locale."""


@dataclass(frozen=True)
class ProfileFactory:
    """Names, e-mail addresses and company names for new accounts of one actor."""

    seed: int

    def _pool(self, locale: str) -> _LocalePool:
        return _locale_pool(locale, self.seed)

    def _by_locale(self, countries: np.ndarray) -> list[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """(rows, pool arrays) for each Faker locale of ``countries``, in order of first use."""
        locale_of = _LOCALE_OF_COUNTRY[countries]
        locales, first = np.unique(locale_of, return_index=True)
        return [
            (np.flatnonzero(locale_of == locale), self._pool(str(locale)).arrays)
            for locale in locales[np.argsort(first, kind="stable")]
        ]

    def people(
        self, rng: np.random.Generator, countries: np.ndarray, style: EmailStyle | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Names, e-mail addresses and e-mail domains (object arrays) for people in
        ``countries`` (country indices), with one e-mail style or one per person.

        Per person, four draws pick the name, the handle, the domain and a number: a
        corporate address is at one of the locale's company domains, an academic one
        at a university named after one (:data:`ACADEMIC_DOMAINS`), a disposable one
        at a throwaway domain with the handle's first four characters and five digits,
        a free one at a free mail domain, a third of them with up to three digits
        appended to the handle."""
        countries = np.asarray(countries, dtype=np.int64)
        n = countries.size
        styles = np.broadcast_to(np.asarray(style, dtype=object), (n,))
        names = np.empty(n, dtype=object)
        handles = np.empty(n, dtype=object)
        domains = np.empty(n, dtype=object)
        picks = rng.integers(0, 1 << 30, size=(n, 4))
        name_pick, handle_pick, domain_pick, number = picks.T
        for rows, pool in self._by_locale(countries):
            names[rows] = _pick(pool["full_names"], name_pick[rows])
            handles[rows] = _pick(pool["handles"], handle_pick[rows])
            kind = styles[rows]
            corporate = rows[kind == "corporate"]
            domains[corporate] = _pick(pool["company_domains"], domain_pick[corporate])
            edu = rows[kind == "edu"]
            affixes = _ACADEMIC_AFFIXES[countries[edu]]
            domains[edu] = affixes[:, 0] + _pick(pool["domain_stems"], domain_pick[edu]) + affixes[:, 1]
            disposable = rows[kind == "disposable"]
            if disposable.size:
                digits = np.char.zfill((number[disposable] % 100000).astype(str), 5).astype(object)
                handles[disposable] = _pick(pool["handle_stems"], handle_pick[disposable]) + digits
            free = rows[~np.isin(kind, ("corporate", "edu", "disposable"))]
            domains[free] = _pick(pool["free_domains"], domain_pick[free])
            suffixed = free[number[free] % 3 == 0]
            handles[suffixed] = handles[suffixed] + (number[suffixed] % 1000).astype(str).astype(object)
        disposable = np.flatnonzero(styles == "disposable")
        domains[disposable] = _pick(np.array(_DISPOSABLE_DOMAINS, dtype=object), domain_pick[disposable])
        return names, handles + "@" + domains, domains

    def companies(self, rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
        """Company names (object array) for organisations in ``countries``."""
        countries = np.asarray(countries, dtype=np.int64)
        out = np.empty(countries.size, dtype=object)
        picks = rng.integers(0, 1 << 30, size=countries.size)
        for rows, pool in self._by_locale(countries):
            out[rows] = _pick(pool["companies"], picks[rows])
        return out
