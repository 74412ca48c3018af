"""Request blocks (what actors emit) and request batches (what detectors see).

Actors emit :class:`RequestBlock` objects: columns of numpy arrays holding integer
codes (account, key, IP, client…) plus the hidden ``template_id``. The gateway
cuts blocks into ticks, decides statuses and turns each tick into a
:class:`RequestBatch`: a pandas DataFrame of the visible columns of schema v1
(:data:`REQUEST_SCHEMA`) and the account-registry rows created during the tick.

Boundary (DESIGN.md): a :class:`RequestBatch` contains only what a provider's
logs would contain. Hidden per-request truth travels beside it in
:class:`TickTraffic`, never inside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "ACCOUNT_SCHEMA",
    "BLOCK_DTYPES",
    "CATEGORY",
    "REQUEST_COLUMNS",
    "REQUEST_SCHEMA",
    "RESOLD_TEMPLATE",
    "STATUS_FORBIDDEN",
    "STATUS_OK",
    "STATUS_RATE_LIMITED",
    "AccountSerials",
    "RequestBatch",
    "RequestBlock",
    "TickTraffic",
    "concat_blocks",
    "extraction_requests",
    "read_only",
]

STATUS_OK = 200
"""Served: the response's tokens count as served and are billed."""
STATUS_RATE_LIMITED = 429
"""Refused by a rate limit (a token bucket of the account or its organisation)."""
STATUS_FORBIDDEN = 403
"""Refused by enforcement: the account is banned, or challenged and not yet cleared."""

BLOCK_DTYPES: dict[str, np.dtype] = {
    name: np.dtype(dtype)
    for name, dtype in {
        "ts": np.float64,
        "account": np.int64,
        "key": np.int64,
        "ip": np.int64,
        "client": np.int64,
        "model": np.int16,
        "input_tokens": np.int32,
        "output_tokens": np.int32,
        "max_tokens": np.int32,
        "topic": np.int16,
        "language": np.int16,
        "cot_requested": np.bool_,
        "system_prompt_hash": np.uint64,
        "prompt_simhash": np.uint64,
        "conversation_id": np.uint64,
        "turn": np.int16,
        "template_id": np.int64,
    }.items()
}
"""Columns of a request block. ``topic``, ``language`` and ``cot_requested`` hold the
classifier's (noisy) output; ``template_id`` is hidden truth (-1: no template;
:data:`RESOLD_TEMPLATE`: a customer's request resold through a campaign account)."""

RESOLD_TEMPLATE = -2
"""Hidden ``template_id`` of an ordinary customer's request relayed through a campaign's
account (a resale tactic, :mod:`simulator.scenario.campaign.resale`): per request it is
not extraction, though the account is an attacker's."""


def extraction_requests(is_attacker: np.ndarray, template_id: np.ndarray) -> np.ndarray:
    """Per-request truth, row-aligned: a request is extraction ⇔ its account is an
    attacker's and it is not a resold customer's (``template_id`` ≠ :data:`RESOLD_TEMPLATE`).
    A campaign's camouflage filler counts as extraction: it is the campaign's own traffic."""
    return np.asarray(is_attacker, dtype=bool) & (np.asarray(template_id) != RESOLD_TEMPLATE)


CATEGORY = pa.dictionary(pa.int16(), pa.string())
"""Type of low-cardinality string columns (a fixed vocabulary; pandas: Categorical)."""

REQUEST_SCHEMA = pa.schema(
    [
        pa.field("ts", pa.float64()),
        pa.field("request_id", pa.uint64()),
        pa.field("account_id", pa.string()),
        pa.field("org_id", pa.string()),
        pa.field("key_id", pa.string()),
        pa.field("ip", pa.string()),
        pa.field("asn", pa.int32()),
        pa.field("country", CATEGORY),
        pa.field("user_agent", pa.string()),
        pa.field("client_fingerprint", pa.string()),
        pa.field("pathway", CATEGORY),
        pa.field("model", CATEGORY),
        pa.field("input_tokens", pa.int32()),
        pa.field("output_tokens", pa.int32()),
        pa.field("max_tokens", pa.int32()),
        pa.field("topic", CATEGORY),
        pa.field("language", CATEGORY),
        pa.field("cot_requested", pa.bool_()),
        pa.field("system_prompt_hash", pa.uint64()),
        pa.field("prompt_simhash", pa.uint64()),
        pa.field("conversation_id", pa.uint64()),
        pa.field("turn", pa.int16()),
        pa.field("status", pa.int16()),
    ]
)
"""Visible request columns (schema v1). ``ts`` is seconds since the scenario start;
``output_tokens`` is what was served (0 unless ``status`` is 200)."""

REQUEST_COLUMNS: tuple[str, ...] = tuple(REQUEST_SCHEMA.names)

ACCOUNT_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string()),
        pa.field("org_id", pa.string()),
        pa.field("created_ts", pa.float64()),
        pa.field("signup_pathway", CATEGORY),
        pa.field("tier", CATEGORY),
        pa.field("name", pa.string()),
        pa.field("email", pa.string()),
        pa.field("email_domain", pa.string()),
        pa.field("company", pa.string()),
        pa.field("payment_fingerprint", pa.string()),
        pa.field("declared_country", CATEGORY),
        pa.field("verified", pa.bool_()),
    ]
)
"""Visible account-registry columns; ``created_ts`` is seconds relative to the
scenario start (negative: created before it)."""


def read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view of ``array`` that cannot be made writeable again (its base is
    read-only): what a batch hands to every consumer alike."""
    array.flags.writeable = False
    return array.view()


class RequestBlock:
    """A block of requests emitted by one actor: one numpy array per column of
    :data:`BLOCK_DTYPES`, all of one length (scalars are broadcast). Timestamps need
    not be sorted."""

    __slots__ = ("columns",)

    def __init__(self, **columns: np.ndarray) -> None:
        missing = set(BLOCK_DTYPES) - set(columns)
        extra = set(columns) - set(BLOCK_DTYPES)
        if missing or extra:
            raise ValueError(
                f"RequestBlock needs exactly {sorted(BLOCK_DTYPES)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        n = np.asarray(columns["ts"]).shape[0]
        cols = {}
        for name, dtype in BLOCK_DTYPES.items():
            array = np.asarray(columns[name], dtype=dtype)
            if array.ndim == 0:
                array = np.full(n, array, dtype=dtype)
            elif array.shape != (n,):
                raise ValueError(f"RequestBlock column {name!r} has shape {array.shape}, expected ({n},)")
            cols[name] = array
        self.columns = cols

    def __len__(self) -> int:
        return self.columns["ts"].shape[0]

    def take(self, index: np.ndarray) -> RequestBlock:
        block = RequestBlock.__new__(RequestBlock)
        block.columns = {name: array[index] for name, array in self.columns.items()}
        return block


def concat_blocks(blocks: list[RequestBlock]) -> RequestBlock:
    """One block holding the rows of ``blocks`` in order."""
    if len(blocks) == 1:
        return blocks[0]
    block = RequestBlock.__new__(RequestBlock)
    if not blocks:
        block.columns = {name: np.empty(0, dtype=dtype) for name, dtype in BLOCK_DTYPES.items()}
    else:
        block.columns = {name: np.concatenate([b.columns[name] for b in blocks]) for name in BLOCK_DTYPES}
    return block


@dataclass(frozen=True, eq=False)
class AccountSerials:
    """Serial numbers of the accounts in a batch of a simulated stream.

    An account's serial is its position in the order the stream published the
    accounts: the registry rows of every earlier batch, then this batch's (each
    batch's rows sorted by ``account_id``). It is a function of the visible batches
    only (a consumer reading every batch can number the accounts the same way), so
    it carries no label; it spares consumers a string look-up per row. Every
    account is published no later than the batch of its first request.
    """

    stream: object
    """Identity of the stream (compare with ``is``): serials of two streams are unrelated."""
    requests: np.ndarray
    """Serial of each request's account (int64, read-only, row-aligned with ``table``)."""
    first: int
    """Serial of the batch's first registry row; its registry rows have ``first``, ``first + 1``, …"""


_ISOLATED_FROM = "_isolated_from"
"""Where a copy made by :meth:`RequestBatch.isolated` keeps its original (in the instance
dictionary, beside the cached frames), to copy the original's frames on first use."""


@dataclass(frozen=True)
class RequestBatch:
    """What a detector sees at the end of one tick.

    ``requests`` has the columns of :data:`REQUEST_SCHEMA`, one row per request whose
    ``ts`` lies in ``[start, end)``, sorted by ``ts``. ``accounts`` has the columns of
    :data:`ACCOUNT_SCHEMA` for accounts registered since the previous batch. Treat
    both as read-only: the same batch is handed to every detector.
    """

    tick: int
    """Tick index, from 0."""
    start: float
    """Tick start in seconds since the scenario start."""
    end: float
    """Tick end in seconds (exclusive); an alarm raised on this batch is timed here."""
    origin: datetime
    """UTC time of ``ts == 0`` (for hour-of-day and day-of-week features)."""
    table: pa.Table
    """The requests as an Arrow table with :data:`REQUEST_SCHEMA`."""
    accounts: pd.DataFrame
    """Account-registry rows of accounts registered since the previous batch."""
    serials: AccountSerials | None = None
    """The accounts' serial numbers in a simulated stream (``None`` for hand-made
    batches and replayed logs, whose consumers look account ids up instead)."""
    text_hashes: Mapping[str, np.ndarray] | None = None
    """Per request, the stable hash (:func:`simulator.hashing.text_hashes`) of the
    text of some string columns, computed by the producer once per distinct value
    (``ip``, ``subnet``: the ``ip`` without its last octet, ``client_fingerprint``);
    read-only, row-aligned with ``table``. ``None`` or a missing column: consumers
    hash the text themselves and get the same values."""

    def __len__(self) -> int:
        return self.table.num_rows

    @cached_property
    def requests(self) -> pd.DataFrame:
        """The requests as a pandas DataFrame (built on first use, then shared; a copy
        made by :meth:`isolated` gets a copy of its original's frame on first use)."""
        return self.table.to_pandas()

    def isolated(self) -> RequestBatch:
        """A copy of this batch for one consumer: the same immutable Arrow table, read-only
        arrays and cached views, but frames and mappings of its own, so that what one
        consumer does to ``requests``, ``accounts`` or ``text_hashes`` no other consumer
        sees (pandas' copy-on-write makes the frame copies shallow until written). Both
        frames are copied only when the consumer reads them: most detectors read the Arrow
        table and never the frames, and even a shallow copy of a frame costs tens of
        microseconds, paid by every detector on every tick."""
        twin = object.__new__(_IsolatedBatch)
        shared = twin.__dict__
        shared.update(self.__dict__)
        shared.pop("requests", None)
        shared.pop("accounts", None)
        shared[_ISOLATED_FROM] = self
        if self.text_hashes is not None:
            shared["text_hashes"] = MappingProxyType(dict(self.text_hashes))
        return twin

    @classmethod
    def from_frames(
        cls,
        tick: int,
        start: float,
        end: float,
        origin: datetime,
        requests: pd.DataFrame,
        accounts: pd.DataFrame | None = None,
    ) -> RequestBatch:
        """A batch from hand-made frames (tests, replays of logs): ``requests`` must
        have the columns of :data:`REQUEST_SCHEMA`; ``accounts`` those of
        :data:`ACCOUNT_SCHEMA` (default: no new accounts)."""
        table = pa.Table.from_pandas(requests[list(REQUEST_COLUMNS)], schema=REQUEST_SCHEMA, preserve_index=False)
        if accounts is None:
            accounts = ACCOUNT_SCHEMA.empty_table().to_pandas()
        return cls(tick, start, end, origin, table.replace_schema_metadata(None), accounts)


class _IsolatedBatch(RequestBatch):
    """A copy of a batch made by :meth:`RequestBatch.isolated`: its frames are shallow
    copies of its original's, made on first use."""

    @cached_property
    def requests(self) -> pd.DataFrame:
        return self.__dict__[_ISOLATED_FROM].requests.copy(deep=False)

    @cached_property
    def accounts(self) -> pd.DataFrame:  # type: ignore[override]  # a field of the original, a copy here
        return self.__dict__[_ISOLATED_FROM].accounts.copy(deep=False)


@dataclass(frozen=True)
class TickTraffic:
    """One processed tick: the visible batch plus hidden per-row data for the harness."""

    batch: RequestBatch
    account_codes: np.ndarray
    """Registry code of each request's account (row-aligned with ``batch.requests``)."""
    template_id: np.ndarray
    """Hidden template id per request (-1: not templated)."""
    requested_output: np.ndarray | None = None
    """Hidden output tokens each request would be served (tokens; the visible
    ``output_tokens`` is 0 where the gateway refused or rate-limited it); None where
    unknown (replayed logs)."""

    @property
    def table(self) -> pa.Table:
        """The visible requests as an Arrow table (for export)."""
        return self.batch.table
