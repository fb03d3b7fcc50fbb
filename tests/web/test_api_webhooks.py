"""/webhooks (admin): PUT, DELETE, list, the delivery log and redelivery."""
from __future__ import annotations

import base64

import pytest
import pytest_twisted
from treq.testing import StubTreq
from twisted.internet.defer import Deferred, succeed

from imsupport.core.events import Delivery, HookEvent, Webhook
from imsupport.hooks.deliverer import Deliverer
from tests.unit.test_webhooks import Receiver
from tests.web.apifakes import ADMIN, CONTROL, Api, answer, undocumented

SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()
HOOK = {"url": "https://crm.example.com/hooks", "secret": SECRET, "events": ["chat.*"]}


class RecordingDeliverer:
    """Stands for the running Deliverer: counts the refreshes asked for."""

    def __init__(self) -> None:
        self.refreshed = 0

    def refresh(self) -> Deferred[None]:
        self.refreshed += 1
        return succeed(None)


def api() -> tuple[Api, RecordingDeliverer]:
    deliverer = RecordingDeliverer()
    return Api(deliverer=deliverer), deliverer


async def put(a: Api, id: str, body: object, token: str = ADMIN):
    return await answer(a.request("PUT", f"/webhooks/{id}", token=token, body=body))


@pytest_twisted.ensureDeferred
async def test_put_list_replace_and_delete_a_webhook():
    a, deliverer = api()
    code, body, _ = await put(a, "crm", HOOK)
    assert code == 200 and body == {"id": "crm", "url": HOOK["url"], "events": ["chat.*"]}
    assert await a.store.webhooks() == [Webhook("crm", HOOK["url"], SECRET, ("chat.*",))]
    assert deliverer.refreshed == 1
    code, body, _ = await put(a, "crm", {"url": "http://crm.example.com/v2", "secret": SECRET})
    assert code == 200 and body["events"] == ["*"], "events default to every type"
    code, body, _ = await answer(a.request("GET", "/webhooks", token=ADMIN))
    assert code == 200 and body == {"items": [{"id": "crm", "url": "http://crm.example.com/v2",
                                               "events": ["*"]}]}
    assert SECRET not in str(body) and "secret" not in body["items"][0]
    code, body, _ = await answer(a.request("DELETE", "/webhooks/crm", token=ADMIN))
    assert code == 200 and body == {"deleted": "crm"} and await a.store.webhooks() == []
    assert deliverer.refreshed == 3
    code, body, _ = await answer(a.request("DELETE", "/webhooks/crm", token=ADMIN))
    assert code == 404 and deliverer.refreshed == 3


@pytest_twisted.ensureDeferred
async def test_without_a_running_deliverer_the_change_is_stored():
    a = Api()
    code, _, _ = await put(a, "crm", HOOK)
    assert code == 200 and len(await a.store.webhooks()) == 1


@pytest.mark.parametrize("method, path", [("GET", "/webhooks"), ("PUT", "/webhooks/crm"),
                                          ("DELETE", "/webhooks/crm"),
                                          ("GET", "/webhooks/crm/deliveries"),
                                          ("POST", "/webhooks/crm/deliveries/e1/redeliver")])
@pytest_twisted.ensureDeferred
async def test_webhooks_need_the_admin_scope(method, path):
    a, deliverer = api()
    code, body, _ = await answer(a.request(method, path, token=CONTROL,
                                           body=HOOK if method == "PUT" else None))
    assert code == 403 and body["error"]["code"] == "forbidden"
    assert await a.store.webhooks() == [] and deliverer.refreshed == 0


@pytest.mark.parametrize("id, body, field", [
    ("crm", {**HOOK, "url": "ftp://crm.example.com/"}, "url"),
    ("crm", {**HOOK, "secret": "hunter2"}, "secret"),
    ("crm", {**HOOK, "secret": "whsec_not base64!"}, "secret"),
    ("crm", {**HOOK, "secret": "whsec_" + base64.b64encode(b"short").decode()}, "secret"),
    ("crm", {**HOOK, "events": ["nosuch.event"]}, "events"),
    ("crm", {**HOOK, "events": []}, "events"),
    ("crm", {"url": HOOK["url"]}, "secret"),
    ("crm", {**HOOK, "extra": 1}, "extra"),
    ("-bad id", HOOK, "id")])
@pytest_twisted.ensureDeferred
async def test_put_checks_the_fields_like_the_config(id, body, field):
    a, deliverer = api()
    code, answered, _ = await put(a, id, body)
    assert code == 400 and field in answered["error"]["message"]
    assert "hunter2" not in answered["error"]["message"], "a secret is never echoed"
    assert await a.store.webhooks() == [] and deliverer.refreshed == 0


@pytest_twisted.ensureDeferred
async def test_the_delivery_log_newest_first_with_a_limit():
    a, _ = api()
    await put(a, "crm", HOOK)
    for attempt, status in enumerate((None, 500, 200), 1):
        await a.store.recordDelivery(Delivery("crm", "e1", attempt, 1000.0 + attempt, status,
                                              "timeout" if status is None else ""),
                                     cursor=1 if status == 200 else 0, attempts=attempt,
                                     next_at=0.0)
    code, body, _ = await answer(a.request("GET", "/webhooks/crm/deliveries", token=ADMIN))
    assert code == 200 and [d["status"] for d in body["items"]] == [200, 500, None]
    assert body["items"][2]["error"] == "timeout" and body["items"][0]["attempt"] == 3
    assert body["items"][0]["at"].startswith("1970-01-01T00:16:43")
    assert body["next"] is None and undocumented("/webhooks/{id}/deliveries", "get", 200,
                                                 body) == []
    pages, path = [], "/webhooks/crm/deliveries?limit=2"
    while path:
        code, body, _ = await answer(a.request("GET", path, token=ADMIN))
        assert code == 200 and undocumented("/webhooks/{id}/deliveries", "get", 200, body) == []
        pages.append([d["attempt"] for d in body["items"]])
        path = body["next"] and f"/webhooks/crm/deliveries?limit=2&next={body['next']}"
    assert pages == [[3, 2], [1]]
    code, body, _ = await answer(a.request("GET", "/webhooks/crm/deliveries?next=abc",
                                           token=ADMIN))
    assert code == 400 and body["error"]["message"].startswith("next:")
    code, body, _ = await answer(a.request("GET", "/webhooks/nosuch/deliveries", token=ADMIN))
    assert code == 404
    code, body, _ = await answer(a.request("GET", "/webhooks/crm/deliveries?limit=0",
                                           token=ADMIN))
    assert code == 400


@pytest_twisted.ensureDeferred
async def test_redeliver_one_event():
    a, deliverer = api()
    await put(a, "crm", HOOK)
    await a.store.addEvents([HookEvent("e1", "chat.queued", 1000.0, {"chat_id": 1})])
    path = "/webhooks/crm/deliveries/e1/redeliver"
    code, body, _ = await answer(a.request("POST", path, token=ADMIN))
    assert code == 200 and body == {"webhook": "crm", "event_id": "e1", "queued": True}
    assert (await a.store.deliveryState("crm")).redeliver == ("e1",)
    assert deliverer.refreshed == 2, "the deliverer is woken to send it"
    code, body, _ = await answer(a.request("POST", "/webhooks/crm/deliveries/e9/redeliver",
                                           token=ADMIN))
    assert code == 404 and "e9" in body["error"]["message"]
    code, body, _ = await answer(a.request("POST", "/webhooks/nosuch/deliveries/e1/redeliver",
                                           token=ADMIN))
    assert code == 404 and "nosuch" in body["error"]["message"]
    assert deliverer.refreshed == 2


@pytest_twisted.ensureDeferred
async def test_a_running_deliverer_follows_the_changes_at_once():
    a = Api(with_core=False)
    receiver = Receiver()
    http = StubTreq(receiver)
    a.deliverer = Deliverer(a.store, http, a.clock)
    a.deliverer.start()
    await put(a, "crm", HOOK)
    await a.store.addEvents([HookEvent("e1", "chat.queued", 1000.0, {"chat_id": 1})])
    a.deliverer.wake()
    http.flush()
    assert receiver.ids() == ["e1"]
    await answer(a.request("POST", "/webhooks/crm/deliveries/e1/redeliver", token=ADMIN))
    http.flush()
    assert receiver.ids() == ["e1", "e1"], "redelivered at once"
    await answer(a.request("DELETE", "/webhooks/crm", token=ADMIN))
    await a.store.addEvents([HookEvent("e2", "chat.queued", 1001.0, {"chat_id": 2})])
    a.deliverer.wake()
    http.flush()
    assert receiver.ids() == ["e1", "e1"], "a deleted webhook gets nothing more"
    a.deliverer.stop()
