"""
Persist-then-relay (R-CHAT-6): every message, notice, command and state change
is written to the store first, and only what was written is sent.

The journal keeps the writes in the order the core decided them, and runs
each write's effects (``then``) in that order, after the write and every
write before it are settled: chat by chat, nothing is relayed before what
came before it.

Store outages (R-RUN-3). A write that fails with StoreUnavailable (lost
connection, full disk...) is not reported: the journal holds it, and every
write after it, in order, and tries the oldest one again every RETRY_EVERY
seconds; when it lands, the held writes go to the store in order and their
effects follow. A person's message (a write with ``refuse``) waits at most
``hold_timeout`` seconds, and is not held at all while ``max_held`` writes
are already waiting: it is then dropped, never stored and never relayed, and
its Deferred fires with the Refused that ``refuse`` returns, so that the
adapter tells the sender. Notices and state changes have nobody to refuse to;
they wait as long as it takes. What is not stored is not delivered, and what
is not delivered is refused to its sender.

While nothing is being written, a probe writes to the store every
PROBE_EVERY seconds, so ``up()`` (and /healthz) shows a lost database or a
full disk within seconds even on a quiet day.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from twisted.internet.defer import Deferred, FirstError, gatherResults, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.core.chat import Chat
from imsupport.core.events import Events, HookEvent, fromChatEvents
from imsupport.core.model import ChatEvent
from imsupport.core.stats import Metrics
from imsupport.core.timers import Timers
from imsupport.store.interfaces import IStore, StoreUnavailable

log = Logger()

RETRY_EVERY = 0.5  # seconds between tries of the oldest held write
PROBE_EVERY = 1.0  # seconds between write probes while nothing is written
STALLED_AFTER = 5.0  # a write unanswered this long counts the store as down

PENDING, HELD, STORED = "pending", "held", "stored"


@dataclass(frozen=True)
class Refused:
    """What ``clientSaid`` and ``operatorSaid`` fire with when the sender's
    message could not be stored and so went to nobody: the adapter answers
    the sender's stanza with ``text``. ``later``: the store was unavailable
    and sending again later may work; otherwise the write itself failed."""

    text: str
    later: bool = True


@dataclass(eq=False, slots=True)
class _Write:
    chat: Chat
    events: list[ChatEvent]
    save: bool
    then: Callable[[], object] | None
    refuse: Callable[[bool], Any] | None
    at: float  # when the core decided it
    hooks: list[HookEvent] = field(default_factory=list)  # SPEC 15 events they report
    d: Deferred[Any] = field(default_factory=Deferred)
    state: str = PENDING
    sent_at: float = 0.0
    held: bool = False  # had to wait for the store at least once


class Journal:
    def __init__(self, store: IStore, clock: IReactorTime, metrics: Metrics,
                 hold_timeout: float = 30.0, max_held: int = 10_000,
                 events: Events | None = None) -> None:
        self.store = store
        # The bus told of the SPEC 15 events each write reports, once stored
        # (they go to the store's outbox in the write's own transaction).
        self.events = events
        self.clock = clock
        self.metrics = metrics
        # Told about a chat each time one of its writes has landed, before
        # that write's own effects run: parts that publish a chat's state
        # (its address's presence) follow what is stored.
        self.listeners: list[Callable[[Chat], None]] = []
        # Told of each write's chat events once they are stored, in the order
        # they were decided and before the write's own effects run: the web
        # chat's live streams are a chat's stored events (imsupport/web/chat).
        self.eventListeners: list[Callable[[Chat, list[ChatEvent]], None]] = []
        self.hold_timeout = hold_timeout
        self.max_held = max_held
        self.available = True  # the last write (or probe) landed
        self._writes: deque[_Write] = deque()  # decided, effects not run yet
        self._held = 0
        self._flushing = False
        self._retrying = False  # a retry (or probe) is with the store
        self._timers = Timers(clock)  # "retry", "probe"
        self._probeSent: float | None = None
        self._downSince = 0.0
        self._stopped = False

    def event(self, chat: Chat, kind: str, author: str, text: str = "",
              **data: Any) -> ChatEvent:
        return ChatEvent(chat_id=chat.id, seq=chat.nextSeq(), at=self.clock.seconds(),
                         kind=kind, author=author, text=text, data=data)

    # -- writing -------------------------------------------------------------------

    def write(self, chat: Chat, events: list[ChatEvent], save: bool = False,
              then: Callable[[], object] | None = None,
              refuse: Callable[[bool], Any] | None = None) -> Deferred[Any]:
        """Store ``events`` (and the chat record if ``save``), then run
        ``then``. ``refuse`` marks a person's message: called with ``later``
        when it is dropped unstored, it returns what the Deferred fires with
        (a Refused); the Deferred fires with None once ``then`` has run."""
        w = _Write(chat, list(events), save, then, refuse, self.clock.seconds())
        if self.events is not None:
            # mapped now, from the chat as the core decided it: a retry of
            # the write reports the same events with the same ids
            w.hooks = fromChatEvents(chat.record, w.events)
        self._writes.append(w)
        if self.available and not self._held:
            self._submit(w)
        else:
            self._hold(w)
        return w.d

    def heldMessages(self, chat: Chat) -> int:
        """A chat's people's messages that wait for the store now."""
        return sum(1 for w in self._writes if w.chat is chat and w.refuse is not None
                   and w.state != STORED)

    @property
    def held(self) -> int:
        return self._held

    def up(self) -> bool:
        """Whether the store takes writes now: the last one landed and none
        (nor a probe) has been waiting for an answer for STALLED_AFTER."""
        if not self.available:
            return False
        now = self.clock.seconds()
        if self._probeSent is not None and now - self._probeSent > STALLED_AFTER:
            return False
        head = self._writes[0] if self._writes else None
        return not (head is not None and head.state == PENDING
                    and now - head.sent_at > STALLED_AFTER)

    def _submit(self, w: _Write, retry: bool = False) -> None:
        w.state, w.sent_at = PENDING, self.clock.seconds()
        pending = []
        if w.save:
            # the record as it is now: a retried save must not bring back a
            # state the chat has left since
            pending.append(self.store.saveChat(w.chat.record))
        if w.events:
            pending.append(self.store.appendEvents(w.events, w.hooks) if w.hooks
                           else self.store.appendEvents(w.events))
        if not pending:
            d: Deferred[Any] = succeed(None)
        elif len(pending) == 1:
            d = pending[0]
        else:
            d = gatherResults(pending, consumeErrors=True)
        if retry:
            self._retrying = True
            d.addBoth(self._retryAnswered)
        d.addCallbacks(self._landed, self._failed, callbackArgs=(w,), errbackArgs=(w,))

    def _retryAnswered(self, result: object) -> object:
        self._retrying = False
        return result

    def _landed(self, _: object, w: _Write) -> None:
        if w.state != PENDING:
            return
        w.state = STORED
        if not self.available:
            self._markUp()
        self._settle()

    def _failed(self, reason: Failure, w: _Write) -> None:
        if reason.check(FirstError):
            reason = cast(FirstError, reason.value).subFailure
        if w.state != PENDING:
            return
        if reason.check(StoreUnavailable):
            self._markDown(reason)
            self._hold(w)
            return
        if self._unsettledBefore(w):
            # Perhaps only because an earlier write is missing (the chat was
            # never saved): try it again after them.
            self._hold(w)
            return
        self.metrics.writeErrors += 1
        log.failure("Could not store chat {chat} events; not relayed", reason, chat=w.chat.id)
        self._drop(w, later=False)

    def _unsettledBefore(self, w: _Write) -> bool:
        for earlier in self._writes:
            if earlier is w:
                return False
            if earlier.state != STORED:
                return True
        return False

    def _settle(self) -> None:
        """Run the effects of the settled writes at the head, in order. An
        effect may write again (a notice): that write queues behind."""
        if self._flushing:
            return
        while self._writes and self._writes[0].state == STORED:
            w = self._writes.popleft()
            self.metrics.observeWrite(self.clock.seconds() - w.at)
            if w.hooks and self.events is not None:
                self.events.stored(w.hooks)  # it catches its listeners' errors
            for listener in self.listeners:
                try:
                    listener(w.chat)
                except Exception:  # noqa: BLE001 - one broken listener must not stop the rest
                    log.failure("A listener of chat {chat}'s writes failed", chat=w.chat.id)
            for told in self.eventListeners if w.events else ():
                try:
                    told(w.chat, w.events)
                except Exception:  # noqa: BLE001 - as above
                    log.failure("A listener of chat {chat}'s events failed", chat=w.chat.id)
            if w.then is not None:
                try:
                    w.then()
                except Exception:  # noqa: BLE001 - one broken effect must not stop the others
                    log.failure("Relaying stored events of chat {chat} failed", chat=w.chat.id)
            w.d.callback(None)

    # -- holding, retrying, refusing -------------------------------------------------

    def _hold(self, w: _Write) -> None:
        if w.state != HELD:
            w.state = HELD
            self._held += 1
            if not w.held:
                w.held = True
                self.metrics.writes_held += 1
        if w.refuse is not None and self._held > self.max_held:
            self._drop(w, later=True)
        self._scheduleRetry()

    def _drop(self, w: _Write, later: bool) -> None:
        """``w`` will never be stored: out of the queue, and its sender, if
        it has one, is told."""
        if w.state == HELD:
            self._held -= 1
        w.state = STORED  # settled, with nothing to run
        self._writes.remove(w)
        outcome = None
        if w.refuse is not None:
            self.metrics.messages_refused += 1
            log.info("A message in chat {chat} was not stored and is refused to its sender "
                     "({why})", chat=w.chat.id,
                     why="the store is unavailable" if later else "the write failed")
            try:
                outcome = w.refuse(later)
            except Exception:  # noqa: BLE001 - the sender is still told (None)
                log.failure("Refusing a message of chat {chat} failed", chat=w.chat.id)
        w.d.callback(outcome)
        self._settle()

    def _scheduleRetry(self) -> None:
        if self._stopped:
            return
        if not self._timers.active("retry"):
            self._timers.set("retry", RETRY_EVERY, self._retry)

    def _retry(self) -> None:
        self._expire()
        if self.available and not self._held:
            return
        self._scheduleRetry()
        if self._retrying:
            return  # the last try has no answer yet
        if self.available:
            self._resume()  # held only to keep order behind earlier writes
            return
        head = next((w for w in self._writes if w.state == HELD), None)
        if head is None:
            self._probe()  # every held message was refused; is the store back?
            return
        self._held -= 1
        self._submit(head, retry=True)

    def _expire(self) -> None:
        """Refuse the people's messages that waited hold_timeout."""
        deadline = self.clock.seconds() - self.hold_timeout
        for w in [w for w in self._writes
                  if w.state == HELD and w.refuse is not None and w.at <= deadline]:
            if w.state == HELD:  # not dropped meanwhile by an earlier refusal's effects
                self._drop(w, later=True)

    def _resume(self) -> None:
        """The store writes again: the held writes go to it in order."""
        self._flushing = True
        try:
            for w in list(self._writes):
                if not self.available:
                    break
                if w.state == HELD:
                    self._held -= 1
                    self._submit(w)
        finally:
            self._flushing = False
        self._settle()

    def _markDown(self, reason: Failure) -> None:
        if self.available:
            self.available = False
            self._downSince = self.clock.seconds()
            log.warn(  # noqa: G010 - twisted.logger's name
                "The store cannot write ({error}); holding writes and trying again every "
                "{every} s", error=reason.getErrorMessage().strip(), every=RETRY_EVERY)
        self._scheduleRetry()

    def _markUp(self) -> None:
        self.available = True
        log.info("The store writes again after {seconds:.1f} s; {held} held writes follow",
                 seconds=self.clock.seconds() - self._downSince, held=self._held)
        if self._held:
            self._resume()

    # -- probing ----------------------------------------------------------------------

    def startProbing(self) -> None:
        """Probe the store every PROBE_EVERY seconds while nothing is written."""
        if not self._timers.active("probe"):
            self._timers.set("probe", PROBE_EVERY, self._probeTick)

    def _probeTick(self) -> None:
        self._timers.set("probe", PROBE_EVERY, self._probeTick)
        idle = not self._writes and self.available
        if idle and self._probeSent is None:
            self._probe()

    def _probe(self) -> None:
        self._probeSent = self.clock.seconds()
        self._retrying = True

        def answered(result: object) -> None:
            self._probeSent = None
            self._retrying = False
            if isinstance(result, Failure):
                if result.check(StoreUnavailable):
                    self._markDown(result)
                else:
                    log.failure("The store probe failed", result)
            elif not self.available:
                self._markUp()

        self.store.probe().addBoth(answered)

    def stop(self) -> None:
        """The service stops: no more probes or retries. Messages still held
        are refused to their senders now, while they can still be told;
        held notices and state changes are lost, and the log says how many."""
        self._stopped = True
        self._timers.cancelAll()
        for w in [w for w in self._writes if w.state == HELD and w.refuse is not None]:
            if w.state == HELD:
                self._drop(w, later=True)
        if self._held:
            log.warn(  # noqa: G010 - twisted.logger's name
                "Stopping with {count} writes the store never took", count=self._held)
