"""A defence stack in the closed loop, and what it cost both sides.

The runner hands the loop the accounts its alarm policy contains (:meth:`DefenceLoop.alarmed`)
instead of enforcing them, and calls :meth:`DefenceLoop.after_tick` once the
detector has seen the tick. In order, at the end of tick ``k`` (actions apply from
tick ``k + 1``, like the alarm policy's):

1. the takedown's link index reads the tick's addresses and clients;
2. alarms become **confirmed**: at once, or through the analysts' review queue;
   the alarm policy's action is applied to them, and the takedown bans the accounts
   linked to them (reason ``linked``);
3. step-up verification asks the accounts that crossed a threshold;
4. audits end (closing organisations: reason ``audit``) and start.

Everything above reads what a provider sees. The :class:`DefenceMeter` beside it
reads the hidden truth, for the results only: who was asked, delayed, churned or
banned, what each campaign paid, and its provenance evidence (watermark).

Results (:data:`DEFENCE_SCHEMA`, one row per subject and figure): subject
``customers`` with ``asked`` (accounts asked to verify), ``delayed_hours`` (hours from
the ask to the pass, summed over those who passed, a pass after the end of the run
included), ``churned`` (asked, not passed by the end, not banned), ``banned_linked``,
``banned_audit``, ``banned_alarm``; and per
campaign ``spent_usd``, ``spent_verification_usd``, ``identities`` (accounts registered +
identities bought), ``asked``, ``blocked_hours``, ``banned_linked``, ``banned_audit``,
``harvested_tokens``, and with a watermark ``provenance_z`` (expected z at the end),
``tokens_to_evidence`` and ``evidence_s`` (when the harvest crossed it; NaN if not during the run).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from simulator.bench.defences.audit import Audits
from simulator.bench.defences.queue import AlarmQueue
from simulator.bench.defences.specs import DefenceStack, Watermark
from simulator.bench.defences.stepup import StepUpPolicy
from simulator.bench.defences.takedown import LinkIndex
from simulator.bench.ledger import ScoreLog, TrafficLedger
from simulator.bench.policy import AlarmPolicy
from simulator.campaign import CampaignActor
from simulator.metrics.provenance import expected_z, student_bias, tokens_to_evidence
from simulator.traffic import STATUS_OK, TickTraffic
from simulator.world import World

__all__ = ["DEFENCE_SCHEMA", "DefenceLoop", "DefenceMeter"]

DEFENCE_SCHEMA = pa.schema(
    [
        pa.field("subject", pa.string()),  # 'customers' or a campaign's name
        pa.field("metric", pa.string()),
        pa.field("value", pa.float64()),
    ]
)
"""A cell's defence figures (see the module)."""

HOUR = 3600.0


class DefenceMeter:
    """What the defences cost, read from the hidden truth after the fact (never acted on)."""

    def __init__(self, world: World, watermark: Watermark | None) -> None:
        self.world = world
        self.watermark = watermark
        self.campaigns = [a for a in world.actors if isinstance(a, CampaignActor)]
        self.harvested = np.zeros(len(world.actors))
        self.evidence_s = np.full(len(world.actors), np.nan)
        self.bans: dict[str, list[np.ndarray]] = {"linked": [], "audit": [], "alarm": []}
        world.gateway.add_listener(self._hear)

    def _hear(self, event: object) -> None:
        if getattr(event, "action", None) == "ban":
            self.bans[event.reason].append(event.accounts)  # type: ignore[attr-defined]

    def threshold(self, actor: CampaignActor) -> float:
        """Tokens to evidence of a campaign (inf without a watermark)."""
        wm = self.watermark
        if wm is None:
            return math.inf
        lau = actor.laundering
        bias = student_bias(wm.strength, wm.gamma, wm.entropy, wm.transfer, lau.student_share, lau.retention)
        return tokens_to_evidence(bias, wm.gamma, wm.scored, lau.kept, wm.alpha)

    def observe(self, traffic: TickTraffic) -> None:
        """Add the tick's harvest (served templated output) per campaign; note crossings."""
        codes = traffic.account_codes
        if codes.size == 0:
            return
        table = traffic.batch.table
        harvest = (table.column("status").to_numpy() == STATUS_OK) & (traffic.template_id >= 0)
        actors = self.world.registry.truth.column("actor")[codes[harvest]]
        output = table.column("output_tokens").to_numpy()[harvest]
        self.harvested += np.bincount(actors, weights=output, minlength=self.harvested.size)
        for actor in self.campaigns if self.watermark is not None else ():
            i = actor.index
            if np.isnan(self.evidence_s[i]) and self.harvested[i] >= self.threshold(actor):
                self.evidence_s[i] = traffic.batch.end

    def table(self, stepup: StepUpPolicy | None) -> pa.Table:
        world = self.world
        registry, gateway = world.registry, world.gateway
        n = len(registry)
        actor_of = registry.truth.column("actor")[:n]
        attacker = registry.truth.column("is_attacker")[:n]
        asked_ts = np.full(n, np.nan)
        if stepup is not None:
            asked_ts[: min(n, stepup.asked_ts.size)] = stepup.asked_ts[:n]
        asked = ~np.isnan(asked_ts)
        cleared = gateway.accounts.cleared_at[:n] if len(gateway.accounts) >= n else np.full(n, np.inf)
        banned = gateway.is_banned(np.arange(n))
        passed = asked & np.isfinite(cleared)
        waited = np.where(passed, cleared - np.nan_to_num(asked_ts), 0.0) / HOUR
        by_reason = {}
        for reason, parts in self.bans.items():
            mask = np.zeros(n, dtype=bool)
            for codes in parts:
                mask[codes[codes < n]] = True
            by_reason[reason] = mask
        rows: list[tuple[str, str, float]] = []
        customers = ~attacker
        rows += [
            ("customers", "asked", float((asked & customers).sum())),
            ("customers", "delayed_hours", float(waited[customers].sum())),
            ("customers", "churned", float((asked & customers & ~passed & ~banned).sum())),
            *[("customers", f"banned_{reason}", float((mask & customers).sum())) for reason, mask in by_reason.items()],
        ]
        for actor in sorted(self.campaigns, key=lambda a: a.name):
            mine = actor_of == actor.index
            outcome = actor.outcome()
            spent = sum(outcome.spent.values())
            rows += [
                (actor.name, "spent_usd", float(spent)),
                (actor.name, "spent_verification_usd", float(outcome.spent.get("verification", 0.0))),
                (actor.name, "identities", float(outcome.accounts + outcome.identities_bought)),
                (actor.name, "asked", float((asked & mine).sum())),
                (actor.name, "blocked_hours", float(waited[mine].sum())),
                (actor.name, "banned_linked", float((by_reason["linked"] & mine).sum())),
                (actor.name, "banned_audit", float((by_reason["audit"] & mine).sum())),
                (actor.name, "harvested_tokens", float(self.harvested[actor.index])),
            ]
            wm = self.watermark
            if wm is not None:
                lau = actor.laundering
                bias = student_bias(wm.strength, wm.gamma, wm.entropy, wm.transfer, lau.student_share, lau.retention)
                z = float(expected_z(self.harvested[actor.index], bias, wm.gamma, wm.scored, lau.kept))
                rows += [
                    (actor.name, "provenance_z", z),
                    (actor.name, "tokens_to_evidence", self.threshold(actor)),
                    (actor.name, "evidence_s", float(self.evidence_s[actor.index])),
                ]
        subjects, metrics, values = zip(*rows, strict=True)
        return pa.Table.from_arrays(
            [pa.array(subjects, pa.string()), pa.array(metrics, pa.string()), pa.array(values, pa.float64())],
            schema=DEFENCE_SCHEMA,
        )


class DefenceLoop:
    """The defences of one stack acting in one closed-loop cell."""

    def __init__(self, stack: DefenceStack, world: World, policy: AlarmPolicy) -> None:
        self.stack = stack
        self.world = world
        self.policy = policy
        gateway, registry = world.gateway, world.registry
        tick = float(world.scenario.tick)
        self.tick_seconds = tick
        self.queue = AlarmQueue(spec, tick) if (spec := stack.get("review-queue")) else None
        self.links = LinkIndex(spec, registry) if (spec := stack.get("takedown")) else None
        self.stepup = StepUpPolicy(spec, gateway, registry) if (spec := stack.get("step-up")) else None
        self.audits = (
            Audits(spec, registry, self._finding_chance(spec), world.context.streams.generator("defences/audits"))
            if (spec := stack.get("audit"))
            else None
        )
        self.meter = DefenceMeter(world, stack.get("watermark"))
        self._alarmed: list[np.ndarray] = []

    def _finding_chance(self, spec: object) -> object:
        """``P(find)`` of an organisation (see :mod:`simulator.bench.defences.audit`): the
        audit's investigation, outside the logs, is where the truth comes in."""
        world = self.world
        campaigns = {a.index: a for a in world.actors if isinstance(a, CampaignActor)}

        def chance(org: int) -> float:
            registry = world.registry
            n = len(registry)
            inside = registry.visible.column("org")[:n] == org
            present = set(registry.truth.column("actor")[:n][inside].tolist()) & set(campaigns)
            if not present:
                return spec.false_finding  # type: ignore[attr-defined]
            missed = 1.0
            for index in present:
                missed *= 1 - spec.sensitivity * (1 - campaigns[index].on_audit.conceal)  # type: ignore[attr-defined]
            return 1 - missed

        return chance

    def alarmed(self, codes: np.ndarray) -> None:
        """Accounts the alarm policy contains at this tick."""
        self._alarmed.append(codes)

    def after_tick(self, traffic: TickTraffic, ledger: TrafficLedger, log: ScoreLog) -> None:
        """Act at the end of the tick (see the module for the order)."""
        gateway = self.world.gateway
        batch = traffic.batch
        self.meter.observe(traffic)
        if self.links is not None:
            self.links.observe(traffic)
        alarms = np.concatenate(self._alarmed) if self._alarmed else np.empty(0, dtype=np.int64)
        self._alarmed.clear()
        if self.queue is not None:
            self.queue.add(alarms)
            confirmed = self.queue.due(batch.tick)
        else:
            confirmed = alarms
        if confirmed.size:
            self.policy.enforce(gateway, confirmed)
            if self.links is not None:
                linked = self.links.linked(confirmed)
                if linked.size:
                    gateway.ban(linked, reason="linked")
        n = len(self.world.registry)
        if self.stepup is not None:
            ledger.totals.ensure(n)
            log.accounts.ensure(n)
            self.stepup.ask(ledger.totals.requests, log.accounts.peak, batch.end)
        if self.audits is not None:
            closed = self.audits.step(batch.end, self.tick_seconds)
            if closed:
                gateway.ban(self.audits.accounts_of(closed), reason="audit")

    def table(self) -> pa.Table:
        """The cell's defence figures (:data:`DEFENCE_SCHEMA`)."""
        return self.meter.table(self.stepup)
