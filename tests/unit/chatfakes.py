"""A test core with the web chat attached (its hub on the journal, the
core's Transport split between a recording XMPP side and the hub), a store
whose reads for the hub can be held back, and a request that records what
an SSE stream writes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure

from imsupport.web.chat import build, splitTransport
from imsupport.web.chat.shown import visible
from imsupport.web.chat.visitors import newAddress
from imsupport.web.peers import Peers
from tests.unit.fakes import RecordingTransport, events, makeCore

SECRET = "component secret"


class HeldReads:
    """The hub's view of the store: reads answer only when ``release``d.
    ``early``: what is stored when the read was asked (so events stored
    meanwhile come only live); else what is stored when it is answered
    (so they come both ways, and must be sent once)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.hold = False
        self.early = True
        self.fail = False
        self.waiting: list[tuple[Any, Deferred[Any]]] = []

    def _read(self, call: Any) -> Deferred[Any]:
        if not self.hold:
            return call()
        d: Deferred[Any] = Deferred()
        if self.early:
            result: list[Any] = []
            call().addCallback(result.append)
            self.waiting.append((lambda: succeed(result[0]), d))
        else:
            self.waiting.append((call, d))
        return d

    def release(self) -> None:
        waiting, self.waiting = self.waiting, []
        for call, d in waiting:
            if self.fail:
                d.errback(Failure(RuntimeError("the store is gone")))
            else:
                call().chainDeferred(d)

    def chatEvents(self, chat_id: int, after_seq: int = 0) -> Deferred[Any]:
        return self._read(lambda: self.store.chatEvents(chat_id, after_seq))

    def findChats(self, **kw: Any) -> Deferred[Any]:
        return self._read(lambda: self.store.findChats(**kw))

    def getChat(self, chat_id: int) -> Deferred[Any]:
        return self._read(lambda: self.store.getChat(chat_id))


@dataclass
class SseRequest:
    """What the hub uses of a request: headers, writes, notifyFinish."""

    headers: dict[bytes, bytes] = field(default_factory=dict)
    written: list[bytes] = field(default_factory=list)
    waiting: list[Deferred[None]] = field(default_factory=list)
    finished: bool = False

    def setHeader(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def write(self, data: bytes) -> None:
        assert not self.finished, "written after the end"
        self.written.append(data)

    def notifyFinish(self) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        self.waiting.append(d)
        return d

    def finish(self) -> None:
        self.finished = True
        for d in self.waiting:
            d.callback(None)

    def lose(self) -> None:
        """The browser went away."""
        self.finished = True
        for d in self.waiting:
            d.errback(Failure(ConnectionLost()))

    def text(self) -> str:
        return b"".join(self.written).decode()

    def events(self) -> list[tuple[str | None, str, Any]]:
        """(id, event, data) of every SSE event written, in order."""
        return parseSse(self.text())


def parseSse(text: str) -> list[tuple[str | None, str, Any]]:
    out = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        if "event" in fields:
            out.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return out


class WebChat:
    """A core (tests/unit/fakes.py) whose visitors are served by a ChatSide."""

    def __init__(self, **core_kw: Any) -> None:
        self.core: Any = None
        self.xmpp = RecordingTransport()
        self.reads = HeldReads(None)
        self.side = build(lambda: self.core, self.reads, None, SECRET,  # type: ignore[arg-type]
                          blobs=core_kw.get("blobs"),
                          widget_origins=core_kw.pop("widget_origins", ()),
                          peers=Peers(core_kw.pop("trusted_proxies", ("127.0.0.0/8",))),
                          starts=core_kw.pop("starts", (10, 60.0)))
        self.core, self.clock, _, self.store = makeCore(
            transport=splitTransport(self.xmpp, self.side), **core_kw)
        self.reads.store = self.store
        self.hub = self.side.hub
        self.hub.clock = self.clock
        assert self.side.starts is not None
        self.side.starts.clock = self.clock
        self.core.journal.eventListeners.append(self.hub.stored)

    def visitor(self, name: str = "Anna Petrova") -> str:
        return newAddress(name)

    def token(self, client: str) -> str:
        return self.side.tokens.token(client)

    def connect(self, client: str, last: tuple[int, int] | None = None,
                node: str = "sales") -> SseRequest:
        request = SseRequest()
        self.hub.connect(request, node, client, last).addCallback(  # type: ignore[arg-type]
            lambda _: request.finish())
        return request

    def visibleIds(self, chat_id: int, after: int = 0) -> list[str]:
        """The ids of the chat's stored events a visitor sees, in order."""
        return [f"{e.chat_id}:{e.seq}" for e in events(self.store, chat_id)
                if e.seq > after and visible(e)]
