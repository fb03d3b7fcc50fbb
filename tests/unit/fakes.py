"""Test doubles for the core's ports, recording what the core sends."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from twisted.internet.defer import fail, succeed
from twisted.internet.task import Clock

from imsupport.config import ServiceConfig
from imsupport.core.files import Blob, FetchError
from imsupport.core.i18n import Translator
from imsupport.core.model import Directory, Group, Node, Operator
from imsupport.core.service import SupportCore
from imsupport.store.codec import eventToRow
from imsupport.store.memory import MemoryStore


@dataclass
class Sent:
    kind: str  # client, operator, receipt, presence, subscribe
    to: str
    body: str | None = None
    sender: str = ""  # "node", "node+N" or "" (console)
    chatstate: str | None = None
    extra: dict = field(default_factory=dict)


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def toClient(self, node, client, body, chatstate=None, lang=None, receipt_id=None,
                 oob=None):
        extra = {"lang": lang, "receipt_id": receipt_id}
        if oob:
            extra["oob"] = oob
        self.sent.append(Sent("client", client, body, node, chatstate, extra))

    def toOperator(self, operator, body, node=None, chat_id=None, chatstate=None,
                   receipt_id=None, oob=None):
        sender = f"{node}+{chat_id}" if node and chat_id else ""
        extra = {"receipt_id": receipt_id}
        if oob:
            extra["oob"] = oob
        self.sent.append(Sent("operator", operator, body, sender, chatstate, extra))

    def receipt(self, node, chat_id, to, message_id):
        sender = f"{node}+{chat_id}" if chat_id else node
        self.sent.append(Sent("receipt", to, None, sender, extra={"id": message_id}))

    def nodePresence(self, node, show, status, available, to=None):
        self.sent.append(Sent("presence", to or "*", status, node,
                              extra={"show": show, "available": available}))

    def chatPresence(self, operator, node, chat_id, available, nick=None, status=None):
        self.sent.append(Sent("chatpresence", operator, None, f"{node}+{chat_id}",
                              extra={"available": available, "nick": nick, "status": status}))

    def subscribeOperator(self, operator, status=None, lang=None):
        self.sent.append(Sent("subscribe", operator, extra={"status": status, "lang": lang}))

    # -- reading it back ---------------------------------------------------------

    def to(self, who: str, kind: str | None = None) -> list[Sent]:
        return [s for s in self.sent if s.to == who and (kind is None or s.kind == kind)]

    def bodies(self, who: str) -> list[str]:
        return [s.body for s in self.to(who) if s.body is not None and s.kind != "presence"]

    def last(self, who: str) -> Sent:
        found = [s for s in self.to(who) if s.body is not None and s.kind != "presence"]
        assert found, f"nothing was sent to {who}; sent: {self.sent}"
        return found[-1]

    def presences(self, node: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == "presence" and s.sender == node]

    def clear(self) -> None:
        self.sent.clear()


ORDER_VIOLATIONS: list[str] = []  # checked after every test (tests/conftest.py)


class OrderCheckingStore(MemoryStore):
    """A memory store that fails the test if a chat's events are appended
    out of seq order: the journal must write in the order it decided. A gap
    is no violation (a message refused during a store outage is never
    written), nor is an event written again as it is (a retried write)."""

    def __init__(self) -> None:
        super().__init__()
        self.last_seq: dict[int, int] = {}

    def appendEvents(self, events, hooks=()):
        for event in events:
            last = self.last_seq.get(event.chat_id, 0)
            again = self._events.get(event.chat_id, {}).get(event.seq) == eventToRow(event)
            if event.seq <= last and not again:
                ORDER_VIOLATIONS.append(f"chat {event.chat_id}: seq {event.seq} after {last}")
            self.last_seq[event.chat_id] = max(last, event.seq)
        return super().appendEvents(events, hooks)


IVAN = "ivan@shop.test"
OLGA = "olga@shop.test"
GURU = "guru@shop.test"
PETR = "petr@shop.test"
BOSS = "boss@shop.test"
ALICE = "alice@example.net"
BOB = "bob@example.net"


def directory(ring: str = "sequential", operators=None, **node_kw) -> Directory:
    """Node sales: wave 1 Ivan and Olga, wave 2 Guru, manual-only experts
    (Guru); Petr speaks only Russian and is in no group."""
    operators = operators or (
        Operator(IVAN, "Ivan", ("en", "ru")),
        Operator(PETR, "Petr", ("ru",)),
        Operator(OLGA, "Olga", ("en",)),
        Operator(GURU, "Guru", ("en", "de")),
    )
    node = Node("sales", "Sales questions", ("en", "ru"), invite_timeout=60, ring=ring,
                groups=(Group("first", (IVAN, OLGA), wave=1),
                        Group("second", (GURU,), wave=2),
                        Group("experts", (GURU,), auto=False)), **node_kw)
    return Directory(nodes=(node,), operators=operators)


START = 1_800_000_000  # Friday 2027-01-15 08:00:00 UTC


def makeCore(store=None, start=START, switches=None, eligibility=None, transport=None,
             web=None, fetcher=None, blobs=None, links=None, **node_kw):
    clock = Clock()
    clock.advance(start)
    transport = transport or RecordingTransport()
    store = store or OrderCheckingStore()
    core = SupportCore(clock=clock, store=store, transport=transport,
                       directory=directory(**node_kw),
                       service=ServiceConfig(domain="support.shop.test",
                                             admins=(BOSS,)),
                       translator=Translator(default="en"), switches=switches,
                       eligibility=eligibility, web=web, fetcher=fetcher, blobs=blobs,
                       links=links(clock) if callable(links) else links)
    return core, clock, transport, store


def events(store, chat_id):
    """A chat's stored events (the memory store answers at once)."""
    result = []
    store.chatEvents(chat_id).addCallback(result.extend)
    return result


def online(core, *jids, show=None):
    for jid in jids:
        core.operatorPresence(jid, "laptop", True, show)


def activeChat(**node_kw):
    """A core where Alice's chat #1 is active with Ivan, who said "hello"."""
    core, clock, transport, store = makeCore(**node_kw)
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    return core, clock, transport, store


class MemoryBlobs:
    """The Blobs port in memory: bytes by their SHA-256."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def write(self, source, limit):
        content = source.read(limit + 1)
        if len(content) > limit:
            return fail(ValueError(f"more than {limit} bytes"))
        digest = hashlib.sha256(content).hexdigest()
        self.data[digest] = content
        return succeed(Blob(digest, len(content)))

    def path(self, digest):
        return f"/nonexistent/{digest}"

    def exists(self, digest):
        return digest in self.data


class FakeFetcher:
    """The Fetcher port: answers from a table of URL -> (name, type, bytes);
    any other URL is a FetchError. Records what was asked, with the limit."""

    def __init__(self, blobs: MemoryBlobs, files=None) -> None:
        self.blobs = blobs
        self.files = dict(files or {})
        self.asked: list[tuple[str, int]] = []
        self.failure: Exception | None = None  # every fetch fails with it when set

    def fetch(self, url, limit):
        self.asked.append((url, limit))
        if self.failure is not None:
            return fail(self.failure)
        if url not in self.files:
            return fail(FetchError("404 Not Found"))
        name, ctype, content = self.files[url]
        if len(content) > limit:
            return fail(FetchError(f"larger than {limit} bytes"))
        return self.blobs.write(io.BytesIO(content), limit).addCallback(
            lambda blob: (blob, name, ctype))
