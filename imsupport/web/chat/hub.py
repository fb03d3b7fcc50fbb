"""
The web chat's live side (R-CLI-3): each visitor's open Server-Sent Events
streams, fed with their chat's *stored* events.

The hub listens to the core's Journal (``eventListeners``): every stored
event of a visitor's chat that the client may see (web/chat/shown.py) goes
to that visitor's open streams as a ``chat`` event whose SSE id is
``{chat}:{seq}``. A stream that connects first gets what is stored after
its ``Last-Event-ID`` (or the whole chat), read from the store, then the
live events; those that arrive while the read is in flight are held and
sent after it, and nothing at or before the last one sent is sent again, so
there is no gap and no duplicate. What is not stored goes without an id:
``typing`` (an operator's chat states) and ``notice`` (what the core says to
a visitor who has no chat: the node is closed, switched off). A comment
every PING_EVERY seconds keeps proxies from closing a quiet stream.

A visitor's first stream is their presence: the core hears "available"
when one opens and "gone" when their last one closes, so ``client_grace``
ends an abandoned chat and a return within it continues the same chat.
"""
from __future__ import annotations

import json
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Generator, Iterable, Protocol

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger
from twisted.web.iweb import IRequest

from imsupport.core.model import FILE, STATE, ChatEvent, ChatRecord
from imsupport.web.chat.shown import CLIENT, notice, shown, typing, visible
from imsupport.web.chat.visitors import isVisitor

if TYPE_CHECKING:
    from twisted.internet.interfaces import IDelayedCall, IReactorTime

    from imsupport.core.chat import Chat
    from imsupport.core.model import Directory
    from imsupport.core.queries import ChatView, Queries
    from imsupport.store.interfaces import IStore

log = Logger()

PING_EVERY = 15.0  # seconds between ": ping" comments on every open stream
RETRY_MS = 2000  # what browsers wait before reconnecting a dropped stream
MAX_STREAMS = 8  # per visitor (tabs); a newer one ends the oldest
PENDING_KEPT = 32  # per visitor: stored texts whose transport call is still to come

Key = tuple[str, str]  # (node, client)
Cursor = tuple[int, int]  # (chat, seq) of the last chat event sent


class HubCore(Protocol):
    queries: "Queries"

    @property
    def directory(self) -> "Directory": ...

    def clientPresence(self, node: str, client: str, available: bool) -> None: ...


class Stream:
    """One open ``text/event-stream`` response."""

    def __init__(self, request: IRequest, node: str, client: str) -> None:
        self.request = request
        self.node = node
        self.client = client
        self.cursor: Cursor = (0, 0)
        self.replaying = True
        self.held: list[tuple[str, Cursor | None, dict[str, Any]]] = []
        self.open = True
        # what the route returns: fired when the hub ends the stream; Klein
        # cancels it when the browser goes away, which needs no more
        self.done: Deferred[bytes] = Deferred(lambda d: None)

    def write(self, data: bytes) -> None:
        if self.open:
            self.request.write(data)

    def event(self, kind: str, data: dict[str, Any], at: Cursor | None = None) -> None:
        """One SSE event; a chat event only when it is after the cursor."""
        if at is not None:
            if at <= self.cursor:
                return
            self.cursor = at
        head = f"id: {at[0]}:{at[1]}\n" if at is not None else ""
        self.write(f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
                   .encode())

    def live(self, kind: str, data: dict[str, Any], at: Cursor | None = None) -> None:
        if self.replaying:
            self.held.append((kind, at, data))
        else:
            self.event(kind, data, at)

    def replayed(self) -> None:
        self.replaying = False
        held, self.held = self.held, []
        for kind, at, data in held:
            self.event(kind, data, at)

    def end(self) -> None:
        if self.open and not self.done.called:
            self.done.callback(b"")


class ChatHub:
    def __init__(self, clock: "IReactorTime", store: "IStore",
                 core: Callable[[], HubCore | None], ping_every: float = PING_EVERY) -> None:
        self.clock = clock
        self.store = store
        self.core = core
        self.ping_every = ping_every
        self._streams: dict[Key, list[Stream]] = {}
        self._pending: dict[Key, deque[str]] = {}
        self._ping: IDelayedCall | None = None
        self._stopped = False

    def streams(self, node: str, client: str) -> int:
        return len(self._streams.get((node, client), ()))

    @property
    def open(self) -> int:
        return sum(len(s) for s in self._streams.values())

    # -- the core's side -----------------------------------------------------------

    def stored(self, chat: "Chat", events: list[ChatEvent]) -> None:
        """Journal.eventListeners: a write of ``chat`` is stored."""
        if not isVisitor(chat.client):
            return
        key = (chat.node, chat.client)
        streams = self._streams.get(key, ())
        for event in events:
            if not visible(event):
                continue
            if event.author != CLIENT and event.kind != STATE:
                text = event.data.get("url") if event.kind == FILE else event.text
                self._pending.setdefault(key, deque(maxlen=PENDING_KEPT)).append(str(text))
            if streams:
                data = shown(event, self._operatorName)
                if data is not None:
                    for stream in streams:
                        stream.live("chat", data, (event.chat_id, event.seq))

    def toVisitor(self, node: str, client: str, body: str | None,
                  chatstate: str | None = None, oob: str | None = None) -> None:
        """The core's Transport.toClient for a visitor (SplitTransport). A
        text that is a stored event's went out with it; one said to a
        visitor with no chat (nothing stored) goes as a ``notice``."""
        key = (node, client)
        if body is None:
            if chatstate is not None and key in self._streams:
                data = typing(self._typist(node, client), chatstate)
                for stream in self._streams[key]:
                    stream.live("typing", data)
            return
        if self._consume(key, oob or body) or self._openChat(node, client) is not None:
            return
        for stream in self._streams.get(key, ()):
            stream.live("notice", notice(body))

    def _consume(self, key: Key, text: str) -> bool:
        pending = self._pending.get(key)
        if pending is None or text not in pending:
            return False
        pending.remove(text)
        if not pending:
            del self._pending[key]
        return True

    def _openChat(self, node: str, client: str) -> "ChatView | None":
        core = self.core()
        if core is None:
            return None
        return next((c for c in core.queries.clientChats(client) if c.node == node), None)

    def _operatorName(self, jid: str) -> str | None:
        core = self.core()
        operator = core.directory.operator(jid) if core is not None else None
        return operator.name if operator is not None else None

    def _typist(self, node: str, client: str) -> str | None:
        """Who is typing: the chat's operator when it has one."""
        chat = self._openChat(node, client)
        if chat is None or len(chat.operators) != 1:
            return None
        return self._operatorName(chat.operators[0])

    # -- the browser's side --------------------------------------------------------

    def connect(self, request: IRequest, node: str, client: str,
                last: Cursor | None) -> Deferred[bytes]:
        """Serve ``request`` as the visitor's stream, from after ``last``."""
        stream = Stream(request, node, client)
        key = (node, client)
        others = self._streams.setdefault(key, [])
        others.append(stream)
        if len(others) > MAX_STREAMS:
            others[0].end()
        finished: Deferred[None] = request.notifyFinish()  # type: ignore[attr-defined]
        finished.addBoth(lambda _: self._gone(stream))
        request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"x-accel-buffering", b"no")
        request.setHeader(b"x-content-type-options", b"nosniff")
        stream.write(b"retry: %d\n\n" % RETRY_MS)
        self._schedulePing()
        core = self.core()
        if len(others) == 1 and core is not None:
            core.clientPresence(node, client, True)
        self._replay(stream, last).addErrback(self._replayFailed, stream)
        return stream.done

    @inlineCallbacks
    def _replay(self, stream: Stream, last: Cursor | None) -> Generator[Deferred[Any], Any, None]:
        """The stored events after ``last`` of the visitor's chat (the open
        one, else their latest in this node); of the chat ``last`` names
        too, when it is an earlier one of theirs."""
        node, client = stream.node, stream.client
        current = self._openChat(node, client)
        chat_id = current.id if current is not None else None
        if chat_id is None:
            latest: list[ChatRecord] = yield self.store.findChats(node=node, client=client,
                                                                  limit=1)
            chat_id = latest[0].id if latest else None
        plan: list[Cursor] = []
        if chat_id is not None and last is not None and last[0] <= chat_id:
            stream.cursor = last
            if last[0] < chat_id:
                earlier: ChatRecord | None = yield self.store.getChat(last[0])
                if earlier is not None and (earlier.node, earlier.client) == (node, client):
                    plan.append(last)
                plan.append((chat_id, 0))
            else:
                plan.append(last)
        elif chat_id is not None:
            plan.append((chat_id, 0))
        for replayed, after in plan:
            events: list[ChatEvent] = yield self.store.chatEvents(replayed, after)
            for event in events:
                data = shown(event, self._operatorName)
                if data is not None:
                    stream.event("chat", data, (event.chat_id, event.seq))
        stream.replayed()

    def _replayFailed(self, reason: Any, stream: Stream) -> None:
        """The store could not be read: the stream ends, and the browser
        comes back (with the same Last-Event-ID) in RETRY_MS."""
        log.failure("Could not replay the web chat of {client}", reason, client=stream.client)
        stream.end()

    def _gone(self, stream: Stream) -> None:
        stream.open = False
        key = (stream.node, stream.client)
        streams = self._streams.get(key, [])
        if stream in streams:
            streams.remove(stream)
        if streams:
            return
        self._streams.pop(key, None)
        core = self.core()
        if core is not None and not self._stopped:
            core.clientPresence(stream.node, stream.client, False)

    # -- pings, restarts, stopping -------------------------------------------------

    def _schedulePing(self) -> None:
        if self._ping is None or not self._ping.active():
            self._ping = self.clock.callLater(self.ping_every, self._pingAll)

    def _pingAll(self) -> None:
        self._ping = None
        for streams in list(self._streams.values()):
            for stream in streams:
                stream.write(b": ping\n\n")
        if self._streams:
            self._schedulePing()

    def restored(self, records: Iterable[ChatRecord]) -> None:
        """After a restart no visitor is connected yet: their open chats
        count them gone until they come back (within ``client_grace``)."""
        core = self.core()
        if core is None:
            return
        for record in records:
            if isVisitor(record.client) and (record.node, record.client) not in self._streams:
                core.clientPresence(record.node, record.client, False)

    def stop(self) -> None:
        """The service stops: every stream ends (browsers come back to the
        next process), and nobody is counted gone for it."""
        self._stopped = True
        if self._ping is not None and self._ping.active():
            self._ping.cancel()
        self._ping = None
        for streams in list(self._streams.values()):
            for stream in list(streams):
                stream.end()
