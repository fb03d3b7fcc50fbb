"""
The component connection (XEP-0114): one stream to the XMPP server, kept up
by a ClientService with back-off (R-RUN-3, imsupport.xmpp.backoff: counted
from the last successful handshake, not from the last TCP connect), carrying
tx-xmpp handlers.

Outgoing stanzas sent while the stream is down are queued by the stream
manager and flushed when it is back.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import cast

from twisted.application.internet import ClientService
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.interfaces import IDelayedCall, IReactorTime, IStreamClientEndpoint
from twisted.logger import ILogObserver, Logger, LogPublisher
from twisted.words.protocols.jabber import component, xmlstream
from twisted.words.xish import domish
from tx_xmpp.subprotocols import StreamManager

from imsupport.xmpp.addresses import Addresses
from imsupport.xmpp.backoff import Backoff
from imsupport.xmpp.streamguard import StreamGuard

log = Logger()

HANDSHAKE_TIMEOUT = 30.0  # seconds from TCP connect to a completed XEP-0114 handshake


class _ClientService(ClientService):
    """Twisted's ClientService without its "Scheduling retry N" line: its N
    starts again at every TCP connect; ComponentConnection logs the real
    count ("Next attempt ...")."""
    _log = Logger(observer=cast(ILogObserver, LogPublisher()))  # no observers: dropped


class ComponentConnection(StreamManager, Service):
    name = "xmpp"

    def __init__(self, reactor: IReactorTime, domain: str, host: str, port: int,
                 secret: str, max_delay: float = 30.0,
                 on_connected: Callable[[], None] | None = None,
                 on_lost: Callable[[], None] | None = None,
                 endpoint: IStreamClientEndpoint | None = None) -> None:
        self.domain = domain
        self.host = host
        self.port = port
        factory = component.componentFactory(domain, secret)
        StreamManager.__init__(self, factory, reactor=reactor)
        self.reactor = reactor
        self.max_delay = max_delay
        self.on_connected = on_connected
        self.on_lost = on_lost
        self.connected = False
        self.connects = 0
        self._client: ClientService | None = None
        self.endpoint = endpoint  # None: host:port over TCP; tests give a fake one
        self.backoff = Backoff(max_delay)
        self.stopping = False  # stopService was called: a loss is the shutdown
        # The hardened parser and its answers (R-SEC-2); attachHandlers sets
        # the configured limits.
        self.guard = StreamGuard(Addresses(domain))
        self._handshakeTimer: IDelayedCall | None = None
        factory.addBootstrap(xmlstream.STREAM_ERROR_EVENT, self._streamError)

    def _connected(self, xs: xmlstream.XmlStream) -> None:
        self.guard.install(xs)
        self._cancelHandshakeTimer()
        self._handshakeTimer = self.reactor.callLater(HANDSHAKE_TIMEOUT, self._noHandshake, xs)
        StreamManager._connected(self, xs)

    def _noHandshake(self, xs: xmlstream.XmlStream) -> None:
        """A server that accepts TCP but never completes XEP-0114 would
        otherwise hold the component forever; drop it and try again."""
        self._handshakeTimer = None
        log.error("The XMPP server at {host}:{port} did not complete the component handshake "
                  "within {timeout:g} s; closing the connection and trying again",
                  host=self.host, port=self.port, timeout=HANDSHAKE_TIMEOUT)
        transport = xs.transport
        if transport is None:
            return  # gone meanwhile
        abort = getattr(transport, "abortConnection", None)
        (abort or transport.loseConnection)()

    def _cancelHandshakeTimer(self) -> None:
        timer, self._handshakeTimer = self._handshakeTimer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _authd(self, xs: xmlstream.XmlStream) -> None:
        original = xs.send

        def send(obj: object) -> None:
            # Every stanza carries a from the service built (R-SEC-2).
            if isinstance(obj, domish.Element) and not obj.getAttribute("from"):
                obj["from"] = self.domain
            original(obj)

        # XmlStream has no hook for what goes out, so its send is wrapped;
        # mypy rejects assigning to a method.
        xs.send = send  # type: ignore[method-assign]
        self._cancelHandshakeTimer()
        self.connected = True
        self.backoff.loggedIn()
        self.connects += 1
        log.info("Component {domain} connected to {host}:{port}", domain=self.domain,
                 host=self.host, port=self.port)
        StreamManager._authd(self, xs)
        if self.on_connected is not None:
            self.on_connected()

    def _disconnected(self, reason: object) -> None:
        self._cancelHandshakeTimer()
        was = self.connected
        self.connected = False
        StreamManager._disconnected(self, reason)
        if self.stopping:
            # stopService closed it (SIGTERM): ClientService does not reconnect.
            if was:
                log.info("Component {domain} closed its stream to {host}:{port} for shutdown",
                         domain=self.domain, host=self.host, port=self.port)
            return
        if was:
            log.warn("Component {domain} lost its connection to {host}:{port}; reconnecting",
                     domain=self.domain, host=self.host, port=self.port)
            if self.on_lost is not None:
                self.on_lost()

    def _streamError(self, failure: object) -> None:
        condition = getattr(getattr(failure, "value", None), "condition", failure)
        hint = ""
        if condition == "not-authorized":
            self.backoff.notAuthorized()
            hint = " (check [xmpp] secret and the component's name in the XMPP server)"
        log.error("The XMPP server closed the component stream: {condition}{hint}",
                  condition=condition, hint=hint)

    def _retryDelay(self, _attempt: int) -> float:
        """ClientService's retryPolicy: the back-off decides, and the log says so."""
        refused = self.backoff.refused
        delay = self.backoff.nextDelay()
        why = " (the server refused the login: [xmpp] reconnect_max_delay)" if refused else ""
        log.info("Next attempt to connect to {host}:{port} in {delay:.3g} s{why}; "
                 "failed attempts in a row: {failures}", host=self.host, port=self.port,
                 delay=delay, why=why, failures=self.backoff.failures)
        return delay

    def initializationFailed(self, reason: object) -> None:
        log.error("Component stream initialization failed: {reason}", reason=reason)

    def startService(self) -> None:
        Service.startService(self)
        self.stopping = False
        endpoint = self.endpoint
        if endpoint is None:
            endpoint = cast(IStreamClientEndpoint,
                            HostnameEndpoint(self.reactor, self.host, self.port, timeout=10))
        self._client = _ClientService(
            endpoint, self.factory,
            retryPolicy=self._retryDelay,
            clock=self.reactor)
        self._client.startService()

    def stopService(self) -> Deferred[None] | None:
        self.stopping = True
        Service.stopService(self)
        if self._client is not None:
            return self._client.stopService()
        return None

