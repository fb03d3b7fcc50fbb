"""Directory edits (admin): they persist in the store and take effect in
the running core; bodies are read by the configuration's own readers."""
from __future__ import annotations

from urllib.parse import quote

import pytest_twisted

from tests.unit.fakes import ALICE, IVAN, OLGA, PETR, online
from tests.web.apifakes import ADMIN, CONTROL, Api, answer

NEW = "nina@shop.test"


def at(jid: str) -> str:
    return quote(jid, safe="")


def group(api: Api, path: str) -> tuple[str, ...]:
    node, _, name = path.partition("/")
    return next(g.operators for g in api.core.directory.node(node).groups if g.name == name)


@pytest_twisted.ensureDeferred
async def test_new_operator_in_a_group_is_offered_chats():
    api = Api()
    code, body, _ = await answer(api.request("PUT", f"/operators/{at(NEW)}", token=ADMIN,
                                             body={"name": "Nina", "languages": ["en"]}))
    assert code == 200 and body["created"] is True and body["operator"]["name"] == "Nina"
    assert api.core.directory.operator(NEW).name == "Nina"
    assert any(o.jid == NEW for o in (await api.store.loadDirectory()).operators)
    first = api.core.directory.node("sales").groups[0].name
    code, body, _ = await answer(api.request("POST", f"/operators/{at(NEW)}/move", token=ADMIN,
                                             body={"from": "", "to": f"sales/{first}"}))
    assert code == 200, body
    assert NEW in group(api, f"sales/{first}")
    stored = (await api.store.loadDirectory()).node("sales")
    assert NEW in next(g.operators for g in stored.groups if g.name == first)
    online(api.core, NEW)
    api.core.clientSaid("sales", ALICE, "hi")
    assert NEW in api.core.queries.chat(1).invited


@pytest_twisted.ensureDeferred
async def test_operator_body_is_checked_like_the_file():
    api = Api()
    code, body, _ = await answer(api.request("PUT", f"/operators/{at(NEW)}", token=ADMIN,
                                             body={"max_chats": 0}))
    assert code == 400 and body["error"]["message"].startswith("max_chats")
    code, body, _ = await answer(api.request("PUT", f"/operators/{at(NEW)}", token=ADMIN,
                                             body={"colour": "red"}))
    assert code == 400 and "colour" in body["error"]["message"]
    code, body, _ = await answer(api.request("PUT", f"/operators/{at(NEW)}", token=ADMIN,
                                             body={"timezone": "Mars/Olympus"}))
    assert code == 400 and body["error"]["message"].startswith("timezone")
    code, body, _ = await answer(api.request("PUT", f"/operators/{at(NEW)}", token=CONTROL,
                                             body={}))
    assert code == 403


@pytest_twisted.ensureDeferred
async def test_move_errors():
    api = Api()
    first = api.core.directory.node("sales").groups[0].name
    code, body, _ = await answer(api.request("POST", f"/operators/{at(PETR)}/move", token=ADMIN,
                                             body={"from": f"sales/{first}", "to": ""}))
    assert code == 422 and body["error"]["message"] == f"{PETR} is not in sales/{first}."
    code, body, _ = await answer(api.request("POST", f"/operators/{at(IVAN)}/move", token=ADMIN,
                                             body={"from": "sales/nope", "to": ""}))
    assert code == 404
    code, body, _ = await answer(api.request("POST", "/operators/x%40shop.test/move",
                                             token=ADMIN, body={"from": "", "to": "a/b"}))
    assert code == 404 and body["error"]["message"] == "There is no operator x@shop.test."
    code, body, _ = await answer(api.request("POST", f"/operators/{at(IVAN)}/move", token=ADMIN,
                                             body={"from": "sales", "to": ""}))
    assert code == 400 and body["error"]["message"].startswith("from:")


@pytest_twisted.ensureDeferred
async def test_move_between_groups():
    api = Api()
    first = api.core.directory.node("sales").groups[0].name
    second = api.core.directory.node("sales").groups[1].name
    code, body, _ = await answer(api.request(
        "POST", f"/operators/{at(OLGA)}/move", token=ADMIN,
        body={"from": f"sales/{first}", "to": f"sales/{second}"}))
    assert code == 200, body
    assert OLGA not in group(api, f"sales/{first}") and OLGA in group(api, f"sales/{second}")


@pytest_twisted.ensureDeferred
async def test_delete_operator():
    api = Api()
    code, body, _ = await answer(api.request("DELETE", f"/operators/{at(IVAN)}", token=ADMIN))
    assert code == 409 and "move them out first" in body["error"]["message"]
    code, body, _ = await answer(api.request("DELETE", f"/operators/{at(PETR)}", token=ADMIN))
    assert code == 200 and api.core.directory.operator(PETR) is None
    assert all(o.jid != PETR for o in (await api.store.loadDirectory()).operators)
    code, body, _ = await answer(api.request("DELETE", f"/operators/{at(PETR)}", token=ADMIN))
    assert code == 404


@pytest_twisted.ensureDeferred
async def test_nodes_and_groups():
    api = Api()
    code, body, _ = await answer(api.request("PUT", "/nodes/billing", token=ADMIN,
                                             body={"title": "Billing", "ring": "parallel"}))
    assert code == 200 and body["created"] is True
    assert api.core.hasNode("billing")
    code, body, _ = await answer(api.request("PUT", "/nodes/billing/groups/desk", token=ADMIN,
                                             body={"operators": [IVAN], "wave": 1}))
    assert code == 200
    assert group(api, "billing/desk") == (IVAN,)
    code, body, _ = await answer(api.request("PUT", "/nodes/billing", token=ADMIN,
                                             body={"title": "Billing and invoices"}))
    assert code == 200 and body["created"] is False
    node = api.core.directory.node("billing")
    assert node.title == "Billing and invoices" and node.ring == "sequential"
    assert [g.name for g in node.groups] == ["desk"], "a PUT without groups keeps them"
    code, body, _ = await answer(api.request("PUT", "/nodes/billing/groups/desk", token=ADMIN,
                                             body={"operators": ["ghost@shop.test"]}))
    assert code == 400 and "not declared" in body["error"]["message"]
    code, body, _ = await answer(api.request("PUT", "/nodes/billing", token=ADMIN,
                                             body={"ring": "random"}))
    assert code == 400 and body["error"]["message"].startswith("ring: must be one of")
    code, body, _ = await answer(api.request("DELETE", "/nodes/billing/groups/desk",
                                             token=ADMIN))
    assert code == 200 and api.core.directory.node("billing").groups == ()
    code, body, _ = await answer(api.request("DELETE", "/nodes/billing/groups/desk",
                                             token=ADMIN))
    assert code == 404
    code, body, _ = await answer(api.request("PUT", "/nodes/nowhere/groups/x", token=ADMIN,
                                             body={}))
    assert code == 404
    code, body, _ = await answer(api.request("DELETE", "/nodes/billing", token=ADMIN))
    assert code == 200 and not api.core.hasNode("billing")
    assert (await api.store.loadDirectory()).node("billing") is None
    code, body, _ = await answer(api.request("DELETE", "/nodes/billing", token=ADMIN))
    assert code == 404


@pytest_twisted.ensureDeferred
async def test_faq():
    api = Api()
    code, body, _ = await answer(api.request("PUT", "/faq/hours", token=ADMIN,
                                             body={"question": "When?", "answer": "9-17"}))
    assert code == 200 and body["faq"]["id"] == "hours"
    assert [e.id for e in api.core.directory.faq] == ["hours"]
    assert [e.id for e in (await api.store.loadDirectory()).faq] == ["hours"]
    code, body, _ = await answer(api.request("PUT", "/faq/hours", token=ADMIN,
                                             body={"question": "When?"}))
    assert code == 400 and body["error"]["message"] == "answer: is required"
    code, body, _ = await answer(api.request("DELETE", "/faq/hours", token=ADMIN))
    assert code == 200 and api.core.directory.faq == ()
    code, body, _ = await answer(api.request("DELETE", "/faq/hours", token=ADMIN))
    assert code == 404
    # any id the file takes, Cyrillic included (!faq доставка), the API takes too
    path = "/faq/" + quote("доставка")
    code, body, _ = await answer(api.request("PUT", path, token=ADMIN,
                                             body={"question": "Когда?", "answer": "Завтра"}))
    assert code == 200 and [e.id for e in api.core.directory.faq] == ["доставка"]
    code, body, _ = await answer(api.request("DELETE", path, token=ADMIN))
    assert code == 200 and api.core.directory.faq == ()
    code, body, _ = await answer(api.request("PUT", "/faq/" + quote("two words"), token=ADMIN,
                                             body={"question": "?", "answer": "!"}))
    assert code == 400 and body["error"]["message"].startswith("id:")
