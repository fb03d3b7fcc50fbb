"""The web chat page's markup (web/chat/page.py): its headers and strict
CSP, no inline script or style, the script's configuration in data
attributes, and every text escaped."""
from __future__ import annotations

import json
import re
import tomllib
from html.parser import HTMLParser
from importlib import resources

import pytest_twisted
from twisted.web.test.requesthelper import DummyRequest

from imsupport.web.chat.page import (
    ChatPage,
    contentSecurityPolicy,
    pageLanguage,
    pageTexts,
    renderChatPage,
)

HOSTILE = '<img src=x onerror=alert(1)> "quoted" & </main>'


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.texts.append(data)

    def first(self, tag, **attrs):
        return next(a for t, a in self.found if t == tag
                    and all(a.get(k) == v for k, v in attrs.items()))


async def render(page: ChatPage, **kw) -> tuple[DummyRequest, str, Elements]:
    request = DummyRequest([b""])
    html = (await renderChatPage(request, page, **kw)).decode()
    parsed = Elements()
    parsed.feed(html)
    return request, html, parsed


def head(request: DummyRequest, name: str) -> str:
    return request.responseHeaders.getRawHeaders(name)[0]


@pytest_twisted.ensureDeferred
async def test_headers_and_a_strict_policy():
    request, html, parsed = await render(ChatPage("sales", "Sales"),
                                         widget_origins=["https://shop.example"])
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert head(request, "content-type") == "text/html; charset=utf-8"
    csp = head(request, "content-security-policy")
    assert csp == contentSecurityPolicy(["https://shop.example"]).decode()
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe-inline" not in csp and csp.endswith("frame-ancestors https://shop.example")
    assert contentSecurityPolicy().decode().endswith("frame-ancestors 'none'")
    assert head(request, "x-content-type-options") == "nosniff"
    assert head(request, "cache-control") == "no-store"
    for tag, attrs in parsed.found:  # nothing inline
        assert tag != "style" and "style" not in attrs
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert attrs["src"] == "/static/webchat.js" and attrs["type"] == "module"
    assert parsed.first("link", rel="stylesheet")["href"] == "/static/webchat.css"


@pytest_twisted.ensureDeferred
async def test_configuration_and_texts_in_data_attributes():
    page = ChatPage("sales", "Sales", lang="ru", embed=True, languages=("ru", "en"),
                    max_upload_bytes=3_000_000)
    _, html, parsed = await render(page, asset=lambda name: f"/static/{name}?v=1")
    main = parsed.first("main", id="webchat")
    assert main["data-node"] == "sales" and main["data-lang"] == "ru"
    assert main["data-embed"] == "1" and main["data-max-upload"] == "3000000"
    assert json.loads(main["data-languages"]) == ["ru", "en"]
    assert main["data-redact"] == "/static/redact.js?v=1"
    texts = json.loads(main["data-texts"])
    assert texts["send"] == "Отправить" and texts == pageTexts("ru")
    assert parsed.first("body")["class"] == "embed"
    assert "<title>Чат: Sales</title>" in html
    assert parsed.first("script")["src"] == "/static/webchat.js?v=1"


@pytest_twisted.ensureDeferred
async def test_every_text_is_escaped():
    _, html, parsed = await render(ChatPage(HOSTILE, HOSTILE))
    assert "<img" not in html and html.count("</main>") == 1
    assert parsed.first("main")["data-node"] == HOSTILE
    assert HOSTILE in parsed.texts  # the title, as text


@pytest_twisted.ensureDeferred
async def test_the_form_rating_and_composer_are_labelled():
    _, html, parsed = await render(ChatPage("sales", "Sales"))
    ids = {a.get("id") for _, a in parsed.found}
    for needed in ("start", "start-name", "start-question", "start-languages", "log", "text",
                   "send", "attach", "file", "shot", "shot-menu", "rating", "end", "status"):
        assert needed in ids, needed
    labelled = {a["for"] for t, a in parsed.found if t == "label" and "for" in a}
    for field in ("start-name", "start-question", "text", "rating-comment"):
        assert field in labelled
    stars = [a for t, a in parsed.found if t == "input" and a.get("name") == "rating"]
    assert [a["value"] for a in stars] == ["1", "2", "3", "4", "5"]
    assert all(a["id"] in labelled for a in stars)


def test_both_languages_have_every_text_and_the_same_fields():
    root = resources.files("imsupport") / "locale"
    en = tomllib.loads((root / "en" / "webchat.toml").read_text("utf-8"))
    ru = tomllib.loads((root / "ru" / "webchat.toml").read_text("utf-8"))
    assert set(en) == set(ru)
    for key in en:
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", ru[key])), key
    assert pageTexts("de") == pageTexts("en")
    assert [pageLanguage(x) for x in ("ru", "RU-ru", "en-GB", "de", None, "")] == [
        "ru", "ru", "en", "en", "en", "en"]
