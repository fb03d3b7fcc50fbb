"""
An in-memory component stream: the real ComponentConnection and handlers over
a StringTransport, with the XEP-0114 handshake played by the test as the
server. Bytes in, parsed stanzas out; no sockets, no global reactor.
"""
from __future__ import annotations

import hashlib

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.words.xish import domish

from imsupport.config import ServiceConfig
from imsupport.core.i18n import Translator
from imsupport.core.service import SupportCore
from imsupport.xmpp.addresses import Addresses
from imsupport.xmpp.component import ComponentConnection
from imsupport.xmpp.transport import XmppTransport
from imsupport.xmpp.wiring import attachHandlers
from tests.unit.fakes import OrderCheckingStore, directory

DOMAIN = "support.shop.test"
SECRET = "s3cret"
STREAM_ID = "test-stream-1"


class OutputReader:
    """Parses what the component wrote, stanza by stanza."""

    def __init__(self) -> None:
        self.stanzas: list[domish.Element] = []
        self.header: domish.Element | None = None
        self.stream = domish.elementStream()
        self.stream.DocumentStartEvent = self._start
        self.stream.ElementEvent = self.stanzas.append
        self.stream.DocumentEndEvent = lambda: None

    def _start(self, root: domish.Element) -> None:
        self.header = root

    def feed(self, data: bytes) -> None:
        if data:
            self.stream.parse(data)


class InMemoryComponent:
    def __init__(self, max_message_bytes: int = 65536, store=None, storage=None,
                 web=None, **node_kw) -> None:
        self.clock = Clock()
        self.clock.advance(1_800_000_000)
        self.store = store or OrderCheckingStore()
        self.connection = ComponentConnection(self.clock, DOMAIN, "127.0.0.1", 5347, SECRET)
        self.addresses = Addresses(DOMAIN)
        self.transport = XmppTransport(self.connection, self.addresses)
        self.core = SupportCore(clock=self.clock, store=self.store, transport=self.transport,
                                directory=directory(**node_kw),
                                service=ServiceConfig(domain=DOMAIN, admins=("boss@shop.test",)),
                                translator=Translator(default="en"), storage=storage,
                                web=web)
        attachHandlers(self.connection, self.core, self.addresses, self.store,
                       self.transport, max_message_bytes)
        self.wire = StringTransport()
        self.reader = OutputReader()
        self.xs = self.connection.factory.buildProtocol(None)
        self.xs.makeConnection(self.wire)

    def handshake(self) -> str:
        """Play the server's part of XEP-0114; returns the handshake digest."""
        self.receive(b"<stream:stream xmlns='jabber:component:accept' "
                     b"xmlns:stream='http://etherx.jabber.org/streams' "
                     b"from='" + DOMAIN.encode() + b"' id='" + STREAM_ID.encode() + b"'>")
        self.pump()
        handshake = self.reader.stanzas.pop()
        assert handshake.name == "handshake"
        self.receive(b"<handshake/>")
        return str(handshake)

    @staticmethod
    def expectedDigest() -> str:
        return hashlib.sha1((STREAM_ID + SECRET).encode()).hexdigest()

    def receive(self, data: bytes | str) -> None:
        self.xs.dataReceived(data.encode() if isinstance(data, str) else data)

    def pump(self) -> list[domish.Element]:
        """Stanzas written since the last pump."""
        before = len(self.reader.stanzas)
        self.reader.feed(self.wire.value())
        self.wire.clear()
        return self.reader.stanzas[before:]

    def exchange(self, data: str) -> list[domish.Element]:
        self.receive(data)
        return self.pump()
