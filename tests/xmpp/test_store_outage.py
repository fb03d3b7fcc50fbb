"""
A message the store could not take reaches its sender as an XMPP error
(R-RUN-3): through the real handlers over the in-memory component stream,
with a store that fails on command.
"""
from __future__ import annotations

from imsupport.config import StorageConfig
from imsupport.core.journal import RETRY_EVERY
from tests.unit.fakes import ALICE, IVAN
from tests.unit.flaky import FlakyStore
from tests.xmpp.stream import DOMAIN, InMemoryComponent
from tests.xmpp.test_stream import body, condition, msg, presence

HOLD = 5.0


def activeChat() -> tuple[InMemoryComponent, FlakyStore]:
    store = FlakyStore()
    comp = InMemoryComponent(store=store, storage=StorageConfig(hold_timeout=HOLD))
    comp.handshake()
    comp.pump()
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Hello"))
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi there"))
    return comp, store


def errorOf(stanza):
    error = next(c for c in stanza.elements() if c.name == "error")
    return error["type"], *condition(stanza)


def test_a_client_message_not_stored_in_time_is_answered_with_an_error():
    comp, store = activeChat()
    store.down = True
    assert comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Are you there?", mid="c7")) == []
    comp.clock.advance(HOLD + RETRY_EVERY)
    out = comp.pump()
    assert len(out) == 1
    error = out[0]
    assert error.name == "message" and error["type"] == "error" and error["id"] == "c7"
    assert error["to"] == ALICE + "/res" and error["from"] == f"sales@{DOMAIN}"
    kind, name, text = errorOf(error)
    assert (kind, name) == ("wait", "resource-constraint")
    assert "not saved and not delivered" in text and "send it again later" in text
    assert body(error) is None, "the refused text is not echoed"

    store.down = False
    comp.clock.advance(RETRY_EVERY)
    assert comp.pump() == [], "never delivered, not even after the store is back"


def test_an_operator_message_not_stored_in_time_is_answered_from_the_chat_address():
    comp, store = activeChat()
    store.down = True
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "One moment", mid="o3"))
    comp.clock.advance(HOLD + RETRY_EVERY)
    out = comp.pump()
    assert [(s["type"], s["id"], s["to"], s["from"]) for s in out] == [
        ("error", "o3", IVAN + "/res", f"sales+1@{DOMAIN}")]
    assert errorOf(out[0])[:2] == ("wait", "resource-constraint")


def test_a_message_held_for_a_moment_is_delivered_without_an_error():
    comp, store = activeChat()
    store.down = True
    comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Still there?", mid="c8"))
    comp.clock.advance(HOLD / 2)
    assert comp.pump() == []
    store.down = False
    comp.clock.advance(RETRY_EVERY)
    out = comp.pump()
    assert [(s["to"], body(s)) for s in out] == [(IVAN, "Still there?")]
    comp.clock.advance(HOLD)
    assert comp.pump() == []
