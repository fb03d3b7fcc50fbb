"""POST /api/v1/switch (control) and /tokens (admin)."""
from __future__ import annotations

import pytest_twisted

from imsupport.store.interfaces import StoredToken
from imsupport.store.memory import MemoryStore
from imsupport.web.api import seedTokens
from imsupport.web.api.auth import digest
from tests.unit.fakes import ALICE, IVAN, online
from tests.web.apifakes import ADMIN, CONTROL, TOKENS, Api, answer


@pytest_twisted.ensureDeferred
async def test_switch_a_node_off_and_on():
    api = Api()
    code, body, _ = await answer(api.request("POST", "/switch", token=CONTROL,
                                             body={"target": {"node": "sales"}, "on": False}))
    assert code == 200 and body == {"changed": True, "target": "node:sales"}
    assert api.core.switches.nodeOff("sales")
    assert "node:sales" in await api.store.switchedOff()
    code, body, _ = await answer(api.request("POST", "/switch", token=CONTROL,
                                             body={"target": {"node": "sales"}, "on": False}))
    assert body["changed"] is False
    code, body, _ = await answer(api.request("POST", "/switch", token=ADMIN,
                                             body={"target": {"node": "sales"}, "on": True}))
    assert code == 200 and body["changed"] is True
    assert not api.core.switches.nodeOff("sales")


@pytest_twisted.ensureDeferred
async def test_hard_switch_off_closes_active_chats():
    api = Api()
    online(api.core, IVAN)
    api.core.clientSaid("sales", ALICE, "hi")
    api.core.operatorSaid("sales", 1, IVAN, "hello")
    code, body, _ = await answer(api.request(
        "POST", "/switch", token=CONTROL,
        body={"target": {"operator": IVAN, "node": "sales"}, "on": False, "mode": "hard"}))
    assert code == 200 and body["target"] == f"operator:{IVAN}@sales"
    assert api.core.queries.chat(1) is None
    assert (await api.store.getChat(1)).close_reason == "switched_off"


@pytest_twisted.ensureDeferred
async def test_switch_service_and_group():
    api = Api()
    group = api.core.directory.node("sales").groups[0].name
    for target, key in [({"service": True}, "service"), ({"group": f"sales/{group}"},
                                                         f"group:sales/{group}")]:
        code, body, _ = await answer(api.request("POST", "/switch", token=CONTROL,
                                                 body={"target": target, "on": False}))
        assert code == 200 and body["target"] == key


@pytest_twisted.ensureDeferred
async def test_switch_unknown_target_is_404():
    api = Api()
    for target, message in [({"node": "nowhere"}, "there is no node 'nowhere'"),
                            ({"group": "sales/nobody"}, "there is no group 'sales/nobody'"),
                            ({"operator": "x@shop.test"}, "there is no operator x@shop.test")]:
        code, body, _ = await answer(api.request("POST", "/switch", token=CONTROL,
                                                 body={"target": target, "on": False}))
        assert code == 404 and body["error"]["message"] == message


@pytest_twisted.ensureDeferred
async def test_switch_target_of_no_known_form_is_400():
    code, body, _ = await answer(Api().request("POST", "/switch", token=CONTROL,
                                               body={"target": {"planet": "x"}, "on": False}))
    assert code == 400 and body["error"]["message"].startswith("target:")


@pytest_twisted.ensureDeferred
async def test_tokens_listed_without_secrets():
    code, body, _ = await answer(Api().request("GET", "/tokens", token=ADMIN))
    assert code == 200
    assert body["items"] == [{"name": "controller", "scopes": ["control"]},
                             {"name": "reader", "scopes": ["read"]},
                             {"name": "root", "scopes": ["admin"]}]


@pytest_twisted.ensureDeferred
async def test_token_added_works_once_shown_then_revoked():
    api = Api()
    code, body, _ = await answer(api.request("POST", "/tokens", token=ADMIN,
                                             body={"name": "ci", "scopes": ["read"]}))
    assert code == 200 and body["name"] == "ci" and len(body["token"]) >= 40
    secret = body["token"]
    assert api.api.tokens.entries["ci"].digest == digest(secret)
    assert [(t.name, t.digest) for t in await api.store.tokens()] == [("ci", digest(secret))]
    code, _, _ = await answer(api.request("GET", "/state", token=secret))
    assert code == 200
    code, body, _ = await answer(api.request("GET", "/tokens", token=ADMIN))
    assert secret not in repr(body)
    code, body, _ = await answer(api.request("POST", "/tokens", token=ADMIN,
                                             body={"name": "ci", "scopes": ["read"]}))
    assert code == 409 and body["error"]["code"] == "conflict"
    code, body, _ = await answer(api.request("DELETE", "/tokens/ci", token=ADMIN))
    assert code == 200 and body == {"revoked": "ci"}
    code, _, _ = await answer(api.request("GET", "/state", token=secret))
    assert code == 401
    assert await api.store.tokens() == []
    code, body, _ = await answer(api.request("DELETE", "/tokens/ci", token=ADMIN))
    assert code == 404


@pytest_twisted.ensureDeferred
async def test_token_with_an_unknown_scope_is_400():
    code, body, _ = await answer(Api().request("POST", "/tokens", token=ADMIN,
                                               body={"name": "x", "scopes": ["root"]}))
    assert code == 400
    assert body["error"]["message"] == "scopes.0: must be one of read, control, admin"


@pytest_twisted.ensureDeferred
async def test_file_tokens_are_seeded_into_the_store_hashed():
    store = MemoryStore()
    await store.putToken(StoredToken("ci", digest("x" * 40), ("read",), 1.0))
    await store.putToken(StoredToken("old-name", digest(TOKENS[0].token), ("read",), 1.0))
    entries = await seedTokens(store, TOKENS, 5.0)
    assert sorted(e.name for e in entries) == ["ci", "controller", "reader", "root"]
    kept = {t.name: t for t in await store.tokens()}
    assert kept["root"].digest == digest(TOKENS[2].token) and kept["root"].scopes == ("admin",)
    assert all(t.token not in repr(kept) for t in TOKENS)
    api = Api()
    api.api.tokens.load(entries)
    code, _, _ = await answer(api.request("GET", "/state", token="x" * 40))
    assert code == 200
