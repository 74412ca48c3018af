"""The world: vectorised generation, independent streams per actor, reaction to bans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import simpy

from simulator.scenario.loading import load_scenario
from simulator.world import World


def collect(world: World) -> pd.DataFrame:
    frames = []
    for traffic in world.ticks():
        frame = traffic.batch.requests[["ts", "account_id", "input_tokens", "prompt_simhash", "status"]].copy()
        frame["attacker"] = world.registry.truth.column("is_attacker")[traffic.account_codes]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_generation_is_vectorised_not_one_event_per_request(quickstart_path: Path, monkeypatch) -> None:
    wakeups = []
    original = simpy.Environment.timeout

    def counting(self, delay=0, value=None):
        wakeups.append(delay)
        return original(self, delay, value)

    monkeypatch.setattr(simpy.Environment, "timeout", counting)
    requests = collect(World(load_scenario(quickstart_path).resolved(duration=4 * 3600)))
    assert len(requests) > 3000
    # actors wake per planning step or session batch, not per request
    assert 0 < len(wakeups) < len(requests) / 20


def test_changing_one_campaign_leaves_customers_draws_unchanged(quickstart_path: Path) -> None:
    base = load_scenario(quickstart_path).resolved(duration=3 * 3600)
    campaign = base.campaigns[0]
    changed = base.model_copy(update={"campaigns": [campaign.model_copy(update={"accounts": 90})]})
    a, b = collect(World(base)), collect(World(changed))
    assert (a.attacker.sum(), b.attacker.sum()) != (0, 0) and a.attacker.sum() != b.attacker.sum()
    legit_a = a[~a.attacker].drop(columns="status").reset_index(drop=True)
    legit_b = b[~b.attacker].drop(columns="status").reset_index(drop=True)
    pd.testing.assert_frame_equal(legit_a, legit_b)


def test_a_banned_hydra_account_is_replaced_and_gets_403(quickstart_path: Path) -> None:
    world = World(load_scenario(quickstart_path).resolved(duration=3 * 3600))
    banned: set[str] = set()
    forbidden = 0
    for traffic in world.ticks():
        requests = traffic.batch.requests
        forbidden += int((requests.status == 403).sum())
        assert not (requests.account_id.isin(banned) & (requests.status == 200)).any()
        if traffic.batch.tick == 90:
            truth = world.registry.truth.column("is_attacker")
            attackers = world.registry.visible.column("account_id")[np.flatnonzero(truth)]
            world.gateway.ban(list(attackers[:10]))
            banned.update(attackers[:10])
    campaign = world.actors[-1]
    assert campaign.replaced == 10
    assert len(campaign.members) == 40 + 10
    labels = world.registry.label_frame()
    assert int(labels.is_attacker.sum()) == 50


def test_serials_number_accounts_as_the_batches_publish_them(quickstart_path: Path) -> None:
    # a consumer reading the batches alone numbers the accounts the same way: no label in a serial
    world = World(load_scenario(quickstart_path).resolved(duration=2 * 3600, scale=0.2))
    numbering: dict[str, int] = {}
    stream = None
    for traffic in world.ticks():
        batch = traffic.batch
        serials = batch.serials
        assert serials is not None and not serials.requests.flags.writeable
        stream = serials.stream if stream is None else stream
        assert serials.stream is stream
        assert serials.first == len(numbering)
        for account in batch.accounts["account_id"]:
            numbering[account] = len(numbering)
        expected = [numbering[a] for a in batch.table.column("account_id").to_pylist()]
        assert serials.requests.tolist() == expected
    assert len(numbering) == len(world.registry)


def test_text_hashes_of_a_batch_are_the_hashes_of_its_texts(quickstart_path: Path) -> None:
    from detectors.accounts import hash_strings
    from simulator.hashing import splitmix64

    world = World(load_scenario(quickstart_path).resolved(duration=3600, scale=0.2))
    for traffic in world.ticks():
        batch = traffic.batch
        hashes = batch.text_hashes
        assert hashes is not None and not hashes["ip"].flags.writeable
        subnets = [ip.rsplit(".", 1)[0] for ip in batch.table.column("ip").to_pylist()]
        for name, texts in (
            ("ip", batch.table.column("ip").to_pylist()),
            ("subnet", subnets),
            ("client_fingerprint", batch.table.column("client_fingerprint").to_pylist()),
        ):
            expected = hash_strings(np.asarray(texts, dtype=object), salt=5)
            assert np.array_equal(splitmix64(hashes[name] ^ np.uint64(5)), expected)
