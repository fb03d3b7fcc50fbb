"""
Silent operators (R-CHAT-7): a client whose machine froze or lost its network
can stay "available" on the XMPP server for many minutes. The service pings
(XEP-0199) every resource of the operators who hold active chats; a resource
that does not answer in time is treated as gone, so its chats are held and,
after the grace, handed on.

Any answer counts as alive, an error too (a client without ping support
answers ``service-unavailable``); only silence counts as gone.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.words.protocols.jabber.error import StanzaError
from twisted.words.protocols.jabber.jid import JID
from twisted.words.protocols.jabber.xmlstream import TimeoutError
from twisted.words.xish import domish
from tx_xmpp.generic import Request
from tx_xmpp.subprotocols import XMPPHandler

if TYPE_CHECKING:
    from imsupport.core.ports import Support

log = Logger()

NS_PING = "urn:xmpp:ping"
INTERVAL = 60.0  # seconds between pings of an operator in a chat
TIMEOUT = 20.0  # seconds without an answer before a resource counts as gone


class PingRequest(Request):
    def __init__(self, recipient: JID, sender: JID, timeout: float) -> None:
        super().__init__(recipient=recipient, sender=sender, stanzaType="get")
        # tx-xmpp's Request has no annotations: mypy takes its "timeout = None" for the type.
        self.timeout = timeout  # type: ignore[assignment]

    def toElement(self) -> domish.Element:
        element: domish.Element = super().toElement()
        element.addElement((NS_PING, "ping"))
        return element


class OperatorLiveness(XMPPHandler):
    def __init__(self, core: "Support", clock: IReactorTime, domain: str,
                 interval: float = INTERVAL, timeout: float = TIMEOUT) -> None:
        super().__init__()
        self.core = core
        self.clock = clock
        self.domain = JID(domain)
        self.interval = interval
        self.timeout = timeout
        self._loop: LoopingCall | None = None
        self._pending: set[tuple[str, str]] = set()

    def connectionInitialized(self) -> None:
        self._loop = LoopingCall(self.pingAll)
        self._loop.clock = self.clock
        self._loop.start(self.interval, now=False)

    def connectionLost(self, reason: object) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None
        self._pending.clear()

    def pingAll(self) -> None:
        for operator in self.core.queries.operators():
            if operator.chats:
                for resource in operator.resources:
                    if (operator.jid, resource) not in self._pending:
                        self.ping(operator.jid, resource)

    def ping(self, jid: str, resource: str) -> None:
        key = (jid, resource)
        self._pending.add(key)
        request = PingRequest(JID(f"{jid}/{resource}" if resource else jid), self.domain,
                              self.timeout)

        def answered(_: object) -> None:
            self._pending.discard(key)

        def failed(reason: Failure) -> None:
            self._pending.discard(key)
            if reason.check(StanzaError):
                return  # it answered, if only with an error
            if reason.check(TimeoutError):
                log.warn("Operator {jid}/{resource} did not answer a ping in {timeout} s; "
                         "treating them as gone", jid=jid, resource=resource,
                         timeout=self.timeout)
                self.core.operatorPresence(jid, resource, False)

        assert self.parent is not None
        self.parent.request(request).addCallbacks(answered, failed)
