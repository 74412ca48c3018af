"""Profiles drawn with the few Faker providers they need equal those of a full Faker."""

from __future__ import annotations

import pytest
from faker import Faker

from simulator.identity import _POOL, ProfileFactory


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
