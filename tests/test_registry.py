"""The registry's id lookup: codes of account ids however the accounts joined."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import placeholder_accounts
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.registry import Registry


def _register(registry: Registry, ids: list[str]) -> np.ndarray:
    org = registry.add_orgs(np.array(["org_x"], dtype=object), np.array(["Personal"], dtype=object), np.zeros(1))
    return registry.add_accounts(np.array(ids, dtype=object), placeholder_accounts(np.full(len(ids), org[0])), actor=0)


@settings(max_examples=40, deadline=None)
@given(
    blocks=st.lists(st.integers(0, 700), min_size=1, max_size=6),
    picks=st.lists(st.integers(0, 10**6), max_size=400),  # below and above INDEXED_LOOKUP_IDS
    form=st.sampled_from(["list", "object array", "index", "str index", "tuple"]),
)
def test_codes_of_matches_the_order_of_registration(blocks: list[int], picks: list[int], form: str) -> None:
    """Accounts join in blocks (some past the size at which the lookup index is rebuilt,
    some not), with lookups of few ids (the dictionary) and of many (the index) between
    blocks: every id gives the code it was registered under, whatever container holds
    the ids."""
    registry = Registry(("t1",))
    expected: dict[str, int] = {}
    for block in blocks:
        ids = [f"acct_{len(expected) + i:06d}" for i in range(block)]
        expected.update(zip(ids, _register(registry, ids).tolist(), strict=True))
        known = list(expected)
        if not known:
            continue
        chosen = [known[p % len(known)] for p in picks]
        container = {
            "list": chosen,
            "object array": np.array(chosen, dtype=object),
            "index": pd.Index(chosen, dtype=object),
            "str index": pd.Index(pd.array(chosen, dtype="str")),
            "tuple": tuple(chosen),
        }[form]
        codes = registry.codes_of(container)
        assert codes.dtype == np.int64
        assert codes.tolist() == [expected[a] for a in chosen]
    assert registry.codes_of(list(expected)).tolist() == list(range(len(expected)))


def test_codes_of_one_id_and_none() -> None:
    registry = Registry(("t1",))
    _register(registry, ["acct_a", "acct_b"])
    assert registry.codes_of("acct_b").tolist() == [1]
    assert registry.codes_of([]).tolist() == []


def test_unknown_ids_are_named() -> None:
    registry = Registry(("t1",))
    _register(registry, [f"acct_{i}" for i in range(300)])
    with pytest.raises(KeyError, match=r"Unknown account ids \['acct_nope', 'x'\]"):
        registry.codes_of(["acct_1", "acct_nope", "acct_299", "x"])


def test_a_repeated_id_gives_the_later_account() -> None:
    """Ids are keyed hashes and never repeat in practice; if two did, the later account
    answers, as the dictionary always made it."""
    registry = Registry(("t1",))
    _register(registry, ["acct_a", "acct_b"])
    _register(registry, ["acct_a"])
    assert registry.codes_of(["acct_b", "acct_a"]).tolist() == [1, 2]
