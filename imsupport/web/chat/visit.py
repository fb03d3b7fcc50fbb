"""
Who and where a web chat request is (R-CLI-3): the running core, the node,
the visitor its token names, and the languages to answer in (the chat's,
else ``?lang`` before the node's); the request's JSON body; and the
refusals, each with a message in those languages.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

from twisted.web.iweb import IRequest

from imsupport.config import WIRE_FACTOR
from imsupport.core.i18n import Translator
from imsupport.web.chat.ports import ChatCore
from imsupport.web.chat.visitors import VisitorTokens

if TYPE_CHECKING:
    from imsupport.core.model import Node
    from imsupport.core.queries import ChatView

JSON_FRAMING = 4096  # bytes of a JSON request body besides its text
LANG_CHARS = 12


def jsonLimit(core: ChatCore) -> int:
    """Bytes of a JSON request body: the largest message, escaped, and a
    little more."""
    return WIRE_FACTOR * core.limits.max_message_bytes + JSON_FRAMING


class ChatError(Exception):
    """A refusal: the status, the error code and the visitor's message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Visit:
    core: ChatCore
    node: "Node"
    languages: tuple[str, ...]
    client: str | None = None
    chat: "ChatView | None" = None  # the visitor's open chat in the node


def query(request: IRequest, name: str) -> str | None:
    values = (request.args or {}).get(name.encode())
    return values[0].decode("utf-8", "replace") if values else None


class Visits:
    def __init__(self, core: Callable[[], ChatCore | None], tokens: VisitorTokens,
                 translator: Translator) -> None:
        self.core = core
        self.tokens = tokens
        self.translator = translator

    def text(self, languages: tuple[str, ...], key: str, /, **fields: object) -> str:
        return self.translator.text(key, languages, **fields)

    def fail(self, visit: Visit | tuple[str, ...], status: int, code: str, key: str,
             /, **fields: object) -> ChatError:
        languages = visit.languages if isinstance(visit, Visit) else visit
        return ChatError(status, code, self.text(languages, key, **fields))

    def requested(self, request: IRequest) -> tuple[str, ...]:
        return _language(query(request, "lang"))

    def languagesOf(self, node: str, token: str | None, lang: str | None) -> tuple[str, ...]:
        """The languages to answer in before a request is read (the site's
        early refusals): the visitor's chat's, else ``lang`` and the node's."""
        asked = _language(lang)
        core = self.core()
        found = core.directory.node(node) if core is not None else None
        if core is None or found is None:
            return asked
        client = self.tokens.address(token) if token else None
        for chat in core.queries.clientChats(client) if client is not None else ():
            if chat.node == node and chat.languages:
                return chat.languages
        return asked + tuple(x for x in found.languages if x not in asked)

    def begin(self, request: IRequest, name: str) -> Visit:
        """The core and node of a request (503, 404 before anything else)."""
        asked = self.requested(request)
        core = self.core()
        if core is None:
            raise ChatError(503, "service_unavailable",
                            self.text(asked, "webchat_starting"))
        node = core.directory.node(name)
        if node is None:
            raise self.fail(asked, 404, "not_found", "webchat_unknown_node")
        languages = asked + tuple(x for x in node.languages if x not in asked)
        return Visit(core, node, languages)

    def preferring(self, visit: Visit, languages: tuple[str, ...]) -> Visit:
        """The visit in ``languages`` first (those that are language codes)."""
        wanted = tuple(dict.fromkeys(x for lang in languages for x in _language(lang)))
        return replace(visit, languages=wanted + tuple(
            x for x in visit.languages if x not in wanted))

    def visitor(self, visit: Visit, token: object) -> Visit:
        """The visit of the visitor ``token`` names (403 for anything else),
        in their chat's languages when they have a chat open."""
        client = self.tokens.address(token) if isinstance(token, str) else None
        if client is None:
            raise self.fail(visit, 403, "forbidden", "webchat_bad_token")
        chat = next((c for c in visit.core.queries.clientChats(client)
                     if c.node == visit.node.name), None)
        languages = chat.languages if chat is not None and chat.languages else visit.languages
        return replace(visit, client=client, chat=chat, languages=languages)

    def body(self, request: IRequest, visit: Visit) -> dict[str, Any]:
        """The request's JSON object: 415, 413 and 400 otherwise."""
        kind = (request.getHeader(b"content-type") or b"").split(b";")[0].strip().lower()
        if kind != b"application/json":
            raise self.fail(visit, 415, "unsupported_media_type", "webchat_bad_request",
                            detail="the body must be JSON (Content-Type: application/json)")
        content = request.content
        limit = jsonLimit(visit.core)
        data = content.read(limit + 1) if content is not None else b""
        if len(data) > limit:
            raise self.fail(visit, 413, "request_entity_too_large", "webchat_body_too_large",
                            limit=limit)
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise self.fail(visit, 400, "bad_request", "webchat_bad_request",
                            detail="the body is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise self.fail(visit, 400, "bad_request", "webchat_bad_request",
                            detail="the body must be a JSON object")
        return parsed

    def field(self, visit: Visit, body: dict[str, Any], name: str, kind: type,
              default: Any = None) -> Any:
        """``body[name]`` of the JSON type ``kind`` (400 otherwise); ``default``
        when it is missing and a default is given."""
        value = body.get(name, default)
        if value is None and default is not None:
            value = default
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(visit, 400, "bad_request", "webchat_bad_request",
                            detail=f"{name}: must be {_KINDS.get(kind, kind.__name__)}")
        return value


def _language(lang: str | None) -> tuple[str, ...]:
    """``?lang=ru``, if it is a language code."""
    lang = (lang or "").strip().lower()
    ok = 0 < len(lang) <= LANG_CHARS and lang.replace("-", "").isalnum() and lang.isascii()
    return (lang,) if ok else ()


_KINDS = {str: "a string", int: "a whole number", list: "a list"}
