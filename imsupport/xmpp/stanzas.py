"""
Building and reading the few stanza shapes the service uses: chat messages
with XEP-0085 chat states and XEP-0184 receipts, errors, presence.
"""
from __future__ import annotations

import itertools
import os

from twisted.words.xish import domish

NS_CLIENT = "jabber:component:accept"
NS_XML = "http://www.w3.org/XML/1998/namespace"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
NS_RECEIPTS = "urn:xmpp:receipts"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_NICK = "http://jabber.org/protocol/nick"
NS_OOB = "jabber:x:oob"  # XEP-0066: a file's URL, for clients that show previews
CHATSTATES = frozenset({"active", "composing", "paused", "inactive", "gone"})
MAX_STORED_ID = 200  # characters of a message id kept; real clients use fewer than 64
MAX_OOB_URL = 4096  # characters: a longer XEP-0066 URL is not taken for a link

_prefix = os.urandom(4).hex()
_counter = itertools.count(1)


def newId() -> str:
    return f"ims{_prefix}-{next(_counter)}"


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


def message(sender: str, to: str, body: str | None = None, chatstate: str | None = None,
            lang: str | None = None, receipt_id: str | None = None,
            mtype: str = "chat", oob: str | None = None) -> str:
    """A chat message as serialized XML. Messages are the hot path of the
    relay, and writing the few fixed shapes directly costs a fraction of
    building and serializing a domish tree."""
    parts = [f'<message from="{_attr(sender)}" to="{_attr(to)}" type="{_attr(mtype)}" '
             f'id="{_attr(receipt_id or newId())}"']
    if lang:
        parts.append(f' xml:lang="{_attr(lang)}"')
    parts.append(">")
    if body is not None:
        parts.append(f"<body>{_text(body)}</body>")
    if chatstate:
        parts.append(f'<{_attr(chatstate)} xmlns="{NS_CHATSTATES}"/>')
    if receipt_id and body is not None:
        parts.append(f'<request xmlns="{NS_RECEIPTS}"/>')
    if oob:
        parts.append(f'<x xmlns="{NS_OOB}"><url>{_text(oob)}</url></x>')
    parts.append("</message>")
    return "".join(parts)


def receipt(sender: str, to: str, message_id: str) -> domish.Element:
    element = domish.Element((NS_CLIENT, "message"))
    element["from"] = sender
    element["to"] = to
    element["id"] = newId()
    element.addElement((NS_RECEIPTS, "received"))["id"] = message_id
    return element


def error(stanza: domish.Element, sender: str, condition: str, etype: str,
          text: str) -> domish.Element:
    """An error reply to ``stanza``, from ``sender`` (built by us, R-SEC-2)."""
    reply = domish.Element((NS_CLIENT, stanza.name))
    reply["from"] = sender
    reply["to"] = stanza["from"]
    reply["type"] = "error"
    if stanza.getAttribute("id"):
        reply["id"] = stanza["id"]
    err = reply.addElement("error")
    err["type"] = etype
    err.addElement((NS_STANZAS, condition))
    err.addElement((NS_STANZAS, "text"), content=text)
    return reply


def presence(sender: str, to: str, ptype: str | None = None, show: str | None = None,
             status: str | None = None, lang: str | None = None,
             nick: str | None = None) -> domish.Element:
    element = domish.Element((NS_CLIENT, "presence"))
    element["from"] = sender
    element["to"] = to
    if ptype:
        element["type"] = ptype
    if lang:
        element[(NS_XML, "lang")] = lang
    if show:
        element.addElement("show", content=show)
    if status:
        element.addElement("status", content=status)
    if nick:
        element.addElement((NS_NICK, "nick"), content=nick)
    return element


def child(element: domish.Element, uri: str, name: str | None = None) -> domish.Element | None:
    c: domish.Element
    for c in element.elements():
        if c.uri == uri and (name is None or c.name == name):
            return c
    return None


def storableId(value: str | None) -> str | None:
    """A message id to store with the message and map its receipt by, or
    None: a longer id is dropped (the message is still relayed, without a
    receipt), so ids never grow the store (200 x 200 KB ids added 42 MB)."""
    return value if value and len(value) <= MAX_STORED_ID else None


def langOf(element: domish.Element) -> str | None:
    lang = element.getAttribute((NS_XML, "lang"))
    return lang.strip().lower()[:16] if lang else None


def showOf(element: domish.Element) -> str | None:
    for c in element.elements():
        if c.name == "show":
            value = str(c).strip()
            return value if value in ("away", "chat", "dnd", "xa") else None
    return None


class MessageParts:
    """What the service reads from a message, gathered in one pass over its
    children (this runs for every relayed message)."""

    __slots__ = ("body", "chatstate", "oob", "receipt_requested", "received_id")

    def __init__(self, element: domish.Element) -> None:
        self.body: str | None = None
        self.chatstate: str | None = None
        self.receipt_requested = False
        self.received_id: str | None = None
        self.oob: str | None = None  # XEP-0066 <x xmlns="jabber:x:oob"><url>
        for c in element.elements():
            uri, name = c.uri, c.name
            if name == "body" and uri in (NS_CLIENT, "jabber:client", None):
                if self.body is None:
                    self.body = str(c)
            elif uri == NS_CHATSTATES:
                if name in CHATSTATES:
                    self.chatstate = name
            elif uri == NS_RECEIPTS:
                if name == "request":
                    self.receipt_requested = True
                elif name == "received":
                    self.received_id = c.getAttribute("id")
            elif uri == NS_OOB and name == "x" and self.oob is None:
                for part in c.elements():
                    if part.name == "url":
                        url = str(part).strip()
                        self.oob = url if 0 < len(url) <= MAX_OOB_URL else None
                        break
