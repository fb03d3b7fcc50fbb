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
CHATSTATES = frozenset({"active", "composing", "paused", "inactive", "gone"})

_prefix = os.urandom(4).hex()
_counter = itertools.count(1)


def newId() -> str:
    return f"ims{_prefix}-{next(_counter)}"


def message(sender: str, to: str, body: str | None = None, chatstate: str | None = None,
            lang: str | None = None, receipt_id: str | None = None,
            mtype: str = "chat") -> domish.Element:
    element = domish.Element((NS_CLIENT, "message"))
    element["from"] = sender
    element["to"] = to
    element["type"] = mtype
    element["id"] = receipt_id or newId()
    if lang:
        element[(NS_XML, "lang")] = lang
    if body is not None:
        element.addElement("body", content=body)
    if chatstate:
        element.addElement((NS_CHATSTATES, chatstate))
    if receipt_id and body is not None:
        element.addElement((NS_RECEIPTS, "request"))
    return element


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
             status: str | None = None, lang: str | None = None) -> domish.Element:
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
    return element


def child(element: domish.Element, uri: str, name: str | None = None) -> domish.Element | None:
    for c in element.elements():
        if c.uri == uri and (name is None or c.name == name):
            return c
    return None


def bodyOf(element: domish.Element) -> str | None:
    for c in element.elements():
        if c.name == "body" and c.uri in (NS_CLIENT, "jabber:client", None):
            return str(c)
    return None


def chatstateOf(element: domish.Element) -> str | None:
    for c in element.elements():
        if c.uri == NS_CHATSTATES and c.name in CHATSTATES:
            return c.name
    return None


def langOf(element: domish.Element) -> str | None:
    lang = element.getAttribute((NS_XML, "lang"))
    return lang.strip().lower()[:16] if lang else None


def showOf(element: domish.Element) -> str | None:
    for c in element.elements():
        if c.name == "show":
            value = str(c).strip()
            return value if value in ("away", "chat", "dnd", "xa") else None
    return None
