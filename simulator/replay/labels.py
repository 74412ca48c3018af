"""Ground truth of a replayed log, for the metrics only.

A label is a campaign name, empty for benign traffic, or a boolean: :func:`campaigns_of`
reads each value as a campaign (``None``: benign). Benign: missing, empty, ``false``,
``0``, ``no``, ``benign``, ``legit``, ``legitimate``, ``none``; ``true``, ``1`` and
``yes`` are the campaign ``attack``; any other text is the campaign of that name.

Labels come per request (a column of the log) or per account (a separate file with
``account_id`` and one of ``campaign``, ``label`` or ``is_attacker``). An account is
an attacker if any of its labels is a campaign; its campaign is the first one seen.
Detectors never see any of this: the labels go to the outcomes table only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.replay.badrows import BadRows
from simulator.replay.formats import LogFormatError, read_chunks

__all__ = ["ATTACK", "AccountLabels", "campaigns_of"]

ATTACK = "attack"
"""The campaign of a boolean (``true``) label."""

_BENIGN = ["", "false", "0", "no", "benign", "legit", "legitimate", "none", "null", "0.0", "f", "n"]
_TRUE = ["true", "1", "yes", "1.0", "t", "y"]


def campaigns_of(raw: pa.Array) -> np.ndarray:
    """Each label read as a campaign name (object array; ``None``: benign)."""
    if pa.types.is_boolean(raw.type):
        flags = pc.fill_null(raw, False).to_numpy(zero_copy_only=False)
        return np.where(flags, ATTACK, None).astype(object)
    text = pc.utf8_trim_whitespace(pc.fill_null(raw.cast(pa.string()), ""))
    lower = pc.utf8_lower(text)
    benign = pc.is_in(lower, pa.array(_BENIGN)).to_numpy(zero_copy_only=False)
    true = pc.is_in(lower, pa.array(_TRUE)).to_numpy(zero_copy_only=False)
    names = text.to_numpy(zero_copy_only=False).astype(object)
    names[true] = ATTACK
    names[benign] = None
    return names


class AccountLabels:
    """Each account's campaign (None: benign), folded from per-request or per-account labels."""

    def __init__(self) -> None:
        self.campaign: dict[str, str | None] = {}

    def add(self, account_ids: np.ndarray, raw: pa.Array) -> None:
        """Fold labels ``raw`` of rows whose accounts are ``account_ids``."""
        names = campaigns_of(raw)
        for account, name in zip(account_ids.tolist(), names.tolist(), strict=True):
            if self.campaign.get(account) is None:
                self.campaign[account] = name

    def read_file(self, path: Path, bad: BadRows) -> None:
        """Fold a per-account label file (CSV, JSONL or Parquet)."""
        for chunk in read_chunks(Path(path), None, bad):
            names = chunk.table.schema.names
            column = next((c for c in ("campaign", "label", "is_attacker") if c in names), None)
            if "account_id" not in names or column is None:
                raise LogFormatError(
                    f"{path}: a label file needs account_id and one of campaign, label or is_attacker; "
                    f"it has {', '.join(names)}"
                )
            ids = pc.fill_null(chunk.table.column("account_id").combine_chunks().cast(pa.string()), "")
            self.add(ids.to_numpy(zero_copy_only=False), chunk.table.column(column).combine_chunks())

    def of(self, account_ids: np.ndarray) -> np.ndarray:
        """Campaign of each account (object array, None: benign or unlabelled)."""
        return np.array([self.campaign.get(a) for a in account_ids.tolist()], dtype=object)
