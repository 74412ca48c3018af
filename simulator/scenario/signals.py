"""The vocabulary of signals: what kind of evidence a feature (or a tactic) carries.

Every per-account feature of the audit belongs to exactly one signal, and a
campaign declares the signals its tactics are meant to leave (``signals: [exits,
rate]``). A feature whose signal no campaign of the scenario declares must not
separate attackers from customers: if it does, it is an artefact of the
simulator (DESIGN.md, boundary 5).

The audit (:mod:`simulator.audit`) groups its features by these names; the
campaign schema validates the names a campaign declares against them.
"""

from __future__ import annotations

__all__ = ["SIGNALS", "SIGNAL_DESCRIPTIONS", "check_signal"]

SIGNAL_DESCRIPTIONS: dict[str, str] = {
    "volume": "how much an account asks for: requests and tokens over the run",
    "rate": "how fast: requests per active hour or day, the busiest minute and hour",
    "timing": "when and how regularly: active span, active days, gaps between requests, first request",
    "rhythm": "hour-of-day and day-of-week profile, in UTC and in the declared country's local time",
    "exits": "the network an account sends from: IP addresses, /24 subnets, ASNs, exit countries",
    "geography": "the declared country, and whether the traffic leaves from it",
    "clients": "the client software: user agents and client fingerprints",
    "payment": "payment instruments shared with other accounts",
    "organisation": "the organisation: its size, its company name, organisations per account",
    "signup": "how and when the account signed up: pathway, tier, verification, age",
    "identity": "the e-mail address: domain style, shared domains, the shape of the local part",
    "models": "which models an account uses",
    "conversations": "conversation structure: new conversations, turns per conversation",
    "lengths": "input, output and max_tokens lengths",
    "topics": "the (classified) topic mix",
    "cot": "the share of requests asking for chain-of-thought",
    "templates": "near-duplicate prompts: SimHash band values repeated within and across accounts",
    "system_prompts": "system prompts: how many, how shared",
    "languages": "the (classified) language mix",
    "status": "responses refused: rate-limited (429) and forbidden (403) shares",
    "keys": "API keys: how many per account, how shared",
    "pathway": "the access pathway of requests: direct API, cloud marketplace, reseller",
}
"""One line per signal: what evidence it groups."""

SIGNALS: tuple[str, ...] = tuple(SIGNAL_DESCRIPTIONS)
"""The fixed vocabulary of signal names, in documentation order."""


def check_signal(name: str) -> str:
    """``name`` if it is a known signal; otherwise ``ValueError`` listing the valid ones."""
    if name not in SIGNAL_DESCRIPTIONS:
        raise ValueError(f"expected a signal among: {', '.join(SIGNALS)}, got {name!r}")
    return name
