"""
A fake XMPP server for the component's connection lifecycle: an
IStreamClientEndpoint that the real ComponentConnection (and Twisted's
ClientService inside it) connects through, on a task.Clock, with no sockets.

The server plays XEP-0114 as Prosody does: answers the stream header, then
answers the handshake with ``<handshake/>`` or a stream error and closes.
Everything it sends is delivered on the next clock tick (``callLater(0)``),
never from inside the component's own ``write``.
"""
from __future__ import annotations

import hashlib
import itertools
import re

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.interfaces import (
    IProtocol,
    IProtocolFactory,
    IStreamClientEndpoint,
)
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from zope.interface import implementer

STREAMS_NS = "urn:ietf:params:xml:ns:xmpp-streams"

ACCEPT = "accept"                  # the handshake succeeds
NOT_AUTHORIZED = "not-authorized"  # wrong secret: stream error after the handshake
HOST_UNKNOWN = "host-unknown"      # unknown component name: stream error after the header
REFUSE_TCP = "refuse-tcp"          # nobody listens
SILENT = "silent"                  # accepts TCP, then never says a word


class ServerConnection(StringTransport):
    """One TCP connection as the server sees it."""

    def __init__(self, server: FakeXmppServer, protocol: IProtocol, number: int) -> None:
        super().__init__()
        self.server = server
        self.protocol = protocol
        self.stream_id = f"fake-{number}"
        self.received = ""
        self.header_seen = False
        self.closed = False
        self.logged_in = False

    # what the component writes
    def write(self, data: bytes) -> None:
        if self.closed:
            return
        super().write(data)
        self.received += data.decode()
        self.server.clock.callLater(0, self._answer)

    def loseConnection(self) -> None:
        self.close()

    def abortConnection(self) -> None:
        self.close()

    def _answer(self) -> None:
        if self.closed or self.server.mode == SILENT:
            return
        if not self.header_seen and "<stream:stream" in self.received:
            self.header_seen = True
            self.send(f"<stream:stream xmlns='jabber:component:accept' "
                      f"xmlns:stream='http://etherx.jabber.org/streams' "
                      f"from='{self.server.domain}' id='{self.stream_id}'>")
            if self.server.mode == HOST_UNKNOWN:
                self.streamError(HOST_UNKNOWN)
            return
        found = re.search(r"<handshake>([0-9a-f]*)</handshake>", self.received)
        if self.header_seen and found and not self.logged_in:
            expected = hashlib.sha1((self.stream_id + self.server.secret).encode()).hexdigest()
            if self.server.mode == ACCEPT and found.group(1) == expected:
                self.logged_in = True
                self.server.logins += 1
                self.send("<handshake/>")
            else:
                self.streamError(NOT_AUTHORIZED)

    # what the server does
    def send(self, text: str) -> None:
        self.protocol.dataReceived(text.encode())

    def streamError(self, condition: str) -> None:
        self.send(f"<stream:error><{condition} xmlns='{STREAMS_NS}'/></stream:error>"
                  "</stream:stream>")
        self.close()

    def drop(self) -> None:
        """The server ends a good stream (restart, kick)."""
        self.send("</stream:stream>")
        self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.server.clock.callLater(0, self.protocol.connectionLost, Failure(ConnectionDone()))


@implementer(IStreamClientEndpoint)
class FakeXmppServer:
    """The endpoint and the server behind it; ``mode`` may change between attempts."""

    def __init__(self, clock: Clock, domain: str, secret: str, mode: str = ACCEPT) -> None:
        self.clock = clock
        self.domain = domain
        self.secret = secret
        self.mode = mode
        self.attempts: list[float] = []   # clock time of every connect()
        self.logins = 0
        self.connections: list[ServerConnection] = []

    def connect(self, factory: IProtocolFactory) -> Deferred[IProtocol]:
        """TCP connects (or is refused) on the next clock tick."""
        self.attempts.append(self.clock.seconds())
        connected: Deferred[IProtocol] = Deferred()
        self.clock.callLater(0, self._connect, factory, connected)
        return connected

    def _connect(self, factory: IProtocolFactory, connected: Deferred[IProtocol]) -> None:
        if self.mode == REFUSE_TCP:
            connected.errback(ConnectionRefusedError("fake: nobody listens"))
            return
        protocol = factory.buildProtocol(None)
        assert protocol is not None
        connection = ServerConnection(self, protocol, len(self.attempts))
        self.connections.append(connection)
        protocol.makeConnection(connection)
        connected.callback(protocol)

    @property
    def current(self) -> ServerConnection:
        return self.connections[-1]

    def gaps(self) -> list[float]:
        """Seconds between consecutive connection attempts."""
        return [b - a for a, b in itertools.pairwise(self.attempts)]


def run(clock: Clock, seconds: float, step: float = 0.05) -> None:
    """Advance simulated time in small steps, so every callLater(0) runs."""
    end = clock.seconds() + seconds
    while clock.seconds() < end:
        clock.advance(min(step, end - clock.seconds()))
    clock.advance(0)
