"""The web chat's event stream, files and page through StubTreq and the
service's own Site (R-CLI-3): live events, resume by Last-Event-ID,
presence, uploads within the files' limits, the page's headers."""
from __future__ import annotations

import json

import pytest_twisted

from imsupport.config import WebConfig
from imsupport.core.model import FILE
from tests.unit.fakes import IVAN, events, online
from tests.web.chatweb import ChatWeb
from tests.web.filefakes import MAX, PUBLIC, DirBlobs, raw


@pytest_twisted.ensureDeferred
async def test_the_stream_has_the_chat_and_then_what_the_operator_says():
    web = ChatWeb()
    online(web.core, IVAN)
    client, token = await web.start()
    stream = await web.stream(token)
    assert stream.code == 200 and stream.header("content-type").startswith("text/event-stream")
    assert stream.header("cache-control") == "no-store"
    assert stream.ids() == web.visibleIds(1)
    web.core.operatorSaid("sales", 1, IVAN, "Hello, I am Ivan")
    said = [d for _, k, d in stream.events() if k == "chat" and d["kind"] == "message"
            and d["author"] == "operator"]
    assert [(d["name"], d["text"]) for d in said] == [("Ivan", "Hello, I am Ivan")]
    assert stream.ids() == web.visibleIds(1)


@pytest_twisted.ensureDeferred
async def test_a_reconnect_gets_exactly_what_it_missed_header_before_query():
    web = ChatWeb()
    online(web.core, IVAN)
    client, token = await web.start()
    first = await web.stream(token)
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    seen = first.ids()
    first.close()
    web.core.operatorSaid("sales", 1, IVAN, "still there?")
    last = seen[-1]
    stale = seen[0]  # what the page's URL still says after the browser's own retry
    second = await web.stream(token, f"&last={stale}", Last_Event_ID=last)
    assert second.ids() == web.visibleIds(1, after=int(last.split(":")[1]))
    assert [d["text"] for _, k, d in second.events() if k == "chat"] == ["still there?"]
    third = await web.stream(token, f"&last={last}")
    assert third.ids() == second.ids()


@pytest_twisted.ensureDeferred
async def test_closing_the_last_stream_is_the_visitor_going_away():
    web = ChatWeb(client_grace=60)
    online(web.core, IVAN)
    client, token = await web.start()
    web.clock.advance(120)
    assert web.core.openChat(1) is None, "the page never connected: gone after client_grace"
    client, token = await web.start("Bob")
    stream = await web.stream(token)
    web.clock.advance(120)
    assert web.core.queries.chat(2) is not None
    stream.close()
    web.clock.advance(61)
    assert web.core.queries.chat(2) is None


@pytest_twisted.ensureDeferred
async def test_a_bad_last_event_id_replays_the_whole_chat():
    web = ChatWeb()
    client, token = await web.start()
    stream = await web.stream(token, "&last=nonsense", Last_Event_ID="x:y")
    assert stream.ids() == web.visibleIds(1)


# -- files ---------------------------------------------------------------------------------

def filesWeb(tmp_path, **web_kw):
    blobs = DirBlobs(tmp_path)
    settings = dict(public_url=PUBLIC, max_upload_bytes=MAX, files_per_chat=2)
    settings.update(web_kw)
    return ChatWeb(blobs=blobs, web=WebConfig(**settings)), blobs


@pytest_twisted.ensureDeferred
async def test_an_upload_is_a_file_of_the_chat_that_reaches_the_operator(tmp_path):
    web, blobs = filesWeb(tmp_path)
    online(web.core, IVAN)
    client, token = await web.start()
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    stream = await web.stream(token)
    reply = await web.post(f"/files?token={token}&name=..%2Fscreen%20shot.png", raw=b"\x89PNG",
                           content_type="image/png")
    assert reply.code == 201
    kept = json.loads(reply.body)
    assert kept["name"] == "screen shot.png" and kept["size"] == 4
    assert kept["content_type"] == "image/png" and kept["url"].startswith(PUBLIC + "/f/")
    assert web.xmpp.last(IVAN).extra["oob"] == kept["url"]
    [event] = [e for e in events(web.store, 1) if e.kind == FILE]
    shown = [d for _, k, d in stream.events() if k == "chat" and d["kind"] == "file"]
    assert shown == [dict(shown[0], text="screen shot.png", url=kept["url"], author="client")]
    assert event.data["url"] == kept["url"]


@pytest_twisted.ensureDeferred
async def test_an_upload_over_the_limit_is_refused_early_in_the_visitors_language(tmp_path):
    web, blobs = filesWeb(tmp_path)
    client, token = await web.start(languages=["ru"])
    head = (f"POST /chat/sales/files?token={token}&name=big.bin HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {MAX + 1}\r\n\r\n")
    answer = raw(web.webSide, head.encode() + b"x" * 1000)
    assert answer.startswith(b"HTTP/1.1 413 ")
    error = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
    assert error["code"] == "request_entity_too_large"
    assert error["message"] == "Файл слишком большой: можно до 0.1 МБ."
    assert blobs.writes == 0
    chunked = (f"POST /chat/sales/files?token={token}&name=big.bin HTTP/1.1\r\nHost: x\r\n"
               "Transfer-Encoding: chunked\r\n\r\n")
    body = b"".join(b"%x\r\n%s\r\n" % (20_000, b"y" * 20_000) for _ in range(6))
    answer = raw(web.webSide, chunked.encode() + body)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == error
    assert blobs.writes == 0 and not [e for e in events(web.store, 1) if e.kind == FILE]


@pytest_twisted.ensureDeferred
async def test_uploads_need_a_chat_a_body_and_room(tmp_path):
    web, blobs = filesWeb(tmp_path, upload_bytes_per_day=20)
    token = web.side.tokens.token(r"anna.k3j2x9ab1c@web.invalid")
    reply = await web.post(f"/files?token={token}&name=a.txt", raw=b"x", content_type="text/plain")
    assert reply.code == 409 and "write your question first" in reply.error()["message"]
    online(web.core, IVAN)
    client, token = await web.start()
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    reply = await web.post(f"/files?token={token}&name=a.txt", raw=b"", content_type="text/plain")
    assert reply.code == 400 and "empty" in reply.error()["message"]
    assert (await web.post(f"/files?token={token}&name=a.txt", raw=b"a" * 15,
                           content_type="text/plain")).code == 201
    reply = await web.post(f"/files?token={token}&name=b.txt", raw=b"b" * 15,
                           content_type="text/plain")
    assert reply.code == 409 and reply.error()["code"] == "refused"
    assert "20 bytes" in reply.error()["message"]
    blobs.full = True
    reply = await web.post(f"/files?token={token}&name=c.txt", raw=b"c",
                           content_type="text/plain")
    assert reply.code == 507 and "no room" in reply.error()["message"]
    assert "A file (c.txt) was sent but could not be stored" in web.xmpp.last(IVAN).body


# -- the page ---------------------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_the_page_carries_its_configuration_under_a_strict_policy():
    web = ChatWeb(widget_origins=("https://shop.example", "https://*.shop.example"))
    reply = await web.get("?lang=ru&embed=1")
    assert reply.code == 200 and reply.header("content-type") == "text/html; charset=utf-8"
    csp = reply.header("content-security-policy")
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert csp.endswith("frame-ancestors https://shop.example https://*.shop.example")
    assert reply.header("x-frame-options") is None
    html = reply.body.decode()
    assert '<html lang="ru">' in html and 'data-node="sales"' in html
    assert 'data-embed="1"' in html and f'data-max-upload="{MAX}"' in html
    assert 'src="/static/webchat.js"' in html and "<script>" not in html


@pytest_twisted.ensureDeferred
async def test_no_site_may_frame_the_page_unless_configured_and_unknown_nodes_are_404():
    web = ChatWeb()
    reply = await web.get("")
    assert reply.header("content-security-policy").endswith("frame-ancestors 'none'")
    assert 'data-embed="0"' in reply.body.decode() and '<html lang="en">' in reply.body.decode()
    reply = await web.http.get("http://x/chat/nosuch?lang=ru")
    assert reply.code == 404 and "Такого чата поддержки нет." in reply.body.decode()
    assert reply.header("content-type") == "text/html; charset=utf-8"


@pytest_twisted.ensureDeferred
async def test_a_head_of_the_stream_opens_none_and_brings_no_one_online():
    web = ChatWeb(client_grace=60)
    online(web.core, IVAN)
    client, token = await web.start()
    reply = await web.request("HEAD", f"/events?token={token}")
    assert reply.code == 200 and reply.header("content-type").startswith("text/event-stream")
    assert not web.hub.streams("sales", client)
    web.clock.advance(61)
    assert web.core.openChat(1) is None, "still away: gone after client_grace"
