"""/healthz and /metrics follow the store's ability to write (R-RUN-3), not
only whether it was opened at start."""
from __future__ import annotations

import json

import pytest_twisted
from treq.testing import StubTreq

from imsupport.core.journal import PROBE_EVERY, RETRY_EVERY
from imsupport.web.app import WebSide
from tests.metricstext import has
from tests.unit.test_store_outage import activeOutageCore


def get(core, path):
    side = WebSide(lambda: core, lambda: True, lambda: True)
    return StubTreq(side.resource()).get(f"http://x{path}")


@pytest_twisted.inlineCallbacks
def test_healthz_shows_the_store_down_while_it_cannot_write_and_up_again():
    core, clock, _t, store = activeOutageCore()
    core.journal.startProbing()
    store.down = True
    clock.advance(PROBE_EVERY)
    response = yield get(core, "/healthz")
    assert response.code == 503
    assert json.loads((yield response.content())) == {
        "status": "degraded", "xmpp": True, "store": False}
    text = (yield (yield get(core, "/metrics")).content()).decode()
    assert has(text, "imsupport_store_up", 0)

    store.down = False
    clock.advance(RETRY_EVERY)
    response = yield get(core, "/healthz")
    assert response.code == 200
    assert json.loads((yield response.content()))["store"] is True
    core.journal.stop()
