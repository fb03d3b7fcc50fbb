"""The web chat's hub (R-CLI-3): visitors' SSE streams fed from stored
events, replayed by Last-Event-ID with no gap or duplicate, ephemeral
typing and notices, pings, and presence from the streams. task.Clock, a
memory store whose reads can be held back, no sockets."""
from __future__ import annotations

import pytest

from imsupport.core.switches import Target
from imsupport.web.chat.hub import MAX_STREAMS, PING_EVERY
from tests.unit.chatfakes import WebChat
from tests.unit.fakes import IVAN, OLGA, online


def chatIds(request):
    return [i for i, kind, _ in request.events() if kind == "chat"]


def test_a_stream_gets_the_whole_chat_then_live_events():
    web = WebChat()
    online(web.core, IVAN)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    request = web.connect(anna)
    assert request.headers[b"content-type"] == b"text/event-stream; charset=utf-8"
    assert request.text().startswith("retry: ")
    assert chatIds(request) == web.visibleIds(1)
    kinds = [(d["kind"], d["author"], d["state"] or d["key"]) for _, k, d in request.events()]
    assert kinds == [("state", "system", "queued"), ("message", "client", None),
                     ("notice", "system", "queued")]
    web.core.operatorSaid("sales", 1, IVAN, "Hello Anna, I am Ivan")
    assert chatIds(request) == web.visibleIds(1)
    data = [d for _, k, d in request.events() if k == "chat"]
    said = [d for d in data if d["kind"] == "message" and d["author"] == "operator"]
    assert said == [dict(said[0], name="Ivan", text="Hello Anna, I am Ivan")]
    active = [d for d in data if d["kind"] == "state" and d["state"] == "active"]
    assert active and active[0]["name"] == "Ivan" and active[0]["author"] == "operator"
    assert any(d["key"] == "operator_joined" for d in data)


@pytest.mark.parametrize("early", [True, False])
def test_events_stored_while_the_replay_is_read_come_once_in_order(early):
    web = WebChat()
    online(web.core, IVAN)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    web.reads.hold, web.reads.early = True, early
    request = web.connect(anna)
    web.core.operatorSaid("sales", 1, IVAN, "hello")  # stored while the read is out
    web.core.clientSaid("sales", anna, "are you there?")
    assert chatIds(request) == []
    web.reads.release()
    assert chatIds(request) == web.visibleIds(1)
    web.core.operatorSaid("sales", 1, IVAN, "yes")
    ids = chatIds(request)
    assert ids == web.visibleIds(1) and len(ids) == len(set(ids))


def test_last_event_id_gets_exactly_the_missed_events():
    web = WebChat()
    online(web.core, IVAN)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    first = web.connect(anna)
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    seen = chatIds(first)
    first.lose()
    web.core.operatorSaid("sales", 1, IVAN, "are you still there?")
    web.core.operatorSaid("sales", 1, IVAN, "!mute")  # a command: nothing for the client
    last = tuple(int(x) for x in seen[-1].split(":"))
    second = web.connect(anna, last=last)
    missed = chatIds(second)
    assert missed and missed == web.visibleIds(1, after=last[1])
    assert not set(missed) & set(seen)
    texts = [d["text"] for _, k, d in second.events() if k == "chat"]
    assert texts == ["are you still there?"]


def test_a_reconnect_after_a_new_chat_began_gets_the_rest_of_both():
    web = WebChat()
    online(web.core, IVAN)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    first = web.connect(anna)
    last = tuple(int(x) for x in chatIds(first)[-1].split(":"))
    first.lose()
    web.core.operatorSaid("sales", 1, IVAN, "!close")  # goodbye, rating question
    web.core.clientSaid("sales", anna, "one more question")  # not a rating: chat 2
    second = web.connect(anna, last=last)
    assert chatIds(second) == web.visibleIds(1, after=last[1]) + web.visibleIds(2)


def test_an_id_of_someone_elses_chat_replays_nothing_of_it():
    web = WebChat()
    online(web.core, IVAN, OLGA)
    bob, anna = web.visitor("Bob"), web.visitor()
    web.core.clientSaid("sales", bob, "bob's secret")
    web.core.clientSaid("sales", anna, "hi")
    request = web.connect(anna, last=(1, 0))
    assert chatIds(request) == web.visibleIds(2)
    assert "secret" not in request.text()


def test_an_id_past_the_chat_is_ignored_and_no_chat_is_an_empty_stream():
    web = WebChat()
    anna = web.visitor()
    request = web.connect(anna, last=(99, 5))
    assert chatIds(request) == []
    web.core.clientSaid("sales", anna, "hi")  # the chat starts while the stream is open
    assert chatIds(request) == web.visibleIds(1)


def test_after_close_a_reload_shows_the_closed_chat_and_the_rating_question():
    web = WebChat()
    online(web.core, IVAN)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    web.core.operatorSaid("sales", 1, IVAN, "!close")
    request = web.connect(anna)
    data = [d for _, k, d in request.events() if k == "chat"]
    assert [d["state"] for d in data if d["kind"] == "state"] == ["queued", "active", "closed"]
    assert data[-1]["key"] == "rating_question"


def test_hidden_events_stay_hidden():
    web = WebChat()
    online(web.core, IVAN, OLGA)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    request = web.connect(anna)
    web.core.operatorSaid("sales", 1, IVAN, "!mute")
    web.core.operatorSaid("sales", 1, IVAN, "note for the team only")
    web.core.operatorSaid("sales", 1, IVAN, "!invite olga")
    text = request.text()
    assert "note for the team only" not in text and "offered" not in text
    assert IVAN not in text and OLGA not in text  # operators' addresses never


def test_the_transport_call_of_a_stored_text_sends_nothing_more():
    web = WebChat()
    online(web.core, IVAN)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    request = web.connect(anna)
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    web.core.operatorSaid("sales", 1, IVAN, "!close")
    assert [k for _, k, _ in request.events()] == ["chat"] * len(web.visibleIds(1))
    assert not web.hub._pending, "every stored text's transport call came"


def test_what_the_core_says_to_a_visitor_without_a_chat_is_a_notice():
    web = WebChat()
    anna = web.visitor()
    request = web.connect(anna)
    web.core.switch(Target("node", node="sales"), on=False)
    web.core.clientSaid("sales", anna, "hello?")
    [(event_id, kind, data)] = request.events()
    assert event_id is None and kind == "notice" and "not available now" in data["text"]


def test_operator_typing_is_sent_with_their_name_and_no_id():
    web = WebChat()
    online(web.core, IVAN)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    request = web.connect(anna)
    web.core.operatorChatState(1, IVAN, "composing")
    web.core.operatorChatState(1, IVAN, "paused")
    typing = [(i, d) for i, k, d in request.events() if k == "typing"]
    assert typing == [(None, {"name": "Ivan", "state": "composing"}),
                      (None, {"name": "Ivan", "state": "paused"})]


def test_pings_keep_every_open_stream_alive():
    web = WebChat()
    anna, bob = web.visitor(), web.visitor("Bob")
    a, b = web.connect(anna), web.connect(bob)
    web.clock.advance(PING_EVERY - 1)
    assert ": ping" not in a.text()
    web.clock.advance(1)
    assert a.text().count(": ping\n\n") == 1 and b.text().count(": ping\n\n") == 1
    a.lose()
    web.clock.advance(PING_EVERY)
    assert a.text().count(": ping") == 1 and b.text().count(": ping") == 2
    b.lose()
    web.clock.advance(PING_EVERY)
    assert not web.clock.getDelayedCalls(), "no pings without streams"


def test_the_last_stream_closing_starts_the_grace_and_a_return_keeps_the_chat():
    web = WebChat(client_grace=60)
    online(web.core, IVAN)
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    tab1, tab2 = web.connect(anna), web.connect(anna)
    tab1.lose()
    web.clock.advance(120)
    assert web.core.openChat(1) is not None, "another tab is still open"
    tab2.lose()
    web.clock.advance(59)
    back = web.connect(anna)
    web.clock.advance(120)
    assert web.core.openChat(1) is not None, "back within client_grace"
    back.lose()
    web.clock.advance(60)
    assert web.core.openChat(1) is None, "gone longer than client_grace"


def test_a_restart_counts_visitors_gone_until_they_reconnect():
    web = WebChat(client_grace=60)
    anna, bob = web.visitor(), web.visitor("Bob")
    web.core.clientSaid("sales", anna, "hi")
    web.core.clientSaid("sales", bob, "hi")
    web.connect(bob)
    records = [web.core.openChat(1).record, web.core.openChat(2).record]
    web.hub.restored(records)
    web.clock.advance(61)
    assert web.core.openChat(1) is None and web.core.openChat(2) is not None


def test_a_replay_the_store_cannot_read_ends_the_stream_for_a_retry():
    web = WebChat()
    anna = web.visitor()
    web.core.clientSaid("sales", anna, "hi")
    web.reads.hold, web.reads.fail = True, True
    request = web.connect(anna)
    web.reads.release()
    assert request.finished and chatIds(request) == []


def test_too_many_tabs_end_the_oldest_and_stopping_ends_all():
    web = WebChat()
    anna = web.visitor()
    tabs = [web.connect(anna) for _ in range(MAX_STREAMS + 1)]
    assert tabs[0].finished and not any(t.finished for t in tabs[1:])
    assert web.hub.streams("sales", anna) == MAX_STREAMS
    web.hub.stop()
    assert all(t.finished for t in tabs) and web.hub.open == 0
    assert not web.clock.getDelayedCalls()
