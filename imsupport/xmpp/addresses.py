"""
The service's addresses (R-ADDR-1..4): the console at the bare domain, node
addresses ``<node>@<domain>`` and chat addresses ``<node>+<n>@<domain>``.

Every ``from`` the component sends is built here from validated parts, never
copied from input (R-SEC-2).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from twisted.words.protocols.jabber.jid import JID, InvalidFormat

from imsupport.core.model import NODE_NAME

CHAT_LOCAL = re.compile(r"^([a-z0-9][a-z0-9._-]*)\+([1-9][0-9]{0,17})$")

CONSOLE = "console"
NODE = "node"
CHAT = "chat"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Address:
    kind: str  # CONSOLE, NODE, CHAT or UNKNOWN
    node: str | None = None
    chat_id: int | None = None


def parseJID(text: str | None) -> JID | None:
    """A JID, or None when ``text`` is not one. Parsing runs stringprep in pure
    Python (about 0.1 ms a JID), and the same few addresses come back in every
    stanza, so results are cached (bounded, unlike Twisted's ``internJID``)."""
    if not text:
        return None
    return _parseJID(text)


@lru_cache(maxsize=20_000)
def _parseJID(text: str) -> JID | None:
    try:
        return JID(text)
    except (InvalidFormat, UnicodeError, ValueError):
        return None


@lru_cache(maxsize=20_000)
def classify(to: JID, domain: str) -> Address:
    """What a stanza addressed to ``to`` is for. A resource is ignored: some
    clients and gateways write to ``sales@domain/something`` after seeing a
    full JID somewhere, and they mean the node."""
    if to.host != domain:
        return Address(UNKNOWN)
    if to.user is None:
        return Address(CONSOLE)
    match = CHAT_LOCAL.match(to.user)
    if match:
        return Address(CHAT, match.group(1), int(match.group(2)))
    if NODE_NAME.match(to.user):
        return Address(NODE, to.user)
    return Address(UNKNOWN)


@lru_cache(maxsize=20_000)
def _rebuild(user: str | None, domain: str, resource: str | None) -> str:
    full: str = JID(tuple=(user, domain, resource)).full()
    return full


class Addresses:
    def __init__(self, domain: str) -> None:
        self.domain = domain

    def console(self) -> str:
        return self.domain

    def node(self, name: str) -> str:
        if not NODE_NAME.match(name):
            raise ValueError(f"not a node name: {name!r}")
        return f"{name}@{self.domain}"

    def chat(self, node: str, chat_id: int) -> str:
        if not NODE_NAME.match(node) or int(chat_id) < 1:
            raise ValueError(f"not a chat address: {node!r} {chat_id!r}")
        return f"{node}+{int(chat_id)}@{self.domain}"

    def replyFrom(self, to: JID) -> str:
        """The address an error reply to a stanza sent to ``to`` comes from:
        the very address written to (RFC 6120 8.3.1), so the client shows it
        in that chat window, not in a console. It is rebuilt from the parsed,
        stringprep-checked parts under our own domain, never copied from the
        input text (R-SEC-2); anything not under our domain gets the domain."""
        if to.host != self.domain:
            return self.domain
        return _rebuild(to.user, self.domain, to.resource)

    def of(self, address: Address) -> str:
        """The address to answer from: its own when it is one of ours."""
        if address.kind == NODE and address.node:
            return self.node(address.node)
        if address.kind == CHAT and address.node and address.chat_id:
            return self.chat(address.node, address.chat_id)
        return self.console()
