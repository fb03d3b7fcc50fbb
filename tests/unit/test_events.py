"""Events for integrators (SPEC 15): the mapping from stored chat events,
the outbox written with them, the bus, operator.state, handler plugins."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from twisted.internet.defer import fail
from twisted.internet.task import Clock

from imsupport.core.events import (
    RATING,
    Events,
    HookEvent,
    chatEventId,
    fromChatEvent,
    loadEventHandlers,
)
from imsupport.core.model import FILE, MESSAGE, STATE, ChatEvent, ChatRecord
from imsupport.core.operatorstates import stateChanges
from imsupport.plugins.eventlog import EventLog
from imsupport.store.interfaces import StoreError
from imsupport.store.memory import MemoryStore
from tests.unit.fakes import ALICE, IVAN, OLGA, START, activeChat, makeCore, online

CHAT = ChatRecord(id=7, node="sales", client=ALICE, languages=("en", "ru"),
                  operators=(IVAN,), created_at=1000.0)


def ev(kind: str, text: str = "", author: str = "system", seq: int = 3, at: float = 1042.5,
       **data: object) -> ChatEvent:
    return ChatEvent(chat_id=7, seq=seq, at=at, kind=kind, author=author, text=text,
                     data=dict(data))


@pytest.mark.parametrize(("event", "type_", "data"), [
    (ev(STATE, "queued"), "chat.queued",
     {"node": "sales", "client": ALICE, "languages": ["en", "ru"]}),
    (ev(STATE, "offered", operator=IVAN, wave=2), "chat.offered",
     {"node": "sales", "operator": IVAN, "wave": 2}),
    (ev(STATE, "active", IVAN), "chat.accepted",
     {"node": "sales", "client": ALICE, "operator": IVAN, "waited_s": 42.5}),
    (ev(STATE, "joined", OLGA, by=IVAN), "chat.joined", {"operator": OLGA, "by": IVAN}),
    (ev(STATE, "invited", operator=OLGA, by=IVAN, transfer="redirect"), "chat.offered",
     {"node": "sales", "operator": OLGA, "wave": None, "by": IVAN, "transfer": "redirect"}),
    (ev(STATE, "redirect", IVAN, target="sales/experts"), "chat.redirected",
     {"from_operator": IVAN, "target": "sales/experts"}),
    (ev(STATE, "closed", IVAN, reason="operator", operators=[IVAN, OLGA]), "chat.closed",
     {"node": "sales", "client": ALICE, "operators": [IVAN, OLGA], "reason": "operator",
      "duration_s": 42.5}),
    (ev(STATE, "abandoned", reason="client_left"), "chat.abandoned",
     {"node": "sales", "client": ALICE, "waited_s": 42.5}),
    (ev(RATING, "", "client", rating=5, comment="quick"), "chat.rated",
     {"rating": 5, "comment": "quick"}),
    (ev(FILE, "scan.pdf", ALICE, file_id="ab12cd34", url="https://x/f/t/scan.pdf", size=9,
        content_type="application/pdf"), "file.stored",
     {"file_id": "ab12cd34", "name": "scan.pdf", "size": 9,
      "content_type": "application/pdf"}),
])
def test_each_chat_event_maps_to_its_spec_type(event: ChatEvent, type_: str,
                                               data: dict[str, object]) -> None:
    assert fromChatEvent(CHAT, event) == HookEvent(id="evt_c7s3", type=type_, at=1042.5,
                                                   data={"chat_id": 7, **data})


def test_other_events_report_nothing() -> None:
    assert fromChatEvent(CHAT, ev(MESSAGE, "hi", "client")) is None
    assert fromChatEvent(CHAT, ev(STATE, "left", IVAN)) is None
    assert fromChatEvent(CHAT, ev(STATE, "queued", reason="operator_gone")) is None
    assert fromChatEvent(CHAT, ev(RATING, "", IVAN, rating=1)) is None


def test_ids_are_stable_per_chat_event() -> None:
    assert chatEventId(7, 3) == fromChatEvent(CHAT, ev(STATE, "queued")).id  # type: ignore[union-attr]
    assert chatEventId(7, 3) != chatEventId(73, 0) != chatEventId(7, 30)


def outbox(store: MemoryStore) -> list[HookEvent]:
    found: list[tuple[int, HookEvent]] = []
    store.eventsAfter(0, 1000).addCallback(found.extend)
    return [e for _, e in found]


def test_a_chat_fills_the_outbox_with_its_chat_events() -> None:
    core, clock, t, store = activeChat()
    heard: list[HookEvent] = []
    core.events.listeners.append(heard.append)
    clock.advance(30)
    core.operatorSaid("sales", 1, IVAN, "!close")
    chat = [e for e in outbox(store) if e.type.startswith("chat.")]
    assert [e.type for e in chat] == ["chat.queued", "chat.offered", "chat.accepted",
                                      "chat.closed"]
    queued, offered, accepted, closed = chat
    assert queued.data == {"chat_id": 1, "node": "sales", "client": ALICE,
                           "languages": ["en", "ru"]}
    assert offered.data == {"chat_id": 1, "node": "sales", "operator": IVAN, "wave": 1}
    assert accepted.data["operator"] == IVAN and accepted.data["waited_s"] == 0
    assert closed.data["operators"] == [IVAN] and closed.data["duration_s"] == 30
    assert closed.data["reason"]
    assert [e.id for e in chat] == [f"evt_c1s{ev.seq}" for ev in _states(store)]
    assert [e for e in heard if e.type.startswith("chat.")] == [closed], \
        "the bus hears each stored event once, after it is stored"
    assert [e.data["state"] for e in heard if e.type == "operator.state"] == ["free"]


def _states(store: MemoryStore) -> list[ChatEvent]:
    found: list[ChatEvent] = []
    store.chatEvents(1).addCallback(found.extend)
    return [e for e in found if e.kind == STATE and e.text in ("queued", "offered", "active",
                                                               "closed")]


def test_invite_join_names_who_asked() -> None:
    core, clock, t, store = activeChat()
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    core.operatorSaid("sales", 1, OLGA, "joining")
    joined = [e for e in outbox(store) if e.type == "chat.joined"]
    assert [e.data for e in joined] == [{"chat_id": 1, "operator": OLGA, "by": IVAN}]
    # the invitation itself is an offer too (SPEC 15), with no wave: not routing's
    offers = [e.data for e in outbox(store) if e.type == "chat.offered"]
    assert offers[-1] == {"chat_id": 1, "node": "sales", "operator": OLGA, "wave": None,
                          "by": IVAN, "transfer": "invite"}
    assert [o["operator"] for o in offers] == [IVAN, OLGA]
    assert core.chats.get(1).record.state == "active", "an invitation changes no state"


def test_a_failing_listener_does_not_break_the_chat_path() -> None:
    core, clock, t, store = makeCore()
    heard: list[str] = []

    def broken(event: HookEvent) -> None:
        raise RuntimeError("the plugin is broken")

    core.events.listeners[:0] = [broken]
    core.events.listeners.append(lambda e: heard.append(e.type))
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    assert t.bodies(ALICE)[-1] == "hello"
    assert "chat.accepted" in heard


def test_a_refused_write_reports_nothing() -> None:
    class Refusing(MemoryStore):
        def appendEvents(self, events, hooks=()):  # type: ignore[no-untyped-def]
            if any(e.text == "active" for e in events):
                return fail(StoreError("IntegrityError: refused"))
            return super().appendEvents(events, hooks)

    store = Refusing()
    core, clock, t, _ = makeCore(store=store)
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    heard: list[str] = []
    core.events.listeners.append(lambda e: heard.append(e.type))
    core.operatorSaid("sales", 1, IVAN, "hello")
    types = [e.type for e in outbox(store)]
    assert "chat.queued" in types and "chat.accepted" not in types
    assert "chat.accepted" not in heard


def test_operator_state_changes() -> None:
    assert stateChanges("offline", "free") == ["online", "free"]
    assert stateChanges("free", "busy") == ["busy"]
    assert stateChanges("afk", "offline") == ["offline"]
    assert stateChanges("busy", "busy") == []


def test_operator_state_events_follow_presence_and_load() -> None:
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    online(core, IVAN, show="away")
    core.operatorPresence(IVAN, "laptop", False)
    states = [e for e in outbox(store) if e.type == "operator.state"]
    assert [e.data["state"] for e in states] == ["online", "free", "busy", "offline"]
    assert states[0].data == {"operator": IVAN, "state": "online", "nodes": ["sales"]}
    assert states[0].at == START
    assert len({e.id for e in states}) == 4


def test_emit_stores_then_tells() -> None:
    store = MemoryStore()
    bus = Events(store)
    heard: list[HookEvent] = []
    bus.listeners.append(heard.append)
    event = HookEvent("evt_x", "operator.state", 1.0, {"operator": IVAN})
    bus.emit([event])
    assert heard == [event] and outbox(store) == [event]


def test_the_example_plugin_writes_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    handlers = loadEventHandlers({"eventlog": {"path": str(path)}})
    assert [h.name for h in handlers] == ["eventlog"]
    assert loadEventHandlers({}) == []
    event = HookEvent("evt_c1s1", "chat.queued", 1_800_000_000.0, {"chat_id": 1})
    handlers[0].eventStored(event)
    handlers[0].eventStored(event)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"id": "evt_c1s1", "type": "chat.queued",
                      "timestamp": "2027-01-15T08:00:00+00:00", "data": {"chat_id": 1}}] * 2
    with pytest.raises(ValueError, match="plugins.eventlog: unknown key paht"):
        loadEventHandlers({"eventlog": {"paht": "x"}})
    assert EventLog().configure({}) is False


class DownStore(MemoryStore):
    """addEvents fails while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.tries = 0

    def addEvents(self, events):  # type: ignore[no-untyped-def]
        self.tries += 1
        if self.down:
            return fail(StoreError("the disk is full"))
        return super().addEvents(events)


def test_events_are_held_while_the_store_is_down_then_stored_in_order() -> None:
    store, clock = DownStore(), Clock()
    bus = Events(store, clock, retry_every=5.0)
    heard: list[HookEvent] = []
    bus.listeners.append(heard.append)
    first = HookEvent("evt_1", "operator.state", 1.0, {"operator": IVAN, "state": "online"})
    second = HookEvent("evt_2", "operator.state", 2.0, {"operator": IVAN, "state": "afk"})
    bus.emit([first])
    bus.emit([second])
    assert bus.held == 2 and heard == [] and store.tries == 1, "one try, then a timer"
    clock.advance(5)
    assert store.tries == 2 and bus.held == 2
    store.down = False
    clock.advance(5)
    assert heard == [first, second] and outbox(store) == [first, second]
    assert bus.held == 0 and clock.getDelayedCalls() == []
    third = HookEvent("evt_3", "operator.state", 3.0, {"operator": IVAN, "state": "free"})
    bus.emit([third])
    assert heard[-1] == third, "stored at once again"


def test_past_max_held_the_oldest_events_are_dropped() -> None:
    store, clock = DownStore(), Clock()
    bus = Events(store, clock, max_held=3)
    made = [HookEvent(f"evt_{n}", "operator.state", float(n), {"operator": IVAN})
            for n in range(5)]
    for event in made:
        bus.emit([event])
    assert bus.held == 3
    store.down = False
    clock.advance(5)
    assert [e.id for e in outbox(store)] == ["evt_2", "evt_3", "evt_4"]
    bus.stop()
