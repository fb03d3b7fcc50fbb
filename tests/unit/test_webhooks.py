"""Webhook delivery (SPEC 15) on task.Clock, with StubTreq and a receiver
resource that answers as each test tells it."""
from __future__ import annotations

import json
import time
from typing import Any

from standardwebhooks import Webhook as Verifier
from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from imsupport.core.events import DeliveryState, Events, HookEvent, Webhook
from imsupport.hooks.deliverer import Deliverer, nextState
from imsupport.store.memory import MemoryStore

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
URL = "https://crm.example.org/hooks"


class Receiver(Resource):
    """Answers each POST with the next of ``statuses`` (None: never; 200
    once they run out) and keeps what it got."""

    isLeaf = True

    def __init__(self, statuses: list[int | None] | None = None) -> None:
        super().__init__()
        self.statuses = list(statuses or [])
        self.got: list[tuple[dict[str, str], bytes]] = []

    def render_POST(self, request: Request) -> Any:
        headers = {k.decode().lower(): v[0].decode()
                   for k, v in request.requestHeaders.getAllRawHeaders()}
        self.got.append((headers, request.content.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        if status is None:
            return NOT_DONE_YET
        request.setResponseCode(status)
        return b"thanks"

    def ids(self) -> list[str]:
        return [h["webhook-id"] for h, _ in self.got]

    def types(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in self.got]


def event(n: int, type: str = "chat.queued") -> HookEvent:
    return HookEvent(f"evt_c{n}s1", type, 1_800_000_000.0 + n, {"chat_id": n})


class Setup:
    def __init__(self, statuses: list[int | None] | None = None,
                 patterns: tuple[str, ...] = ("chat.*",), store: MemoryStore | None = None,
                 clock: Clock | None = None, **options: Any) -> None:
        self.store = store or MemoryStore()
        if clock is None:
            clock = Clock()
            clock.advance(time.time())  # the verifier checks timestamps against now
        self.clock = clock
        self.receiver = Receiver(statuses)
        self.http = StubTreq(self.receiver)
        self.store.putWebhook(Webhook("crm", URL, SECRET, patterns))
        self.deliverer = Deliverer(self.store, self.http, self.clock, **options)

    def add(self, *events: HookEvent) -> None:
        self.store.addEvents(list(events))

    def run(self, seconds: float = 0.0) -> None:
        self.http.flush()
        if seconds:
            self.clock.advance(seconds)
            self.http.flush()

    def state(self) -> DeliveryState:
        found: list[DeliveryState] = []
        self.store.deliveryState("crm").addCallback(found.append)
        return found[0]

    def log(self) -> list[tuple[int, int | None, str]]:
        found: list[Any] = []
        self.store.deliveries("crm").addCallback(found.extend)
        return [(d.attempt, d.status, d.error) for d in reversed(found)]


def test_a_delivery_is_signed_the_standard_webhooks_way() -> None:
    s = Setup()
    s.add(event(1))
    s.deliverer.start()
    s.run()
    [(headers, body)] = s.receiver.got
    assert Verifier(SECRET).verify(body, headers) == {
        "type": "chat.queued", "timestamp": "2027-01-15T08:00:01+00:00",
        "data": {"chat_id": 1}}
    assert headers["webhook-id"] == "evt_c1s1"
    assert headers["webhook-timestamp"] == str(int(s.clock.seconds()))
    assert headers["content-type"] == "application/json"
    assert s.log() == [(1, 200, "")]
    assert s.state() == DeliveryState(cursor=1)


def test_failing_twice_then_accepting_keeps_the_webhook_id() -> None:
    s = Setup([500, 503])
    s.add(event(1), event(2))
    s.deliverer.start()
    s.run()
    s.run(4.9)
    assert s.receiver.ids() == ["evt_c1s1"], "the first retry waits 5 s"
    s.run(0.1)
    assert s.receiver.ids() == ["evt_c1s1"] * 2
    s.run(299)
    assert len(s.receiver.got) == 2
    s.run(1)
    assert s.receiver.ids() == ["evt_c1s1"] * 3 + ["evt_c2s1"], "in outbox order"
    for headers, body in s.receiver.got[:2]:  # the later ones are too far in the future
        Verifier(SECRET).verify(body, headers)
    assert s.log() == [(1, 500, ""), (2, 503, ""), (3, 200, ""), (1, 200, "")]


def test_the_retry_schedule_then_giving_up() -> None:
    s = Setup([500] * 4, retry_delays=(1, 2, 4))
    s.add(event(1), event(2))
    start = s.clock.seconds()
    s.deliverer.start()
    s.run()
    times = [s.clock.seconds()]
    for _ in range(20):
        before = len(s.receiver.got)
        s.run(0.5)
        if len(s.receiver.got) > before:
            times.append(s.clock.seconds())
    assert [t - start for t in times] == [0, 1, 3, 7]  # at 7: the last try, then event 2
    assert s.receiver.ids() == ["evt_c1s1"] * 4 + ["evt_c2s1"]
    assert s.log() == [(1, 500, ""), (2, 500, ""), (3, 500, ""), (4, 500, ""), (1, 200, "")]
    assert s.state().cursor == 2


def test_no_answer_within_10_s_is_retried() -> None:
    s = Setup([None])
    s.add(event(1))
    s.deliverer.start()
    s.run()
    s.run(9.9)
    assert s.log() == []
    s.run(0.1)
    assert s.log() == [(1, None, "no answer within 10 s")]
    s.run(5)
    assert s.log()[-1] == (2, 200, "") and s.receiver.ids() == ["evt_c1s1"] * 2


def test_3xx_4xx_5xx_are_failures_any_2xx_success() -> None:
    s = Setup([302, 404, 502, 299], retry_delays=(1, 1, 1, 1))
    s.add(event(1), event(2))
    s.deliverer.start()
    for _ in range(5):
        s.run(1)
    assert [status for _, status, _ in s.log()] == [302, 404, 502, 299, 200]
    assert s.state().cursor == 2


def test_a_restart_resumes_where_the_store_says() -> None:
    store, clock = MemoryStore(), Clock()
    clock.advance(time.time())
    first = Setup([500], store=store, clock=clock)
    first.add(event(1), event(2))
    first.deliverer.start()
    first.run()
    first.deliverer.stop()
    assert first.state().attempts == 1
    second = Setup(store=store, clock=clock)
    second.deliverer.start()
    second.run(4)
    assert second.receiver.got == [], "the retry is still not due"
    second.run(1)
    assert second.receiver.ids() == ["evt_c1s1", "evt_c2s1"]
    assert second.state() == DeliveryState(cursor=2)


def test_redelivery_of_one_event() -> None:
    s = Setup()
    s.add(event(1), event(2))
    s.deliverer.start()
    s.run()
    s.store.redeliver("crm", "evt_c1s1")
    s.deliverer.wake()
    s.run()
    assert s.receiver.ids() == ["evt_c1s1", "evt_c2s1", "evt_c1s1"]
    assert s.state() == DeliveryState(cursor=2)


def test_only_the_wanted_types_in_order() -> None:
    s = Setup(patterns=("chat.*", "file.stored"))
    s.add(event(1), event(2, "operator.state"), event(3, "file.stored"),
          event(4, "chat.closed"))
    s.deliverer.start()
    s.run()
    assert s.receiver.types() == ["chat.queued", "file.stored", "chat.closed"]
    assert s.state().cursor == 4


def test_the_bus_wakes_it_without_waiting_for_the_poll() -> None:
    s = Setup(poll_every=60)
    bus = Events(s.store)
    bus.listeners.append(s.deliverer.wake)
    s.deliverer.start()
    s.run()
    bus.emit([event(1)])
    s.run()
    assert s.receiver.ids() == ["evt_c1s1"]


def test_next_state() -> None:
    state = DeliveryState(cursor=3, attempts=1, next_at=5.0)
    assert nextState(state, 2, True, 9, (5, 300), 100.0) == (9, 0, 0.0, False)
    assert nextState(state, 2, False, 9, (5, 300), 100.0) == (3, 2, 400.0, False)
    assert nextState(state, 3, False, 9, (5, 300), 100.0) == (9, 0, 0.0, True)


def seeded(store: MemoryStore, hooks: list[Webhook], mode: str) -> list[str]:
    from twisted.internet.defer import Deferred

    from imsupport.hooks.seeding import seedWebhooks
    result: list[Webhook] = []
    Deferred.fromCoroutine(seedWebhooks(store, hooks, mode)).addCallback(result.extend)
    found: list[Webhook] = []
    store.webhooks().addCallback(found.extend)
    assert [h.id for h in result] == [h.id for h in found]
    return [h.id for h in found]


def test_the_files_webhooks_are_seeded_like_the_directory() -> None:
    store = MemoryStore()
    crm, erp = Webhook("crm", URL, SECRET), Webhook("erp", URL, SECRET)
    assert seeded(store, [crm], "missing") == ["crm"]
    assert seeded(store, [erp], "missing") == ["crm"], "the store has some: kept"
    assert seeded(store, [erp], "never") == ["crm"]
    assert seeded(store, [erp], "replace") == ["erp"]


class CountingStore(MemoryStore):
    """Counts the deliverer's reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = {"deliveryState": 0, "eventsAfter": 0}

    def deliveryState(self, webhook_id):  # type: ignore[no-untyped-def]
        self.reads["deliveryState"] += 1
        return super().deliveryState(webhook_id)

    def eventsAfter(self, seq, limit):  # type: ignore[no-untyped-def]
        self.reads["eventsAfter"] += 1
        return super().eventsAfter(seq, limit)


def test_a_lane_reads_its_state_once_and_the_outbox_by_batches() -> None:
    """250 events, some not wanted, one failing once: the lane keeps the
    state it recorded and the rows it read, so the store is read a handful
    of times, not three times per event; every wanted event arrives once
    (the failed one twice), in order."""
    store = CountingStore()
    s = Setup(statuses=[200] * 10 + [500], store=store)
    s.add(*[event(n, "operator.state" if n % 10 == 0 else "chat.queued")
            for n in range(1, 251)])
    s.deliverer.start()
    s.run()
    s.run(5)
    wanted = [f"evt_c{n}s1" for n in range(1, 251) if n % 10]
    got = s.receiver.ids()
    assert got[:11] == wanted[:11] and got[11] == wanted[10], "the failed one again"
    assert got[12:] == wanted[11:]
    assert s.state() == DeliveryState(cursor=249)
    assert store.reads["deliveryState"] <= 4, "at the start and at each poll (5 s), not per event"
    assert store.reads["eventsAfter"] <= 6
