"""
XEP-0363 slot requests to the domain (R-CLI-1, SPEC 16): a client's or an
operator's ``<request xmlns="urn:xmpp:http:upload:0">`` gets PUT and GET URLs
under ``[web] public_url``, or the error the XEP names (file too large with
the limit, quota with when to try again, a bad request). The rules are the
core's; this handler only reads the request and writes the answer.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.words.xish import domish
from tx_xmpp.subprotocols import XMPPHandler

from imsupport.core.files import QUOTA, TOO_LARGE, SlotRefusal, SlotUrls
from imsupport.xmpp import stanzas
from imsupport.xmpp.addresses import CONSOLE, classify, parseJID

if TYPE_CHECKING:
    from imsupport.core.ports import Support

NS_UPLOAD = "urn:xmpp:http:upload:0"
REQUEST = f"/iq[@type='get']/request[@xmlns='{NS_UPLOAD}']"
MAX_NAME_CHARS = 1000  # a longer requested file name is a bad request

log = Logger()


def _size(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 15:
        return None
    return int(value.strip())


class UploadHandler(XMPPHandler):
    def __init__(self, core: "Support", domain: str) -> None:
        super().__init__()
        self.core = core
        self.domain = domain

    def connectionInitialized(self) -> None:
        assert self.xmlstream is not None
        self.xmlstream.addObserver(REQUEST, self.onRequest)

    def onRequest(self, iq: domish.Element) -> None:
        # Twisted's mark for "an observer took it" (domish declares no such attribute).
        iq.handled = True  # type: ignore[attr-defined]
        sender = parseJID(iq.getAttribute("from"))
        to = parseJID(iq.getAttribute("to"))
        if sender is None or to is None:
            return
        reply_from = to.full()
        if classify(to, self.domain).kind != CONSOLE:
            self.send(stanzas.error(iq, reply_from, "feature-not-implemented", "cancel",
                                    f"Ask {self.domain} for upload slots."))
            return
        request = stanzas.child(iq, NS_UPLOAD, "request")
        assert request is not None
        filename = request.getAttribute("filename") or ""
        size = _size(request.getAttribute("size"))
        if not filename.strip() or len(filename) > MAX_NAME_CHARS or size is None:
            self.send(stanzas.error(iq, reply_from, "bad-request", "modify",
                                    "A slot request needs a file name and a size in bytes."))
            return
        who = sender.userhost()
        if self.core.isRefusing(who):
            self.send(stanzas.error(iq, reply_from, "policy-violation", "wait",
                                    "Too many requests; please wait."))
            return
        d = self.core.requestSlot(who, filename, size, request.getAttribute("content-type"))
        d.addCallbacks(self._answer, self._failed, callbackArgs=(iq, reply_from),
                       errbackArgs=(iq, reply_from))

    def _answer(self, result: Any, iq: domish.Element, reply_from: str) -> None:
        if isinstance(result, SlotUrls):
            self.send(slotResult(iq, reply_from, result))
        else:
            self.send(slotError(iq, reply_from, result))

    def _failed(self, reason: Failure, iq: domish.Element, reply_from: str) -> None:
        log.failure("A slot request failed", reason)
        self.send(stanzas.error(iq, reply_from, "internal-server-error", "wait",
                                "No slot can be given now; please try again later."))


def slotResult(iq: domish.Element, sender: str, urls: SlotUrls) -> domish.Element:
    reply = domish.Element((stanzas.NS_CLIENT, "iq"))
    reply["from"] = sender
    reply["to"] = iq["from"]
    reply["type"] = "result"
    if iq.getAttribute("id"):
        reply["id"] = iq["id"]
    slot = reply.addElement((NS_UPLOAD, "slot"))
    slot.addElement("put")["url"] = urls.put
    slot.addElement("get")["url"] = urls.get
    return reply


def slotError(iq: domish.Element, sender: str, refusal: SlotRefusal) -> domish.Element:
    """XEP-0363 section 4's errors: not-acceptable with <file-too-large> and
    the limit; resource-constraint with <retry stamp>; else bad-request."""
    if refusal.condition == TOO_LARGE:
        reply = stanzas.error(iq, sender, "not-acceptable", "modify", refusal.text)
        too_large = reply.error.addElement((NS_UPLOAD, "file-too-large"))
        too_large.addElement("max-file-size", content=str(refusal.max_size))
    elif refusal.condition == QUOTA:
        reply = stanzas.error(iq, sender, "resource-constraint", "wait", refusal.text)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(refusal.retry_at))
        reply.error.addElement((NS_UPLOAD, "retry"))["stamp"] = stamp
    else:
        reply = stanzas.error(iq, sender, "bad-request", "modify", refusal.text)
    return reply
