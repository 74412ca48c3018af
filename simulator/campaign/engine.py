"""The campaign actor: runs a campaign's tactics in the simulated world.

Every member (account) of a campaign is in one state
(:data:`~simulator.campaign.state.HARVEST`, ``WARMING``, ``RESERVE``, ``GONE``;
see :mod:`simulator.campaign.state`). The actor builds one behaviour per tactic
family from its spec (each family's table maps the spec's ``kind`` to it, see
:mod:`simulator.campaign.tactic`), hands them the campaign's
:class:`~simulator.campaign.state.CampaignState`, and never looks at a kind itself.

Processes (each wakes per planning step, wave or enforcement, never per request):

* the planner, every ``load.plan_interval`` from the campaign start: promotes
  ready accounts, hands out work to harvesting accounts under their limits and
  the budget (conversations, :mod:`simulator.campaign.conversations`), adds
  warm-up traffic, sends the requests due in the step (follow-ups are held
  until their step, and dropped for accounts lost or paused by then), and stops
  at the goal, the budget or the end;
* the sign-up waves: registers accounts whose creation time falls during the run
  (at most once per tick while a wave lasts);
* one short process per reaction that enlists accounts later.

Sign-up settings the spec leaves unset are resolved like the customers' at set-up
(:func:`~simulator.campaign.customers.like_customers`; :attr:`CampaignActor.config`
is the resolved spec). At the end of every tick the actor reads the responses to its own requests
(:meth:`CampaignActor.on_tick`): tokens served count toward the goal and are paid for.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from simulator.actor import Actor
from simulator.campaign.access import ROUTES
from simulator.campaign.acquisition import CREATION, SEEDING
from simulator.campaign.adaptation import (
    ON_AUDIT,
    ON_BAN,
    ON_CHALLENGE,
    ON_TAKEDOWN,
    ON_THROTTLE,
    ON_VERIFY,
    ON_WATERMARK,
    BuyIdentity,
    Enlistment,
    Laundering,
)
from simulator.campaign.budget import Ledger
from simulator.campaign.camouflage import filler_requests
from simulator.campaign.conversations import CONVERSATIONS, converse, interleave
from simulator.campaign.customers import like_customers
from simulator.campaign.goal import Extraction
from simulator.campaign.infrastructure import Identity
from simulator.campaign.load import rhythm_weight
from simulator.campaign.pivot import ModelChoice
from simulator.campaign.prompts import PhaseLibrary
from simulator.campaign.resale import RESALES
from simulator.campaign.state import GONE, HARVEST, RESERVE, WARMING, CampaignState, Requests
from simulator.campaign.tactic import behaviour
from simulator.gateway import Enforcement
from simulator.prompts import LANGUAGES
from simulator.registry import NewAccounts
from simulator.scenario.base import normalised
from simulator.scenario.campaign import CampaignBase
from simulator.seeding import stable_key
from simulator.traffic import STATUS_OK, RequestBlock, TickTraffic, concat_blocks
from simulator.units import DAY

__all__ = ["CampaignActor", "CampaignOutcome"]


@dataclass(frozen=True)
class CampaignOutcome:
    """What a campaign did and got (hidden truth, for metrics and reports)."""

    campaign: str
    accounts: int
    """Accounts registered in all (pool, reserve, replacements, spreading)."""
    banned: int
    replaced: int
    challenged: int
    throttled: int
    requests: int
    """Requests that reached the gateway (every status)."""
    served: int
    """Requests served (status 200)."""
    harvest_output_tokens: int
    """Output tokens served on templated (harvest) requests."""
    output_by_capability: dict[str, int]
    goal_output_tokens: float | None
    goal_reached: bool
    spent: dict[str, float]
    """USD by category: accounts, proxies, tokens, seeding, challenges."""
    finished_at: float | None
    """When the campaign stopped (s), or None if it ran to the end of the scenario."""
    finish_reason: str
    """``goal``, ``budget``, ``end`` (its own end time) or ``running``."""
    verified: int = 0
    """Accounts asked to verify their identity (step-up)."""
    identities_bought: int = 0
    """Verified identities paid for at step-ups."""
    laundering: Laundering = field(default_factory=Laundering)
    """What the campaign did to its outputs before training (read by the provenance test)."""


class CampaignActor(Actor):
    """Account creation, load spreading, prompt rendering and adaptation of a campaign."""

    role_is_attacker = True
    role = "harvester"
    config: CampaignBase

    def extra_member_columns(self) -> dict[str, Any]:
        return {
            "state": np.int8,
            "cell": np.int64,
            "card": object,
            "created": np.float64,
            "paused_until": np.float64,
            "slow": np.float64,
            "slow_until": np.float64,
        }

    # -- set-up ------------------------------------------------------------------------

    def setup(self) -> None:
        scenario = self.ctx.scenario
        # settings left unset are the customers': resolved once, here
        self.config, customers = like_customers(self.config, scenario)
        cfg = self.config
        rng = self.rng
        self.ledger = Ledger(cfg.budget)
        self.state = CampaignState(cfg, rng, self.members, self.ledger, self.ctx, self, customers)
        self.route = behaviour(ROUTES, cfg.access, self.state)
        self.exits = self.route.egress()
        self.threading = behaviour(CONVERSATIONS, cfg.conversations)
        self.resold = behaviour(RESALES, cfg.resale)
        self.seeding = behaviour(SEEDING, cfg.acquisition.seeding, self.state)
        self.on_ban = behaviour(ON_BAN, cfg.adaptation.on_ban, self.state)
        self.on_throttle = behaviour(ON_THROTTLE, cfg.adaptation.on_throttle, self.state)
        self.on_challenge = behaviour(ON_CHALLENGE, cfg.adaptation.on_challenge, self.state)
        self.on_verify = behaviour(ON_VERIFY, cfg.adaptation.on_verify, self.state)
        self.on_takedown = behaviour(ON_TAKEDOWN, cfg.adaptation.on_takedown, self.state)
        self.on_audit = behaviour(ON_AUDIT, cfg.adaptation.on_audit, self.state)
        self.laundering = behaviour(ON_WATERMARK, cfg.adaptation.on_watermark, self.state)
        self.models = ModelChoice.build(scenario.models, cfg.model, cfg.pivot, cfg.start, cfg.models, cfg.model_mix)
        plans = [cfg.prompts, *cfg.phases]
        self.phases = [
            PhaseLibrary.build(rng, plan, self.next_template_ids(plan.templates), f"{self.name}/system/{i}")
            for i, plan in enumerate(plans)
        ]
        self.phase_starts = np.array([cfg.start] + [cfg.start + phase.after for phase in cfg.phases])
        self._template_base = int(self.phases[0].library.ids[0])
        self._template_topic = np.concatenate([phase.library.topics for phase in self.phases])
        self._filler_salt = stable_key(f"{self.name}/filler")
        self._resold_salt = stable_key(f"{self.name}/resold")
        pricing = scenario.gateway.pricing
        self._price = np.array([pricing.input_per_mtok, pricing.output_per_mtok]) / 1e6
        self.extraction = Extraction(cfg.goal)
        self.enlisted = self.banned = self.replaced = self.challenged = self.throttled = self.verified = 0
        self.requests = self.served = 0
        self.finished_at: float | None = None
        self.finish_reason = "running"
        self._held: RequestBlock | None = None

        reserve = round(cfg.accounts * cfg.acquisition.reserve)
        created = behaviour(CREATION, cfg.acquisition.creation, self.state, cfg.accounts + reserve, cfg.start)
        state = np.r_[np.full(cfg.accounts, WARMING), np.full(reserve, RESERVE)].astype(np.int8)
        order = np.argsort(created, kind="stable")
        created, state = created[order], state[order]
        now = created <= self.env.now
        self.enlist(created[now], state[now])
        self._pending = (created[~now], state[~now])

    def processes(self) -> list[Generator[simpy.Event, Any, Any]]:
        return [self._plan(), self._waves()]

    # -- accounts ----------------------------------------------------------------------

    def enlist(
        self,
        created_ts: np.ndarray,
        state: np.ndarray,
        identity: str = "pool",
        like: np.ndarray | None = None,
    ) -> np.ndarray:
        """Register accounts created at ``created_ts`` in ``state``, as many as the
        budget pays for, with an identity (exit cell, exits, clients, card) from the
        campaign's pools (``pool``), never seen before (``fresh``), or that of the
        members ``like`` they replace (``matching``: their declared country too).
        Returns the new accounts' codes."""
        cfg = self.config
        acq = cfg.acquisition
        rng = self.rng
        prepaid = self.seeding.prepaid
        n = self.ledger.affordable(cfg.budget.per_account + prepaid, created_ts.size)
        if n == 0:
            return np.empty(0, dtype=np.int64)
        created_ts, state = created_ts[:n], state[:n]
        orgs = self.route.orgs(created_ts)
        created_ts = self.route.created(created_ts, orgs)
        m = self.members
        matching = identity == "matching" and like is not None and like.size >= n
        declared = m.column("country")[like[:n]] if matching else self.state.declared_countries(n)
        styles = np.array(sorted(acq.email_styles), dtype=object)
        style_p = np.array([acq.email_styles[s] for s in styles])
        style = styles[rng.choice(styles.size, size=n, p=style_p / style_p.sum())]
        names, emails, domains = self.profiles.people(rng, declared, style)
        if matching:
            old = like[:n]
            ident = Identity(
                m.column("cell")[old],
                m.column("ip0")[old],
                m.column("ip1")[old],
                m.column("client0")[old],
                m.column("client1")[old],
                m.column("card")[old],
            )
        elif identity == "fresh":
            ident = self.exits.fresh(declared, orgs)
        else:
            ident = self.exits.assign(declared, orgs)
        codes = self.new_accounts(
            NewAccounts(
                org=orgs,
                created_ts=created_ts,
                signup_pathway=self.route.signup_pathways(n),
                tier_floor=np.zeros(n, dtype=np.int8),
                name=names,
                email=emails,
                email_domain=domains,
                payment_fingerprint=ident.card,
                declared_country=declared,
                verified=rng.random(n) < acq.verified_share,
                initial_spend=np.full(n, prepaid),
                is_attacker=True,
                campaign=cfg.name,
                role=self.role,
            )
        )
        key0, key1 = self.route.keys(codes, orgs)
        languages = rng.choice(len(LANGUAGES), size=n, p=normalised(cfg.prompts.languages, LANGUAGES))
        m.append(
            code=codes,
            key0=key0,
            key1=key1,
            ip0=ident.ip0,
            ip1=ident.ip1,
            client0=ident.client0,
            client1=ident.client1,
            country=declared,
            utc_offset=self.utc_offsets(declared),
            language=languages.astype(np.int16),
            activity=cfg.load.volumes(rng, n),
            state=state,
            cell=ident.cell,
            card=ident.card,
            created=created_ts,
            paused_until=np.full(n, -np.inf),
            slow=np.ones(n),
            slow_until=np.full(n, -np.inf),
        )
        self.ledger.charge("accounts", cfg.budget.per_account * n)
        self.ledger.charge("seeding", prepaid * n)
        self.enlisted += n
        return codes

    def rows_of(self, codes: np.ndarray) -> np.ndarray:
        """Member rows of those of account ``codes`` that belong to this campaign
        (members are kept in registry-code order)."""
        member_codes = self.members.column("code")
        if member_codes.size == 0:
            return np.empty(0, dtype=np.int64)
        rows = np.minimum(np.searchsorted(member_codes, codes), member_codes.size - 1)
        return rows[member_codes[rows] == codes]

    def _waves(self) -> Generator[simpy.Event, Any, Any]:
        """Register accounts whose creation time falls during the run: waking at the
        next creation time, every account created before the end of that tick is
        registered (so it is published in the batch of the tick it is created in,
        with at most one wake-up per tick)."""
        created, state = self._pending
        tick = float(self.ctx.scenario.tick)
        i = 0
        while i < created.size:
            yield self.env.timeout(max(created[i] - self.env.now, 0.0))
            tick_end = (np.floor(max(self.env.now, created[i]) / tick) + 1) * tick
            j = max(int(np.searchsorted(created, tick_end, side="left")), i + 1)
            if self.finished_at is None:
                self.enlist(created[i:j], state[i:j])
            i = j

    def _promote(self, t: float) -> None:
        """Warming accounts that are old enough, in the target tier and seeded start harvesting."""
        m = self.members
        state = m.column("state")
        rows = np.flatnonzero(state == WARMING)
        if rows.size == 0:
            return
        acq = self.config.acquisition
        ready = t - m.column("created")[rows] >= acq.ageing
        codes = m.column("code")[rows]
        if acq.target_tier is not None:
            order = {tier.name: i for i, tier in enumerate(self.ctx.scenario.gateway.tiers)}
            target = order[acq.target_tier]
            ready &= np.array([order[name] >= target for name in self.ctx.gateway.tier_names_of(codes)], dtype=bool)
        ready &= self.seeding.ready(codes)
        state[rows[ready]] = HARVEST

    # -- planning ----------------------------------------------------------------------

    def _plan(self) -> Generator[simpy.Event, Any, Any]:
        cfg = self.config
        end = float(cfg.end) if cfg.end is not None else np.inf
        step = float(cfg.load.plan_interval)
        if cfg.start > self.env.now:
            yield self.env.timeout(cfg.start - self.env.now)
        while self.env.now < end:
            if self.extraction.reached:
                self._finish("goal")
            elif self.ledger.exhausted:
                self._finish("budget")
            if self.finished_at is not None:
                return
            t0 = self.env.now
            t1 = min(t0 + step, end)
            pool = self.exits.pool_size
            self.ledger.charge("proxies", pool * cfg.budget.per_proxy_ip * (t1 - t0) / DAY)
            self._promote(t0)
            blocks = []
            # each block is drawn before the next plan draws (one stream, a fixed order)
            for plan in (self._harvest, self.seeding.warm_up):
                requests = plan(t0, t1)
                if requests is not None:
                    blocks.append(self._block(requests))
            due = self._release(blocks, t0, t1)
            if due is not None:
                self.ctx.gateway.submit(due)
            yield self.env.timeout(max(t1 - t0, 1e-9))
        self._finish("end")

    def _finish(self, reason: str) -> None:
        if self.finished_at is None:
            self.finished_at = float(self.env.now)
            self.finish_reason = reason
            self._held = None

    def _release(self, blocks: list[RequestBlock], t0: float, t1: float) -> RequestBlock | None:
        """The requests to send in the step ``[t0, t1)``: this step's and the follow-ups
        held from earlier steps that fall in it. The rest are held for later steps. A
        harness sends a follow-up only when its time comes: follow-ups of accounts lost
        (banned, abandoned) or paused (solving a challenge) by ``t0`` are dropped, and
        all of them when the campaign stops."""
        if self._held is not None:
            blocks = [self._held, *blocks]
        if not blocks:
            return None
        block = concat_blocks(blocks)
        m = self.members
        rows = self.rows_of(block.columns["account"])
        state = m.column("state")[rows]
        live = (state != GONE) & (state != RESERVE) & (m.column("paused_until")[rows] <= t0)
        due = live & (block.columns["ts"] < t1)
        later = np.flatnonzero(live & ~due)
        self._held = block.take(later) if later.size else None
        return block.take(np.flatnonzero(due)) if due.any() else None

    def phase_at(self, t: float) -> PhaseLibrary:
        """The prompt phase in force at ``t``."""
        return self.phases[max(int(np.searchsorted(self.phase_starts, t, side="right")) - 1, 0)]

    def _unit_cost(self, mean_in: float, mean_out: float) -> float:
        """Expected USD per request on this campaign's route."""
        per_token = self.config.budget.token_price * self.route.price_factor
        return float((mean_in * self._price[0] + mean_out * self._price[1]) * per_token)

    def _harvest(self, t0: float, t1: float) -> Requests | None:
        """This step's requests of harvesting accounts: conversations opened by templated
        prompts or filler, with their follow-ups. An account at rate ``r`` (requests/s)
        opens ``Poisson(r · step / E[T])`` conversations of ``E[T]`` requests on average."""
        cfg = self.config
        load = cfg.load
        m = self.members
        rng = self.rng
        rows = np.flatnonzero((m.column("state") == HARVEST) & (m.column("paused_until") <= t0))
        if rows.size == 0:
            return None
        phase = self.phase_at(t0)
        share = cfg.camouflage.filler_share
        mean_in, mean_out = phase.plan.mean_tokens()
        cam = cfg.camouflage
        mean_in = (1 - share) * mean_in + share * cam.input_tokens.mean
        mean_out = (1 - share) * mean_out + share * min(cam.output_tokens.mean, cam.max_tokens)
        resold = self.resold
        if resold.share:
            resold_in, resold_out = resold.mean_tokens()
            mean_in = (1 - resold.share) * mean_in + resold.share * resold_in
            mean_out = (1 - resold.share) * mean_out + resold.share * resold_out
        mean_in += self.threading.mean_context(mean_in, mean_out)
        turns = self.threading.mean_turns()
        limits = self.ctx.gateway.limits_of(m.column("code")[rows])
        binding = (limits / np.array([1.0, mean_in, mean_out])).min(axis=1)
        slow = np.where(m.column("slow_until")[rows] > t0, m.column("slow")[rows], 1.0)
        rhythm = rhythm_weight(load.rhythm, self.ctx.scenario.start, (t0 + t1) / 2, m.column("utc_offset")[rows])
        wanted = load.requests_per_account * m.column("activity")[rows] * rhythm * slow
        rate = np.minimum(wanted, load.limit_fraction * binding)
        counts = rng.poisson(rate * (t1 - t0) / turns)
        counts = self.ledger.thin(rng, counts, turns * self._unit_cost(mean_in, mean_out))
        if counts.sum() == 0:
            return None
        openers = np.repeat(rows, counts)
        filler = rng.random(openers.size) < share
        layout = self.threading.layout(rng, openers.size)
        who = layout.spread(openers)
        harvest_layout, harvest_rows = layout.subset(~filler)
        filler_layout, filler_rows = layout.subset(filler)
        language = m.column("language")
        harvest = phase.render(rng, language[who[harvest_rows]], harvest_layout)
        chaff = filler_requests(
            rng,
            cam,
            m.column("code")[who[filler_rows]],
            language[who[filler_rows]],
            self._filler_salt,
            filler_layout,
        )
        content = interleave(harvest, chaff, harvest_rows)
        if resold.share:  # drawn apart so that a campaign without resale draws what it always drew
            relayed = rng.random(layout.size) < resold.share
            if relayed.any():
                resold_layout, resold_rows = layout.subset(relayed)
                relayed_content = resold.requests(
                    rng,
                    m.column("code")[who[resold_rows]],
                    language[who[resold_rows]],
                    self._resold_salt,
                    resold_layout,
                )
                kept = {name: column[~resold_rows] for name, column in content.items()}
                content = interleave(relayed_content, kept, resold_rows)
        return converse(self.state, self.threading, load.timing, rows, counts, layout, content, t0, t1)

    def _block(self, requests: Requests) -> RequestBlock:
        """The request block of members ``who`` at ``ts`` with rendered ``content``."""
        rng = self.rng
        m = self.members
        who, ts, content = requests.who, requests.ts, requests.content
        n = who.size
        codes = m.column("code")[who]
        second = rng.random(n) < 0.5
        key = np.where(second, m.column("key1")[who], m.column("key0")[who])
        topic, language, cot = self.noisy_labels(content["topic"], content["language"], content["cot"])
        return RequestBlock(
            ts=ts,
            account=codes,
            key=key,
            ip=self.exits.ips(
                codes, m.column("ip0")[who], m.column("ip1")[who], m.column("cell")[who], ts, requests.conversation
            ),
            client=self.exits.request_clients(
                m.column("client0")[who], m.column("client1")[who], requests.conversation
            ),
            model=self.models.choose(requests.opened, requests.conversation, codes),
            input_tokens=content["input_tokens"],
            output_tokens=content["output_tokens"],
            max_tokens=content["max_tokens"],
            topic=topic,
            language=language,
            cot_requested=cot,
            system_prompt_hash=content["system_prompt_hash"],
            prompt_simhash=content["fingerprint"],
            conversation_id=requests.conversation,
            turn=requests.turn,
            template_id=content["template_id"],
        )

    # -- responses and enforcement ------------------------------------------------------

    def on_tick(self, traffic: TickTraffic) -> None:
        """Count what was served to the campaign's own requests, and pay for it."""
        codes = traffic.account_codes
        if codes.size == 0:
            return
        rows = np.flatnonzero(self.ctx.registry.truth.column("actor")[codes] == self.index)
        if rows.size == 0:
            return
        table = traffic.batch.table
        served = table.column("status").to_numpy()[rows] == STATUS_OK
        output = table.column("output_tokens").to_numpy()[rows]
        inputs = np.where(served, table.column("input_tokens").to_numpy()[rows], 0)
        self.requests += rows.size
        self.served += int(served.sum())
        cost = float(inputs.sum() * self._price[0] + output.sum() * self._price[1])
        self.ledger.charge("tokens", cost * self.config.budget.token_price * self.route.price_factor)
        template = traffic.template_id[rows]
        harvest = served & (template >= 0)
        harvested = output[harvest]
        laundering = self.laundering
        if laundering.cost_per_mtok:
            self.ledger.charge("laundering", float(harvested.sum()) * laundering.cost_per_mtok / 1e6)
        if laundering.value != 1.0:  # what reaches the student after paraphrasing or filtering
            harvested = np.floor(harvested * laundering.value)
        self.extraction.record(self._template_topic[template[harvest] - self._template_base], harvested)

    def on_enforcement(self, event: Enforcement) -> None:
        rows = self.rows_of(event.accounts)
        if rows.size == 0:
            return
        state = self.members.column("state")
        if event.action == "ban":
            state[rows] = GONE
            self.banned += rows.size
            self.on_takedown.hear(event)
            if event.reason == "audit":
                self._move_after_audit()
            self._replace(rows)
        elif event.action == "throttle":
            self.throttled += rows.size
            self._carry_out(self.on_throttle.react(rows, event))
        elif event.action == "challenge":
            self.challenged += rows.size
            self._give_up(*self.on_challenge.react(rows, event))
        elif event.action == "verify":
            self.verified += rows.size
            self._give_up(*self.on_verify.react(rows, event))

    def _give_up(self, dropped: np.ndarray, replace: bool) -> None:
        """Members ``dropped`` are lost; replace them if the reaction said so."""
        if dropped.size:
            self.members.column("state")[dropped] = GONE
            if replace:
                self._replace(dropped, abandoned=True)

    def _move_after_audit(self) -> None:
        """Switch later sign-ups to the route the audit reaction chooses, once."""
        access = self.on_audit.route_after()
        if access is not None and access != self.config.access:
            self.config = self.config.model_copy(update={"access": access})
            # members keep their exits (indexed into the campaign's own pools): the route
            # moves organisations, keys and price only
            self.route = behaviour(ROUTES, access, self.state)

    def _replace(self, rows: np.ndarray, abandoned: bool = False) -> None:
        if self.finished_at is None:
            enlistment = self.on_ban.replace(rows, float(self.env.now), abandoned)
            if enlistment is not None:
                enlistment = self.on_takedown.identity(enlistment)
            self._carry_out(enlistment)

    def _carry_out(self, enlistment: Enlistment | None) -> None:
        if enlistment is not None:
            self.env.process(self._enlist_later(enlistment))

    def _enlist_later(self, wanted: Enlistment) -> Generator[simpy.Event, Any, Any]:
        """At ``wanted.at``: wake reserve accounts, and sign up new ones for the rest
        with the identity the reaction chose (see :class:`~simulator.campaign.adaptation.Enlistment`)."""
        if wanted.at > self.env.now:
            yield self.env.timeout(wanted.at - self.env.now)
        if self.finished_at is not None:
            return
        n, rows = wanted.n, wanted.rows
        state = self.members.column("state")
        reserve = np.flatnonzero(state == RESERVE)[:n]
        state[reserve] = WARMING
        k = n - reserve.size
        if k > 0:
            like = rows[reserve.size :] if rows is not None else None
            self.enlist(np.full(k, float(self.env.now)), np.full(k, WARMING, dtype=np.int8), wanted.identity, like)
        if wanted.replacement:
            self.replaced += n

    # -- results -----------------------------------------------------------------------

    def outcome(self) -> CampaignOutcome:
        """What the campaign did and got so far."""
        return CampaignOutcome(
            campaign=self.config.name,
            accounts=self.enlisted,
            banned=self.banned,
            replaced=self.replaced,
            challenged=self.challenged,
            throttled=self.throttled,
            requests=self.requests,
            served=self.served,
            harvest_output_tokens=int(self.extraction.output_by_topic.sum()),
            output_by_capability=self.extraction.by_capability(),
            goal_output_tokens=self.config.goal.output_tokens,
            goal_reached=self.extraction.reached,
            spent={name: round(value, 2) for name, value in self.ledger.spent.items()},
            finished_at=self.finished_at,
            finish_reason=self.finish_reason,
            verified=self.verified,
            identities_bought=self.on_verify.bought if isinstance(self.on_verify, BuyIdentity) else 0,
            laundering=self.laundering,
        )
