"""
Store outages (R-RUN-3, R-CHAT-6): the journal holds writes in order while
the store cannot take them, and what is not stored is never delivered but
refused to its sender. task.Clock, a store that fails on command, the
recording transport.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from twisted.internet.task import Clock

from imsupport.config import ConfigError, ServiceConfig, StorageConfig, parseConfig
from imsupport.core.i18n import Translator
from imsupport.core.journal import PROBE_EVERY, RETRY_EVERY, STALLED_AFTER, Refused
from imsupport.core.model import CLOSED, MESSAGE
from imsupport.core.service import SupportCore
from imsupport.store.interfaces import StoreUnavailable
from imsupport.web import metrics
from tests.metricstext import has
from tests.unit.fakes import (
    ALICE,
    BOB,
    BOSS,
    IVAN,
    START,
    RecordingTransport,
    directory,
    online,
)
from tests.unit.flaky import FlakyStore

HOLD = 10.0
NOT_STORED = Translator(default="en").text("message_not_stored", ("en",))


def outageCore(hold_timeout: float = HOLD, max_held: int = 100):
    clock = Clock()
    clock.advance(START)
    transport = RecordingTransport()
    store = FlakyStore()
    core = SupportCore(clock=clock, store=store, transport=transport, directory=directory(),
                       service=ServiceConfig(domain="support.shop.test", admins=(BOSS,)),
                       translator=Translator(default="en"),
                       storage=StorageConfig(hold_timeout=hold_timeout,
                                             max_held_writes=max_held))
    return core, clock, transport, store


def activeOutageCore(**kw: Any):
    """Alice's chat #1 is active with Ivan, who said "hello"."""
    core, clock, t, store = outageCore(**kw)
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    t.clear()
    return core, clock, t, store


def results(d) -> list[Any]:
    fired: list[Any] = []
    d.addBoth(fired.append)
    return fired


def stored(store, chat_id: int) -> list[Any]:
    found: list[Any] = []
    store.inner.chatEvents(chat_id).addCallback(found.extend)
    return found


def record(store, chat_id: int) -> Any:
    found: list[Any] = []
    store.inner.getChat(chat_id).addCallback(found.append)
    return found[0]


def messages(store, chat_id: int) -> list[str]:
    return [e.text for e in stored(store, chat_id) if e.kind == MESSAGE]


def relayed(t: RecordingTransport) -> list[tuple[str, str]]:
    return [(s.to, s.body) for s in t.sent if s.kind in ("client", "operator") and s.body]


def test_held_writes_land_in_order_and_are_relayed_after_recovery():
    core, clock, t, store = activeOutageCore()
    store.down = True
    calls = [core.clientSaid("sales", ALICE, "one"), core.operatorSaid("sales", 1, IVAN, "two"),
             core.clientSaid("sales", ALICE, "three")]
    fired = [results(d) for d in calls]
    clock.advance(HOLD / 2)
    assert relayed(t) == [] and fired == [[], [], []]
    assert not core.journal.up() and core.journal.held == 3
    assert messages(store, 1) == ["hi", "hello"]

    store.down = False
    clock.advance(RETRY_EVERY)
    assert relayed(t) == [(IVAN, "one"), (ALICE, "two"), (IVAN, "three")]
    assert fired == [[None], [None], [None]]
    assert messages(store, 1) == ["hi", "hello", "one", "two", "three"]
    assert core.journal.up() and core.journal.held == 0
    assert core.metrics.writes_held == 3 and core.metrics.messages_refused == 0


def test_effects_keep_the_decided_order_when_the_store_answers_out_of_order():
    core, clock, t, store = activeOutageCore()
    store.hang = True
    core.clientSaid("sales", ALICE, "one")
    core.operatorSaid("sales", 1, IVAN, "two")
    (first, _), (second, answer) = store.hanging
    store.hang = False
    answer.chainDeferred(second)  # "two" is stored first ...
    assert relayed(t) == [], "... but waits for what was decided before it"
    first.errback(StoreUnavailable("OperationalError: server closed the connection"))
    assert relayed(t) == [] and not core.journal.up()
    clock.advance(RETRY_EVERY)  # the retry finds "one" committed after all
    assert relayed(t) == [(IVAN, "one"), (ALICE, "two")]
    assert messages(store, 1) == ["hi", "hello", "one", "two"]


def test_a_message_held_too_long_is_refused_to_its_sender_and_never_delivered():
    core, clock, t, store = activeOutageCore()
    store.down = True
    fired = results(core.clientSaid("sales", ALICE, "lost?"))
    clock.advance(HOLD - RETRY_EVERY)
    assert fired == []
    clock.advance(2 * RETRY_EVERY)
    assert fired == [Refused(NOT_STORED, later=True)]
    assert core.metrics.messages_refused == 1

    store.down = False
    clock.advance(RETRY_EVERY)
    clock.advance(HOLD)
    assert "lost?" not in messages(store, 1)
    assert relayed(t) == []
    # the chat goes on
    core.clientSaid("sales", ALICE, "again")
    assert relayed(t) == [(IVAN, "again")]


def test_an_operator_message_is_refused_in_the_operator_language():
    core, clock, t, store = activeOutageCore()
    store.down = True
    fired = results(core.operatorSaid("sales", 1, IVAN, "are you there?"))
    clock.advance(HOLD + RETRY_EVERY)
    assert fired == [Refused(NOT_STORED, later=True)]
    store.down = False
    clock.advance(RETRY_EVERY)
    assert relayed(t) == [] and "are you there?" not in messages(store, 1)


def test_past_the_bound_a_message_is_refused_at_once_and_notices_still_wait():
    core, clock, t, store = activeOutageCore(max_held=3)
    store.down = True
    fired = [results(core.clientSaid("sales", ALICE, text)) for text in ("a", "b", "c", "d")]
    assert fired == [[], [], [], [Refused(NOT_STORED, later=True)]]
    core.operatorPresence(IVAN, "laptop", False)  # a state change and a notice to Alice
    assert core.journal.held > 3

    store.down = False
    clock.advance(RETRY_EVERY)
    assert [text for to, text in relayed(t) if to == IVAN] == ["a", "b", "c"]
    assert "Ivan was disconnected" in t.last(ALICE).body
    assert messages(store, 1) == ["hi", "hello", "a", "b", "c"]


def test_notices_and_state_changes_wait_as_long_as_it_takes():
    core, clock, t, store = activeOutageCore()
    store.down = True
    core.operatorPresence(IVAN, "laptop", False)
    for _ in range(int(5 * HOLD / RETRY_EVERY)):
        clock.advance(RETRY_EVERY)
    assert t.bodies(ALICE) == [] and core.journal.held == 2
    assert core.metrics.messages_refused == 0

    store.down = False
    clock.advance(RETRY_EVERY)
    assert "Ivan was disconnected" in t.last(ALICE).body
    assert [(e.kind, e.text) for e in stored(store, 1)][-2:] == [
        ("state", "held"), ("notice", t.last(ALICE).body)]


def test_a_chat_begun_during_an_outage_is_offered_once_its_first_line_is_stored():
    core, clock, t, store = outageCore()
    online(core, IVAN)
    store.down = True
    fired = results(core.clientSaid("sales", BOB, "need help"))
    clock.advance(HOLD / 2)
    assert t.bodies(IVAN) == [] and core.invitations.count(IVAN) == 0
    assert core.chats[1].client_lines == []

    store.down = False
    clock.advance(RETRY_EVERY)
    assert fired == [None]
    assert "number 1 in the queue" in t.last(BOB).body
    assert "need help" in t.last(IVAN).body
    assert [i.chat_id for i in core.invitations.ofOperator(IVAN)] == [1]
    assert messages(store, 1) == ["need help"]
    assert record(store, 1).first_line == "need help"


def test_a_chat_begun_during_an_outage_ends_with_the_refusal_and_holds_no_operator():
    core, clock, t, store = outageCore()
    online(core, IVAN)
    store.down = True
    fired = results(core.clientSaid("sales", BOB, "need help"))
    clock.advance(HOLD + RETRY_EVERY)
    assert fired == [Refused(NOT_STORED, later=True)]
    assert core.chats == {} and core.queues["sales"] == []
    assert core.chats.idOfClient("sales", BOB) is None

    store.down = False
    clock.advance(RETRY_EVERY)
    assert t.bodies(IVAN) == [] and t.bodies(BOB) == []
    assert core.invitations.count(IVAN) == 0 and core.team.load(IVAN) == 0
    gone = record(store, 1)
    assert gone.state == CLOSED and gone.close_reason == "not_stored"  # the service ended it
    assert gone.first_line == "" and messages(store, 1) == []

    core.clientSaid("sales", BOB, "hello again")
    assert "hello again" in t.last(IVAN).body and "need help" not in t.last(IVAN).body
    assert core.chats.idOfClient("sales", BOB) == 2


def test_an_invitation_quotes_only_stored_lines():
    core, clock, t, store = outageCore()
    core.clientSaid("sales", ALICE, "first")  # stored; nobody online to offer it to
    store.down = True
    results(core.clientSaid("sales", ALICE, "second"))
    online(core, IVAN)  # offered now; the invitation waits for the store too
    clock.advance(HOLD + RETRY_EVERY)  # "second" is refused
    store.down = False
    clock.advance(RETRY_EVERY)
    invitation = t.last(IVAN).body
    assert "first" in invitation and "second" not in invitation
    assert messages(store, 1) == ["first"]


def test_a_line_stored_after_the_chat_was_accepted_reaches_the_operator():
    core, clock, t, store = outageCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "first")
    store.down = True
    core.clientSaid("sales", ALICE, "second")
    core.operatorSaid("sales", 1, IVAN, "!accept")
    store.down = False
    clock.advance(RETRY_EVERY)
    assert "second" in t.bodies(IVAN)


def test_a_commit_whose_answer_was_lost_is_stored_and_relayed_once():
    core, clock, t, store = activeOutageCore()
    store.lose_answers = True
    fired = results(core.clientSaid("sales", ALICE, "once"))
    assert fired == [] and messages(store, 1) == ["hi", "hello", "once"]
    store.lose_answers = False
    clock.advance(RETRY_EVERY)
    assert fired == [None]
    assert relayed(t) == [(IVAN, "once")]
    assert messages(store, 1) == ["hi", "hello", "once"]


def test_a_write_that_fails_for_good_is_refused_at_once_and_not_retried():
    core, clock, t, store = activeOutageCore()
    store.broken = {"bad"}
    fired = results(core.clientSaid("sales", ALICE, "bad"))
    assert len(fired) == 1 and isinstance(fired[0], Refused) and not fired[0].later
    assert "error in the service" in fired[0].text
    attempts = store.attempts
    clock.advance(HOLD)
    assert store.attempts == attempts and core.journal.up()
    assert relayed(t) == [] and core.metrics.writeErrors == 1


def test_the_probe_sees_an_idle_store_go_down_and_come_back():
    core, clock, _t, store = activeOutageCore()
    core.journal.startProbing()
    clock.advance(PROBE_EVERY)
    assert core.journal.up()
    store.down = True
    clock.advance(PROBE_EVERY)
    assert not core.journal.up()
    assert has(scrape(core), "imsupport_store_up", 0)
    clock.advance(RETRY_EVERY)
    assert not core.journal.up()
    store.down = False
    clock.advance(RETRY_EVERY)
    assert core.journal.up()
    assert has(scrape(core), "imsupport_store_up", 1)
    core.journal.stop()
    attempts = store.attempts
    clock.advance(10 * PROBE_EVERY)
    assert store.attempts == attempts, "no probe after stop()"


def test_a_write_the_store_never_answers_counts_as_down_until_it_does():
    core, clock, t, store = activeOutageCore()
    store.hang = True
    fired = results(core.clientSaid("sales", ALICE, "slow"))
    clock.advance(STALLED_AFTER + 1)
    assert not core.journal.up() and fired == []
    store.release()
    assert core.journal.up() and fired == [None] and relayed(t) == [(IVAN, "slow")]


def test_held_and_refused_writes_in_metrics():
    core, clock, _t, store = activeOutageCore()
    store.down = True
    core.clientSaid("sales", ALICE, "x")
    core.clientSaid("sales", ALICE, "y")
    clock.advance(HOLD + RETRY_EVERY)
    core.operatorPresence(IVAN, "laptop", False)
    text = scrape(core)
    for sample, value in (("imsupport_store_up", 0), ("imsupport_store_held_writes", 2),
                          ("imsupport_store_held_writes_total", 4),
                          ("imsupport_store_refused_messages_total", 2)):
        assert has(text, sample, value), sample


def test_stopping_refuses_the_messages_still_held():
    core, clock, _t, store = activeOutageCore()
    store.down = True
    fired = results(core.clientSaid("sales", ALICE, "at the last moment"))
    core.journal.stop()
    assert fired == [Refused(NOT_STORED, later=True)]
    attempts = store.attempts
    clock.advance(10 * RETRY_EVERY)
    assert store.attempts == attempts, "no retries after stop()"


def test_a_client_command_is_refused_like_a_message():
    core, clock, _t, store = activeOutageCore()
    store.down = True
    fired = results(core.clientSaid("sales", ALICE, "!end"))
    clock.advance(HOLD + RETRY_EVERY)
    assert fired == [Refused(NOT_STORED, later=True)]
    assert 1 in core.chats, "the chat did not end: the client was told to try again"


# -- the [storage] keys -----------------------------------------------------------------

def storageConfig(lines: str) -> StorageConfig:
    return parseConfig('[service]\ndomain = "support.shop.test"\n[xmpp]\nsecret = "s"\n'
                       f'[storage]\nurl = "memory:"\n{lines}\n').storage


def test_storage_hold_keys_have_defaults_and_are_read():
    assert storageConfig("") == StorageConfig(url="memory:", hold_timeout=30.0,
                                              max_held_writes=10_000)
    read = storageConfig("hold_timeout = 4.5\nmax_held_writes = 50")
    assert (read.hold_timeout, read.max_held_writes) == (4.5, 50)


@pytest.mark.parametrize("line, message", [
    ("hold_timeout = 0", "storage.hold_timeout must be a positive number, got 0"),
    ("hold_timeout = \"30\"", "storage.hold_timeout must be a positive number"),
    ("max_held_writes = 0", "storage.max_held_writes must be a positive integer, got 0"),
    ("max_held_writes = 1.5", "storage.max_held_writes must be a positive integer"),
])
def test_bad_storage_hold_keys_are_named(line: str, message: str):
    with pytest.raises(ConfigError, match=re.escape(message)):
        storageConfig(line)


def scrape(core) -> str:
    """/metrics as the web side renders it for ``core``."""
    registry = metrics.metricsRegistry(metrics.ServiceCollector(lambda: core, lambda: True,
                                                                lambda: True))
    return metrics.render(registry).decode()

