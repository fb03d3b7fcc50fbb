"""/healthz and /metrics through StubTreq: no sockets."""
from __future__ import annotations

import json

import pytest_twisted
from treq.testing import StubTreq

from imsupport.web.app import WebSide
from tests.metricstext import has, samples
from tests.unit.fakes import ALICE, IVAN, OLGA, makeCore, online


def stub(core=None, xmpp=True, store=True):
    side = WebSide(lambda: core, lambda: xmpp, lambda: store)
    return StubTreq(side.resource())


@pytest_twisted.inlineCallbacks
def test_healthz_ok_and_degraded():
    core, *_ = makeCore()
    response = yield stub(core).get("http://x/healthz")
    assert response.code == 200
    assert json.loads((yield response.content())) == {"status": "ok", "xmpp": True, "store": True}
    response = yield stub(core, xmpp=False).get("http://x/healthz")
    assert response.code == 503
    body = json.loads((yield response.content()))
    assert body["xmpp"] is False and body["status"] == "degraded"
    response = yield stub(None, store=False).get("http://x/healthz")
    assert response.code == 503


@pytest_twisted.inlineCallbacks
def test_metrics_prometheus_text():
    core, clock, t, store = makeCore()
    online(core, IVAN, OLGA)
    core.operatorPresence(OLGA, "laptop", True, "away")
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    core.clientSaid("sales", "bob@example.net", "me too")
    for _ in range(core.limits.client_rate.message_burst + 2):
        core.admitMessage("mallory@example.net", 10, node="sales")
    response = yield stub(core).get("http://x/metrics")
    assert response.code == 200
    assert response.headers.getRawHeaders("content-type")[0].startswith("text/plain")
    text = (yield response.content()).decode()
    for line in ['imsupport_queue_length{node="sales"} 1',
                 'imsupport_active_chats{node="sales"} 1',
                 'imsupport_operators{state="busy"} 1',
                 'imsupport_operators{state="afk"} 1',
                 'imsupport_operators{state="offline"} 2',
                 "imsupport_messages_relayed_total 1",
                 "imsupport_rate_limited_total 2",
                 "imsupport_xmpp_connected 1"]:
        sample, value = line.rsplit(" ", 1)
        assert has(text, sample, float(value)), line
    assert "# TYPE imsupport_store_write_seconds histogram" in text
    assert samples(text)["imsupport_store_write_seconds_count"] > 5
    for process in ("process_resident_memory_bytes", "process_cpu_seconds_total",
                    "process_open_fds"):
        assert samples(text)[process] > 0, f"the library's process metrics: {process}"


@pytest_twisted.inlineCallbacks
def test_unknown_path_is_a_json_404():
    response = yield stub().get("http://x/nope")
    assert response.code == 404
    body = json.loads((yield response.content()))
    assert body["error"]["code"] == "not_found"
