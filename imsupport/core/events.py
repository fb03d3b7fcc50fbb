"""
Events for integrators (R-HOOK-1, SPEC 15): what the core's stored chat
events mean to the outside world, as ``HookEvent`` values with SPEC 15's
types and data fields.

A HookEvent is written to the store's outbox in the same transaction as the
chat events it reports (the journal hands both to the store together), so a
webhook never reports what was not stored and nothing stored goes unreported.
The id of an event mapped from a chat event is derived from (chat_id, seq):
a journal write retried after an ambiguous commit yields the same id, and
the outbox keeps one row per id.

``Events`` is the in-process bus: told of every event once stored, it tells
its listeners (in-process ``IEventHandler`` plugins, the webhook deliverer);
a failing listener is logged and never reaches the chat path.
"""
from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from zope.interface import Attribute, Interface

from imsupport.core.model import (
    ABANDONED,
    CLOSED,
    FILE,
    INVITED,
    QUEUED,
    STATE,
    ChatEvent,
    ChatRecord,
)
from imsupport.core.pluginload import enabledPlugins

if TYPE_CHECKING:
    from twisted.internet.interfaces import IDelayedCall, IReactorTime

    from imsupport.store.interfaces import IStore

log = Logger()

RATING = "rating"  # a ChatEvent kind: the client's answer to the rating question (SPEC 17)

# SPEC 15 event types
CHAT_QUEUED = "chat.queued"
CHAT_OFFERED = "chat.offered"
CHAT_ACCEPTED = "chat.accepted"
CHAT_JOINED = "chat.joined"
CHAT_REDIRECTED = "chat.redirected"
CHAT_CLOSED = "chat.closed"
CHAT_ABANDONED = "chat.abandoned"
CHAT_RATED = "chat.rated"
OPERATOR_STATE = "operator.state"
FILE_STORED = "file.stored"
TYPES = (CHAT_QUEUED, CHAT_OFFERED, CHAT_ACCEPTED, CHAT_JOINED, CHAT_REDIRECTED, CHAT_CLOSED,
         CHAT_ABANDONED, CHAT_RATED, OPERATOR_STATE, FILE_STORED)
OPERATOR_STATES = ("online", "offline", "afk", "free", "busy")


@dataclass(frozen=True)
class HookEvent:
    """One event for integrators; ``id`` is its ``webhook-id``."""

    id: str
    type: str
    at: float  # POSIX seconds
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Webhook:
    """A receiver (SPEC 15): events whose type matches one of ``events``
    (fnmatch patterns: "chat.*", "*") are POSTed to ``url``, signed with
    ``secret`` (whsec_<base64 key>)."""

    id: str
    url: str
    secret: str
    events: tuple[str, ...] = ("*",)

    def wants(self, type: str) -> bool:
        return any(fnmatch.fnmatchcase(type, pattern) for pattern in self.events)


@dataclass(frozen=True)
class DeliveryState:
    """Where a webhook's deliveries stand, as stored: every outbox event up to
    ``cursor`` is delivered or given up; the next one (the first of
    ``redeliver`` if any) has had ``attempts`` and is due at ``next_at``."""

    cursor: int = 0
    attempts: int = 0
    next_at: float = 0.0
    redeliver: tuple[str, ...] = ()  # event ids asked for again, oldest first


@dataclass(frozen=True)
class Delivery:
    """One attempt in the delivery log."""

    webhook_id: str
    event_id: str
    attempt: int  # 1, 2, 3...
    at: float
    status: int | None  # the HTTP status; None: no answer
    error: str = ""
    duration: float = 0.0
    # its number in the store's log (0 until stored), the API's page cursor;
    # not part of what the attempt was
    seq: int = field(default=0, compare=False)


def chatEventId(chat_id: int, seq: int) -> str:
    """The stable id of the event that reports chat event (chat_id, seq)."""
    return f"evt_c{chat_id}s{seq}"


def newEvent(type: str, at: float, data: dict[str, Any]) -> HookEvent:
    """An event that reports no chat event (operator.state): a random id."""
    return HookEvent(id="evt_" + uuid.uuid4().hex, type=type, at=at, data=data)


def operatorState(operator: str, state: str, nodes: Sequence[str], at: float) -> HookEvent:
    return newEvent(OPERATOR_STATE, at, {"operator": operator, "state": state,
                                         "nodes": sorted(nodes)})


def fromChatEvent(chat: ChatRecord, event: ChatEvent) -> HookEvent | None:
    """The SPEC 15 event a stored ChatEvent reports, or None (messages,
    notices, commands...). ``chat`` is the chat's record as the core had it
    when it decided the event: node, client, languages, created_at."""
    kind, text, data = event.kind, event.text, event.data
    base: dict[str, Any] = {"chat_id": chat.id}
    waited = round(max(0.0, event.at - chat.created_at), 3)
    fields: dict[str, Any]
    if kind == STATE and text == QUEUED:
        if data.get("reason"):
            return None  # put back in the queue (operator gone): not a new chat
        type_, fields = CHAT_QUEUED, {"node": chat.node, "client": chat.client,
                                      "languages": list(chat.languages)}
    elif kind == STATE and text == "offered":
        type_, fields = CHAT_OFFERED, {"node": chat.node, "operator": data.get("operator"),
                                       "wave": data.get("wave")}
    elif kind == STATE and text == INVITED:  # an invite or redirect asks an operator
        type_, fields = CHAT_OFFERED, {"node": chat.node, "operator": data.get("operator"),
                                       "wave": None, "by": data.get("by"),
                                       "transfer": data.get("transfer")}
    elif kind == STATE and text == "active":
        type_, fields = CHAT_ACCEPTED, {"node": chat.node, "client": chat.client,
                                        "operator": event.author, "waited_s": waited}
    elif kind == STATE and text == "joined":
        type_, fields = CHAT_JOINED, {"operator": event.author, "by": data.get("by")}
    elif kind == STATE and text == "redirect":
        type_, fields = CHAT_REDIRECTED, {"from_operator": event.author,
                                          "target": data.get("target")}
    elif kind == STATE and text == CLOSED:
        type_, fields = CHAT_CLOSED, {
            "node": chat.node, "client": chat.client,
            "operators": list(data.get("operators", chat.operators)),
            "reason": data.get("reason"), "duration_s": waited}
    elif kind == STATE and text == ABANDONED:
        type_, fields = CHAT_ABANDONED, {"node": chat.node, "client": chat.client,
                                         "waited_s": waited}
    elif kind == RATING and event.author == "client":
        type_, fields = CHAT_RATED, {"rating": data.get("rating"),
                                     "comment": data.get("comment", "")}
    elif kind == FILE:
        type_, fields = FILE_STORED, {"file_id": data.get("file_id"), "name": text,
                                      "size": data.get("size"),
                                      "content_type": data.get("content_type")}
    else:
        return None
    return HookEvent(id=chatEventId(event.chat_id, event.seq), type=type_, at=event.at,
                     data={**base, **fields})


def fromChatEvents(chat: ChatRecord, events: Sequence[ChatEvent]) -> list[HookEvent]:
    return [h for h in (fromChatEvent(chat, e) for e in events) if h is not None]


class IEventHandler(Interface):
    """An in-process plugin (twisted.plugin, in ``imsupport.plugins``) told of
    every event once it is stored. It runs in the reactor thread: it must not
    block; what it raises is logged and goes no further. Like the command
    plugins, it is configured by its ``[plugins.<name>]`` table."""

    name = Attribute("its [plugins.<name>] table's name, [a-z][a-z0-9_]*")

    def configure(options: dict[str, Any]) -> bool:
        """Called once at start with the plugin's table ({} if none): whether
        it is enabled. Raises ValueError naming a bad key."""

    def eventStored(event: HookEvent) -> None:
        """``event`` is in the outbox."""


RETRY_EVERY = 5.0  # seconds between attempts to store held events
MAX_HELD = 10_000  # events held while the store is down; the oldest go past it


class Events:
    """The bus. ``listeners`` are told of every event once stored, in order,
    each event once. ``emit`` stores events that belong to no chat write
    (operator.state) and then tells the listeners. While the store cannot
    write they are held, in order, and tried again every ``retry_every``
    seconds (up to ``max_held``; past it the oldest are dropped and logged),
    so an outage delays them rather than losing them."""

    def __init__(self, store: IStore, clock: IReactorTime | None = None,
                 retry_every: float = RETRY_EVERY, max_held: int = MAX_HELD) -> None:
        self.store = store
        self.clock = clock
        self.retry_every = retry_every
        self.max_held = max_held
        self.listeners: list[Callable[[HookEvent], None]] = []
        self._held: list[HookEvent] = []  # emitted, not yet stored; the first ones in flight
        self._inFlight = 0
        self._retry: IDelayedCall | None = None

    @property
    def held(self) -> int:
        return len(self._held)

    def emit(self, events: Sequence[HookEvent]) -> Deferred[None]:
        """Deferred: fires once these events' write has been tried."""
        self._held.extend(events)
        excess = len(self._held) - max(self.max_held, self._inFlight)
        if excess > 0:
            del self._held[self._inFlight:self._inFlight + excess]
            log.error("The store is not writing: {count} events were dropped", count=excess)
        return self._write()

    def _write(self) -> Deferred[None]:
        if self._inFlight or not self._held or self._retry is not None:
            return succeed(None)
        batch = list(self._held)
        self._inFlight = len(batch)
        d = self.store.addEvents(batch)

        def stored(_: object) -> None:
            del self._held[:len(batch)]
            self._inFlight = 0
            self.stored(batch)
            self._write()

        def failed(reason: Any) -> None:
            self._inFlight = 0
            log.failure("Could not store {count} events; trying again in {delay} s", reason,
                        count=len(batch), delay=self.retry_every)
            if self.clock is not None:
                self._retry = self.clock.callLater(self.retry_every, self._again)

        d.addCallbacks(stored, failed)
        return d

    def _again(self) -> None:
        self._retry = None
        self._write()

    def stop(self) -> None:
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None

    def stored(self, events: Sequence[HookEvent]) -> None:
        for event in events:
            for listener in list(self.listeners):
                try:
                    listener(event)
                except Exception:  # noqa: BLE001 - a broken listener must not reach the chat path
                    log.failure("An event listener failed on {type} {id}", type=event.type,
                                id=event.id)


def eventHandlerNames(package: Any = None) -> set[str]:
    from twisted.plugin import getPlugins

    import imsupport.plugins
    return {p.name for p in getPlugins(IEventHandler, package or imsupport.plugins)}


def loadEventHandlers(options: Mapping[str, Mapping[str, Any]],
                      package: Any = None) -> list[IEventHandler]:
    """The IEventHandler plugins in ``package`` (default imsupport.plugins)
    that their ``[plugins.<name>]`` table (or none) enables, by name."""
    return enabledPlugins(IEventHandler, options, package, "Event handler")
