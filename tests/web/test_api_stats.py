"""GET /stats/nodes[/{node}], /stats/operators/{jid}, /stats/clients/{jid} (read)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
import pytest_twisted

from imsupport.core.events import HookEvent
from tests.unit.fakes import ALICE, BOB, IVAN, START, online
from tests.web.apifakes import READ, Api, answer


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat().replace("+00:00", "Z")


def twoChats(**build_kw: Any) -> Api:
    """Alice answered by Ivan after 30 s; Bob waits, unanswered, since 100 s."""
    api = Api(**build_kw)
    online(api.core, IVAN)
    api.core.clientSaid("sales", ALICE, "hi")
    api.clock.advance(30)
    api.core.operatorSaid("sales", 1, IVAN, "hello")
    api.clock.advance(270)
    api.core.clientSaid("sales", BOB, "anyone?")
    api.clock.advance(100)
    return api


async def get(api: Api, path: str, token: str = READ):
    return await answer(api.request("GET", path, token=token))


@pytest_twisted.ensureDeferred
async def test_node_stats_over_the_default_and_a_given_period():
    api = twoChats()
    code, body, _ = await get(api, "/stats/nodes/sales")
    assert code == 200 and body["node"] == "sales"
    assert body["chats"] == 2 and body["clients"] == 2
    assert body["first_response_avg"] == 30.0 and body["answer_target"] == 60.0
    assert body["answered_in_target"] == 0.5, "Bob, waiting past the target, is a miss"
    assert body["to"] == iso(START + 400).replace("Z", "+00:00")
    assert body["from"] == iso(START + 400 - 30 * 86400).replace("Z", "+00:00")
    code, body, _ = await get(api, "/stats/nodes/sales?answer_target=120")
    assert body["answered_in_target"] == 1.0, "Bob has waited 100 s < 120 s: left out"
    code, body, _ = await get(api, f"/stats/nodes?from={iso(START + 100)}&to={iso(START + 500)}")
    assert code == 200 and body["node"] is None and body["chats"] == 1
    code, body, _ = await get(api, f"/stats/nodes?to={iso(START - 60)}")
    assert code == 200 and body["chats"] == 0


@pytest_twisted.ensureDeferred
async def test_the_configured_answer_target_is_the_default():
    """[stats] answer_target = 120: Bob, waiting 100 s, is not yet a miss."""
    api = twoChats(answer_target=120.0)
    code, body, _ = await get(api, "/stats/nodes/sales")
    assert body["answer_target"] == 120.0 and body["answered_in_target"] == 1.0
    code, body, _ = await get(api, "/stats/nodes/sales?answer_target=60")
    assert body["answer_target"] == 60.0 and body["answered_in_target"] == 0.5


@pytest_twisted.ensureDeferred
async def test_client_stats():
    api = twoChats()
    code, body, _ = await get(api, f"/stats/clients/{ALICE.replace('@', '%40')}")
    assert code == 200 and body["client"] == ALICE and body["contacts"] == 1
    assert body["time_in_queue"] == 30.0 and body["time_in_chat"] == 370.0
    code, body, _ = await get(api, f"/stats/clients/{BOB.upper()}")
    assert body["contacts"] == 1 and body["client"] == BOB


@pytest_twisted.ensureDeferred
async def test_operator_stats_with_online_and_afk_time_from_the_outbox():
    api = twoChats()
    await api.store.addEvents([
        HookEvent("e1", "operator.state", START - 1000, {"operator": IVAN, "state": "online"}),
        HookEvent("e2", "operator.state", START + 200, {"operator": IVAN, "state": "afk"}),
        HookEvent("e3", "operator.state", START + 250, {"operator": BOB, "state": "afk"}),
        HookEvent("e4", "operator.state", START + 300, {"operator": IVAN, "state": "free"}),
        HookEvent("e5", "chat.queued", START + 310, {"chat_id": 9})])
    code, body, _ = await get(api, f"/stats/operators/{IVAN}?from={iso(START)}")
    assert code == 200 and body["operator"] == IVAN and body["chats"] == 1
    assert body["time_afk"] == 100.0, "from afk at +200 to free at +300"
    assert body["time_online"] == 300.0, "+0..+200 (online before from) and +300..+400"
    assert body["time_in_chats"] == 370.0


@pytest.mark.parametrize("path", ["/stats/nodes", "/stats/nodes/sales",
                                  f"/stats/operators/{IVAN}", f"/stats/clients/{ALICE}"])
@pytest_twisted.ensureDeferred
async def test_stats_need_a_token_and_the_read_scope(path):
    api = twoChats()
    code, _, _ = await get(api, path, token="x" * 40)
    assert code == 401
    code, _, _ = await get(api, path, token=READ)
    assert code == 200


@pytest.mark.parametrize("query", ["from=yesterday", "to=2027-01-15T08:00:00",
                                   f"from={iso(START)}&to={iso(START - 1)}",
                                   "answer_target=0", "answer_target=soon", "until=now"])
@pytest_twisted.ensureDeferred
async def test_stats_bad_periods_are_400(query):
    code, body, _ = await get(twoChats(), f"/stats/nodes?{query}")
    assert code == 400 and body["error"]["code"] == "bad_request"
