"""
The web chat's page, ``GET /chat/{node}`` (R-CLI-3): an HTML shell that
loads the front end (``/static/webchat.js`` and ``webchat.css``) and hands
it what it needs in ``data-`` attributes of ``<main id="webchat">``, so no
script is inline and the Content-Security-Policy forbids any. The front
end's own markup replaces this minimal one; the signature stays.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Sequence

from twisted.internet.defer import Deferred
from twisted.web.iweb import IRequest
from twisted.web.template import Tag, flattenString, tags

FALLBACK = "en"
LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class ChatPage:
    """What the page shows for one node, in one language."""
    node: str
    title: str
    lang: str = FALLBACK  # "en" | "ru"; anything else is English
    embed: bool = False  # inside the widget's iframe (?embed=1)
    languages: Sequence[str] = field(default_factory=lambda: ("en",))  # the node's
    max_upload_bytes: int = 20_000_000


def plainAsset(name: str) -> str:
    return "/static/" + name


def pageLanguage(lang: str | None) -> str:
    base = (lang or "").lower().split("-")[0]
    return base if base in LANGUAGES else FALLBACK


def contentSecurityPolicy(widget_origins: Sequence[str] = ()) -> bytes:
    """Only this origin's files; framed only by ``[web] widget_origins``."""
    ancestors = " ".join(widget_origins) if widget_origins else "'none'"
    return ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {ancestors}").encode()


def renderChatPage(request: IRequest, page: ChatPage, widget_origins: Sequence[str] = (),
                   asset: Callable[[str], str] = plainAsset) -> Deferred[bytes]:
    """Answer ``request`` with the page: headers set here, the HTML returned."""
    request.setHeader(b"content-type", b"text/html; charset=utf-8")
    request.setHeader(b"content-security-policy", contentSecurityPolicy(widget_origins))
    request.setHeader(b"x-content-type-options", b"nosniff")
    request.setHeader(b"referrer-policy", b"no-referrer")
    request.setHeader(b"cache-control", b"no-store")
    flattened: Deferred[bytes] = flattenString(None, chatDocument(page, asset))
    return flattened.addCallback(lambda html: b"<!DOCTYPE html>\n" + html)


def chatDocument(page: ChatPage, asset: Callable[[str], str] = plainAsset) -> Tag:
    lang = pageLanguage(page.lang)
    config = {
        "data-node": page.node, "data-lang": lang, "data-title": page.title,
        "data-embed": "1" if page.embed else "0",
        "data-languages": json.dumps(list(page.languages)),
        "data-max-upload": str(page.max_upload_bytes),
    }
    return tags.html(lang=lang)(
        tags.head(
            tags.meta(charset="utf-8"),
            tags.meta(name="viewport", content="width=device-width, initial-scale=1"),
            tags.title(page.title),
            tags.link(rel="stylesheet", href=asset("webchat.css")),
            tags.script(type="module", src=asset("webchat.js"))),
        tags.body(Tag("main")(id="webchat", **config)(
            tags.noscript(tags.p("JavaScript is needed for this chat.")))))
