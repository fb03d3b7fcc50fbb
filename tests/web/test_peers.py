"""Who a request is from (web/peers.py): X-Forwarded-For believed from
trusted proxies only, read from its right end; IPv6 limited by /64."""
from __future__ import annotations

import pytest
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.task import Clock
from twisted.web.test.requesthelper import DummyRequest

from imsupport.web.chat.starts import StartLimit
from imsupport.web.peers import Peers


def request(peer: str, *forwarded: str) -> DummyRequest:
    r = DummyRequest([b""])
    r.client = IPv6Address("TCP", peer, 5000) if ":" in peer else IPv4Address("TCP", peer, 5000)
    for value in forwarded:
        r.requestHeaders.addRawHeader(b"x-forwarded-for", value.encode())
    return r


@pytest.mark.parametrize("peer, forwarded, sender", [
    ("203.0.113.9", (), "203.0.113.9"),  # straight from the visitor
    ("203.0.113.9", ("198.51.100.1",), "203.0.113.9"),  # untrusted: the header is ignored
    ("127.0.0.1", ("198.51.100.1",), "198.51.100.1"),  # through the local proxy
    ("127.0.0.1", ("6.6.6.6, 198.51.100.1",), "198.51.100.1"),  # a forged entry left of it
    ("127.0.0.1", ("6.6.6.6", "198.51.100.1, 10.0.0.2"), "198.51.100.1"),  # two headers
    ("127.0.0.1", ("not an address",), "127.0.0.1"),  # garbage: the proxy itself
    ("127.0.0.1", (), "127.0.0.1"),
    ("::1", ("[2001:db8::7]:443",), "2001:db8::7"),
    ("::ffff:127.0.0.1", ("198.51.100.4:8080",), "198.51.100.4"),  # v4-mapped peer
])
def test_the_sender_through_trusted_proxies(peer, forwarded, sender):
    peers = Peers(("127.0.0.0/8", "::1/128", "10.0.0.0/8"))
    assert peers.name(request(peer, *forwarded)) == sender


def test_nothing_is_trusted_when_told_so():
    assert Peers(()).name(request("127.0.0.1", "198.51.100.1")) == "127.0.0.1"


def test_ipv6_senders_count_by_their_64():
    peers = Peers()
    a = peers.limitKey(request("2001:db8:1:2::1"))
    b = peers.limitKey(request("2001:db8:1:2:ffff::9"))
    assert a == b == "2001:db8:1:2::/64"
    assert peers.limitKey(request("2001:db8:1:3::1")) != a
    assert peers.limitKey(request("192.0.2.1")) == "192.0.2.1"


def test_the_start_limit_is_a_bucket_per_address():
    clock = Clock()
    limit = StartLimit(clock, burst=3, per_hour=60.0)  # one a minute after the first three
    assert [limit.wait("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.wait("a") == pytest.approx(60.0)
    assert limit.wait("b") == 0.0, "another address has its own"
    clock.advance(30)
    assert limit.wait("a") == pytest.approx(30.0), "a refused try costs nothing"
    clock.advance(30)
    assert limit.wait("a") == 0.0
    assert limit.wait("a") > 0
    clock.advance(3 * 3600)
    assert [limit.wait("a") for _ in range(4)][:3] == [0.0, 0.0, 0.0], "full, not more"


def test_the_start_limit_keeps_at_most_its_capacity():
    limit = StartLimit(Clock(), burst=1, per_hour=1.0, capacity=100)
    for i in range(1000):
        limit.wait(f"10.0.{i // 256}.{i % 256}")
    assert len(limit.addresses) == 100
    assert "10.0.3.231" in limit.addresses and "10.0.0.0" not in limit.addresses
