"""The admin pages render (R-WEB-1, R-ADM-1): every page under a strict CSP,
every user's text escaped, the archive's search and paging, the transcript
with its files, the exports, the statistics and the live dashboard."""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timezone

import pytest
import pytest_twisted

from imsupport.core.model import ChatEvent, Operator
from imsupport.web.admin.layout import CSP
from imsupport.web.admin.sessions import IDLE
from tests.unit.fakes import ALICE, BOB, IVAN, START, online
from tests.web.adminfakes import ALAN, HOSTILE, HOSTILE_CLIENT, Admin

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PAGES = ("/", "/stats", "/chats", "/chats?q=alert", f"/chats?client={HOSTILE_CLIENT}",
         "/chats/1", "/directory", "/switches")


def hostile() -> Admin:
    """Chat 1: a client whose address shows as <script>..., saying <script>...,
    answered by Ivan, whose display name is markup too; chat 2 waits."""
    admin = Admin()
    core = admin.core
    core.setDirectory(dataclasses.replace(core.directory, operators=tuple(
        dataclasses.replace(o, name=f'<img src=x onerror="alert(2)">{o.name}')
        if o.jid == IVAN else o for o in core.directory.operators)))
    online(core, IVAN)
    core.clientSaid("sales", HOSTILE_CLIENT, HOSTILE)
    core.operatorSaid("sales", 1, IVAN, "hello " + HOSTILE)
    admin.clock.advance(60)
    core.clientSaid("sales", BOB, HOSTILE + " me too")
    return admin


@pytest.mark.parametrize("path", PAGES)
@pytest_twisted.ensureDeferred
async def test_every_page_escapes_hostile_text_under_a_strict_csp(path):
    admin = hostile()
    await admin.login()
    page = await admin.get(path)
    assert page.code == 200, page.text
    assert page.header("content-security-policy") == CSP.decode()
    assert "'unsafe-inline'" not in CSP.decode() and "script-src 'self'" in CSP.decode()
    assert page.header("x-content-type-options") == "nosniff"
    assert page.header("x-frame-options") == "DENY"
    assert page.header("cache-control") == "no-store"
    assert page.header("content-type") == "text/html; charset=utf-8"
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert not re.search(r"<script(?! src=\"/static/)", page.text), \
        "no inline script: only scripts by URL"
    assert "<style" not in page.text and " style=" not in page.text
    if path in ("/", "/chats/1", "/chats?q=alert"):
        assert ESCAPED in page.text, "the client's address shows, as text"
    if path == "/chats/1":
        assert "hello " + ESCAPED in page.text
        assert "&lt;img src=x onerror=\"alert(2)\"&gt;Ivan" in page.text
    assert '<link rel="stylesheet" href="/static/admin/admin.css"' in page.text


@pytest_twisted.ensureDeferred
async def test_the_dashboard_shows_the_live_state():
    admin = hostile()
    await admin.login(ALAN)
    page = await admin.get("/")
    assert '<script src="/static/admin/dashboard.js" defer="defer"></script>' in page.text
    assert 'data-src="/admin/live"' in page.text
    assert "Queued: 1" in page.text and "In chats: 1" in page.text
    assert '<dt>In a chat</dt><dd data-count="in_chats">' in page.text
    assert 'data-s="0"' in page.text, "Bob has waited 0 s"
    assert 'href="/admin/chats/2"' in page.text and "bob@example.net" in page.text


@pytest_twisted.ensureDeferred
async def test_the_live_stream_sends_the_state_as_server_sent_events():
    admin = hostile()
    await admin.login()
    chunks: list[bytes] = []
    response = await admin.treq.request("GET", "http://x/admin/live", headers={
        "Cookie": "; ".join(f"{k}={v}" for k, v in admin.jar.items())})
    assert response.code == 200
    assert response.headers.getRawHeaders("content-type") == ["text/event-stream; charset=utf-8"]
    response.deliverBody(Collect(chunks))
    text = b"".join(chunks).decode()
    assert text.startswith("retry: 5000\n\nevent: state\ndata: ")
    state = json.loads(text.split("data: ", 1)[1].split("\n\n")[0])
    assert state["queued"] == 1 and state["active"] == 1
    chat = state["nodes"][0]["active"][0]
    assert chat["client_shown"] == "<script>alert(1)</script>@evil.example", \
        "JSON carries the text; the page puts it in as text"
    assert admin.site.live.streams
    admin.core.clientSaid("sales", ALICE, "hello?")
    admin.clock.advance(2)
    admin.agent.flush()
    text = b"".join(chunks).decode()
    assert text.count("event: state") == 2 and '"queued": 2' in text
    admin.clock.advance(16)
    admin.agent.flush()
    assert b"".join(chunks).decode().endswith(": ping\n\n")


@pytest_twisted.ensureDeferred
async def test_a_stream_ends_when_its_session_does():
    admin = hostile()
    await admin.login()
    cookie = "; ".join(f"{k}={v}" for k, v in admin.jar.items())
    response = await admin.treq.request("GET", "http://x/admin/live",
                                        headers={"Cookie": cookie})
    chunks: list[bytes] = []
    ended: list = []
    collect = Collect(chunks)
    collect.connectionLost = ended.append
    response.deliverBody(collect)
    admin.clock.advance(IDLE - 10)
    admin.agent.flush()
    assert admin.site.live.streams and not ended, "a stream is not activity, but holds"
    admin.clock.advance(10)
    admin.agent.flush()
    assert not admin.site.live.streams and ended, "idle: the stream is ended"
    assert admin.site.live._loop is None, "and nothing looks any more"
    page = await admin.get("/live")
    assert page.code == 303 and page.header("location").startswith("/admin/login")


@pytest_twisted.ensureDeferred
async def test_a_stream_ends_at_logout():
    admin = hostile()
    await admin.login()
    cookie = "; ".join(f"{k}={v}" for k, v in admin.jar.items())
    response = await admin.treq.request("GET", "http://x/admin/live",
                                        headers={"Cookie": cookie})
    response.deliverBody(Collect([]))
    await admin.post("/logout", {"action": "logout"})
    admin.clock.advance(2)
    admin.agent.flush()
    assert not admin.site.live.streams


class Collect:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def makeConnection(self, transport) -> None:
        pass

    def dataReceived(self, data: bytes) -> None:
        self.chunks.append(data)

    def connectionLost(self, reason) -> None:
        pass


@pytest_twisted.ensureDeferred
async def test_static_files_by_the_web_sides_urls():
    admin = Admin(asset=lambda name: f"/static/v1a2b/{name}")
    await admin.login()
    page = await admin.get("/stats")
    assert '<link rel="stylesheet" href="/static/v1a2b/admin/admin.css" />' in page.text
    assert '<script src="/static/v1a2b/vendor/chart.umd.min.js" defer="defer">' in page.text
    assert '<script src="/static/v1a2b/admin/stats.js" defer="defer">' in page.text
    page = await admin.get("/nothing")
    assert 'href="/static/v1a2b/admin/admin.css"' in page.text, "error pages too"


@pytest_twisted.ensureDeferred
async def test_pages_say_the_service_is_starting_without_a_core():
    admin = Admin()
    await admin.login()
    admin.core = None
    page = await admin.get("/")
    assert page.code == 200 and "The service is starting" in page.text
    page = await admin.get("/switches")
    assert page.code == 503 and "The service is starting" in page.text


@pytest_twisted.ensureDeferred
async def test_unknown_pages_are_404_html():
    admin = Admin()
    await admin.login()
    page = await admin.get("/nothing/here")
    assert page.code == 404 and "There is no such page here." in page.text
    assert page.header("content-security-policy") == CSP.decode()
    page = await admin.get("/chats/99")
    assert page.code == 404 and "There is no chat 99." in page.text


# -- the archive -----------------------------------------------------------------------

def day(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).date().isoformat()


def manyChats(count: int) -> Admin:
    admin = Admin()
    online(admin.core, IVAN)
    for i in range(count):
        admin.core.clientSaid("sales", f"client{i}@example.net", f"order {i} delivery")
        admin.clock.advance(1)
    return admin


@pytest_twisted.ensureDeferred
async def test_archive_pages_through_the_api_cursor():
    admin = manyChats(55)
    await admin.login()
    page = await admin.get("/chats?q=delivery")
    first = re.findall(r'href="/admin/chats/(\d+)"', page.text)
    assert len(first) == 50 and first[0] == "55", "newest first"
    found = re.search(r'<a rel="next" href="([^"]+)"', page.text)
    assert found, "a next page"
    page = await admin.get(found.group(1).replace("&amp;", "&").removeprefix("/admin"))
    second = re.findall(r'href="/admin/chats/(\d+)"', page.text)
    assert second == ["5", "4", "3", "2", "1"] and 'rel="next"' not in page.text
    assert 'value="delivery"' in page.text, "the search stays in its form"


@pytest_twisted.ensureDeferred
async def test_archive_search_by_each_field():
    admin = Admin()
    online(admin.core, IVAN)
    admin.core.clientSaid("sales", ALICE, "где моя доставка")
    admin.core.operatorSaid("sales", 1, IVAN, "сейчас проверю")
    admin.clock.advance(86400)
    admin.core.clientSaid("sales", BOB, "invoice please")
    await admin.login()
    cases = {"q=доставки": ["1"], f"client={ALICE}": ["1"], f"operator={IVAN.upper()}": ["1"],
             "node=sales": ["2", "1"], "state=queued": [], "state=offered": ["2"],
             f"from={day(START + 86400)}": ["2"], f"to={day(START)}": ["1"],
             "q=invoice&node=sales": ["2"]}
    for query, ids in cases.items():
        page = await admin.get("/chats?" + query)
        assert page.code == 200, (query, page.text)
        assert re.findall(r'href="/admin/chats/(\d+)"', page.text) == ids, query
    page = await admin.get("/chats?id=2")
    assert page.code == 303 and page.header("location") == "/admin/chats/2"
    for query, said in (("id=two", "id: must be a chat number"),
                        ("from=yesterday", "from: must be a date-time"),
                        ("state=asleep", "state: must be one of")):
        page = await admin.get("/chats?" + query)
        assert page.code == 400 and said in page.text, query


@pytest_twisted.ensureDeferred
async def test_the_transcript_shows_pictures_in_place_and_links_other_files():
    admin = hostile()
    url = "http://x/f/tok123/shot%20one.png"
    await admin.store.appendEvents([
        ChatEvent(1, 50, START + 70, "file", "client", "shot one.png",
                  {"file_id": "f1", "url": url, "size": 2048, "content_type": "image/png"}),
        ChatEvent(1, 51, START + 71, "file", IVAN, "invoice.pdf",
                  {"file_id": "f2", "url": "http://x/f/tok456/invoice.pdf", "size": 10,
                   "content_type": "application/pdf"}),
        ChatEvent(1, 52, START + 72, "file", "client", "elsewhere.png",
                  {"url": "https://elsewhere.example/f/x.png", "content_type": "image/png"}),
        ChatEvent(1, 53, START + 73, "rating", "client", "5 thanks",
                  {"rating": 5, "comment": "thanks " + HOSTILE}),
        ChatEvent(1, 54, START + 74, "message", IVAN, "what the hell",
                  {"blocked": ["profanity"], "rules": ["hell"]}),
        ChatEvent(1, 55, START + 75, "message", IVAN, "a note for Olga", {"muted": True})])
    await admin.login(ALAN)
    page = await admin.get("/chats/1")
    assert '<img src="/f/tok123/shot%20one.png" alt="shot one.png" loading="lazy" />' in page.text
    assert '<a href="/f/tok456/invoice.pdf">invoice.pdf (10 bytes)</a>' in page.text
    assert "elsewhere.example" not in page.text, "no other site's URL goes into the page"
    assert "rated 5 of 5" in page.text and "thanks " + ESCAPED in page.text
    assert "<em>(not sent, blocked: profanity)</em> what the hell" in page.text
    assert "<em>(to the operators only)</em> a note for Olga" in page.text
    assert 'href="/admin/chats/1.json"' in page.text and 'href="/admin/chats/1.txt"' in page.text


@pytest_twisted.ensureDeferred
async def test_exports_are_the_apis_json_and_transcript():
    admin = hostile()
    await admin.login(ALAN)
    page = await admin.get("/chats/1.json")
    assert page.code == 200 and page.header("content-type") == "application/json"
    assert page.header("content-disposition") == 'attachment; filename="chat-1.json"'
    assert json.loads(page.text) == await admin.api.invoke("getChat", {"id": "1"})
    assert [e["text"] for e in json.loads(page.text)["events"] if e["kind"] == "message"][0] \
        == HOSTILE
    page = await admin.get("/chats/1.txt")
    assert page.header("content-type") == "text/plain; charset=utf-8"
    assert page.header("content-disposition") == 'attachment; filename="chat-1.txt"'
    assert page.text == str(await admin.api.invoke("getTranscript", {"id": "1"}))
    assert page.text.startswith("Chat 1 in sales with <script>alert(1)</script>@evil.example")
    assert (await admin.get("/chats/7.txt")).code == 404


# -- statistics --------------------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_statistics_are_the_apis_figures_by_step_and_node():
    admin = hostile()
    admin.clock.advance(120)
    await admin.login(ALAN)
    page = await admin.get("/stats.json")
    assert page.code == 200 and page.header("content-type") == "application/json"
    figures = json.loads(page.text)
    assert figures["step"] == 86400 and len(figures["series"]) == 30
    assert sum(s["chats"] for s in figures["series"]) == figures["total"]["chats"] == 2
    api = await admin.api.invoke("statsNodes", query={
        "from": figures["series"][0]["from"], "to": figures["series"][-1]["to"]})
    assert figures["total"] == {k: v for k, v in api.items() if k not in ("node", "from", "to")}
    assert [n["node"] for n in figures["nodes"]] == ["sales"]
    ivan = next(o for o in figures["operators"] if o["operator"] == IVAN)
    assert ivan["chats"] == 1 and ivan["name"].endswith("Ivan")
    page = await admin.get("/stats?node=sales&from=2027-01-15&to=2027-01-15")
    assert page.code == 200
    assert '<script src="/static/vendor/chart.umd.min.js" defer="defer"></script>' in page.text
    assert 'data-src="/admin/stats.json?from=2027-01-15&amp;to=2027-01-15&amp;node=sales"' \
        in page.text
    assert "<td>Chats</td><td>2</td>" in page.text
    figures = json.loads((await admin.get("/stats.json?from=2027-01-15&to=2027-01-15")).text)
    assert figures["step"] == 3600 and len(figures["series"]) == 24


@pytest_twisted.ensureDeferred
async def test_statistics_refuse_bad_periods_and_unknown_nodes():
    admin = Admin()
    await admin.login()
    for query, code, said in (("from=soon", 400, "from: must be a date like 2027-01-15"),
                              ("from=2027-02-01&to=2027-01-01", 400, "from: must not be after"),
                              ("node=nowhere", 404, "There is no node nowhere.")):
        page = await admin.get("/stats?" + query)
        assert page.code == code and said in page.text, query


def test_operator_names_are_in_the_model():
    """The hostile name above is a legal display name: nothing refuses it."""
    assert Operator(IVAN, HOSTILE).name == HOSTILE


@pytest_twisted.ensureDeferred
async def test_admin_without_its_slash_leads_to_it():
    admin = Admin()
    response = await admin.treq.request("GET", "http://x/admin", allow_redirects=False)
    assert response.code in (301, 308)
    assert response.headers.getRawHeaders("location")[0].endswith("/admin/")
