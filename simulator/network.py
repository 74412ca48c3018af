"""The simulated internet: autonomous systems, IP addresses and client software.

The catalogue of autonomous systems (ASNs) is fixed for a run (drawn from the
run's ``network`` stream): each ASN has a country, a kind (residential ISP,
mobile carrier, datacentre/cloud, corporate, education) and a /16 address
block. Actors allocate addresses from it with their own generator, so allocation
by one actor never changes another's addresses.

Addresses and client fingerprints are interned into tables: a request carries an
integer code and the gateway looks up the visible strings (``ip``, ``asn``,
``country``, ``user_agent``, ``client_fingerprint``) when it builds a batch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from simulator.columns import ColumnStore
from simulator.geography import COUNTRIES
from simulator.hashing import text_hashes

__all__ = [
    "CGNAT_SUBNETS",
    "TLS_VARIANTS",
    "AsnKind",
    "ClientTable",
    "IpTable",
    "Network",
    "client_fingerprint",
    "format_ipv4",
]


class AsnKind(IntEnum):
    """What kind of network an autonomous system is."""

    RESIDENTIAL = 0
    MOBILE = 1
    DATACENTER = 2
    CORPORATE = 3
    EDUCATION = 4


TLS_VARIANTS = 3
"""Distinct TLS fingerprints one client software version shows across machines."""

CGNAT_SUBNETS = 16
"""/24 networks a mobile carrier's carrier-grade NAT egresses through: its customers
share these addresses, many at a time."""

# ASNs per country and kind in the catalogue; datacentres are concentrated in a few countries.
_ASNS_PER_KIND = {
    AsnKind.RESIDENTIAL: 4,
    AsnKind.MOBILE: 2,
    AsnKind.DATACENTER: 2,
    AsnKind.CORPORATE: 3,
    AsnKind.EDUCATION: 1,
}


_OCTETS = np.array([str(value) for value in range(256)], dtype=object)
"""The decimal text of every octet value, indexed by the value."""


def _dotted(addresses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dotted-quad text, text of the /24 network: the first three octets) of IPv4
    addresses as uint32, as object arrays of str."""
    a = np.asarray(addresses, dtype=np.uint32)
    first, second, third, fourth = (_OCTETS[(a >> np.uint32(shift)) & np.uint32(0xFF)] for shift in (24, 16, 8, 0))
    subnet = first + "." + second + "." + third
    return subnet + "." + fourth, subnet


def format_ipv4(addresses: np.ndarray) -> np.ndarray:
    """Dotted-quad strings (object array) for an array of IPv4 addresses as uint32."""
    return _dotted(addresses)[0]


@dataclass(frozen=True)
class AsnCatalogue:
    number: np.ndarray
    """Public-looking AS numbers (int32)."""
    country: np.ndarray
    """Index into :data:`simulator.geography.COUNTRIES` (int16)."""
    kind: np.ndarray
    """:class:`AsnKind` values (int8)."""
    block: np.ndarray
    """First address of the ASN's /16 block (uint32)."""


class IpTable:
    """Interned IPv4 addresses with the ASN and country they belong to, and the
    stable hashes (:func:`~simulator.hashing.text_hashes`) of the address's text and
    of its /24 network's (the text without its last octet), computed once per address."""

    def __init__(self) -> None:
        self.store = ColumnStore(
            {
                "address": np.uint32,
                "text": object,
                "asn": np.int32,
                "country": np.int16,
                "kind": np.int8,
                "text_hash": np.uint64,
                "subnet_hash": np.uint64,
            }
        )
        self._known = np.empty(0, dtype=np.uint32)
        """Every interned address, sorted (for look-ups by binary search)."""
        self._known_codes = np.empty(0, dtype=np.int64)
        """The code of each address of ``_known``."""

    def __len__(self) -> int:
        return len(self.store)

    def intern(self, address: np.ndarray, asn: np.ndarray, country: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """Codes of the given addresses, adding unseen ones (numbered in the order of
        their first occurrence in ``address``, with that occurrence's ASN, country and kind)."""
        address = np.asarray(address, dtype=np.uint32)
        if address.size == 0:
            return np.empty(0, dtype=np.int64)
        distinct, first, inverse = np.unique(address, return_index=True, return_inverse=True)
        at = np.minimum(np.searchsorted(self._known, distinct), max(self._known.size - 1, 0))
        known = (self._known[at] == distinct) if self._known.size else np.zeros(distinct.size, dtype=bool)
        distinct_codes = np.where(known, self._known_codes[at] if self._known.size else 0, -1)
        unseen = np.flatnonzero(~known)
        if unseen.size:
            unseen = unseen[np.argsort(first[unseen], kind="stable")]  # first-occurrence order
            rows = first[unseen]
            distinct_codes[unseen] = len(self.store) + np.arange(unseen.size)
            text, subnet = _dotted(address[rows])
            self.store.append(
                address=address[rows],
                text=text,
                asn=asn[rows],
                country=country[rows],
                kind=kind[rows],
                text_hash=text_hashes(text),
                subnet_hash=text_hashes(subnet),
            )
            merged = np.concatenate([self._known, distinct[unseen]])
            order = np.argsort(merged, kind="stable")
            self._known = merged[order]
            self._known_codes = np.concatenate([self._known_codes, distinct_codes[unseen]])[order]
        return distinct_codes[inverse.reshape(-1)]


class ClientTable:
    """Client software seen by the gateway: a user-agent string and a fingerprint
    (a JA3-like hash of the TLS/HTTP client behaviour, 16 hex digits), with the
    fingerprint text's stable hash (:func:`~simulator.hashing.text_hashes`)."""

    def __init__(self) -> None:
        self.store = ColumnStore({"user_agent": object, "fingerprint": object, "fingerprint_hash": np.uint64})
        self._index: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self.store)

    def intern(self, user_agent: str, fingerprint: str) -> int:
        key = (user_agent, fingerprint)
        code = self._index.get(key)
        if code is None:
            code = int(
                self.store.append(
                    user_agent=[user_agent], fingerprint=[fingerprint], fingerprint_hash=text_hashes([fingerprint])
                )[0]
            )
            self._index[key] = code
        return code


_SDKS = (
    ("anthropic-python", ("0.39.0", "0.40.0", "0.42.1", "0.45.2")),
    ("anthropic-typescript", ("0.32.1", "0.33.0", "0.36.3")),
    ("openai-python", ("1.54.3", "1.58.1", "1.61.0")),
    ("openai-node", ("4.71.0", "4.77.3")),
    ("langchain", ("0.3.9", "0.3.14")),
    ("litellm", ("1.55.2", "1.59.8")),
    ("curl", ("8.5.0", "8.11.1")),
    ("python-requests", ("2.31.0", "2.32.3")),
    ("Go-http-client", ("1.1", "2.0")),
)
_PLATFORMS = ("linux-x86_64", "darwin-arm64", "windows-amd64", "linux-aarch64")


_BROWSER_MAJORS = (118, 132)
"""Chrome major versions of browser clients: ``range(*_BROWSER_MAJORS)``."""
_BROWSER_PLATFORMS = ("Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 10_15_7", "X11; Linux x86_64")


def _user_agents() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Every user agent :meth:`Network.new_clients` can show: the browsers' (major
    version by platform, row-major), then each SDK's (version by platform); with where
    each SDK's block starts in that list and how many versions it has."""
    agents = [
        f"Mozilla/5.0 ({platform}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36"
        for major in range(*_BROWSER_MAJORS)
        for platform in _BROWSER_PLATFORMS
    ]
    starts, counts = [], []
    for name, versions in _SDKS:
        starts.append(len(agents))
        counts.append(len(versions))
        agents.extend(f"{name}/{version} ({platform})" for version in versions for platform in _PLATFORMS)
    return tuple(agents), np.array(starts, dtype=np.int64), np.array(counts, dtype=np.int64)


_USER_AGENTS, _SDK_START, _SDK_VERSIONS = _user_agents()


def _lemire(raw: np.ndarray, bound: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """numpy's bounded draw (Lemire's multiply-shift, as ``Generator.integers`` does for
    ranges below 2³²) of an integer in ``[0, bound)`` from each raw 32-bit value, and
    whether numpy would reject that value and draw again (probability below
    ``bound / 2³²``)."""
    bound = np.asarray(bound, dtype=np.uint64)
    product = raw.astype(np.uint64) * bound
    threshold = (np.uint64(1 << 32) - bound) % bound
    return (product >> np.uint64(32)).astype(np.int64), (product & np.uint64(0xFFFFFFFF)) < threshold


class Network:
    """The ASN catalogue plus the shared address and client tables of one run."""

    def __init__(self, rng: np.random.Generator) -> None:
        numbers, countries, kinds = [], [], []
        for c, _ in enumerate(COUNTRIES):
            for kind, n in _ASNS_PER_KIND.items():
                for _ in range(n):
                    countries.append(c)
                    kinds.append(int(kind))
        count = len(countries)
        numbers = rng.choice(np.arange(1000, 400_000), size=count, replace=False).astype(np.int32)
        # distinct /16 blocks in public unicast space (1.0.0.0 - 223.255.0.0), avoiding 10/8 and 127/8
        first_octets = np.array([o for o in range(1, 224) if o not in (10, 127)], dtype=np.uint32)
        block_ids = rng.choice(first_octets.size * 256, size=count, replace=False)
        blocks = (first_octets[block_ids // 256] << 24) | ((block_ids % 256).astype(np.uint32) << 16)
        self.asns = AsnCatalogue(
            number=numbers,
            country=np.asarray(countries, dtype=np.int16),
            kind=np.asarray(kinds, dtype=np.int8),
            block=blocks.astype(np.uint32),
        )
        self.ips = IpTable()
        self.clients = ClientTable()

    def asns_of(self, kind: AsnKind, countries: np.ndarray | None = None) -> np.ndarray:
        """Catalogue rows of the given kind (optionally restricted to some countries)."""
        mask = self.asns.kind == int(kind)
        if countries is not None:
            mask &= np.isin(self.asns.country, countries)
        return np.flatnonzero(mask)

    def _candidates(self, kind: AsnKind, countries: np.ndarray | None) -> np.ndarray:
        """:meth:`asns_of`, falling back to any country when none of ``countries`` has one."""
        candidates = self.asns_of(kind, countries)
        return candidates if candidates.size else self.asns_of(kind)

    def allocate(
        self,
        rng: np.random.Generator,
        n: int,
        kind: AsnKind,
        countries: np.ndarray | None = None,
        subnets: int | None = None,
    ) -> np.ndarray:
        """Codes of ``n`` addresses in ASNs of ``kind`` located in ``countries``
        (country indices: one per address, each address then in its own country, or
        a set of allowed countries; default: any; a country without an ASN of the
        kind falls back to any country). With ``subnets``, addresses are packed into
        that many /24 networks (a proxy provider's or company's ranges)."""
        if n == 0:
            return np.empty(0, dtype=np.int64)
        if subnets is not None:
            subnet_rows = rng.choice(self._candidates(kind, countries), size=max(1, subnets))
            subnet_third = rng.integers(0, 256, size=subnet_rows.size, dtype=np.uint32)
            pick = rng.integers(0, subnet_rows.size, size=n)
            rows, third = subnet_rows[pick], subnet_third[pick]
        else:
            if countries is not None and np.size(countries) == n > 1:  # a country per address
                rows = np.empty(n, dtype=np.int64)
                for country in np.unique(countries):
                    at = np.flatnonzero(countries == country)
                    rows[at] = rng.choice(self._candidates(kind, np.array([country])), size=at.size)
            else:
                rows = rng.choice(self._candidates(kind, countries), size=n)
            # mobile carriers put their customers behind a few NAT egress networks
            span = CGNAT_SUBNETS if kind == AsnKind.MOBILE else 256
            third = rng.integers(0, span, size=n, dtype=np.uint32)
        host = rng.integers(1, 255, size=n, dtype=np.uint32)
        address = self.asns.block[rows] | (third << 8) | host
        return self.ips.intern(address, self.asns.number[rows], self.asns.country[rows], self.asns.kind[rows])

    def new_client(self, rng: np.random.Generator, browser: bool = False, sdk: str | None = None) -> int:
        """A new client install: a user agent (an SDK, a CLI tool or a browser) and its
        TLS/HTTP fingerprint.

        Like a real JA3/JA4 fingerprint, the fingerprint is a property of the client
        software, not of the install: everyone running one SDK version on one platform
        shows one of :data:`TLS_VARIANTS` fingerprints (the TLS library build differs
        between machines). Thousands of customers therefore share each fingerprint,
        and a fleet sharing one is not unusual by that alone."""
        if browser:
            major = int(rng.integers(*_BROWSER_MAJORS))
            platform = int(rng.integers(0, len(_BROWSER_PLATFORMS)))
            agent = (major - _BROWSER_MAJORS[0]) * len(_BROWSER_PLATFORMS) + platform
        else:
            names = [name for name, _ in _SDKS]
            index = names.index(sdk) if sdk in names else int(rng.integers(0, len(_SDKS)))
            version = int(rng.integers(0, int(_SDK_VERSIONS[index])))
            platform = int(rng.integers(0, len(_PLATFORMS)))
            agent = int(_SDK_START[index]) + version * len(_PLATFORMS) + platform
        variant = int(rng.integers(0, TLS_VARIANTS))
        user_agent = _USER_AGENTS[agent]
        return self.clients.intern(user_agent, client_fingerprint(user_agent, variant))

    def new_clients(self, rng: np.random.Generator, browser: np.ndarray) -> np.ndarray:
        """Codes of new client installs, a browser where ``browser`` is true, else an SDK
        drawn at random: the same installs, and the same draws from ``rng``, as
        :meth:`new_client` called once per entry in order (vectorised: numpy draws every
        bounded integer of a range below 2³² from one raw 32-bit value, rarely more)."""
        browser = np.asarray(browser, dtype=bool)
        n = browser.size
        if n == 0:
            return np.empty(0, dtype=np.int64)
        draws = np.where(browser, 3, 4)
        first = np.cumsum(draws) - draws
        saved = rng.bit_generator.state
        raw = rng.integers(0, 1 << 32, size=int(draws.sum()), dtype=np.uint32)
        agent = np.empty(n, dtype=np.int64)
        rejected = np.zeros(n, dtype=bool)
        rows = np.flatnonzero(browser)
        at = first[rows]
        major, r0 = _lemire(raw[at], _BROWSER_MAJORS[1] - _BROWSER_MAJORS[0])
        platform, r1 = _lemire(raw[at + 1], len(_BROWSER_PLATFORMS))
        agent[rows] = major * len(_BROWSER_PLATFORMS) + platform
        rejected[rows] = r0 | r1
        rows = np.flatnonzero(~browser)
        at = first[rows]
        index, r0 = _lemire(raw[at], len(_SDKS))
        version, r1 = _lemire(raw[at + 1], _SDK_VERSIONS[index])
        platform, r2 = _lemire(raw[at + 2], len(_PLATFORMS))
        agent[rows] = _SDK_START[index] + version * len(_PLATFORMS) + platform
        rejected[rows] = r0 | r1 | r2
        variant, r3 = _lemire(raw[first + draws - 1], TLS_VARIANTS)
        if (rejected | r3).any():  # a redrawn value shifts every later draw: take them one by one
            rng.bit_generator.state = saved
            return np.array([self.new_client(rng, browser=bool(b)) for b in browser.tolist()], dtype=np.int64)
        install = agent * TLS_VARIANTS + variant
        distinct, where, inverse = np.unique(install, return_index=True, return_inverse=True)
        codes = np.empty(distinct.size, dtype=np.int64)
        for k in np.argsort(where, kind="stable").tolist():  # interned in order of first use
            user_agent = _USER_AGENTS[int(distinct[k]) // TLS_VARIANTS]
            codes[k] = self.clients.intern(user_agent, client_fingerprint(user_agent, int(distinct[k]) % TLS_VARIANTS))
        return codes[inverse.reshape(-1)]


def client_fingerprint(user_agent: str, variant: int) -> str:
    """The fingerprint (16 hex digits) of a client software and TLS variant; the same
    in every run, as a real client's is."""
    return hashlib.blake2b(f"{user_agent}\x1f{variant}".encode(), digest_size=8).hexdigest()
