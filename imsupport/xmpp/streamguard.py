"""
The component stream's guard: it puts the hardened parser on every new
stream, answers each refused stanza to its sender with a stanza error, and
ends the stream when the XMPP server sent XML the parser will not read.

It also refuses every stanza from an address under ``web.invalid``: those
are the web chat's visitors (R-CLI-3), who exist only over HTTP, so an
XMPP stanza claiming one (a forging component or server) would otherwise
write into a visitor's chat.
"""
from __future__ import annotations

from typing import Any

from twisted.logger import Logger
from twisted.words.protocols.jabber import error as jabber_error
from twisted.words.protocols.jabber import xmlstream
from twisted.words.xish import domish

from imsupport.core.display import WEB_DOMAIN
from imsupport.core.i18n import Translator
from imsupport.xmpp import stanzas
from imsupport.xmpp.addresses import Addresses, parseJID
from imsupport.xmpp.parser import (
    ATTRIBUTE,
    BYTES,
    DEPTH,
    ELEMENTS,
    TEXT,
    HardenedElementStream,
    Refusal,
    StanzaLimits,
    StreamClosed,
)

log = Logger()

STANZAS = ("message", "presence", "iq")
TEXT_KEYS = {BYTES: "refused_stanza_bytes", DEPTH: "refused_stanza_depth",
             ELEMENTS: "refused_stanza_elements", ATTRIBUTE: "refused_stanza_attribute",
             TEXT: "refused_stanza_text"}


class StreamGuard:
    def __init__(self, addresses: Addresses, limits: StanzaLimits | None = None,
                 translator: Translator | None = None) -> None:
        self.addresses = addresses
        self.limits = limits or StanzaLimits()
        self.translator = translator or Translator()

    def install(self, xs: xmlstream.XmlStream) -> HardenedElementStream:
        """Replace the stream's domish parser (call on STREAM_CONNECTED_EVENT,
        before any byte is read). A stream reset builds a hardened one again."""
        stream = HardenedElementStream(self.limits, lambda r: self.refused(xs, r),
                                       lambda c: self.closed(xs, c))
        stream.DocumentStartEvent = xs.onDocumentStart
        stream.ElementEvent = lambda element: self.element(xs, element)
        stream.DocumentEndEvent = xs.onDocumentEnd
        xs.stream = stream
        # A stream reset makes a new parser in _initializeStream, Twisted's
        # only hook for it; mypy rejects assigning to a method.
        xs._initializeStream = lambda: self.install(xs)  # type: ignore[method-assign]
        return stream

    # -- a stanza from a web chat visitor's address --------------------------

    def element(self, xs: xmlstream.XmlStream, element: domish.Element) -> None:
        """Every top-level element the parser built: on to the stream's
        observers unless it claims a web chat visitor's address."""
        sender = parseJID(element.getAttribute("from"))
        if element.name in STANZAS and sender is not None and isWebAddress(sender.host):
            self.forged(xs, element, sender.full())
            return
        xs.onElement(element)

    def forged(self, xs: xmlstream.XmlStream, stanza: domish.Element, sender: str) -> None:
        log.warn(  # noqa: G010 (twisted.logger has no warning())
            "Refused a {kind} from {sender}: addresses under {domain} are the web chat's "
            "own and cannot come over XMPP", kind=stanza.name, sender=sender,
            domain=WEB_DOMAIN)
        stype = stanza.getAttribute("type")
        if stype == "error" or (stanza.name == "iq" and stype == "result"):
            return
        lang = stanzas.langOf(stanza)
        text = self.translator.text("refused_web_address", [lang] if lang else [],
                                    domain=WEB_DOMAIN)
        stanza["from"] = sender
        xs.send(stanzas.error(stanza, self.replyFrom(stanza.getAttribute("to")),
                              "not-allowed", "cancel", text))

    # -- a refused stanza ----------------------------------------------------

    def refused(self, xs: xmlstream.XmlStream, refusal: Refusal) -> None:
        """Tell the sender which limit their stanza broke, from the address
        they wrote to. Errors, IQ results (RFC 6120 8.2.3) and anything that
        is not a stanza are not answered."""
        stanza = refusal.stanza
        sender = parseJID(stanza.getAttribute("from"))
        log.warn(  # noqa: G010 (twisted.logger has no warning())
            "Refused a {kind} from {sender} ({size} bytes): {reason}", kind=stanza.name,
            sender=sender.full() if sender else "(no valid from)", size=refusal.size,
            reason=self.text(refusal, "en"), limit=refusal.limit, allowed=refusal.allowed,
            found=refusal.found)
        stype = stanza.getAttribute("type")
        if sender is None or stanza.name not in STANZAS or stype == "error" \
                or (stanza.name == "iq" and stype == "result"):
            return
        stanza["from"] = sender.full()
        reply = stanzas.error(stanza, self.replyFrom(stanza.getAttribute("to")),
                              "not-acceptable", "modify", self.text(refusal))
        xs.send(reply)

    def replyFrom(self, to: str | None) -> str:
        """The address the stanza was written to, built by us (R-SEC-2): the
        same rule as every handler's errors."""
        jid = parseJID(to)
        if jid is None:
            return self.addresses.console()
        return self.addresses.replyFrom(jid)

    def text(self, refusal: Refusal, lang: str | None = None) -> str:
        """What the sender is told, in ``lang`` or the stanza's language."""
        stanza = refusal.stanza
        lang = lang or stanzas.langOf(stanza)
        key = TEXT_KEYS[refusal.limit]
        if refusal.limit == TEXT and stanza.name == "message":
            key = "refused_message_text"
        fields: dict[str, Any] = {"limit": refusal.allowed, "found": refusal.found,
                                  "element": refusal.element}
        return self.translator.text(key, [lang] if lang else [], **fields)

    # -- an unreadable stream ------------------------------------------------

    def closed(self, xs: xmlstream.XmlStream, closed: StreamClosed) -> None:
        log.error("The component closed its stream to the XMPP server, which sent {reason}; "
                  "nothing after it was read (stream error {condition})",
                  reason=closed.reason, condition=closed.condition)
        transport = xs.transport
        if transport is None:
            return
        xs.sendStreamError(jabber_error.StreamError(closed.condition))



def isWebAddress(host: str) -> bool:
    """``web.invalid`` or a name under it (compared case-blind, as DNS)."""
    host = host.lower().rstrip(".")
    return host == WEB_DOMAIN or host.endswith("." + WEB_DOMAIN)
