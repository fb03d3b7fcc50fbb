"""
Which IP addresses the service may connect to for a client's link (the
safe fetcher, web/fetch.py): public unicast ones only. Pure functions.
"""
from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

CGNAT = ip_network("100.64.0.0/10")
NAT64 = ip_network("64:ff9b::/96")  # the well-known prefix: an IPv4 address in its last 32 bits
IPV4_COMPATIBLE = ip_network("::/96")


def addressRefusal(address: str) -> str | None:
    """Why the service may not connect to this IP address for a client's
    link, or None when it may (a public unicast address). IPv4 addresses
    inside IPv6 (mapped, compatible, 6to4, NAT64) are judged by the IPv4
    address they carry."""
    try:
        ip: IPv4Address | IPv6Address = ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, IPv6Address):
        inner = embeddedIPv4(ip)
        if inner is not None:
            reason = addressRefusal(str(inner))
            return None if reason is None else f"{reason} (inside IPv6)"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, IPv4Address) and ip in CGNAT:
        return "a shared (CGNAT) address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


def embeddedIPv4(ip: IPv6Address) -> IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def isAddress(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def hostKey(host: str) -> str:
    """A host name or address as the allow list compares it: an address in
    its usual form, a name in lower case, IDNA-encoded, without a final dot."""
    text = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ip_address(text))
    except ValueError:
        pass
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:
        return text
