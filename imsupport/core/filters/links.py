"""
Links to internal resources in operators' messages (R-OPS-4).

An operator pastes from their own browser and file manager; a customer must
not get the intranet wiki, a router's admin page or a file share. Blocked:

- hosts in the configured ``internal_domains`` and all their subdomains
  (``corp.shop.example`` blocks ``wiki.corp.shop.example``, not
  ``notcorp.shop.example`` nor ``corp.shop.example.evil.com``);
- hosts under suffixes that only exist inside networks: ``INTERNAL_SUFFIXES``;
- single-label hosts (``http://wiki/``, ``wiki:8080/``, ``localhost:3000``),
  but only in URL form, since a lone word is just a word;
- loopback, private, link-local, unspecified and shared (CGNAT) IPv4
  addresses, and loopback, link-local, unique-local, site-local and
  unspecified IPv6 addresses, bare or in URLs;
- ``file:`` URLs, UNC paths (``\\\\server\\share``, ``//server/share``) and
  file-share schemes (``smb://``, ``nfs://``...).

E-mail addresses are not links and pass. Public links pass.
"""
from __future__ import annotations

import bisect
import ipaddress
import re
import socket
from collections.abc import Callable, Sequence

from imsupport.core.filters.finding import Finding

# Suffixes reserved or customary for names that resolve only inside a network
# (RFC 6761, RFC 8375 for home.arpa, and the de-facto corp/lan/internal ones).
INTERNAL_SUFFIXES = ("local", "localhost", "localdomain", "lan", "internal", "intranet",
                     "corp", "home.arpa")
SHARE_SCHEMES = frozenset({"file", "smb", "cifs", "nfs", "afp"})

_V4_RANGES = [(ipaddress.ip_network(net), rule) for net, rule in (
    ("127.0.0.0/8", "loopback IPv4"), ("10.0.0.0/8", "private IPv4"),
    ("172.16.0.0/12", "private IPv4"), ("192.168.0.0/16", "private IPv4"),
    ("169.254.0.0/16", "link-local IPv4"), ("0.0.0.0/8", "unspecified IPv4"),
    ("100.64.0.0/10", "shared (CGNAT) IPv4"))]
_V6_RANGES = [(ipaddress.ip_network(net), rule) for net, rule in (
    ("::1/128", "loopback IPv6"), ("::/128", "unspecified IPv6"),
    ("fe80::/10", "link-local IPv6"), ("fc00::/7", "unique local IPv6"),
    ("fec0::/10", "site-local IPv6"))]

_DOT = r"(?:\.|\[\.\]|\(\.\))"  # "corp[.]shop[.]example" is a link too
_LABEL = r"[^\W_][\w-]{0,62}+"  # possessive: a word without a dot fails at once
_TAIL = r"""[^\s<>"]*"""
_SCHEME_URL = re.compile(
    r"(?<![\w.+-])(?P<scheme>https?|hxxps?|ftps?|sftp|ssh|smb|cifs|nfs|afp|wss?|rdp|vnc|"
    r"telnet|ldaps?|git|svn)://(?:[^\s/?#@\[\]<>\"]*@)?"
    rf"(?P<host>\[[^\]\s]*\]|(?:[^\s/?#:@\[\]<>\"\\(]|{_DOT})*+)"
    rf"(?::\d{{1,5}})?{_TAIL}", re.IGNORECASE)
_FILE_URL = re.compile(r"(?<![\w.+-])file:(?://|/|\\\\|[a-z]:[\\/])" + _TAIL, re.IGNORECASE)
_UNC_BACKSLASH = re.compile(r"""(?<![\w\\])\\\\[^\s\\/:*?"<>|]+(?:\\[^\s\\<>"]*)*""")
_UNC_SLASH = re.compile(rf"(?<![\w:/.])//(?P<host>[\w.-]+)(?P<rest>/{_TAIL})?")
_IPV6_BRACKETED = re.compile(r"(?<![\w\[])\[(?P<host>[0-9a-f:.]+(?:%[\w.]+)?)\](?::\d{1,5})?(?:/" +
                             _TAIL + ")?", re.IGNORECASE)
_IPV4 = re.compile(r"(?<![\w.:])(?P<host>\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)(?::\d{1,5})?"
                   r"(?:/" + _TAIL + ")?")
_IPV6 = re.compile(r"(?<![\w:.])(?P<host>(?:[0-9a-f]{1,4}:|:)(?::|[0-9a-f]{1,4}:){1,7}"
                   r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4})(?:%\w+)?)(?![\w:])",
                   re.IGNORECASE)
_HOST = re.compile(rf"(?<![\w@.\-/\\])(?P<host>(?:{_LABEL}{_DOT})+[^\W\d_][\w-]*)"
                   rf"(?::\d{{1,5}})?(?:/{_TAIL})?")
_HOST_PORT = re.compile(r"(?<![\w@.\-/\\:])(?P<host>[^\W\d_][\w-]*+):\d{1,5}(?![\d:])"
                        rf"(?P<rest>/{_TAIL})?")
_TRAILING = ".,;:!?'\"»”’)]}>"


def _trimmed(text: str, start: int, end: int) -> int:
    """Where a link found in prose really ends: not at the sentence's full stop,
    nor at a closing bracket that was opened before the link."""
    while end > start and text[end - 1] in _TRAILING:
        closer = text[end - 1]
        opener = {")": "(", "]": "[", "}": "{"}.get(closer)
        if opener and text.count(opener, start, end) >= text.count(closer, start, end):
            break
        end -= 1
    return end


def _ipv4Rule(address: ipaddress.IPv4Address) -> str | None:
    return next((rule for net, rule in _V4_RANGES if address in net), None)


def _ipv6Rule(text: str) -> str | None:
    try:
        address = ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return None
    if address.ipv4_mapped is not None:
        return _ipv4Rule(address.ipv4_mapped)
    return next((rule for net, rule in _V6_RANGES if address in net), None)


def _ipv4Literal(host: str) -> ipaddress.IPv4Address | None:
    """Any form a URL parser takes for IPv4: "10.1.2.3", "127.1", "0x7f.1", "2130706433"."""
    if not host or not all(c in "0123456789abcdefx." for c in host.lower()):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


class _Spans:
    """Disjoint spans of the text already claimed by a link, kept sorted so a
    message with thousands of links is not checked in quadratic time."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        """Claim [start, end) unless it overlaps a claimed span."""
        index = bisect.bisect_right(self.starts, start)
        if index and self.ends[index - 1] > start:
            return False
        if index < len(self.starts) and self.starts[index] < end:
            return False
        self.starts.insert(index, start)
        self.ends.insert(index, end)
        return True


class LinkFilter:
    def __init__(self, internal_domains: Sequence[str] = ()) -> None:
        self.domains = tuple(d.lower().strip(".") for d in internal_domains if d.strip("."))

    def hostRule(self, host: str) -> str | None:
        """Why a host is internal, or None for a public one."""
        host = host.lower().replace("[.]", ".").replace("(.)", ".").rstrip(".")
        if host.startswith("[") and host.endswith("]"):
            return _ipv6Rule(host[1:-1])
        for domain in self.domains:
            if host == domain or host.endswith("." + domain):
                return f"internal domain {domain}"
        address = _ipv4Literal(host)
        if address is not None:
            return _ipv4Rule(address)
        if ":" in host:
            return _ipv6Rule(host)
        for suffix in INTERNAL_SUFFIXES:
            if host == suffix:
                return f"internal name {suffix}"
            if host.endswith("." + suffix):
                return f"internal suffix .{suffix}"
        if host and "." not in host:
            return "single-label host"
        return None

    def check(self, text: str) -> list[Finding]:
        findings: list[Finding] = []
        covered = _Spans()
        for regex, judgeName, quick in _SCANNERS:
            if not quick.search(text):
                continue
            judge: Callable[[re.Match[str]], str | None] = getattr(self, judgeName)
            for match in regex.finditer(text):
                start, end = match.start(), _trimmed(text, match.start(), match.end())
                if not covered.claim(start, end):
                    continue
                rule = judge(match)
                if rule is not None:
                    findings.append(Finding("internal_link", start, end, text[start:end], rule))
                elif regex is _SCHEME_URL:
                    findings.extend(self._inside(text, match.end("host"), end))
        return sorted(findings, key=lambda f: f.start)

    def _inside(self, text: str, start: int, end: int) -> list[Finding]:
        """Internal URLs in the path or query of a public one: a redirect's
        target ("https://shop.example/go?to=http://wiki.corp/") is still a link
        to it."""
        found: list[Finding] = []
        for match in _SCHEME_URL.finditer(text, start, end):
            nestedEnd = _trimmed(text, match.start(), match.end())
            rule = self._schemeUrl(match)
            if rule is not None:
                found.append(Finding("internal_link", match.start(), nestedEnd,
                                     text[match.start():nestedEnd], rule))
            else:
                found.extend(self._inside(text, match.end("host"), nestedEnd))
        return found

    def _schemeUrl(self, match: re.Match[str]) -> str | None:
        if match.group("scheme").lower() in SHARE_SCHEMES:
            return "file share"
        return self.hostRule(match.group("host"))

    def _slashPath(self, match: re.Match[str]) -> str | None:
        host = match.group("host")
        if "." not in host.strip("."):
            return "UNC path" if match.group("rest") else None
        return self.hostRule(host)

    def _hostPort(self, match: re.Match[str]) -> str | None:
        host = match.group("host").lower()
        rule = self.hostRule(host)
        if match.group("rest") or rule != "single-label host":
            return rule
        return None

    def _host(self, match: re.Match[str]) -> str | None:
        return self.hostRule(match.group("host"))

    def _fileUrl(self, match: re.Match[str]) -> str:
        return "file URL"

    def _uncPath(self, match: re.Match[str]) -> str:
        return "UNC path"

    def _bareIpv6(self, match: re.Match[str]) -> str | None:
        host = match.group("host")
        if not any(c not in ":" for c in host):
            return None
        return _ipv6Rule(host)

    def _bareIpv4(self, match: re.Match[str]) -> str | None:
        try:
            return _ipv4Rule(ipaddress.IPv4Address(match.group("host")))
        except ValueError:
            return None


# (regex, name of the LinkFilter method judging its matches, a quick regex
# without whose match the first cannot match). The quick ones start with a
# literal, which the regex engine finds in C, so a message without links costs
# a few scans for "://", "." between letters and the like. The order matters:
# a whole URL is claimed before its parts, so the host of a public URL is not
# looked at again as a bare host, nor the address inside an internal one
# reported twice.
_SCANNERS: Sequence[tuple[re.Pattern[str], str, re.Pattern[str]]] = (
    (_SCHEME_URL, "_schemeUrl", re.compile("://")),
    (_FILE_URL, "_fileUrl", re.compile("file:", re.IGNORECASE)),
    (_UNC_BACKSLASH, "_uncPath", re.compile(r"\\\\")),
    (_UNC_SLASH, "_slashPath", re.compile("//")),
    (_IPV6_BRACKETED, "_bareIpv6", re.compile(r"\[[0-9a-fA-F]*:")),
    (_IPV4, "_bareIpv4", re.compile(r"\.(?=\d{1,3}\.\d)(?<=\d\.)")),
    (_IPV6, "_bareIpv6", re.compile(r":(?=[0-9a-fA-F]{0,4}:)")),
    (_HOST, "_host", re.compile(r"\.(?=[^\W\d_])(?<=\w\.)|\[\.\]|\(\.\)")),
    (_HOST_PORT, "_hostPort", re.compile(r":(?=\d)(?<=[\w-]:)")),
)
