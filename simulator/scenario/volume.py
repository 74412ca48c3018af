"""How many requests a scenario should send, read from its spec alone.

A scenario's description states its volumes ("about 20 million requests"); the
traffic comes from rates scattered over its groups and their archetype
defaults. :func:`expected_requests` puts the two side by side without running
the world: per group (customer archetype or campaign), the expected number of
requests over the scenario's duration,

    requests = accounts · (mean requests per account per second) · duration

with the mean per account taken from the spec's rates and their spreads:

* **sessions** (``chat``, ``power_user``, ``coding_assistant``, ``agent``,
  ``reseller``): ``sessions_per_day · turns · E[activity]``, with
  ``turns = 1 + (1 − single_turn_share) · mean_extra_turns`` and ``activity``
  log-normal with median 1 and σ ``volume_sigma``, so ``E[activity] = exp(σ²/2)``
  (13.1 at the default σ 2.27: the median customer sends a thirteenth of the mean);
* **jobs** (``batch``, ``eval_harness``, ``data_labelling``): ``daily_jobs ·
  E[requests_per_job] · E[activity^0.75]`` (a job's size is log-normal; heavier
  accounts run more jobs with exponent 0.75, as :mod:`simulator.population.scheduled` draws);
* **product backends** (``api_integration``): ``requests_per_day · E[activity]``;
* **campaigns**: ``requests_per_account`` (their volume multipliers have mean 1),
  over the campaign's own span (``start`` to ``end``) instead of the whole duration.

The rhythm weights (daily and weekly) have mean one and are left out, as are
what the world adds or removes on its own: bans and replacements, rate limits
(429 answers are requests too), sign-up waves arriving during the run,
truncated log-normals. It is an estimate to check a description against, good
to tens of percent on a scenario of thousands of accounts (per group, the
mean of a heavy-tailed activity over few accounts is noisier than that).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.scenario.schema import Scenario
from simulator.units import DAY

__all__ = ["GroupVolume", "expected_requests", "total_expected_requests"]


@dataclass(frozen=True)
class GroupVolume:
    """Expected traffic of one population group or campaign over the scenario."""

    name: str
    """The group's actor name (``name``, else ``<kind>-<index>``)."""
    kind: str
    attacker: bool
    """Whether it is a campaign."""
    accounts: int
    per_account_per_day: float
    """Expected requests per account per day (mean over accounts)."""
    requests: float
    """Expected requests over the scenario: ``accounts · per_account_per_day · days``
    (a campaign's days: its own span)."""


def _lognormal_mean(median: float, sigma: float) -> float:
    """Mean of a log-normal with the given median and σ of the log: ``median · exp(σ²/2)``."""
    return median * math.exp(sigma * sigma / 2.0)


def _per_account_per_second(spec: object) -> float:
    """Expected requests per account per second of one population group's spec."""
    sigma = float(getattr(spec, "volume_sigma", 0.0))
    session = getattr(spec, "session", None)
    if session is not None and hasattr(spec, "sessions_per_day"):
        turns = 1.0 + (1.0 - session.single_turn_share) * session.mean_extra_turns
        return float(spec.sessions_per_day) * turns * _lognormal_mean(1.0, sigma)
    if hasattr(spec, "daily_jobs"):
        size = spec.requests_per_job
        per_day = spec.daily_jobs() * _lognormal_mean(size.median, size.sigma) * _lognormal_mean(1.0, 0.75 * sigma)
        return per_day / DAY
    if hasattr(spec, "requests_per_day"):
        return float(spec.requests_per_day) * _lognormal_mean(1.0, sigma)
    raise ValueError(f"No request rate known for population kind {getattr(spec, 'kind', spec)!r}")


def expected_requests(scenario: Scenario) -> list[GroupVolume]:
    """Expected requests of each population group and campaign of ``scenario`` over
    its duration, in scenario order (see the module docstring for the formulas)."""
    duration = float(scenario.duration)
    out = []
    configs = [*scenario.population, *scenario.campaigns]
    for index, spec in enumerate(configs):
        attacker = index >= len(scenario.population)
        span = duration
        if attacker:
            rate = float(spec.load.requests_per_account)
            span = max(min(duration, float(spec.end if spec.end is not None else duration)) - float(spec.start), 0.0)
        else:
            rate = _per_account_per_second(spec)
        accounts = int(spec.accounts)
        out.append(
            GroupVolume(
                name=spec.actor_name(index),
                kind=spec.kind,
                attacker=attacker,
                accounts=accounts,
                per_account_per_day=rate * DAY,
                requests=accounts * rate * span,
            )
        )
    return out


def total_expected_requests(scenario: Scenario) -> tuple[float, float]:
    """(legitimate, attack) expected requests of ``scenario`` over its duration."""
    volumes = expected_requests(scenario)
    legitimate = sum(v.requests for v in volumes if not v.attacker)
    attack = sum(v.requests for v in volumes if v.attacker)
    return legitimate, attack
