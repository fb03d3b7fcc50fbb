"""
How a person reads a client's address. Users behind a gateway (Matrix, IRC,
SMS...) have their own network's address escaped into the local part
(XEP-0106): ``alice\\40matrix.org@gw.example.test``. People are shown
``alice@matrix.org via gw.example.test``; the real JID stays what the
service addresses, stores and matches. Pure functions, no I/O.

Web chat visitors (R-CLI-3) have addresses of their own under ``web.invalid``
(RFC 2606: never routable): the escaped, lower-cased name they gave, a dot
and ten random characters, ``anna\\20petrova.k3j2x9ab1c@web.invalid``, shown
as ``anna petrova (web chat k3j2x9ab1c)``.
"""
from __future__ import annotations

import re

# XEP-0106, section 3.1: the only sequences there are (lower-case hex: servers
# fold local parts to lower case, so ``\2F`` never means "/").
UNESCAPED = {"20": " ", "22": '"', "26": "&", "27": "'", "2f": "/", "3a": ":",
             "3c": "<", "3e": ">", "40": "@", "5c": "\\"}
_SEQUENCE = re.compile(r"\\(20|22|26|27|2f|3a|3c|3e|40|5c)")
_ESCAPED = {char: "\\" + code for code, char in UNESCAPED.items() if char != "\\"}
_NEEDS_ESCAPING = re.compile(r"[ \"&'/:<>@]")
VIA = " via "
WEB_DOMAIN = "web.invalid"  # web chat visitors' addresses (imsupport/web/chat/visitors.py)
VISITOR_ID = re.compile(r"[a-z0-9]{10}")
_WEB_SHOWN = re.compile(r"^(.*) \(web chat ([a-z0-9]{10})\)$", re.DOTALL)


def unescapeLocal(local: str) -> str:
    """One pass from left to right, so an escaped backslash (``\\5c``) is
    never read again as the start of a sequence."""
    return _SEQUENCE.sub(lambda m: UNESCAPED[m.group(1)], local)


def escapeLocal(local: str) -> str:
    """The XEP-0106 escaping of ``local``: a backslash only where it would
    otherwise start one of the sequences."""
    out = []
    for i, char in enumerate(local):
        if char == "\\":
            out.append("\\5c" if _SEQUENCE.match(local, i) else "\\")
        else:
            out.append(_ESCAPED.get(char, char))
    return "".join(out)


def visitorParts(address: str) -> tuple[str, str] | None:
    """(name, id) of a web chat visitor's address, the name unescaped;
    None for any other address."""
    local, at, domain = address.rpartition("@")
    if not at or domain != WEB_DOMAIN:
        return None
    name, dot, visitor = local.rpartition(".")
    if not dot or not name or not VISITOR_ID.fullmatch(visitor):
        return None
    return unescapeLocal(name), visitor


def showClient(address: str) -> str:
    """The client's address as a person reads it: unescaped, a gateway
    user as ``their-address via gateway``, a web chat visitor as ``name
    (web chat id)``. Anything else stays as it is."""
    visitor = visitorParts(address)
    if visitor is not None:
        return f"{visitor[0]} (web chat {visitor[1]})"
    local, at, rest = address.partition("@")
    if not at or not local or "/" in local:
        return address
    shown = unescapeLocal(local)
    if shown == local:
        return address
    return f"{shown}{VIA}{rest}" if "@" in shown else f"{shown}@{rest}"


def clientFromShown(typed: str) -> str:
    """The real address behind what an operator typed: the form
    ``showClient`` shows, or the address itself."""
    text = typed.strip()
    web = _WEB_SHOWN.match(text)
    if web is not None:
        return f"{escapeLocal(web.group(1).strip().lower())}.{web.group(2)}@{WEB_DOMAIN}"
    if VIA in text:
        local, _, domain = text.rpartition(VIA)
        return f"{escapeLocal(local.strip().lower())}@{domain.strip().lower()}"
    local, at, domain = text.rpartition("@")
    if at and _NEEDS_ESCAPING.search(local):
        return f"{escapeLocal(local.lower())}@{domain.lower()}"
    return text.lower()
