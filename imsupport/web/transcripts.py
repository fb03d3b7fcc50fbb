"""
``GET /t/{chat}/{expires}/{signature}``: an earlier chat as a plain-text
transcript, for the links ``!history`` and a returning client's note give
operators (core/links.py). The link is the permission: one this service did
not sign, or that has expired, is refused (403) without a look at the
store. The text is core/transcript.py's, served as text/plain with
``nosniff`` and a CSP that allows nothing, so no client's words can become
markup, and never cached or sent on as a referrer.
"""
from __future__ import annotations

from typing import Any, Callable, Generator

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.web.iweb import IRequest
from werkzeug.exceptions import Forbidden, NotFound

from imsupport.core.links import TranscriptLinks
from imsupport.core.transcript import transcript
from imsupport.store.interfaces import IStore

HEADERS = {
    b"content-type": b"text/plain; charset=utf-8",
    b"x-content-type-options": b"nosniff",
    b"content-security-policy": b"default-src 'none'; sandbox",
    b"cache-control": b"private, no-store",
    b"referrer-policy": b"no-referrer",
}


class TranscriptPages:
    def __init__(self, links: TranscriptLinks, store: IStore,
                 operatorName: Callable[[str], str | None]) -> None:
        self.links = links
        self.store = store
        self.operatorName = operatorName

    @inlineCallbacks
    def show(self, request: IRequest, chat_id: int, expires: int,
             signature: str) -> Generator[Deferred[Any], Any, bytes]:
        if not self.links.check(chat_id, expires, signature):
            raise Forbidden("This transcript link is not valid or has expired; "
                            "ask for the chat's history again.")
        record = yield self.store.getChat(chat_id)
        if record is None:
            raise NotFound("No such chat.")
        events = yield self.store.chatEvents(chat_id)
        for name, value in HEADERS.items():
            request.setHeader(name, value)
        return transcript(record, events, self.operatorName).encode("utf-8")
