"""Which addresses the fetcher may connect to: one table, every range."""
from __future__ import annotations

import pytest

from imsupport.web.addresscheck import addressRefusal, hostKey


@pytest.mark.parametrize("address, reason", [
    # public: allowed
    ("93.184.216.34", None),
    ("8.8.8.8", None),
    ("2606:2800:220:1:248:1893:25c8:1946", None),
    ("2001:4860:4860::8888", None),
    ("::ffff:93.184.216.34", None),
    ("2002:5db8:d822::1", None),  # 6to4 of a public address
    ("64:ff9b::5db8:d822", None),  # NAT64 of a public address
    # loopback
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("::1", "a loopback address"),
    # RFC 1918 and ULA
    ("10.0.0.1", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fc00::1", "a private address"),
    ("fd12:3456:789a::1", "a private address"),
    # link-local (cloud metadata lives here)
    ("169.254.169.254", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("fe80::1%eth0", "a link-local address"),
    # multicast
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("ff0e::1", "a multicast address"),
    # unspecified
    ("0.0.0.0", "the unspecified address"),
    ("::", "the unspecified address"),
    # reserved
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"),
    # CGNAT
    ("100.64.0.1", "a shared (CGNAT) address"),
    ("100.127.255.254", "a shared (CGNAT) address"),
    # other not public: "this network", documentation, benchmarking
    ("0.1.2.3", "a private address"),
    ("192.0.2.10", "a private address"),
    ("198.18.0.1", "a private address"),
    # IPv4 inside IPv6: judged by the IPv4 address
    ("::ffff:127.0.0.1", "a loopback address (inside IPv6)"),
    ("::ffff:10.1.2.3", "a private address (inside IPv6)"),
    ("::ffff:169.254.169.254", "a link-local address (inside IPv6)"),
    ("::ffff:100.64.0.1", "a shared (CGNAT) address (inside IPv6)"),
    ("::ffff:0.0.0.0", "the unspecified address (inside IPv6)"),
    ("::127.0.0.1", "a loopback address (inside IPv6)"),
    ("2002:7f00:1::1", "a loopback address (inside IPv6)"),
    ("2002:c0a8:101::1", "a private address (inside IPv6)"),
    ("64:ff9b::a00:1", "a private address (inside IPv6)"),
    # not addresses
    ("localhost", "not an IP address"),
    ("", "not an IP address"),
])
def test_the_address_check(address, reason):
    assert addressRefusal(address) == reason


@pytest.mark.parametrize("host, key", [
    ("Files.Example.COM.", "files.example.com"),
    ("[::1]", "::1"),
    ("0:0::1", "::1"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("127.0.0.1", "127.0.0.1"),
])
def test_allow_list_keys(host, key):
    assert hostKey(host) == key
