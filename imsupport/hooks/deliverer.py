"""
Webhook delivery (SPEC 15): each webhook's lane POSTs the outbox's events it
wants, one at a time and in outbox order, and retries a failed one after
each of ``retry_delays`` before giving it up.

It runs beside the chat path, never on it: the journal only writes the
outbox (in the chat write's transaction); the lanes are woken by the Events
bus and by a poll timer, and read the outbox themselves.

At-least-once, across a kill -9: a lane's position (the outbox seq done up
to, the attempts and next attempt time of the event in delivery) is in the
store, and it moves only in the transaction that logs an attempt's outcome.
An attempt whose outcome was not recorded is made again, with the same
``webhook-id``, so receivers can drop duplicates.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.error import TimeoutError
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from imsupport.core.events import Delivery, DeliveryState, HookEvent, Webhook
from imsupport.hooks import signing
from imsupport.store.interfaces import IStore

log = Logger()

RETRY_DELAYS: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000)  # SPEC 15 default
TIMEOUT = 10.0  # seconds for an answer
POLL_EVERY = 5.0  # seconds between looks at the outbox and the webhooks
BATCH = 100  # outbox events read at a time


def succeeded(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def nextState(state: DeliveryState, attempt: int, ok: bool, seq: int,
              delays: Sequence[float], now: float) -> tuple[int, int, float, bool]:
    """After attempt number ``attempt`` of the outbox event at ``seq``:
    (cursor, attempts, next_at, given_up)."""
    if ok:
        return seq, 0, 0.0, False
    if attempt <= len(delays):
        return state.cursor, attempt, now + delays[attempt - 1], False
    return seq, 0, 0.0, True


class Deliverer:
    """``http`` is treq-like: ``post(url, data=, headers=)`` and
    ``content(response)`` (the ``treq`` module, or treq.testing.StubTreq)."""

    def __init__(self, store: IStore, http: Any, clock: IReactorTime,
                 retry_delays: Sequence[float] = RETRY_DELAYS, timeout: float = TIMEOUT,
                 poll_every: float = POLL_EVERY) -> None:
        self.store = store
        self.http = http
        self.clock = clock
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.lanes: dict[str, _Lane] = {}
        self._poll = LoopingCall(self.refresh)
        self._poll.clock = clock
        self._poll_every = poll_every

    def start(self) -> None:
        self._poll.start(self._poll_every, now=True).addErrback(
            lambda f: log.failure("The webhook poll stopped", f))

    def stop(self) -> None:
        if self._poll.running:
            self._poll.stop()
        for lane in self.lanes.values():
            lane.stop()
        self.lanes.clear()

    def wake(self, event: HookEvent | None = None) -> None:
        """An Events bus listener: ``event`` is new in the outbox. With no
        event: look again at everything stored (a redelivery asked for)."""
        for lane in self.lanes.values():
            if event is None or lane.hook.wants(event.type):
                lane.wake(reload=event is None)

    def refresh(self) -> Deferred[None]:
        """Follow the stored webhooks (added, changed, deleted), then wake
        every lane: what was missed (a redelivery asked for) is found."""
        def follow(hooks: list[Webhook]) -> None:
            wanted = {h.id: h for h in hooks}
            for id in [id for id in self.lanes if id not in wanted]:
                self.lanes.pop(id).stop()
            for id, hook in wanted.items():
                lane = self.lanes.get(id)
                if lane is None:
                    self.lanes[id] = lane = _Lane(self, hook)
                    lane.start()
                lane.hook = hook
                lane.wake(reload=True)

        def failed(reason: Any) -> None:
            log.failure("Could not read the webhooks", reason)

        return self.store.webhooks().addCallbacks(follow, failed)


async def _nothing() -> None:
    return None


class _Lane:
    """One webhook's deliveries, one at a time. It keeps the delivery state
    it last recorded and the outbox rows it last read, so an event costs one
    store write (its outcome) and a read per BATCH rows, not three
    transactions; what others change in the store (a redelivery asked for, a
    webhook edited) reaches it by ``wake(reload=True)``."""

    def __init__(self, deliverer: Deliverer, hook: Webhook) -> None:
        self.deliverer = deliverer
        self.hook = hook
        self.stopped = False
        self._skipped = 0  # outbox seq read past (events this webhook does not want)
        self._waiter: Deferred[None] | None = None
        self._woken = False  # woken while busy: look again before sleeping
        self._timer: IDelayedCall | None = None
        # event id -> (attempts made, next attempt time); not stored
        self._redeliveries: dict[str, tuple[int, float]] = {}
        self._state: DeliveryState | None = None  # as last read or recorded; None: read it
        self._buffer: deque[tuple[int, HookEvent]] = deque()  # outbox rows read, not yet past

    def start(self) -> None:
        Deferred.fromCoroutine(self._run()).addErrback(
            lambda f: log.failure("Webhook {id}'s deliveries stopped", f, id=self.hook.id))

    def stop(self) -> None:
        self.stopped = True
        self.wake()

    def wake(self, reload: bool = False) -> None:
        """Look again; ``reload``: read the delivery state from the store
        first (another part changed it)."""
        if reload:
            self._state = None
        waiter, self._waiter = self._waiter, None
        self._woken = waiter is None
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        if waiter is not None:
            waiter.callback(None)

    def _sleep(self, seconds: float | None) -> Deferred[None]:
        """Until woken, or ``seconds`` pass."""
        if self._woken:
            self._woken = False
            return Deferred.fromCoroutine(_nothing())
        self._waiter = d = Deferred[None]()
        if seconds is not None:
            self._timer = self.deliverer.clock.callLater(seconds, self.wake)
        return d

    async def _run(self) -> None:
        store, clock = self.deliverer.store, self.deliverer.clock
        while not self.stopped:
            try:
                state = self._state
                if state is None:
                    self._state = state = await store.deliveryState(self.hook.id)
                if state.redeliver:
                    self._state = None  # it changes what is stored: read it again after
                    await self._redeliver(state, state.redeliver[0])
                    continue
                found = await self._nextEvent(state)
                if found is None:
                    await self._sleep(None)
                    continue
                wait = state.next_at - clock.seconds()
                if wait > 0:
                    await self._sleep(wait)
                    continue
                await self._deliver(state, *found)
            except Exception:  # noqa: BLE001 - the store is down, say: look again later
                log.failure("Webhook {id}: delivery failed; trying again", id=self.hook.id)
                self._state = None
                self._buffer.clear()
                await self._sleep(self.deliverer._poll_every)

    async def _nextEvent(self, state: DeliveryState) -> tuple[int, HookEvent] | None:
        """The first event after the cursor this webhook wants, from the rows
        read before or, when they are used up, from the outbox."""
        exhausted = False  # the last read came back short: nothing more is stored yet
        while True:
            while self._buffer:
                seq, event = self._buffer[0]
                if seq > state.cursor and self.hook.wants(event.type):
                    return seq, event
                self._skipped = max(self._skipped, seq)
                self._buffer.popleft()
            if exhausted:
                return None
            events = await self.deliverer.store.eventsAfter(
                max(state.cursor, self._skipped), BATCH)
            self._buffer.extend(events)
            exhausted = len(events) < BATCH

    async def _deliver(self, state: DeliveryState, seq: int, event: HookEvent) -> None:
        attempt = state.attempts + 1
        delivery = await self._post(event, attempt)
        ok = succeeded(delivery.status)
        cursor, attempts, next_at, gaveUp = nextState(
            state, attempt, ok, seq, self.deliverer.retry_delays, self.deliverer.clock.seconds())
        await self.deliverer.store.recordDelivery(delivery, cursor, attempts, next_at)
        if self._state is state:  # nobody asked to read it again meanwhile
            self._state = DeliveryState(cursor, attempts, next_at, state.redeliver)
        if gaveUp:
            log.error("Webhook {id}: event {event} given up after {n} attempts",
                      id=self.hook.id, event=event.id, n=attempt)

    async def _redeliver(self, state: DeliveryState, event_id: str) -> None:
        """A redelivery asked for: the same retries, counted in memory (after
        a restart it starts again from the first)."""
        store = self.deliverer.store
        made, due = self._redeliveries.get(event_id, (0, 0.0))
        wait = due - self.deliverer.clock.seconds()
        if wait > 0:
            await self._sleep(wait)
            return
        event = await store.outboxEvent(event_id)
        if event is None:
            delivery = Delivery(self.hook.id, event_id, made + 1, self.deliverer.clock.seconds(),
                                None, "no such event")
            await store.recordDelivery(delivery, state.cursor, state.attempts, state.next_at,
                                       redelivered=True)
            return
        delivery = await self._post(event, made + 1)
        done = succeeded(delivery.status) or made + 1 > len(self.deliverer.retry_delays)
        await store.recordDelivery(delivery, state.cursor, state.attempts, state.next_at,
                                   redelivered=done)
        if done:
            self._redeliveries.pop(event_id, None)
        else:
            self._redeliveries[event_id] = (
                made + 1, self.deliverer.clock.seconds() + self.deliverer.retry_delays[made])

    async def _post(self, event: HookEvent, attempt: int) -> Delivery:
        deliverer = self.deliverer
        clock, http = deliverer.clock, deliverer.http
        started = clock.seconds()
        text = signing.body(event)
        headers = signing.headers(self.hook.secret, event, text, started)
        status: int | None = None
        error = ""
        timedOut: list[bool] = []

        def late(result: object, timeout: float) -> object:
            timedOut.append(True)
            raise TimeoutError(timeout)

        try:
            # a redirect is an answer that is not 2xx, not a place to post to
            d = http.post(self.hook.url, data=text.encode("utf-8"), headers=headers,
                          allow_redirects=False)
            d.addTimeout(deliverer.timeout, clock, onTimeoutCancel=late)
            response = await d
            status = int(response.code)
            read = http.content(response)
            read.addTimeout(deliverer.timeout, clock)
            await read
        except Exception as e:  # noqa: BLE001 - any failure to deliver is an outcome
            if status is None:
                error = (f"no answer within {deliverer.timeout:g} s" if timedOut
                         else f"{type(e).__name__}: {e}")
        return Delivery(self.hook.id, event.id, attempt, started, status, error,
                        round(clock.seconds() - started, 3))
