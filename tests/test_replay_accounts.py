"""A replay's account book answers the guard as the simulator's registry does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.replay.accounts import AccountBook


def test_lookup_and_codes_of_agree_and_unknown_ids_are_minus_one_or_named() -> None:
    book = AccountBook()
    ids = np.array(["acct_b", "acct_a", "acct_b", "acct_c"], dtype=object)
    codes, published = book.tick(0, ids, np.array(["org_1"] * 4, dtype=object))
    assert codes.tolist() == [0, 1, 0, 2]  # first appearance
    assert published["account_id"].tolist() == ["acct_a", "acct_b", "acct_c"]
    asked = pd.Index(["acct_c", "acct_nobody", "acct_a"], dtype=object)
    assert book.lookup(asked).tolist() == [2, -1, 1]
    assert book.lookup([]).dtype == np.int64
    assert book.codes_of(["acct_c", "acct_a"]).tolist() == [2, 1]
    with pytest.raises(KeyError, match="acct_nobody"):
        book.codes_of(asked)
