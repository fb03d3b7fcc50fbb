"""
The web chat's HTTP side (R-CLI-3), mounted at ``/chat/`` by the web side:
the chat page, the node's status, starting a chat, the visitor's event
stream and what a visitor does (messages, typing, the end button, the
rating, files). An adapter: every decision is the core's; a visitor is
just another client address to it (web/chat/visitors.py).

Every refusal is the project's ``{"error": {"code", "message"}}`` with the
message in the visitor's language (imsupport/locale, ``webchat_*``).
"""
from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any, Callable, Generator

from klein import Klein
from klein.resource import KleinResource
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.template import flattenString, tags
from werkzeug.exceptions import HTTPException

from imsupport.core.files import Blobs
from imsupport.core.i18n import Translator
from imsupport.core.journal import Refused
from imsupport.core.model import FileRecord
from imsupport.web.chat.hub import ChatHub
from imsupport.web.chat.page import (
    ChatPage,
    contentSecurityPolicy,
    pageLanguage,
    plainAsset,
    renderChatPage,
)
from imsupport.web.chat.ports import ChatCore
from imsupport.web.chat.shown import parseEventId
from imsupport.web.chat.starts import StartLimit
from imsupport.web.chat.uploads import ChatUploads
from imsupport.web.chat.visit import ChatError, Visit, Visits, query
from imsupport.web.chat.visitors import VisitorTokens, newAddress
from imsupport.web.errors import errorBody, errorCode
from imsupport.web.limits import PathLimit
from imsupport.web.peers import Peers

log = Logger()

TYPING_STATES = ("composing", "paused")
CLOSURE_REASONS = {"closed_now": "closed", "switched_off_now": "off"}
MAX_NAME = 200  # characters of a name accepted (the address keeps fewer)
MAX_LANGUAGES = 8
MAX_COMMENT = 2000


class ChatSide:
    app = Klein()
    app.url_map.merge_slashes = False

    def __init__(self, core: Callable[[], ChatCore | None], hub: ChatHub,
                 tokens: VisitorTokens, translator: Translator, blobs: Blobs | None = None,
                 widget_origins: tuple[str, ...] = (), peers: Peers | None = None,
                 starts: StartLimit | None = None) -> None:
        self.core = core
        self.hub = hub
        self.tokens = tokens
        self.visits = Visits(core, tokens, translator)
        self.widget_origins = widget_origins
        self.asset: Callable[[str], str] = plainAsset  # a static file's URL by its name
        self.uploads = ChatUploads(self.visits, blobs)
        self.peers = peers or Peers()
        self.starts = starts  # new chats per address; None: no limit

    def resource(self) -> KleinResource:
        return self.app.resource()

    def bodyLimit(self, path: bytes) -> PathLimit | None:
        """The web chat's own body limits, for the site (web/limits.py)."""
        return self.uploads.bodyLimit(path)

    # -- the page and the node -----------------------------------------------------

    @app.route("/<string:node>", methods=["GET"])
    def chatPage(self, request: IRequest, node: str) -> Deferred[bytes]:
        """``?lang=ru|en``, ``?embed=1`` inside the widget's iframe."""
        try:
            visit = self.visits.begin(request, node)
        except ChatError as e:
            return self._errorPage(request, e)
        page = ChatPage(node=visit.node.name, title=visit.node.title or visit.node.name,
                        lang=pageLanguage(query(request, "lang") or visit.languages[0]),
                        embed=query(request, "embed") == "1", languages=visit.node.languages,
                        max_upload_bytes=visit.core.files.max_upload_bytes)
        return renderChatPage(request, page, self.widget_origins, self.asset)

    def _errorPage(self, request: IRequest, error: ChatError) -> Deferred[bytes]:
        """No such node, or not started yet: said in a page of its own."""
        request.setResponseCode(error.status)
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        request.setHeader(b"content-security-policy", contentSecurityPolicy(()))
        request.setHeader(b"x-content-type-options", b"nosniff")
        request.setHeader(b"cache-control", b"no-store")
        lang = pageLanguage(query(request, "lang"))
        document = tags.html(lang=lang)(
            tags.head(tags.meta(charset="utf-8"), tags.title(error.message)),
            tags.body(tags.p(error.message)))
        flattened: Deferred[bytes] = flattenString(None, document)
        return flattened.addCallback(lambda html: b"<!DOCTYPE html>\n" + html)

    @app.route("/<string:node>/status", methods=["GET"])
    def status(self, request: IRequest, node: str) -> bytes:
        """Whether the node takes chats now, and what to tell a visitor."""
        try:
            visit = self.visits.begin(request, node)
        except ChatError as e:
            if e.status != 404:
                raise
            request.setResponseCode(404)
            return answer(request, {"node": node, "title": None, "open": False,
                                    "reason": "unknown", "message": e.message,
                                    "languages": []})
        title = visit.node.title or visit.node.name
        closure = visit.core.nodeClosure(visit.node.name, visit.languages)
        message = self.visits.text(visit.languages, "webchat_open", title=title) \
            if closure is None else closure[1]
        return answer(request, {
            "node": visit.node.name, "title": title, "open": closure is None,
            "reason": None if closure is None else CLOSURE_REASONS.get(closure[0], "closed"),
            "message": message, "languages": list(visit.node.languages)})

    # -- a visitor's chat --------------------------------------------------------------

    @app.route("/<string:node>/visitors", methods=["POST"])
    @inlineCallbacks
    def visitors(self, request: IRequest, node: str) -> Generator[Deferred[Any], Any, bytes]:
        """A new visitor, whose question starts their chat: 201 with the
        token their browser keeps."""
        visit = self.visits.begin(request, node)
        body = self.visits.body(request, visit)
        name = self.visits.field(visit, body, "name", str, "")[:MAX_NAME]
        wanted = self.visits.field(visit, body, "languages", list, [])[:MAX_LANGUAGES]
        languages = tuple(x for x in wanted if isinstance(x, str))
        question = self.visits.field(visit, body, "question", str, "").strip()
        visit = self.visits.preferring(visit, languages)
        if not question:
            raise self.visits.fail(visit, 400, "bad_request", "webchat_question_needed")
        self._mayStart(request, visit)
        core = visit.core
        client = newAddress(name)
        core.chooseClientLanguages(client, languages)
        visit = replace(visit, client=client)
        yield self._said(visit, question)
        if not self.hub.streams(visit.node.name, client):
            # away until their page's stream opens: client_grace if it never does
            core.clientPresence(visit.node.name, client, False)
        request.setResponseCode(201)
        return answer(request, {"token": self.tokens.token(client), "client": client})

    @app.route("/<string:node>/events", methods=["GET"])
    def events(self, request: IRequest, node: str) -> Deferred[bytes]:
        visit = self.visits.visitor(self.visits.begin(request, node), query(request, "token"))
        if request.method == b"HEAD":  # the headers only: no stream, the visitor not online
            request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
            request.setHeader(b"cache-control", b"no-store")
            return succeed(b"")
        header = request.getHeader(b"last-event-id")
        last = parseEventId(header.decode("latin-1") if header else query(request, "last"))
        assert visit.client is not None
        return self.hub.connect(request, visit.node.name, visit.client, last)

    @app.route("/<string:node>/messages", methods=["POST"])
    @inlineCallbacks
    def messages(self, request: IRequest, node: str) -> Generator[Deferred[Any], Any, bytes]:
        visit, body = self._posted(request, node)
        text = self.visits.field(visit, body, "text", str).strip()
        if not text:
            raise self.visits.fail(visit, 400, "bad_request", "webchat_bad_request",
                                   detail="text: must not be empty")
        if visit.chat is None:
            self._mayStart(request, visit)
        yield self._said(visit, text)
        return answer(request, {})

    @app.route("/<string:node>/typing", methods=["POST"])
    def typing(self, request: IRequest, node: str) -> bytes:
        visit, body = self._posted(request, node)
        state = self.visits.field(visit, body, "state", str)
        if state not in TYPING_STATES:
            raise self.visits.fail(visit, 400, "bad_request", "webchat_bad_request",
                                   detail="state: must be composing or paused")
        assert visit.client is not None
        if not visit.core.isRefusing(visit.client):
            visit.core.clientChatState(visit.node.name, visit.client, state)
        return answer(request, {})

    @app.route("/<string:node>/end", methods=["POST"])
    @inlineCallbacks
    def end(self, request: IRequest, node: str) -> Generator[Deferred[Any], Any, bytes]:
        """As the client's ``!end``."""
        visit, _ = self._posted(request, node)
        if visit.chat is None:
            raise self.visits.fail(visit, 409, "no_chat", "webchat_no_chat")
        assert visit.client is not None
        refused(visit, (yield visit.core.clientEnded(visit.node.name, visit.client)))
        return answer(request, {})

    @app.route("/<string:node>/rating", methods=["POST"])
    def rating(self, request: IRequest, node: str) -> bytes:
        """The answer to the rating question, as an IM client's "5 thanks"."""
        visit, body = self._posted(request, node)
        stars = self.visits.field(visit, body, "rating", int)
        comment = self.visits.field(visit, body, "comment", str, "")[:MAX_COMMENT]
        if not 1 <= stars <= 5:
            raise self.visits.fail(visit, 400, "bad_request", "webchat_bad_request",
                                   detail="rating: must be 1 to 5")
        assert visit.client is not None
        if not visit.core.clientRated(visit.node.name, visit.client, stars, comment):
            raise self.visits.fail(visit, 409, "no_rating", "webchat_no_rating")
        return answer(request, {})

    @app.route("/<string:node>/files", methods=["POST"])
    @inlineCallbacks
    def files(self, request: IRequest, node: str) -> Generator[Deferred[Any], Any, bytes]:
        visit = self.visits.visitor(self.visits.begin(request, node), query(request, "token"))
        record: FileRecord = yield self.uploads.receive(request, visit)
        request.setResponseCode(201)
        return answer(request, {"id": record.id, "name": record.name,
                                "url": visit.core.files.urlOf(record), "size": record.size,
                                "content_type": record.content_type})

    # -- the shared steps ----------------------------------------------------------------

    def _posted(self, request: IRequest, node: str) -> tuple[Visit, dict[str, Any]]:
        visit = self.visits.begin(request, node)
        body = self.visits.body(request, visit)
        return self.visits.visitor(visit, body.get("token")), body

    def _mayStart(self, request: IRequest, visit: Visit) -> None:
        """A new chat only while the node takes chats (409 otherwise) and
        within its sender's allowance of new chats (429 with Retry-After)."""
        closure = visit.core.nodeClosure(visit.node.name, visit.languages)
        if closure is not None:
            code = "node_off" if closure[0] == "switched_off_now" else "node_closed"
            raise ChatError(409, code, closure[1])
        wait = self.starts.wait(self.peers.limitKey(request)) if self.starts else 0.0
        if wait > 0:
            minutes = max(1, math.ceil(wait / 60))
            request.setHeader(b"retry-after", str(math.ceil(wait)).encode())
            raise self.visits.fail(visit, 429, "too_many_chats", "webchat_too_many_chats",
                                   minutes=minutes)

    def _said(self, visit: Visit, text: str) -> Deferred[None]:
        """The visitor's words to the core, within the message size and rate
        limits (413, 429); 503 when they could not be stored."""
        core, client, node = visit.core, visit.client, visit.node.name
        assert client is not None
        size = len(text.encode("utf-8"))
        limit = core.limits.max_message_bytes
        if size > limit:
            raise self.visits.fail(visit, 413, "request_entity_too_large", "webchat_too_long",
                                   size=size, limit=limit)
        rate = core.admitMessage(client, size, node=node)
        if rate is not None:
            raise ChatError(429, "too_many_requests", rate.text)
        return core.clientSaid(node, client, text).addCallback(
            lambda outcome: refused(visit, outcome))

    @app.handle_errors(Exception)
    def failed(self, request: IRequest, failure: Failure) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"no-store")
        error = failure.value
        if isinstance(error, ChatError):
            request.setResponseCode(error.status)
            return errorBody(error.code, error.message)
        if isinstance(error, HTTPException):  # no such route or method
            request.setResponseCode(error.code)
            return errorBody(errorCode(error), error.description or "")
        log.failure("Web chat request {path} failed", failure, path=request.path)
        request.setResponseCode(500)
        return errorBody("internal", "Internal error; see the service log.")


def refused(visit: Visit, outcome: object) -> None:
    """The core could not store it (R-RUN-3): 503 with its words."""
    if isinstance(outcome, Refused):
        raise ChatError(503, "not_stored", outcome.text)


def answer(request: IRequest, body: dict[str, Any]) -> bytes:
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"cache-control", b"no-store")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
