"""``GET /t/{chat}/{expires}/{signature}`` (web/transcripts.py) through
StubTreq: an operator's transcript link, and every way it is refused."""
from __future__ import annotations

import pytest_twisted
from treq.testing import StubTreq

from imsupport.web.app import WebSide
from tests.unit.fakes import ALICE, makeCore
from tests.unit.test_links import URL, closedChat, parts


def served():
    core, clock, _, store = closedChat("<script>alert(1)</script> my order?")
    side = WebSide(lambda: core, lambda: True, lambda: True, links=core.links, store=store)
    return core, clock, StubTreq(side.resource())


@pytest_twisted.inlineCallbacks
def test_a_signed_link_gives_the_transcript_as_plain_text():
    core, _, http = served()
    response = yield http.get(core.links.url(1))
    assert response.code == 200
    headers = response.headers
    assert headers.getRawHeaders("content-type") == ["text/plain; charset=utf-8"]
    assert headers.getRawHeaders("x-content-type-options") == ["nosniff"]
    assert "sandbox" in headers.getRawHeaders("content-security-policy")[0]
    assert headers.getRawHeaders("cache-control") == ["private, no-store"]
    assert headers.getRawHeaders("referrer-policy") == ["no-referrer"]
    text = (yield response.content()).decode()
    assert text.startswith(f"Chat 1 in sales with {ALICE}")
    assert "<script>alert(1)</script> my order?" in text, "as text, never markup"
    assert "Ivan: on its way" in text


@pytest_twisted.inlineCallbacks
def test_altered_expired_and_unknown_links_are_refused():
    core, clock, http = served()
    chat, expires, signature = parts(core.links.url(1))
    base = URL + "/t"
    for path, code in [(f"/1/{expires}/x{signature[1:]}", 403),
                       (f"/2/{expires}/{signature}", 403),
                       (f"/1/{expires + 86400}/{signature}", 403),
                       (f"/one/{expires}/{signature}", 404),
                       (f"/1/{expires}", 404)]:
        response = yield http.get(base + path)
        assert response.code == code, path
        body = yield response.json()
        assert set(body["error"]) == {"code", "message"}
    response = yield http.get(core.links.url(99))
    assert response.code == 404, "a good link to a chat that is not stored"
    clock.advance(expires - clock.seconds())
    response = yield http.get(f"{base}/{chat}/{expires}/{signature}")
    assert response.code == 403
    assert "expired" in (yield response.json())["error"]["message"]


@pytest_twisted.inlineCallbacks
def test_no_links_no_route():
    core, *_ = makeCore()
    side = WebSide(lambda: core, lambda: True, lambda: True)
    response = yield StubTreq(side.resource()).get(URL + "/t/1/1/x")
    assert response.code == 404
