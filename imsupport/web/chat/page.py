"""
The web chat's page, ``GET /chat/{node}`` (R-CLI-3): the markup that
``imsupport/web/static/webchat.js`` brings to life. No inline script or
style (the CSP allows only this origin's files): what the script needs, the
node, the language, the limits and the page's texts, goes in data
attributes of ``<main id="webchat">``, escaped by twisted.web.template like
every text here. The texts are ``imsupport/locale/<lang>/webchat.toml``
(English fills what a language lacks); what the service says in the chat
comes from messages.toml through the back end, as for every client.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Callable, Sequence

from twisted.internet.defer import Deferred
from twisted.web.iweb import IRequest
from twisted.web.template import Tag, flattenString, tags

FALLBACK = "en"
LANGUAGES = ("en", "ru")
RATING_STARS = 5
LANGUAGE_CHOICES = 3  # at most this many ordered language selects


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
    """A static file's address when no StaticFiles gives versioned ones."""
    return "/static/" + name


@lru_cache(maxsize=None)
def pageTexts(lang: str) -> dict[str, str]:
    """The page's texts in ``lang`` (English for what it lacks)."""
    def load(code: str) -> dict[str, str]:
        entry = resources.files("imsupport") / "locale" / code / "webchat.toml"
        return {k: str(v) for k, v in tomllib.loads(entry.read_text("utf-8")).items()}
    texts = load(FALLBACK)
    if lang != FALLBACK and lang in LANGUAGES:
        texts.update(load(lang))
    return texts


def pageLanguage(lang: str | None) -> str:
    base = (lang or "").lower().split("-")[0]
    return base if base in LANGUAGES else FALLBACK


def contentSecurityPolicy(widget_origins: Sequence[str] = ()) -> bytes:
    """The page's CSP: only this origin's files; framed only by ``[web]
    widget_origins`` (none by default)."""
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
    request.setHeader(b"permissions-policy", b"display-capture=(self)")
    flattened: Deferred[bytes] = flattenString(None, chatDocument(page, asset))
    return flattened.addCallback(lambda html: b"<!DOCTYPE html>\n" + html)


def chatDocument(page: ChatPage, asset: Callable[[str], str] = plainAsset) -> Tag:
    lang = pageLanguage(page.lang)
    t = pageTexts(lang)
    config = {
        "data-node": page.node, "data-lang": lang, "data-title": page.title,
        "data-embed": "1" if page.embed else "0",
        "data-languages": json.dumps(list(page.languages)),
        "data-max-upload": str(page.max_upload_bytes),
        "data-texts": json.dumps(t, ensure_ascii=False),
        "data-redact": asset("redact.js"),
    }
    main = Tag("main")(id="webchat", class_="webchat", **config)(
        header(t, page), closedSection(t), startForm(t), chatSection(t),
        tags.noscript(tags.p("JavaScript is needed for this chat.")))
    body = tags.body(main)
    if page.embed:
        body.attributes["class"] = "embed"
    return tags.html(lang=lang)(
        tags.head(
            tags.meta(charset="utf-8"),
            tags.meta(name="viewport", content="width=device-width, initial-scale=1"),
            tags.meta(name="referrer", content="no-referrer"),
            tags.title(t["page_title"].format(title=page.title)),
            tags.link(rel="stylesheet", href=asset("webchat.css")),
            tags.script(type="module", src=asset("webchat.js"))),
        body)


def header(t: dict[str, str], page: ChatPage) -> Tag:
    close = tags.button(type="button", id="widget-close", class_="icon", hidden="",
                        title=t["close"], **{"aria-label": t["close"]})("×")
    return tags.header(class_="bar")(
        tags.div(class_="bar-text")(
            tags.h1(id="title")(page.title),
            tags.p(id="status", role="status", **{"aria-live": "polite"})(t["loading"])),
        tags.button(type="button", id="end", class_="quiet", hidden="")(t["end"]),
        tags.button(type="button", id="new-chat", class_="quiet", hidden="")(t["new_chat"]),
        close)


def closedSection(t: dict[str, str]) -> Tag:
    return tags.section(id="closed", class_="panel", hidden="", **{"aria-labelledby": "closed-h"})(
        tags.h2(id="closed-h")(t["closed_title"]),
        tags.p(id="closed-message"),
        tags.button(type="button", id="retry")(t["retry"]))


def startForm(t: dict[str, str]) -> Tag:
    choices = [tags.label(class_="choice")(
        tags.span(t["form_language_first"] if i == 0 else t["form_language_next"]),
        tags.select(name="language", **{"data-index": str(i)}))
        for i in range(LANGUAGE_CHOICES)]
    return tags.form(id="start", class_="panel", hidden="", novalidate="")(
        tags.p(id="start-intro")(t["form_intro"]),
        tags.label(for_="start-name")(t["form_name"]),
        tags.input(id="start-name", name="name", type="text", maxlength="80",
                   autocomplete="name", **{"aria-describedby": "start-name-hint"}),
        tags.p(id="start-name-hint", class_="hint")(t["form_name_hint"]),
        tags.fieldset(id="start-languages")(tags.legend(t["form_languages"]), *choices),
        tags.label(for_="start-question")(t["form_question"]),
        tags.textarea(id="start-question", name="question", rows="3", maxlength="4000",
                      required="", **{"aria-describedby": "start-error"}),
        tags.p(id="start-error", class_="error", role="alert"),
        tags.button(type="submit", id="start-send", class_="primary")(t["form_start"]))


def chatSection(t: dict[str, str]) -> Tag:
    return tags.section(id="chat", class_="chat", hidden="")(
        tags.ol(id="log", class_="log", **{"aria-live": "polite", "aria-relevant": "additions"}),
        tags.p(id="typing", class_="typing", hidden="", **{"aria-live": "polite"}),
        ratingForm(t), composer(t))


def ratingForm(t: dict[str, str]) -> Tag:
    stars = []
    for count in range(1, RATING_STARS + 1):
        stars.append(tags.input(type="radio", name="rating", value=str(count),
                                id=f"star-{count}", class_="star-input"))
        stars.append(tags.label(for_=f"star-{count}", class_="star")(
            tags.span(class_="visually-hidden")(t["rating_star"].format(count=count))))
    return tags.form(id="rating", class_="rating", hidden="", novalidate="")(
        tags.h2(t["rating_title"]),
        tags.fieldset(class_="stars")(tags.legend(t["rating_stars"]), *stars),
        tags.label(for_="rating-comment")(t["rating_comment"]),
        tags.textarea(id="rating-comment", name="comment", rows="2", maxlength="1000"),
        tags.p(id="rating-error", class_="error", role="alert"),
        tags.button(type="submit", class_="primary")(t["rating_send"]))


def composer(t: dict[str, str]) -> Tag:
    menu = tags.div(id="shot-menu", class_="menu", role="menu", hidden="")(
        tags.button(type="button", role="menuitem", **{"data-delay": "0"})(t["screenshot_now"]),
        *[tags.button(type="button", role="menuitem", **{"data-delay": str(s)})(
            t["screenshot_later"].format(seconds=s)) for s in (3, 10)],
        tags.button(type="button", role="menuitem", **{"data-delay": "file"})(
            t["screenshot_file"]))
    return tags.form(id="composer", class_="composer", novalidate="")(
        tags.label(for_="text", class_="visually-hidden")(t["composer_label"]),
        tags.textarea(id="text", name="text", rows="2", maxlength="4000",
                      placeholder=t["composer_label"], **{"aria-describedby": "composer-hint"}),
        tags.p(id="composer-hint", class_="visually-hidden")(t["composer_hint"]),
        tags.div(class_="tools")(
            tags.button(type="button", id="attach", class_="quiet")(t["attach"]),
            tags.input(type="file", id="file", hidden=""),
            tags.input(type="file", id="shot-file", accept="image/*", hidden=""),
            tags.div(class_="menu-wrap")(
                tags.button(type="button", id="shot", class_="quiet",
                            **{"aria-haspopup": "menu", "aria-expanded": "false",
                               "aria-controls": "shot-menu"})(t["screenshot"]),
                menu),
            tags.button(type="submit", id="send", class_="primary")(t["send"])),
        tags.progress(id="upload-progress", max="100", value="0", hidden=""),
        tags.p(id="composer-error", class_="error", role="alert"))
