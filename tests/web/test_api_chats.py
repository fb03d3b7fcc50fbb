"""GET /api/v1/chats, /chats/{id}, /chats/{id}/transcript.txt."""
from __future__ import annotations

from datetime import datetime

import pytest_twisted

from tests.unit.fakes import ALICE, BOB, IVAN, online
from tests.web.apifakes import Api, answer, undocumented


def twoChats() -> Api:
    api = Api()
    online(api.core, IVAN)
    api.core.clientSaid("sales", ALICE, "hi")
    api.core.operatorSaid("sales", 1, IVAN, "hello")
    api.clock.advance(60)
    api.core.clientSaid("sales", BOB, "me too")
    return api


@pytest_twisted.ensureDeferred
async def test_list_newest_first_with_iso_times():
    api = twoChats()
    code, body, _ = await answer(api.request("GET", "/chats"))
    assert code == 200
    items = body["items"]
    assert [c["id"] for c in items] == [2, 1]
    alice = items[1]
    assert alice["client"] == ALICE and alice["node"] == "sales"
    assert alice["operators"] == [IVAN] and alice["state"] == "active"
    assert alice["first_line"] == "hi"
    created = datetime.fromisoformat(alice["created_at"])
    assert created.utcoffset().total_seconds() == 0
    assert created.timestamp() == (await api.store.getChat(1)).created_at
    assert alice["accepted_at"] is not None and alice["closed_at"] is None


@pytest_twisted.ensureDeferred
async def test_list_filters():
    api = twoChats()
    record = await api.store.getChat(2)
    cut = datetime.fromtimestamp(record.created_at).astimezone().isoformat()
    cases = {f"client={BOB}": [2], f"operator={IVAN}": [1], "state=active": [1],
             "node=sales&limit=1": [2], "node=other": [],
             "from=" + cut.replace("+", "%2B"): [2], "to=" + cut.replace("+", "%2B"): [1]}
    for query, ids in cases.items():
        code, body, _ = await answer(api.request("GET", "/chats?" + query))
        assert code == 200, (query, body)
        assert [c["id"] for c in body["items"]] == ids, query


@pytest_twisted.ensureDeferred
async def test_list_refuses_bad_filters():
    api = twoChats()
    for query, message in [("from=yesterday", "from: must be a date-time"),
                           ("to=2026-01-01T00:00:00", "to: must be a date-time"),
                           ("state=asleep", "state: must be one of"),
                           ("limit=0", "limit: 0 is less than the minimum of 1")]:
        code, body, _ = await answer(api.request("GET", "/chats?" + query))
        assert code == 400, query
        assert body["error"]["message"].startswith(message), (query, body)


@pytest_twisted.ensureDeferred
async def test_full_text_search_and_pages_with_next():
    api = twoChats()
    api.core.clientSaid("sales", BOB, "where are my deliveries?")
    for n in range(3, 8):  # five more chats, some in the same instant
        api.clock.advance(n % 2)
        api.core.clientSaid("sales", f"c{n}@example.net", f"question {n} about delivery")
    code, body, _ = await answer(api.request("GET", "/chats?q=delivery"))
    assert code == 200 and [c["id"] for c in body["items"]] == [7, 6, 5, 4, 3, 2]
    assert body["next"] is None
    code, body, _ = await answer(api.request("GET", "/chats?q=hello"))
    assert [c["id"] for c in body["items"]] == [1], "an operator's words are searched too"
    seen, query = [], "/chats?limit=3"
    while True:
        code, body, _ = await answer(api.request("GET", query))
        assert code == 200 and len(body["items"]) <= 3
        seen += [c["id"] for c in body["items"]]
        if body["next"] is None:
            break
        query = f"/chats?limit=3&next={body['next']}"
    assert seen == [7, 6, 5, 4, 3, 2, 1], "every chat once, newest first"


@pytest_twisted.ensureDeferred
async def test_bad_cursor_and_query():
    api = twoChats()
    for query, message in [("next=bm9wZQ", "next: not a cursor"), ("next=a%2Fb", "next:"),
                           ("q=" + "x" * 401, "q:")]:
        code, body, _ = await answer(api.request("GET", "/chats?" + query))
        assert code == 400, query
        assert body["error"]["message"].startswith(message), (query, body)


@pytest_twisted.ensureDeferred
async def test_one_chat_with_every_event_in_order():
    api = twoChats()
    code, body, _ = await answer(api.request("GET", "/chats/1"))
    assert code == 200
    events = body["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    stored = await api.store.chatEvents(1)
    assert [(e["kind"], e["author"], e["text"]) for e in events] == \
        [(e.kind, e.author, e.text) for e in stored]
    assert ("message", IVAN, "hello") in [(e["kind"], e["author"], e["text"]) for e in events]
    assert all(datetime.fromisoformat(e["at"]).utcoffset() is not None for e in events)


@pytest_twisted.ensureDeferred
async def test_a_rated_chat_and_the_list_are_as_documented():
    api = twoChats()
    api.core.operatorSaid("sales", 1, IVAN, "!close")
    assert api.core.clientRated("sales", ALICE, 5, "quick")
    code, body, _ = await answer(api.request("GET", "/chats/1"))
    assert code == 200 and "rating" in [e["kind"] for e in body["events"]]
    assert undocumented("/chats/{id}", "get", 200, body) == []
    code, body, _ = await answer(api.request("GET", "/chats"))
    assert code == 200 and len(body["items"]) == 2
    assert undocumented("/chats", "get", 200, body) == []


@pytest_twisted.ensureDeferred
async def test_unknown_chat_is_404():
    api = twoChats()
    for path in ("/chats/99", "/chats/99/transcript.txt"):
        code, body, _ = await answer(api.request("GET", path))
        assert code == 404 and body["error"]["message"] == "There is no chat 99."
    code, body, _ = await answer(api.request("GET", "/chats/abc"))
    assert code == 400 and body["error"]["message"].startswith("id:")


@pytest_twisted.ensureDeferred
async def test_transcript_is_plain_text_with_names():
    api = twoChats()
    code, text, response = await answer(api.request("GET", "/chats/1/transcript.txt"))
    assert code == 200
    assert response.headers.getRawHeaders("content-type") == ["text/plain; charset=utf-8"]
    name = api.core.directory.operator(IVAN).name
    assert f"{name}: hello" in text
    assert f"{ALICE}: hi" in text
    assert text.startswith(f"Chat 1 in sales with {ALICE}")
