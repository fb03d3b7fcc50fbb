"""GET /api/v1/state, /state/nodes/{node}, /state/operators/{jid},
/state/clients/{jid}: the live state (R-STAT-4)."""
from __future__ import annotations

from urllib.parse import quote

import pytest_twisted

from tests.unit.fakes import ALICE, IVAN, OLGA, online
from tests.web.apifakes import Api, answer, undocumented

GATEWAY = "alice\\40matrix.org@gw.example"


def busy() -> Api:
    api = Api()
    online(api.core, IVAN, OLGA)
    api.core.clientSaid("sales", ALICE, "hi")
    api.core.operatorSaid("sales", 1, IVAN, "hello")
    api.clock.advance(30)
    api.core.clientSaid("sales", GATEWAY, "from matrix")
    api.clock.advance(12)
    return api


@pytest_twisted.ensureDeferred
async def test_service_state():
    api = busy()
    code, body, _ = await answer(api.request("GET", "/state"))
    assert code == 200
    view = api.core.queries.service()
    assert body["queued"] == view.queued and body["active"] == view.active == 1
    assert body["operators"]["total"] == view.operators.total
    # R-STAT-4's "in chats" beside the states: Ivan talks (busy at max_chats 1),
    # Olga is invited only (free)
    counts = body["operators"]
    assert (counts["in_chats"], counts["busy"], counts["free"], counts["online"]) == (1, 1, 1, 2)
    assert undocumented("/state", "get", 200, body) == []
    assert [n["name"] for n in body["nodes"]] == [n.name for n in view.nodes]


@pytest_twisted.ensureDeferred
async def test_node_state_has_waiting_and_talking_times():
    api = busy()
    code, body, _ = await answer(api.request("GET", "/state/nodes/sales"))
    assert code == 200
    active = body["active"][0]
    assert active["client"] == ALICE and active["operators"] == [IVAN]
    assert active["talking_s"] == 42.0
    waiting = body["queued"]
    assert waiting[0]["client"] == GATEWAY and waiting[0]["waited_s"] == 12.0


@pytest_twisted.ensureDeferred
async def test_unknown_node_is_404():
    code, body, _ = await answer(busy().request("GET", "/state/nodes/nowhere"))
    assert code == 404 and body["error"]["message"] == "There is no node nowhere."


@pytest_twisted.ensureDeferred
async def test_operator_state():
    api = busy()
    code, body, _ = await answer(api.request("GET", "/state/operators/" + quote(IVAN, safe="")))
    assert code == 200
    assert body["jid"] == IVAN and body["state"] in ("free", "busy")
    assert [c["id"] for c in body["chats"]] == [1]
    assert "sales" in body["nodes"]
    code, body, _ = await answer(api.request("GET", "/state/operators/nobody%40shop.test"))
    assert code == 404 and body["error"]["message"] == "There is no operator nobody@shop.test."


@pytest_twisted.ensureDeferred
async def test_client_state_with_an_escaped_gateway_jid():
    api = busy()
    code, body, _ = await answer(api.request("GET", "/state/clients/" + quote(GATEWAY, safe="")))
    assert code == 200
    assert body["jid"] == GATEWAY
    assert [c["first_line"] for c in body["chats"]] == ["from matrix"]
    code, body, _ = await answer(api.request("GET", "/state/clients/nobody%40x.example"))
    assert code == 200 and body["chats"] == []


@pytest_twisted.ensureDeferred
async def test_a_jid_that_is_no_jid_is_400():
    code, body, _ = await answer(busy().request("GET", "/state/clients/plain"))
    assert code == 400 and body["error"]["message"].startswith("jid:")
