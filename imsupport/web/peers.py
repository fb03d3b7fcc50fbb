"""
Who sent an HTTP request, for the limits kept per address (R-SEC-3 for new
web chats, R-SEC-5 for wrong passwords). Behind a reverse proxy every
request comes from the proxy, so ``X-Forwarded-For`` is believed from
``[web] trusted_proxies`` (the loopback addresses by default, as for a
proxy on the same machine) and from nowhere else: the header is read from
its right end, skipping the trusted hops, and the first other address is
the sender. A forged entry further left is never reached.

``limitKey`` groups IPv6 addresses by /64, the block one subscriber gets,
so a visitor cannot step around a limit by changing the low bits.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable, Union

from twisted.web.iweb import IRequest

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

LOOPBACK = ("127.0.0.0/8", "::1/128")
UNKNOWN = "?"


def network(text: str) -> Network:
    """``10.0.0.0/8``, ``2001:db8::/32`` or one address; ValueError otherwise."""
    return ipaddress.ip_network(text.strip(), strict=False)


def parseAddress(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


class Peers:
    def __init__(self, trusted: Iterable[str] = LOOPBACK) -> None:
        self.trusted = tuple(network(t) for t in trusted)

    def isTrusted(self, address: Address) -> bool:
        return any(address in net for net in self.trusted)

    def sender(self, request: IRequest) -> Address | None:
        """The address the request came from, through trusted proxies."""
        peer = parseAddress(str(getattr(request.getClientAddress(), "host", "")))
        if peer is None or not self.isTrusted(peer):
            return peer
        hops: list[str] = []
        for value in request.requestHeaders.getRawHeaders(b"x-forwarded-for", []):
            hops.extend(value.decode("latin-1").split(","))
        found = peer
        for hop in reversed(hops):
            address = parseAddress(hop)
            if address is None:
                return found  # garbage from the last trusted hop: that hop it is
            found = address
            if not self.isTrusted(address):
                return address
        return found

    def name(self, request: IRequest) -> str:
        """The sender as text, for the log and the login throttle."""
        address = self.sender(request)
        return str(address) if address is not None else UNKNOWN

    def limitKey(self, request: IRequest) -> str:
        """What a per-address limit counts by: the address, or its /64."""
        address = self.sender(request)
        if address is None:
            return UNKNOWN
        if isinstance(address, ipaddress.IPv6Address):
            return str(ipaddress.IPv6Network((address, 64), strict=False))
        return str(address)
