"""
A minimal XMPP client for the benchmark: plain TCP, SASL PLAIN, resource
binding, presence, and chat messages as pre-formatted strings.

Why not slixmpp (as tests/e2e/xmppclient.py uses): slixmpp builds a stanza
object for every incoming stanza and matches it against every registered
handler, which costs more CPU per message than Prosody spends routing it. On
a two-core machine the clients would then be the bottleneck of the direct
baseline and use the CPU imsupport needs, and the ratio would measure
slixmpp. This client parses with expat (C), keeps only what the benchmark
reads (``from``, ``type``, ``<body>`` text) and writes stanzas as strings, so
Prosody and imsupport do nearly all the work being measured.

Not a general client: no TLS, no stream management, no roster. Everything runs
on the caller's asyncio loop; many clients share one loop.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

__all__ = ["FastClient", "Incoming", "XmppFailure"]

STREAM_NS = "http://etherx.jabber.org/streams"


class XmppFailure(RuntimeError):
    """The server refused us (auth failure, stream error) or went away."""


@dataclass
class Incoming:
    """One incoming stanza, reduced to what the benchmark looks at."""
    name: str                   # message, presence, iq
    attrs: dict[str, str]
    body: str | None = None
    children: list[str] = field(default_factory=list)   # names of direct children
    urls: dict[str, str] = field(default_factory=dict)  # grandchildren's url= (a slot's put/get)
    at: float = field(default_factory=time.monotonic)

    @property
    def from_(self) -> str:
        return self.attrs.get("from", "")

    @property
    def from_bare(self) -> str:
        return self.from_.split("/", 1)[0]

    @property
    def type(self) -> str:
        return self.attrs.get("type", "normal" if self.name == "message" else "")


class FastClient(asyncio.Protocol):
    """``await FastClient(user, domain, password).connect(host, port)``.

    ``on_message(stanza)`` is called for every <message/> (default: appended
    to ``inbox``). Subscription requests are approved automatically, so the
    service can follow an operator's presence.
    """

    _ids = itertools.count(1)

    def __init__(self, user: str, domain: str, password: str, resource: str = "bench") -> None:
        self.user, self.domain, self.password, self.resource = user, domain, password, resource
        self.bare = f"{user}@{domain}"
        self.jid = f"{self.bare}/{resource}"
        self.on_message: Callable[[Incoming], None] = self._to_inbox
        self.inbox: list[Incoming] = []
        self.presences: list[Incoming] = []
        self.changed = asyncio.Event()           # set whenever inbox/presences grow
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] | None = None
        self.error: str | None = None
        self._parser: expat.XMLParserType | None = None
        self._depth = 0
        self._cur: Incoming | None = None
        self._text: list[str] | None = None
        self._waiters: dict[str, asyncio.Future[Incoming]] = {}   # key: iq id or "features", "sasl"
        self.sent = 0

    # -- connection -------------------------------------------------------

    async def connect(self, host: str, port: int, timeout: float = 15.0) -> FastClient:
        loop = asyncio.get_running_loop()
        self.closed = loop.create_future()
        try:
            await asyncio.wait_for(self._login(loop, host, port), timeout)
        except TimeoutError:
            self.abort()
            raise XmppFailure(f"{self.jid}: no session on {host}:{port} within {timeout}s"
                              + (f" ({self.error})" if self.error else "")) from None
        return self

    async def _login(self, loop: asyncio.AbstractEventLoop, host: str, port: int) -> None:
        await loop.create_connection(lambda: self, host, port)
        await self._open_stream()
        token = base64.b64encode(f"\0{self.user}\0{self.password}".encode()).decode()
        sasl = self._expect("sasl")
        self.send_raw(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                      f"{token}</auth>")
        result = await sasl
        if result.name != "success":
            raise XmppFailure(f"{self.jid}: authentication failed: {result.children}")
        await self._open_stream()
        bound = await self.iq("set", f"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                                     f"<resource>{escape(self.resource)}</resource></bind>")
        if bound.type != "result":
            raise XmppFailure(f"{self.jid}: resource binding failed: {bound.children}")
        self.send_raw("<presence/>")

    async def _open_stream(self) -> None:
        self._new_parser()
        features = self._expect("features")
        self.send_raw(f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                      f"xmlns:stream='{STREAM_NS}' to={quoteattr(self.domain)} "
                      f"version='1.0' xml:lang='en'>")
        await features

    def _expect(self, key: str) -> asyncio.Future[Incoming]:
        future = asyncio.get_running_loop().create_future()
        self._waiters[key] = future
        return future

    async def iq(self, itype: str, payload: str, to: str | None = None,
                 timeout: float = 10.0) -> Incoming:
        iq_id = f"fc{next(self._ids)}"
        future = self._expect(iq_id)
        target = f" to={quoteattr(to)}" if to else ""
        self.send_raw(f"<iq type='{itype}' id='{iq_id}'{target}>{payload}</iq>")
        return await asyncio.wait_for(future, timeout)

    async def close(self, timeout: float = 2.0) -> None:
        """Close the stream politely (the server then sends our unavailable presence)."""
        if self.transport is None or self.transport.is_closing():
            return
        self.send_raw("</stream:stream>")
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)  # type: ignore[arg-type]
        except (TimeoutError, XmppFailure):
            pass
        self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # -- sending ----------------------------------------------------------

    def send_raw(self, data: str) -> None:
        if self.transport is None or self.transport.is_closing():
            raise XmppFailure(f"{self.jid}: not connected"
                              + (f" ({self.error})" if self.error else ""))
        self.transport.write(data.encode())

    def send_message(self, to: str, body: str) -> None:
        """A chat message; ``body`` is escaped. The hot loop uses ``send_raw``."""
        self.sent += 1
        self.send_raw(f"<message to={quoteattr(to)} type='chat' id='m{self.sent}'>"
                      f"<body>{escape(body)}</body></message>")

    # -- waiting (set-up only) ----------------------------------------------

    async def wait_message(self, match: Callable[[Incoming], bool], timeout: float,
                           what: str = "message") -> Incoming:
        """Take the first inbox message that ``match`` accepts."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.inbox):
                if match(m):
                    return self.inbox.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise XmppFailure(f"{self.bare}: no {what} within {timeout}s; inbox:\n"
                                  + self.describe_inbox())
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                pass

    def describe_inbox(self, last: int = 10) -> str:
        lines = [f"  {m.from_} [{m.type}]: {(m.body or '')[:200]!r}" for m in self.inbox[-last:]]
        return "\n".join(lines) or "  (empty)"

    def _to_inbox(self, stanza: Incoming) -> None:
        self.inbox.append(stanza)
        self.changed.set()

    # -- asyncio.Protocol ---------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.Parse(data, False)  # type: ignore[union-attr]
        except expat.ExpatError as e:
            self._fail(f"XML error from the server: {e}")
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(self.error or f"connection lost{': ' + str(exc) if exc else ''}")
        if self.closed is not None and not self.closed.done():
            self.closed.set_result(None)

    def _fail(self, reason: str) -> None:
        self.error = self.error or reason
        waiters, self._waiters = self._waiters, {}
        for future in waiters.values():
            if not future.done():
                future.set_exception(XmppFailure(f"{self.jid}: {reason}"))

    # -- parsing ------------------------------------------------------------

    def _new_parser(self) -> None:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        self._parser = parser
        self._depth = 0
        self._cur = None
        self._text = None

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        depth = self._depth
        if depth == 2:
            self._cur = Incoming(name.split(":")[-1], attrs)
        elif depth == 3 and self._cur is not None:
            self._cur.children.append(name)
            if name == "body":
                self._text = []
        elif depth == 4 and self._cur is not None and "url" in attrs:
            self._cur.urls[name.split(":")[-1]] = attrs["url"]

    def _chars(self, text: str) -> None:
        if self._text is not None and self._depth == 3:
            self._text.append(text)

    def _end(self, name: str) -> None:
        depth = self._depth
        self._depth -= 1
        if depth == 3 and self._text is not None and name == "body":
            assert self._cur is not None
            self._cur.body = "".join(self._text)
            self._text = None
        elif depth == 2 and self._cur is not None:
            stanza, self._cur = self._cur, None
            self._dispatch(stanza)
        elif depth == 1:
            self._fail("the server closed the stream")
            self.abort()

    def _dispatch(self, stanza: Incoming) -> None:
        name = stanza.name
        if name == "message":
            self.on_message(stanza)
        elif name == "presence":
            if stanza.type == "subscribe":
                self.send_raw(f"<presence to={quoteattr(stanza.from_bare)} type='subscribed'/>")
            self.presences.append(stanza)
            self.changed.set()
        elif name == "iq":
            waiter = self._waiters.pop(stanza.attrs.get("id", ""), None)
            if waiter is not None:
                if not waiter.done():
                    waiter.set_result(stanza)
            elif stanza.type in ("get", "set"):
                self.send_raw(f"<iq type='error' id={quoteattr(stanza.attrs.get('id', ''))} "
                              f"to={quoteattr(stanza.from_)}><error type='cancel'>"
                              f"<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                              f"</error></iq>")
        elif name == "features":
            self._resolve("features", stanza)
        elif name in ("success", "failure"):
            self._resolve("sasl", stanza)
        elif name == "error":   # stream:error
            self._fail(f"stream error {stanza.children}")

    def _resolve(self, key: str, stanza: Incoming) -> None:
        waiter = self._waiters.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(stanza)

    def __repr__(self) -> str:
        return f"<FastClient {self.jid}>"
