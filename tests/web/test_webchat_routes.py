"""The web chat's JSON routes through StubTreq (R-CLI-3): every route and
its refusals, each in the visitor's language."""
from __future__ import annotations

import json

import pytest
import pytest_twisted

from imsupport.core.i18n import Translator
from imsupport.core.model import MESSAGE, RATING
from imsupport.core.switches import Target
from tests.unit.fakes import IVAN, events, online
from tests.unit.flaky import FlakyStore
from tests.web.chatweb import ChatWeb

NINE_TO_SIX = dict(schedule="Mon-Fri 09:00-18:00", timezone="UTC")  # START is 08:00


def body(reply):
    return json.loads(reply.body)


# -- status and starting ---------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_status_of_an_open_node():
    web = ChatWeb()
    reply = await web.get("/status?lang=ru")
    assert reply.code == 200 and reply.header("cache-control") == "no-store"
    assert body(reply) == {"node": "sales", "title": "Sales questions", "open": True,
                           "reason": None, "languages": ["en", "ru"],
                           "message": "Напишите свой вопрос, и оператор линии "
                                      "«Sales questions» ответит здесь."}


@pytest_twisted.ensureDeferred
async def test_status_of_a_closed_an_off_and_an_unknown_node():
    web = ChatWeb(**NINE_TO_SIX)
    status = body(await web.get("/status"))
    assert status["open"] is False and status["reason"] == "closed"
    assert "Opening hours" in status["message"]
    web = ChatWeb()
    web.core.switch(Target("node", node="sales"), on=False)
    status = body(await web.get("/status?lang=ru"))
    assert status["reason"] == "off" and "недоступна" in status["message"]
    reply = await web.http.get("http://x/chat/nosuch/status")
    assert reply.code == 404 and body(reply)["reason"] == "unknown"
    assert body(reply)["message"] == "There is no such support chat."


@pytest_twisted.ensureDeferred
async def test_a_visitor_starts_a_chat_that_an_operator_is_invited_to():
    web = ChatWeb()
    online(web.core, IVAN)
    reply = await web.post("/visitors", {"name": "Anna Petrova", "languages": ["ru", "en"],
                                         "question": "Где мой заказ?"})
    assert reply.code == 201
    answer = body(reply)
    client = answer["client"]
    assert client.startswith("anna\\20petrova.") and client.endswith("@web.invalid")
    assert web.side.tokens.address(answer["token"]) == client
    chat = web.core.queries.chat(1)
    assert chat.client == client and chat.languages == ("ru", "en")
    invitation = web.xmpp.last(IVAN).body
    assert "anna petrova (web chat " in invitation and "Где мой заказ?" in invitation
    assert client not in invitation


@pytest_twisted.ensureDeferred
async def test_starting_at_a_closed_or_switched_off_node_is_409_in_the_visitors_language():
    web = ChatWeb(**NINE_TO_SIX)
    reply = await web.post("/visitors", {"name": "A", "languages": ["ru"], "question": "?"})
    assert reply.code == 409 and reply.error()["code"] == "node_closed"
    assert "закрыта" in reply.error()["message"] and not web.core.chats
    assert not web.core.chats.clientLanguages, "nothing is kept of a refused start"
    web = ChatWeb()
    web.core.switch(Target("node", node="sales"), on=False)
    reply = await web.post("/visitors", {"name": "A", "question": "hello?"})
    assert reply.code == 409 and reply.error()["code"] == "node_off"
    assert "not available now" in reply.error()["message"]


@pytest.mark.parametrize("sent, detail", [
    (b"{not json", "not valid JSON"), (b"[1, 2]", "a JSON object"),
    (json.dumps({"name": 5, "question": "q"}).encode(), "name: must be a string"),
    (json.dumps({"languages": "ru", "question": "q"}).encode(), "languages: must be a list"),
    (json.dumps({"question": 3}).encode(), "question: must be a string"),
])
@pytest_twisted.ensureDeferred
async def test_malformed_starts_are_400(sent, detail):
    web = ChatWeb()
    reply = await web.post("/visitors", raw=sent)
    assert reply.code == 400 and reply.error()["code"] == "bad_request"
    assert detail in reply.error()["message"] and not web.core.chats


@pytest_twisted.ensureDeferred
async def test_no_question_no_json_and_no_node():
    web = ChatWeb()
    reply = await web.post("/visitors", {"name": "A", "question": "  ", "languages": ["ru"]})
    assert reply.code == 400 and reply.error()["message"] == "Пожалуйста, напишите свой вопрос."
    reply = await web.post("/visitors", raw=b"name=A", content_type="text/plain")
    assert reply.code == 415 and reply.error()["code"] == "unsupported_media_type"
    reply = await web.http.post("http://x/chat/nosuch/visitors?lang=ru", data=b"{}",
                                headers={"Content-Type": "application/json"})
    assert reply.code == 404 and reply.error()["message"] == "Такого чата поддержки нет."
    assert not web.core.chats


@pytest_twisted.ensureDeferred
async def test_before_the_core_is_up_every_route_is_503():
    web = ChatWeb()
    web.core = None
    reply = await web.post("/visitors", {"name": "A", "question": "q"})
    assert reply.code == 503 and reply.error()["code"] == "service_unavailable"


@pytest_twisted.ensureDeferred
async def test_unknown_routes_and_methods():
    web = ChatWeb()
    assert (await web.get("/nosuch")).code == 404
    assert (await web.request("DELETE", "/messages")).code == 405


# -- a visitor's messages, typing, end, rating ------------------------------------------

@pytest_twisted.ensureDeferred
async def test_messages_reach_the_operator_and_html_stays_text():
    web = ChatWeb()
    online(web.core, IVAN)
    client, token = await web.start()
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    payload = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    reply = await web.post("/messages", {"token": token, "text": payload})
    assert reply.code == 200 and body(reply) == {}
    assert web.xmpp.last(IVAN).body == payload
    stored = [e.text for e in events(web.store, 1) if e.kind == MESSAGE]
    assert stored[-1] == payload


@pytest_twisted.ensureDeferred
async def test_a_bad_token_is_403_on_every_visitor_route():
    web = ChatWeb()
    client, token = await web.start()
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for path, sent in [("/messages", {"token": forged, "text": "x"}),
                       ("/typing", {"token": forged, "state": "composing"}),
                       ("/end", {"token": forged}),
                       ("/rating", {"token": forged, "rating": 5}),
                       ("/messages", {"text": "no token"}),
                       ("/messages", {"token": 12, "text": "x"})]:
        reply = await web.post(path, sent)
        assert reply.code == 403 and reply.error()["code"] == "forbidden", path
        assert "no longer valid" in reply.error()["message"]
    assert (await web.get(f"/events?token={forged}")).code == 403
    assert (await web.post(f"/files?token={forged}&name=a.txt", raw=b"x",
                           content_type="text/plain")).code == 403


@pytest_twisted.ensureDeferred
async def test_a_message_after_the_chat_closed_starts_a_new_one_unless_closed():
    web = ChatWeb(**NINE_TO_SIX)  # closed by its hours
    token = web.side.tokens.token(r"anna.k3j2x9ab1c@web.invalid")
    reply = await web.post("/messages", {"token": token, "text": "hi"})
    assert reply.code == 409 and reply.error()["code"] == "node_closed"
    web = ChatWeb()
    client, token = await web.start()
    assert (await web.post("/end", {"token": token})).code == 200
    assert web.core.openChat(1) is None
    reply = await web.post("/messages", {"token": token, "text": "another question"})
    assert reply.code == 200 and web.core.queries.chat(2).client == client


@pytest_twisted.ensureDeferred
async def test_new_chats_from_one_address_are_limited_in_the_visitors_language():
    """Each question starts a new visitor, so a flood of new chats is held
    back per sending address ([limits] web_chat_burst, web_chats_per_hour),
    through the trusted proxy's X-Forwarded-For; a visitor who already has
    a chat goes on talking."""
    web = ChatWeb(starts=(2, 60.0))  # two at once, then one a minute
    online(web.core, IVAN)
    first, token = await web.start(question="first")
    await web.start(question="second")
    reply = await web.post("/visitors?lang=ru", {"name": "x", "question": "third",
                                                 "languages": ["ru"]})
    assert reply.code == 429 and reply.header("retry-after") == "60"
    assert reply.error() == {"code": "too_many_chats", "message":
                             "Из вашей сети начато слишком много новых чатов. Пожалуйста, "
                             "попробуйте снова через 1 мин."}
    assert len(web.core.chats) == 2, "the refused question started nothing"
    assert (await web.post("/messages", {"token": token, "text": "still here"})).code == 200
    other = await web.post("/visitors", {"name": "y", "question": "mine"},
                           X_Forwarded_For="198.51.100.7")
    assert other.code == 201, "another sender behind the same proxy has its own"
    assert (await web.post("/end", {"token": token})).code == 200
    again = await web.post("/messages", {"token": token, "text": "a new question"})
    assert again.code == 429, "a new chat of a known visitor counts too"
    web.clock.advance(60)
    assert (await web.post("/messages", {"token": token, "text": "a new question"})).code == 200
    assert web.core.queries.clientChats(first)[0].first_line == "a new question"


@pytest_twisted.ensureDeferred
async def test_a_message_over_max_message_bytes_is_413_and_a_flood_429():
    web = ChatWeb()
    client, token = await web.start(languages=["ru"])
    limit = web.core.limits.max_message_bytes
    reply = await web.post("/messages", {"token": token, "text": "я" * limit})
    assert reply.code == 413 and "слишком длинное" in reply.error()["message"]
    assert str(limit) in reply.error()["message"]
    codes = [(await web.post("/messages", {"token": token, "text": f"m{n}"})).code
             for n in range(40)]
    assert 429 in codes
    refused = await web.post("/messages", {"token": token, "text": "again"})
    assert refused.code == 429 and refused.error()["code"] == "too_many_requests"


@pytest_twisted.ensureDeferred
async def test_empty_messages_and_bad_typing_states_are_400():
    web = ChatWeb()
    client, token = await web.start()
    assert (await web.post("/messages", {"token": token, "text": "   "})).code == 400
    assert (await web.post("/messages", {"token": token, "text": ["x"]})).code == 400
    reply = await web.post("/typing", {"token": token, "state": "dancing"})
    assert reply.code == 400 and "composing or paused" in reply.error()["message"]


@pytest_twisted.ensureDeferred
async def test_typing_reaches_the_operator():
    web = ChatWeb()
    online(web.core, IVAN)
    client, token = await web.start()
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    web.xmpp.clear()
    assert (await web.post("/typing", {"token": token, "state": "composing"})).code == 200
    assert [(s.to, s.chatstate) for s in web.xmpp.sent] == [(IVAN, "composing")]


@pytest_twisted.ensureDeferred
async def test_end_closes_the_chat_as_the_end_command_and_then_409():
    web = ChatWeb()
    online(web.core, IVAN)
    client, token = await web.start()
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    assert (await web.post("/end", {"token": token})).code == 200
    assert web.core.openChat(1) is None
    assert "closed" in web.xmpp.last(IVAN).body.lower()
    reply = await web.post("/end", {"token": token})
    assert reply.code == 409 and reply.error()["code"] == "no_chat"


@pytest_twisted.ensureDeferred
async def test_the_rating_is_the_ratings_answer_once():
    web = ChatWeb()
    online(web.core, IVAN)
    client, token = await web.start()
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    reply = await web.post("/rating", {"token": token, "rating": 5})
    assert reply.code == 409 and reply.error()["code"] == "no_rating"  # not asked yet
    web.core.operatorSaid("sales", 1, IVAN, "!close")
    for bad in [0, 6, "5", True, None, 4.5]:
        reply = await web.post("/rating", {"token": token, "rating": bad})
        assert reply.code == 400, bad
    reply = await web.post("/rating", {"token": token, "rating": 4, "comment": "<b>ok</b>"})
    assert reply.code == 200
    rated = [e for e in events(web.store, 1) if e.kind == RATING]
    assert [(e.data["rating"], e.data["comment"]) for e in rated] == [(4, "<b>ok</b>")]
    assert (await web.post("/rating", {"token": token, "rating": 5})).code == 409


@pytest_twisted.ensureDeferred
async def test_a_json_body_over_its_limit_is_refused_before_it_is_read():
    web = ChatWeb()
    client, token = await web.start(languages=["ru"])
    reply = await web.post(f"/messages?token={token}",
                           raw=json.dumps({"token": token, "text": "x" * 400_000}).encode())
    assert reply.code == 413 and "Запрос слишком большой" in reply.error()["message"]


@pytest_twisted.ensureDeferred
async def test_a_message_the_store_could_not_take_is_503_with_the_cores_words():
    store = FlakyStore()
    web = ChatWeb(store=store)
    online(web.core, IVAN)
    client, token = await web.start(languages=["ru"])
    web.core.operatorSaid("sales", 1, IVAN, "hello")
    store.down = True
    stub = web.http.stub
    pending = stub.request("POST", "http://x/chat/sales/messages",
                           data=json.dumps({"token": token, "text": "lost?"}).encode(),
                           headers={"Content-Type": "application/json"})
    stub.flush()
    web.clock.advance(31)  # past hold_timeout: refused to its sender
    stub.flush()
    response = await pending
    content = json.loads(await response.content())
    assert response.code == 503 and content["error"]["code"] == "not_stored"
    assert content["error"]["message"] == Translator().text("message_not_stored", ("ru",))
    assert "lost?" not in web.xmpp.bodies(IVAN)
