"""POST /messages, POST /contact and GET /contact/jobs/{id} (control)."""
from __future__ import annotations

import pytest
import pytest_twisted

from imsupport.core.filters import MessageFilter
from tests.unit.fakes import ALICE, BOB, IVAN, OLGA, online
from tests.web.apifakes import ADMIN, CONTROL, READ, Api, answer


def withChats() -> Api:
    """Alice's chat #1 with Ivan, Bob's #2 with Olga."""
    api = Api()
    online(api.core, IVAN, OLGA)
    api.core.clientSaid("sales", ALICE, "hi")
    api.core.operatorSaid("sales", 1, IVAN, "hello")
    api.core.clientSaid("sales", BOB, "hi")
    api.core.operatorSaid("sales", 2, OLGA, "hello Bob")
    return api


async def send(api: Api, to: object, text: str = "We close at 18:00", token: str = CONTROL):
    return await answer(api.request("POST", "/messages", token=token,
                                    body={"to": to, "text": text}))


@pytest_twisted.ensureDeferred
async def test_messages_to_each_kind_of_target():
    api = withChats()
    code, body, _ = await send(api, {"group": "sales/first"})
    assert code == 200 and body["chats"] == [] and set(body["operators"]) == {IVAN, OLGA}
    code, body, _ = await send(api, {"chats": "all"})
    assert code == 200 and body["chats"] == [1, 2]
    assert api.transport.last(ALICE).body == "We close at 18:00"
    code, body, _ = await send(api, {"chats": "sales"}, token=ADMIN)
    assert code == 200 and body["chats"] == [1, 2]
    code, body, _ = await send(api, {"client": BOB}, "Your refund is on its way")
    assert code == 200 and body["chats"] == [2]
    assert api.transport.last(BOB).body == "Your refund is on its way"
    code, body, _ = await send(api, {"operator": IVAN}, "Ivan is back in 5 min")
    assert code == 200 and body["chats"] == [1]


@pytest_twisted.ensureDeferred
async def test_messages_need_the_control_scope():
    api = withChats()
    code, body, _ = await send(api, {"chats": "all"}, token=READ)
    assert code == 403 and body["error"]["code"] == "forbidden"
    assert "We close" not in " ".join(api.transport.bodies(ALICE))


@pytest_twisted.ensureDeferred
async def test_messages_to_an_unknown_node_or_group_are_404():
    api = withChats()
    code, body, _ = await send(api, {"group": "sales/nosuch"})
    assert code == 404 and "sales/nosuch" in body["error"]["message"]
    code, body, _ = await send(api, {"chats": "nosuch"})
    assert code == 404 and "nosuch" in body["error"]["message"]


@pytest.mark.parametrize("to, text", [({}, "x"), ({"chats": "all", "client": ALICE}, "x"),
                                      ({"nodes": "all"}, "x"), ({"chats": "all"}, ""),
                                      ({"chats": "all"}, "   "), ("all", "x")])
@pytest_twisted.ensureDeferred
async def test_messages_with_a_bad_target_or_no_text_are_400(to, text):
    api = withChats()
    code, body, _ = await send(api, to, text)
    assert code == 400 and body["error"]["code"] == "bad_request"


async def contact(api: Api, token: str = CONTROL, **fields: object):
    return await answer(api.request("POST", "/contact", token=token, body=fields))


@pytest_twisted.ensureDeferred
async def test_contact_one_client_answers_the_outcome_and_chat():
    api = Api()
    online(api.core, IVAN)
    code, body, _ = await contact(api, node="sales", clients=[BOB], text="Your order shipped",
                                  operator=IVAN)
    assert code == 200 and body == {"client": BOB, "outcome": "active", "chat_id": 1}
    assert api.transport.last(BOB).body == "Your order shipped"
    code, body, _ = await contact(api, node="sales", clients=[ALICE], text="Hello")
    assert code == 200 and body["outcome"] == "queued" and body["chat_id"] == 2


@pytest_twisted.ensureDeferred
async def test_contact_refusals():
    api = withChats()
    code, body, _ = await contact(api, node="sales", clients=[ALICE], text="again?")
    assert code == 409 and body["error"]["code"] == "conflict" and "chat 1" in \
        body["error"]["message"]
    code, body, _ = await contact(api, node="nosuch", clients=["carl@example.net"], text="x")
    assert code == 404
    api.core.words.filters = MessageFilter.fromConfig(["corp.shop.example"], [])
    code, body, _ = await contact(api, node="sales", clients=["carl@example.net"],
                                  text="see http://wiki.corp.shop.example/x", operator=IVAN)
    assert code == 422 and body["error"]["code"] == "unprocessable_entity"
    assert api.core.chats.idOfClient("sales", "carl@example.net") is None
    code, body, _ = await contact(api, token=READ, node="sales", clients=["carl@example.net"],
                                  text="x")
    assert code == 403


@pytest.mark.parametrize("fields", [
    {"node": "sales", "text": "x"},
    {"node": "sales", "clients": [BOB], "since": "2027-01-01T00:00:00Z", "text": "x"},
    {"node": "sales", "clients": [], "text": "x"},
    {"node": "sales", "clients": [BOB], "text": ""},
    {"node": "sales", "since": "yesterday", "text": "x"},
    {"node": "sales", "clients": ["not-a-jid"], "text": "x"}])
@pytest_twisted.ensureDeferred
async def test_contact_bad_bodies_are_400(fields):
    code, body, _ = await contact(Api(), **fields)
    assert code == 400 and body["error"]["code"] == "bad_request"


@pytest_twisted.ensureDeferred
async def test_contact_several_clients_is_a_bulk_job_with_a_report():
    api = withChats()
    carl = "carl@example.net"
    code, body, _ = await contact(api, node="sales", clients=[carl, ALICE, carl.upper()],
                                  text="Sale tomorrow")
    assert code == 202 and body["state"] == "running" and body["total"] == 2
    job_id = body["id"]
    for _ in range(3):  # paced: one client per step
        api.clock.advance(1)
    code, body, _ = await answer(api.request("GET", f"/contact/jobs/{job_id}", token=CONTROL))
    assert code == 200 and body["state"] == "done" and body["done"] == 2
    outcomes = {r["client"]: r["outcome"] for r in body["results"]}
    assert outcomes == {carl: "queued", ALICE: "already_open"}
    code, _, _ = await answer(api.request("GET", f"/contact/jobs/{job_id}", token=READ))
    assert code == 403
    code, body, _ = await answer(api.request("GET", "/contact/jobs/0123abcd", token=CONTROL))
    assert code == 404


@pytest_twisted.ensureDeferred
async def test_contact_since_a_date_writes_to_the_nodes_clients():
    api = withChats()
    api.clock.advance(5)
    code, body, _ = await contact(api, node="sales", since="2020-01-01T00:00:00Z",
                                  text="We moved")
    assert code == 202 and body["total"] == 2
    code, _, _ = await contact(api, node="nosuch", since="2020-01-01T00:00:00Z", text="x")
    assert code == 404


@pytest_twisted.ensureDeferred
async def test_messages_and_contact_wait_for_the_core():
    api = Api(with_core=False)
    code, body, _ = await send(api, {"chats": "all"})
    assert code == 503 and body["error"]["code"] == "service_unavailable"
    code, _, _ = await contact(api, node="sales", clients=[BOB], text="x")
    assert code == 503
    code, _, _ = await send(api, {"chats": "all"}, token=None)
    assert code == 401
