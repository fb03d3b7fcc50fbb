"""A network in memory for the fetcher: a MemoryReactorClock whose TCP
connections reach in-memory Sites by (address, port), and a name table."""
from __future__ import annotations

from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.interfaces import IHostnameResolver
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.test import iosim
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from zope.interface import implementer


@implementer(IHostnameResolver)
class Names:
    """Host name -> addresses; ``later`` is what a second lookup would say
    (a DNS rebinding), so a test sees whether one happened."""

    def __init__(self, table: dict[str, list[str]], later: dict[str, list[str]] | None = None):
        self.table = table
        self.later = later or {}
        self.asked: list[str] = []

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None,
                        transportSemantics="TCP"):
        table = self.later if hostName in self.asked and hostName in self.later else self.table
        self.asked.append(hostName)
        receiver.resolutionBegan(None)
        for address in table.get(hostName, []):
            kind = IPv6Address if ":" in address else IPv4Address
            receiver.addressResolved(kind("TCP", address, portNumber))
        receiver.resolutionComplete()
        return None


class Net(MemoryReactorClock):
    """Connections to (address, port) in ``sites`` are wired to that Site
    over iosim; any other is refused. ``dialed`` lists where connections
    went."""

    def __init__(self, sites: dict[tuple[str, int], Site] | None = None):
        super().__init__()
        self.sites = sites or {}
        self.pumps: list[iosim.IOPump] = []
        self.dialed: list[tuple[str, int]] = []

    def _wire(self) -> None:
        while len(self.dialed) < len(self.tcpClients):
            index = len(self.dialed)
            host, port, factory, _timeout, _bind = self.tcpClients[index]
            self.dialed.append((host, port))
            site = self.sites.get((host, port))
            if site is None:
                factory.clientConnectionFailed(self.connectors[index],
                                               Failure(ConnectionRefusedError(host)))
                continue
            server = site.buildProtocol(None)
            client = factory.buildProtocol(None)
            self.pumps.append(iosim.connect(
                server, iosim.FakeTransport(server, isServer=True),
                client, iosim.FakeTransport(client, isServer=False)))

    def run(self, d, rounds: int = 1000) -> Any:
        """Pump until ``d`` fires; its result (a Failure when it failed)."""
        done: list[Any] = []
        d.addBoth(done.append)
        for _ in range(rounds):
            if done:
                return done[0]
            self._wire()
            for pump in self.pumps:
                pump.flush()
            self.advance(0)
        raise AssertionError("the fetch never ended")


class Files(Resource):
    """A file server: paths to (status, headers, body chunks); a body of
    None never ends (a server that stalls)."""

    isLeaf = True

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], list[bytes] | None]]):
        super().__init__()
        self.routes = routes
        self.seen: list[tuple[bytes, dict[str, list[bytes]]]] = []

    def render(self, request):
        self.seen.append((request.uri, dict(request.requestHeaders.getAllRawHeaders())))
        status, headers, chunks = self.routes.get(request.path.decode(), (404, {}, [b"no"]))
        request.setResponseCode(status)
        for name, value in headers.items():
            request.setHeader(name.encode(), value.encode())
        if chunks is None:
            return NOT_DONE_YET
        if len(chunks) == 1 and "content-length" not in {n.lower() for n in headers}:
            return chunks[0]
        for chunk in chunks:  # written in pieces without a length: chunked
            request.write(chunk)
        request.finish()
        return NOT_DONE_YET
