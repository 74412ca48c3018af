"""Interning of addresses and the vectorised drawing of client installs."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.network import Network, format_ipv4


def test_addresses_are_numbered_in_order_of_first_use_across_calls() -> None:
    table = Network(np.random.default_rng(0)).ips
    asn = np.arange(5, dtype=np.int32)
    country = np.zeros(5, dtype=np.int16)
    kind = np.zeros(5, dtype=np.int8)
    first = table.intern(
        np.array([0x0A000001, 0x01020304, 0x0A000001, 0xC0A80101, 0x01020304], dtype=np.uint32), asn, country, kind
    )
    assert first.tolist() == [0, 1, 0, 2, 1]
    second = table.intern(
        np.array([0xFF000000, 0x01020304, 0x00000005], dtype=np.uint32), asn[:3], country[:3], kind[:3]
    )
    assert second.tolist() == [3, 1, 4]
    assert table.store.text.tolist() == ["10.0.0.1", "1.2.3.4", "192.168.1.1", "255.0.0.0", "0.0.0.5"]
    assert table.store.asn.tolist() == [0, 1, 3, 0, 2]  # the first occurrence's
    assert table.intern(np.empty(0, dtype=np.uint32), asn[:0], country[:0], kind[:0]).size == 0


def test_format_ipv4_writes_dotted_quads() -> None:
    assert format_ipv4(np.array([0, 0xFFFFFFFF, 0x7F000001], dtype=np.uint32)).tolist() == [
        "0.0.0.0",
        "255.255.255.255",
        "127.0.0.1",
    ]


@pytest.mark.parametrize("seed", range(5))
def test_new_clients_equal_new_client_called_in_turn(seed: int) -> None:
    browser = np.random.default_rng(seed).random(400) < 0.3
    one, many = Network(np.random.default_rng(1)), Network(np.random.default_rng(1))
    rng_one, rng_many = np.random.default_rng(seed + 10), np.random.default_rng(seed + 10)
    rng_one.integers(0, 5)  # leaves half of a 64-bit draw buffered for the next bounded draw
    rng_many.integers(0, 5)
    sequential = [one.new_client(rng_one, browser=bool(b)) for b in browser]
    assert many.new_clients(rng_many, browser).tolist() == sequential
    assert rng_one.bit_generator.state == rng_many.bit_generator.state
    assert one.clients.store.user_agent.tolist() == many.clients.store.user_agent.tolist()
    assert one.clients.store.fingerprint.tolist() == many.clients.store.fingerprint.tolist()


def test_new_clients_fall_back_to_one_by_one_when_numpy_would_redraw(monkeypatch: pytest.MonkeyPatch) -> None:
    import simulator.network as network

    lemire = network._lemire
    monkeypatch.setattr(network, "_lemire", lambda raw, bound: (lemire(raw, bound)[0], np.ones(raw.size, dtype=bool)))
    browser = np.array([True, False, False, True])
    one, many = Network(np.random.default_rng(1)), Network(np.random.default_rng(1))
    rng_one, rng_many = np.random.default_rng(7), np.random.default_rng(7)
    sequential = [one.new_client(rng_one, browser=bool(b)) for b in browser]
    assert many.new_clients(rng_many, browser).tolist() == sequential
    assert rng_one.bit_generator.state == rng_many.bit_generator.state
