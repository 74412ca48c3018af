"""Profiles drawn with the few Faker providers they need equal those of a full Faker."""

from __future__ import annotations

import base64
import hashlib

import numpy as np
import pytest
from faker import Faker

from simulator.identity import _POOL, IdFactory, ProfileFactory


@pytest.mark.parametrize("locale", ["en_US", "ru_RU", "ja_JP", "ar_AE", "pt_BR"])
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
