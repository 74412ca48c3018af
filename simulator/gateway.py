"""The API gateway: cuts traffic into ticks, enforces limits, tiers and bans.

Actors :meth:`~Gateway.submit` request blocks with timestamps at or after the
current simulation time. At the end of tick ``k`` the world calls
:meth:`~Gateway.process_tick`, which takes every request with
``ts ∈ [k·tick, (k+1)·tick)``, sorts them by time and decides each status:

* ``403`` if the account was banned before this tick (a ban issued while a
  consumer looks at tick ``k`` takes effect from tick ``k+1``), or if it is
  challenged (from the tick after the challenge until the owner passes it:
  requests timed before the pass are refused); nothing is served;
* ``429`` if a token bucket of the account or its organisation lacks the
  request's cost (see :mod:`simulator.ratelimit`); nothing is served;
* ``200`` otherwise; the request's tokens are billed to account and organisation.

Tiers are recomputed every ``tier_review`` seconds from account age and
cumulative spend (and immediately for new accounts); throttles scale an
account's limits for a while. Enforcement (:meth:`ban`, :meth:`throttle`,
:meth:`challenge`) is announced to listeners, so that the actor owning an
account can react; a challenged account's owner decides when it passes
(:meth:`pass_challenge`), or never.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa

from simulator.columns import ArrowStrings, ColumnStore
from simulator.geography import COUNTRIES
from simulator.hashing import splitmix64
from simulator.network import Network
from simulator.prompts import LANGUAGES, TOPICS
from simulator.ratelimit import KeyGroups, TokenBuckets, admit
from simulator.registry import Registry
from simulator.traffic import (
    REQUEST_SCHEMA,
    STATUS_FORBIDDEN,
    STATUS_OK,
    STATUS_RATE_LIMITED,
    AccountSerials,
    RequestBatch,
    RequestBlock,
    TickTraffic,
    concat_blocks,
    read_only,
)
from simulator.vocabulary import ACCESS_PATHWAYS

if TYPE_CHECKING:
    from simulator.scenario.schema import Scenario

__all__ = ["Enforcement", "Gateway", "request_ids"]

NEVER = np.iinfo(np.int64).max
_NO_ACCOUNTS = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Enforcement:
    """An action taken against accounts, announced to listeners."""

    action: Literal["ban", "throttle", "challenge", "verify"]
    accounts: np.ndarray
    """Registry codes of the accounts newly affected."""
    time: float
    """Simulation time the action was issued (seconds)."""
    effective_tick: int
    """First tick the action applies to."""
    factor: float = 0.0
    """For throttles: the factor applied to the account's limits."""
    until: float = float("inf")
    """For throttles: when the limits return to normal (seconds)."""
    reason: Literal["alarm", "linked", "audit"] = "alarm"
    """For bans: an alarm on the account itself, a link to a banned account (a
    takedown), or an audit that closed the account's organisation."""
    median_delay: float = 0.0
    """For identity verification: the median time a person takes to verify (seconds)."""
    abandon: float = 0.0
    """For identity verification: the share of people who give up instead."""


def request_ids(counter_start: int, n: int, key: int) -> np.ndarray:
    """Opaque 64-bit request ids: :func:`~simulator.hashing.splitmix64` of ``key + position``.

    The mix is a bijection, so ids are unique; its input is the row's position in
    the output stream, which is time order, so ids carry no label.
    """
    with np.errstate(over="ignore"):
        return splitmix64(np.arange(counter_start, counter_start + n, dtype=np.uint64) + np.uint64(key))


class Gateway:
    """Rate limits, tiers, bans and the cutting of traffic into ticks."""

    def __init__(self, scenario: Scenario, registry: Registry, network: Network, request_id_key: int) -> None:
        self.scenario = scenario
        self.registry = registry
        self.network = network
        self.tick_seconds = float(scenario.tick)
        self.n_ticks = scenario.n_ticks
        self.origin: datetime = scenario.start
        self._request_id_key = request_id_key
        gw = scenario.gateway
        self._burst = float(gw.burst)
        self._tier_age = np.array([t.min_age for t in gw.tiers])
        self._tier_spend = np.array([t.min_spend for t in gw.tiers])
        self._tier_account = np.array(
            [[t.account.requests, t.account.input_tokens, t.account.output_tokens] for t in gw.tiers]
        )
        self._tier_org = np.array(
            [[t.org_limits.requests, t.org_limits.input_tokens, t.org_limits.output_tokens] for t in gw.tiers]
        )
        self._price = np.array([0.0, gw.pricing.input_per_mtok / 1e6, gw.pricing.output_per_mtok / 1e6])
        self._review_every = float(gw.tier_review)
        self._next_review = self._review_every
        self._pending: dict[int, list[RequestBlock]] = {}
        self._processed = -1
        self._request_counter = 0
        self._listeners: list[Callable[[Enforcement], None]] = []
        self.account_buckets = TokenBuckets()
        self.org_buckets = TokenBuckets()
        self.accounts = ColumnStore(
            {
                "tier": np.int8,
                "spend": np.float64,
                "ban_tick": np.int64,
                "challenge_tick": np.int64,
                "cleared_at": np.float64,
                "throttle": np.float64,
                "throttle_until": np.float64,
            },
            defaults={
                "tier": 0,
                "spend": 0.0,
                "ban_tick": NEVER,
                "challenge_tick": NEVER,
                "cleared_at": np.inf,
                "throttle": 1.0,
                "throttle_until": np.inf,
            },
        )
        """What decides an account's statuses: its tier, spend, ban, challenge and throttle."""
        self.orgs = ColumnStore({"tier": np.int8, "spend": np.float64}, defaults={"tier": 0, "spend": 0.0})
        self._known_accounts = 0
        self._known_orgs = 0
        self._next_expiry = np.inf
        """The earliest end of a throttle in force (seconds)."""
        self._refusing = False
        """Whether any account was ever banned or challenged: until then no request is refused."""
        self._stream = object()
        """Identity of this gateway's stream of batches (:class:`~simulator.traffic.AccountSerials`)."""
        self._texts = {name: ArrowStrings() for name in ("account", "org", "key", "ip", "user_agent", "fingerprint")}
        self._dictionaries = {
            "country": pa.array([c.code for c in COUNTRIES]),
            "pathway": pa.array(list(ACCESS_PATHWAYS)),
            "model": pa.array([m.name for m in scenario.models]),
            "topic": pa.array(list(TOPICS)),
            "language": pa.array(list(LANGUAGES)),
        }
        self._empty: tuple[pa.Table, RequestBlock] | None = None

    # -- actors ------------------------------------------------------------------------

    @property
    def next_tick(self) -> int:
        """The first tick not yet processed."""
        return self._processed + 1

    def submit(self, block: RequestBlock) -> None:
        """Queue requests for the ticks their timestamps fall in.

        Raises ``ValueError`` for a request timed in a tick already processed
        (a causality violation by the caller). Requests after the end are dropped.
        """
        if len(block) == 0:
            return
        ts = block.columns["ts"]
        ticks = np.floor(ts / self.tick_seconds).astype(np.int64)
        earliest = int(ticks.min())
        if earliest <= self._processed:
            raise ValueError(
                f"Request at t={float(ts.min()):.3f}s submitted after tick {self._processed} was processed"
            )
        if earliest == int(ticks.max()):
            if earliest < self.n_ticks:
                self._pending.setdefault(earliest, []).append(block)
            return
        order = np.argsort(ticks, kind="stable")
        sorted_ticks = ticks[order]
        bounds = np.flatnonzero(np.diff(sorted_ticks)) + 1
        for rows in np.split(order, bounds):
            k = int(ticks[rows[0]])
            if k < self.n_ticks:
                self._pending.setdefault(k, []).append(block.take(rows))

    def limits_of(self, accounts: np.ndarray) -> np.ndarray:
        """Current sustained limits of ``accounts`` (requests, input tokens, output
        tokens per second), throttles included; shape ``(n, 3)``."""
        self._register_new(self._now())
        accounts = np.asarray(accounts, dtype=np.int64)
        return self._tier_account[self.accounts.tier[accounts]] * self.accounts.throttle[accounts, None]

    def spend_of(self, accounts: np.ndarray) -> np.ndarray:
        """Cumulative spend of ``accounts`` in USD (initial spend included)."""
        self._register_new(self._now())
        return self.accounts.spend[np.asarray(accounts, dtype=np.int64)]

    def is_challenged(self, accounts: np.ndarray) -> np.ndarray:
        """Whether each account has a challenge it has not (yet) passed."""
        self._register_new(self._now())
        accounts = np.asarray(accounts, dtype=np.int64)
        return (self.accounts.challenge_tick[accounts] != NEVER) & np.isinf(self.accounts.cleared_at[accounts])

    def tier_names_of(self, accounts: np.ndarray) -> list[str]:
        self._register_new(self._now())
        names = [t.name for t in self.scenario.gateway.tiers]
        return [names[i] for i in self.accounts.tier[np.asarray(accounts, dtype=np.int64)].tolist()]

    # -- enforcement -------------------------------------------------------------------

    def add_listener(self, listener: Callable[[Enforcement], None]) -> None:
        """Call ``listener`` with every :class:`Enforcement` from now on."""
        self._listeners.append(listener)

    def ban(
        self, accounts: np.ndarray | list[str] | str, reason: Literal["alarm", "linked", "audit"] = "alarm"
    ) -> np.ndarray:
        """Ban accounts (codes, or account ids) from the next unprocessed tick on, for
        ``reason`` (see :attr:`Enforcement.reason`). Returns the codes of accounts newly banned."""
        codes = self._codes(accounts)
        self._register_new(self._now())
        fresh = np.unique(codes[self.accounts.ban_tick[codes] == NEVER])
        if fresh.size:
            self.accounts.ban_tick[fresh] = self.next_tick
            self._refusing = True
            self._announce(Enforcement("ban", fresh, self._now(), self.next_tick, reason=reason))
        return fresh

    def is_banned(self, accounts: np.ndarray) -> np.ndarray:
        """Whether each account is banned (from a tick already processed or the next one)."""
        self._register_new(self._now())
        return self.accounts.ban_tick[np.asarray(accounts, dtype=np.int64)] != NEVER

    def throttle(self, accounts: np.ndarray | list[str] | str, factor: float, duration: float) -> None:
        """Scale the limits of accounts by ``factor`` (0 < factor ≤ 1) for ``duration``
        seconds, from the next tick on."""
        if not 0 < factor <= 1:
            raise ValueError(f"The 'factor' of a throttle must be in (0, 1]. Got {factor} instead.")
        codes = np.unique(self._codes(accounts))
        self._register_new(self._now())
        until = self._now() + duration
        self.accounts.throttle[codes] = factor
        self.accounts.throttle_until[codes] = until
        self._next_expiry = min(self._next_expiry, until)
        self._apply_account_limits(codes)
        self._announce(Enforcement("throttle", codes, self._now(), self.next_tick, factor, until))

    def challenge(self, accounts: np.ndarray | list[str] | str) -> np.ndarray:
        """Challenge accounts (a CAPTCHA, an identity check) from the next unprocessed
        tick on: their requests get 403 until their owner passes the challenge with
        :meth:`pass_challenge`. Banned accounts and accounts with a challenge still
        open are skipped. Returns the codes of accounts newly challenged."""
        return self._block_until_passed(self._codes(accounts), Enforcement("challenge", _NO_ACCOUNTS, 0.0, 0))

    def verify(self, accounts: np.ndarray, median_delay: float, abandon: float) -> np.ndarray:
        """Require identity verification (step-up: an identity document, a card check) of
        accounts from the next unprocessed tick on: like :meth:`challenge`, their requests
        get 403 until their owner passes it (:meth:`pass_challenge`). The event tells owners
        how demanding the procedure is (a person's ``median_delay`` in seconds and the share
        who ``abandon``). Returns the codes of accounts newly asked."""
        template = Enforcement("verify", _NO_ACCOUNTS, 0.0, 0, median_delay=median_delay, abandon=abandon)
        return self._block_until_passed(np.asarray(accounts, dtype=np.int64), template)

    def _block_until_passed(self, codes: np.ndarray, template: Enforcement) -> np.ndarray:
        """Refuse ``codes`` from the next tick until they pass; announce ``template`` for
        those newly blocked (banned accounts and open challenges are skipped)."""
        self._register_new(self._now())
        acc = self.accounts
        open_challenge = (acc.challenge_tick[codes] != NEVER) & np.isinf(acc.cleared_at[codes])
        fresh = np.unique(codes[(acc.ban_tick[codes] == NEVER) & ~open_challenge])
        if fresh.size:
            acc.challenge_tick[fresh] = self.next_tick
            self._refusing = True
            acc.cleared_at[fresh] = np.inf
            self._announce(replace(template, accounts=fresh, time=self._now(), effective_tick=self.next_tick))
        return fresh

    def pass_challenge(self, accounts: np.ndarray, at: float | np.ndarray) -> None:
        """Record that ``accounts`` pass their open challenge at time(s) ``at`` (seconds):
        their requests timed at or after ``at`` are served again. ``at`` may lie in the
        future (the time a person takes to solve it) but not in a processed tick."""
        codes = np.asarray(accounts, dtype=np.int64)
        at = np.broadcast_to(np.asarray(at, dtype=np.float64), codes.shape)
        if at.size and float(at.min()) < self._now():
            raise ValueError(
                f"A challenge cannot be passed at t={float(at.min()):.3f}s, before the first unprocessed tick "
                f"(t={self._now():.3f}s)"
            )
        self._register_new(self._now())
        pending = self.is_challenged(codes)
        self.accounts.cleared_at[codes[pending]] = at[pending]

    def _codes(self, accounts: np.ndarray | list[str] | str) -> np.ndarray:
        if isinstance(accounts, str) or (len(accounts) and isinstance(next(iter(accounts)), str)):
            return self.registry.codes_of(accounts)
        return np.asarray(accounts, dtype=np.int64)

    def _announce(self, event: Enforcement) -> None:
        for listener in self._listeners:
            listener(event)

    def _now(self) -> float:
        return self.next_tick * self.tick_seconds

    # -- state -------------------------------------------------------------------------

    def _register_new(self, now: float) -> None:
        """Give accounts and orgs registered since the last call their state and limits."""
        n_accounts, n_orgs = len(self.registry), len(self.registry.orgs)
        if n_orgs > self._known_orgs:
            first = self._known_orgs
            self.orgs.ensure(n_orgs)
            self.org_buckets.grow(n_orgs, now)
            self._known_orgs = n_orgs
            self._review_orgs(np.arange(first, n_orgs), now)
        if n_accounts > self._known_accounts:
            first = self._known_accounts
            self.accounts.ensure(n_accounts)
            self.account_buckets.grow(n_accounts, now)
            self._known_accounts = n_accounts
            new = np.arange(first, n_accounts)
            self.accounts.spend[new] = self.registry.visible.column("initial_spend")[new]
            orgs = self.registry.visible.column("org")[new]
            np.add.at(self.orgs.spend, orgs, self.accounts.spend[new])
            self._review_accounts(new, now)
            self._review_orgs(np.unique(orgs), now)

    def _tier(self, age: np.ndarray, spend: np.ndarray, floor: np.ndarray) -> np.ndarray:
        eligible = (age[:, None] >= self._tier_age[None, :]) & (spend[:, None] >= self._tier_spend[None, :])
        return np.maximum(np.maximum(eligible.sum(axis=1) - 1, 0), floor).astype(np.int8)

    def _review_accounts(self, codes: np.ndarray, now: float) -> None:
        visible = self.registry.visible
        age = now - visible.column("created_ts")[codes]
        self.accounts.tier[codes] = self._tier(age, self.accounts.spend[codes], visible.column("tier_floor")[codes])
        self._apply_account_limits(codes)

    def _review_orgs(self, codes: np.ndarray, now: float) -> None:
        age = now - self.registry.orgs.column("created_ts")[codes]
        self.orgs.tier[codes] = self._tier(age, self.orgs.spend[codes], np.zeros(codes.size, dtype=np.int8))
        self.org_buckets.set_limits(codes, self._tier_org[self.orgs.tier[codes]], self._burst)

    def _apply_account_limits(self, codes: np.ndarray) -> None:
        rate = self._tier_account[self.accounts.tier[codes]] * self.accounts.throttle[codes, None]
        self.account_buckets.set_limits(codes, rate, self._burst)

    # -- ticks -------------------------------------------------------------------------

    def process_tick(self, k: int) -> TickTraffic:
        """Decide the statuses of tick ``k``'s requests and build its batch."""
        if k != self.next_tick:
            raise ValueError(f"Ticks must be processed in order: expected {self.next_tick}, got {k}")
        start = k * self.tick_seconds
        end = min((k + 1) * self.tick_seconds, float(self.scenario.duration))
        self._register_new(start)
        if start >= self._next_expiry:
            expired = np.flatnonzero(self.accounts.throttle_until <= start)
            self.accounts.throttle[expired] = 1.0
            self.accounts.throttle_until[expired] = np.inf
            self._apply_account_limits(expired)
            self._next_expiry = float(self.accounts.throttle_until.min(initial=np.inf))

        pending = self._pending.pop(k, None)
        if pending is None:
            table, block = self._empty_tick()
            account = block.columns["account"]
        else:
            block = concat_blocks(pending)
            cols = block.columns
            order = np.lexsort((cols["turn"], cols["conversation_id"], cols["ts"]))
            block = block.take(order)
            cols = block.columns
            n = len(block)
            account = cols["account"]
            org = self.registry.visible.column("org")[account]
            status = np.full(n, STATUS_OK, dtype=np.int16)
            costs = np.column_stack([np.ones(n), cols["input_tokens"], cols["output_tokens"]]).astype(np.float64)
            if self._refusing:
                banned = (self.accounts.ban_tick[account] <= k) | (
                    (self.accounts.challenge_tick[account] <= k) & (cols["ts"] < self.accounts.cleared_at[account])
                )
                status[banned] = STATUS_FORBIDDEN
                live = np.flatnonzero(~banned)
                admitted = admit(
                    self.account_buckets, self.org_buckets, account[live], org[live], cols["ts"][live], costs[live]
                )
                status[live[~admitted]] = STATUS_RATE_LIMITED
                account_groups, org_groups = KeyGroups(account), KeyGroups(org)
            else:
                account_groups, org_groups = KeyGroups(account), KeyGroups(org)
                admitted = admit(
                    self.account_buckets, self.org_buckets, account, org, cols["ts"], costs, account_groups, org_groups
                )
                status[~admitted] = STATUS_RATE_LIMITED
            served = status == STATUS_OK
            output_served = np.where(served, cols["output_tokens"], 0).astype(np.int32)
            self._bill(account_groups, org_groups, served, costs)
            ids = request_ids(self._request_counter, n, self._request_id_key)
            self._request_counter += n
            table = self._visible_table(block, org, ids, output_served, status)

        self._processed = k
        if end >= self._next_review or k == self.n_ticks - 1:
            while self._next_review <= end:
                self._next_review += self._review_every
            self._review_accounts(np.arange(self._known_accounts), end)
            self._review_orgs(np.arange(self._known_orgs), end)

        ips, clients = self.network.ips.store, self.network.clients.store
        ip, client = block.columns["ip"], block.columns["client"]
        hashes = {
            "ip": read_only(ips.column("text_hash")[ip]),
            "subnet": read_only(ips.column("subnet_hash")[ip]),
            "client_fingerprint": read_only(clients.column("fingerprint_hash")[client]),
        }
        first = self.registry.published
        accounts = self.registry.publish_new()
        serials = self.registry.serials_of(account)
        if serials.size and int(serials.min()) < 0:
            raise RuntimeError(f"tick {k}: a request of an account that was never published")
        batch = RequestBatch(
            tick=k,
            start=start,
            end=end,
            origin=self.origin,
            table=table,
            accounts=accounts,
            serials=AccountSerials(self._stream, read_only(serials), first),
            text_hashes=hashes,
        )
        return TickTraffic(
            batch=batch,
            account_codes=account,
            template_id=block.columns["template_id"],
            requested_output=block.columns["output_tokens"],
        )

    def _empty_tick(self) -> tuple[pa.Table, RequestBlock]:
        """The table and block of a tick without requests (built once: Arrow tables are immutable)."""
        if self._empty is None:
            block = concat_blocks([])
            cols = block.columns
            empty = np.empty(0, dtype=np.int64)
            table = self._visible_table(
                block, empty, np.empty(0, dtype=np.uint64), np.empty(0, np.int32), np.empty(0, np.int16)
            )
            for array in cols.values():
                array.flags.writeable = False
            self._empty = (table, block)
        return self._empty

    def _bill(self, account_groups: KeyGroups, org_groups: KeyGroups, served: np.ndarray, costs: np.ndarray) -> None:
        """Add the list price of served requests (``costs @ price``, USD) to the spend of
        their accounts and organisations (the tick's rows grouped by each)."""
        if served.size == 0:
            return
        spend = np.where(served, costs @ self._price, 0.0)
        for store, groups in ((self.accounts, account_groups), (self.orgs, org_groups)):
            store.spend[groups.unique] += np.bincount(groups.inverse(), weights=spend, minlength=groups.unique.size)

    def _visible_table(
        self, block: RequestBlock, org: np.ndarray, ids: np.ndarray, output_served: np.ndarray, status: np.ndarray
    ) -> pa.Table:
        cols = block.columns
        reg = self.registry
        ips = self.network.ips.store
        clients = self.network.clients.store
        ip = cols["ip"]
        client = cols["client"]
        key = cols["key"]
        texts = self._texts
        dictionaries = self._dictionaries

        def text(name: str, source: np.ndarray, codes: np.ndarray) -> pa.Array:
            texts[name].sync(source)
            return texts[name].take(codes)

        def category(codes: np.ndarray, name: str) -> pa.DictionaryArray:
            return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int16)), dictionaries[name])

        arrays = [
            pa.array(cols["ts"]),
            pa.array(ids),
            text("account", reg.visible.column("account_id"), cols["account"]),
            text("org", reg.orgs.column("org_id"), org),
            text("key", reg.keys.column("key_id"), key),
            text("ip", ips.column("text"), ip),
            pa.array(ips.column("asn")[ip]),
            category(ips.column("country")[ip], "country"),
            text("user_agent", clients.column("user_agent"), client),
            text("fingerprint", clients.column("fingerprint"), client),
            category(reg.keys.column("pathway")[key], "pathway"),
            category(cols["model"], "model"),
            pa.array(cols["input_tokens"]),
            pa.array(output_served),
            pa.array(cols["max_tokens"]),
            category(cols["topic"], "topic"),
            category(cols["language"], "language"),
            pa.array(cols["cot_requested"]),
            pa.array(cols["system_prompt_hash"]),
            pa.array(cols["prompt_simhash"]),
            pa.array(cols["conversation_id"]),
            pa.array(cols["turn"]),
            pa.array(status),
        ]
        return pa.Table.from_arrays(arrays, schema=REQUEST_SCHEMA)
