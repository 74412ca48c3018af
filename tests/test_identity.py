"""Profiles drawn with the few Faker providers they need equal those of a full Faker."""

from __future__ import annotations

import base64
import hashlib

import numpy as np
import pytest
from faker import Faker

from simulator.geography import COUNTRIES
from simulator.identity import _DISPOSABLE_DOMAINS, _POOL, ACADEMIC_DOMAINS, IdFactory, ProfileFactory


@pytest.mark.parametrize("locale", sorted({country.faker_locale for country in COUNTRIES}))
def test_pools_match_a_faker_with_every_provider(locale: str) -> None:
    seed = 1234
    fake = Faker(locale)
    fake.seed_instance(seed)
    handles = [fake.user_name() for _ in range(_POOL)]
    companies = [fake.company() for _ in range(_POOL // 2)]
    company_domains = [fake.domain_name() for _ in range(_POOL // 2)]
    free_domains = sorted({fake.free_email_domain() for _ in range(12)})
    full_names = [fake.name() for _ in range(_POOL)]
    pool = ProfileFactory(seed=seed)._pool(locale)
    assert pool.handles == handles
    assert pool.companies == companies
    assert pool.company_domains == company_domains
    assert pool.free_domains == free_domains
    assert pool.full_names == full_names


def test_ids_are_the_base32_text_of_a_keyed_blake2b_digest() -> None:
    secret = b"a secret of the run"
    serials = np.arange(3, 40)
    expected = [
        "acct_"
        + base64.b32encode(
            hashlib.blake2b(f"customers-1\x1facct\x1f{serial}".encode(), key=secret, digest_size=15).digest()
        )
        .decode()
        .lower()[:20]
        for serial in serials.tolist()
    ]
    ids = IdFactory(secret).make("acct", "customers-1", serials)
    assert ids.dtype == object and ids.tolist() == expected
    assert IdFactory(secret).make("key", "a", range(0)).size == 0


def _people_one_by_one(
    factory: ProfileFactory, rng: np.random.Generator, countries: np.ndarray, styles: np.ndarray
) -> tuple[list[str], list[str], list[str]]:
    """The rule of :meth:`ProfileFactory.people`, person by person."""
    names, emails, domains = [], [], []
    for country, kind, (a, b, c, d) in zip(
        countries.tolist(), styles.tolist(), rng.integers(0, 1 << 30, size=(countries.size, 4)).tolist(), strict=True
    ):
        pool = factory._pool(COUNTRIES[country].faker_locale)
        handle = pool.handles[b % len(pool.handles)]
        if kind == "corporate":
            domain = pool.company_domains[c % len(pool.company_domains)]
        elif kind == "edu":
            stem = pool.company_domains[c % len(pool.company_domains)].split(".")[0]
            domain = ACADEMIC_DOMAINS.get(COUNTRIES[country].code, "{}.edu").format(stem)
        elif kind == "disposable":
            domain = _DISPOSABLE_DOMAINS[c % len(_DISPOSABLE_DOMAINS)]
            handle = f"{handle[:4]}{d % 100000:05d}"
        else:
            domain = pool.free_domains[c % len(pool.free_domains)]
            if d % 3 == 0:
                handle = f"{handle}{d % 1000}"
        names.append(pool.full_names[a % len(pool.full_names)])
        emails.append(f"{handle}@{domain}")
        domains.append(domain)
    return names, emails, domains


def test_people_follow_the_rule_person_by_person() -> None:
    factory = ProfileFactory(seed=5)
    draw = np.random.default_rng(3)
    countries = draw.integers(0, len(COUNTRIES), size=600)
    styles = np.array(["corporate", "edu", "disposable", "free"], dtype=object)[draw.integers(0, 4, size=600)]
    names, emails, domains = factory.people(np.random.default_rng(11), countries, styles)
    expected = _people_one_by_one(factory, np.random.default_rng(11), countries, styles)
    assert (names.tolist(), emails.tolist(), domains.tolist()) == expected
    assert all(
        name in factory._pool(COUNTRIES[c].faker_locale).full_names for name, c in zip(names, countries, strict=True)
    )
