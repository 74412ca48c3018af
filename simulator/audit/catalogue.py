"""The catalogue of per-account features: stable names, each under one signal.

Names are fixed by this module, never by the data: one-hot families enumerate a
fixed vocabulary (the simulator's countries, sign-up and access pathways, topics
and languages, the e-mail styles) plus ``other`` for values outside it.
``docs/audit.md`` describes every name; a test keeps the two in step.

Families (``<column>`` one of :data:`CATEGORICAL_COLUMNS`):

* ``<column>_distinct``: distinct values the account used;
* ``<column>_distinct_ratio``: distinct values / requests, in (0, 1];
* ``<column>_top_share``: share of the account's requests with its most common value;
* ``<column>_entropy``: Shannon entropy of its values, bits (``−Σ p log₂ p``);
* ``<column>_main_accounts``: other accounts that used the account's most common value;
* ``<column>_shared_share``: share of its requests whose value another account also used;
* ``declared_country=<CC>``, ``signup_pathway=<p>``, ``email_style=<s>``: one-hot
  registry fields (0/1);
* ``pathway_share=<p>``, ``topic_share=<t>``, ``language_share=<l>``: shares of the
  account's requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.audit.email import EMAIL_STYLES
from simulator.geography import COUNTRIES
from simulator.prompts import LANGUAGES, TOPICS
from simulator.scenario.signals import SIGNALS
from simulator.vocabulary import ACCESS_PATHWAYS, SIGNUP_PATHWAYS

__all__ = [
    "CATEGORICAL_COLUMNS",
    "CATEGORICAL_STATISTICS",
    "FEATURES",
    "FEATURE_NAMES",
    "FEATURE_SIGNALS",
    "ONE_HOT",
    "OTHER",
    "Feature",
]

OTHER = "other"
"""The one-hot bucket of values outside a family's vocabulary."""


@dataclass(frozen=True)
class Feature:
    """One per-account feature."""

    name: str
    signal: str
    """One of :data:`~simulator.scenario.signals.SIGNALS`."""
    description: str


CATEGORICAL_COLUMNS: dict[str, str] = {
    "ip": "exits",
    "subnet": "exits",
    "asn": "exits",
    "country": "exits",
    "user_agent": "clients",
    "client_fingerprint": "clients",
    "key_id": "keys",
    "org_id": "organisation",
    "pathway": "pathway",
    "model": "models",
    "topic": "topics",
    "language": "languages",
    "system_prompt_hash": "system_prompts",
    "max_tokens": "lengths",
}
"""Request columns counted per (account, value), with their signal. ``subnet`` is
derived from ``ip``: its /24 (IPv4) or /64 (IPv6)."""

CATEGORICAL_STATISTICS: dict[str, str] = {
    "distinct": "distinct values of `{column}`",
    "distinct_ratio": "distinct values of `{column}` / requests",
    "top_share": "share of requests with the account's most common `{column}`",
    "entropy": "entropy of the account's `{column}` values, bits",
    "main_accounts": "other accounts that used the account's most common `{column}`",
    "shared_share": "share of requests whose `{column}` another account also used",
}

ONE_HOT: dict[str, tuple[str, tuple[str, ...], str]] = {
    "declared_country": ("geography", (*(c.code for c in COUNTRIES), OTHER), "declared country is {value} (0/1)"),
    "signup_pathway": ("signup", (*SIGNUP_PATHWAYS, OTHER), "signed up through `{value}` (0/1)"),
    "email_style": ("identity", EMAIL_STYLES, "e-mail domain style is `{value}` (0/1)"),
    "pathway_share": ("pathway", (*ACCESS_PATHWAYS, OTHER), "share of requests through `{value}`"),
    "topic_share": ("topics", (*TOPICS, OTHER), "share of requests classified `{value}`"),
    "language_share": ("languages", (*LANGUAGES, OTHER), "share of requests classified `{value}`"),
}
"""Family → (signal, vocabulary, description pattern); features are ``family=value``."""

_SCALARS: tuple[tuple[str, str, str], ...] = (
    ("requests", "volume", "requests sent (every status)"),
    ("input_tokens_total", "volume", "input tokens sent"),
    ("output_tokens_total", "volume", "output tokens served"),
    ("requests_per_active_hour", "rate", "requests / hour slots with a request"),
    ("requests_per_active_day", "rate", "requests / day slots with a request"),
    ("peak_minute_requests", "rate", "most requests in one minute slot"),
    ("peak_hour_requests", "rate", "most requests in one hour slot"),
    ("first_request_hours", "timing", "time of the first request, hours since the start"),
    ("active_span_hours", "timing", "last request − first request, hours"),
    ("active_days", "timing", "day slots (from the start) with a request"),
    ("active_hours", "timing", "hour slots with a request"),
    ("active_minutes", "timing", "minute slots with a request"),
    ("gap_cv", "timing", "coefficient of variation of the gaps between successive requests (0 below 2 gaps)"),
    ("gap_log_mean", "timing", "mean of log₁₀ gap (s, floored at 1 ms)"),
    ("gap_log_std", "timing", "standard deviation of log₁₀ gap"),
    ("gap_subsecond_share", "timing", "share of gaps under one second"),
    ("utc_hour_entropy", "rhythm", "entropy of the UTC hour-of-day profile, bits (at most log₂ 24 ≈ 4.58)"),
    ("utc_hour_peak_share", "rhythm", "share of requests in the busiest UTC hour of day"),
    ("local_night_share", "rhythm", "share of requests 00:00–05:59 in the declared country's local time"),
    ("local_office_share", "rhythm", "share of requests 09:00–17:59 on local weekdays"),
    ("local_weekend_share", "rhythm", "share of requests on local Saturdays and Sundays"),
    ("exit_country_mismatch", "geography", "1 if the most common exit country differs from the declared one"),
    ("declared_country_share", "geography", "share of requests leaving from the declared country"),
    ("payment_accounts", "payment", "other registered accounts with the same payment fingerprint"),
    ("org_accounts", "organisation", "other registered accounts in the same organisation"),
    ("company_accounts", "organisation", "other registered accounts whose organisation has the same company name"),
    ("tier_rank", "signup", "position of the account's tier among the gateway's tiers (0: lowest)"),
    ("verified", "signup", "verified at sign-up (0/1)"),
    ("created_during_run", "signup", "created after the start (0/1)"),
    ("age_at_first_request_days", "signup", "first request − creation, days"),
    ("email_domain_accounts", "identity", "other registered accounts with the same e-mail domain"),
    ("email_local_digit_share", "identity", "share of digits in the e-mail's local part"),
    ("email_local_dotted", "identity", "the e-mail's local part contains a dot (0/1)"),
    ("turn0_share", "conversations", "share of requests opening a conversation (turn 0)"),
    # a count of conversations is requests / turns per conversation: how much, not how structured
    ("conversations", "volume", "distinct conversation ids"),
    ("turns_per_conversation", "conversations", "requests / distinct conversations"),
    ("turn_mean", "conversations", "mean turn number"),
    ("turn_max", "conversations", "highest turn number"),
    ("input_tokens_mean", "lengths", "mean input tokens"),
    ("input_tokens_cv", "lengths", "coefficient of variation of input tokens"),
    ("output_tokens_mean", "lengths", "mean output tokens of served requests"),
    ("output_tokens_cv", "lengths", "coefficient of variation of served output tokens"),
    ("max_tokens_mean", "lengths", "mean max_tokens"),
    ("max_tokens_cv", "lengths", "coefficient of variation of max_tokens"),
    ("output_to_max_mean", "lengths", "mean of output tokens / max_tokens over served requests"),
    ("truncated_share", "lengths", "share of served requests whose output reached max_tokens"),
    ("cot_share", "cot", "share of requests flagged as asking for chain-of-thought"),
    ("simhash_band_top_share", "templates", "mean over the 4 16-bit SimHash bands of the top band value's share"),
    ("simhash_band_distinct_ratio", "templates", "mean over the 4 bands of distinct band values / requests"),
    ("simhash_band_main_accounts", "templates", "mean over the 4 bands of other accounts with the top band value"),
    ("simhash_band_shared_share", "templates", "mean over the 4 bands of the share of band values other accounts use"),
    ("rate_limited_share", "status", "share of requests answered 429"),
    ("forbidden_share", "status", "share of requests answered 403"),
)


def _catalogue() -> tuple[Feature, ...]:
    features = [Feature(name, signal, text) for name, signal, text in _SCALARS]
    for column, signal in CATEGORICAL_COLUMNS.items():
        for statistic, text in CATEGORICAL_STATISTICS.items():
            features.append(Feature(f"{column}_{statistic}", signal, text.format(column=column)))
    for family, (signal, values, text) in ONE_HOT.items():
        features.extend(Feature(f"{family}={value}", signal, text.format(value=value)) for value in values)
    names = [f.name for f in features]
    assert len(set(names)) == len(names), "duplicate feature names"
    assert {f.signal for f in features} <= set(SIGNALS), "a feature outside the signal vocabulary"
    return tuple(features)


FEATURES: tuple[Feature, ...] = _catalogue()
"""Every feature, in output order."""

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)

FEATURE_SIGNALS: dict[str, str] = {f.name: f.signal for f in FEATURES}
"""Feature name → its signal."""
