"""
XMPP handlers: messages and presence in, core calls out. They hold no
business rules; they only check that a stanza is well-formed and addressed to
something that exists, and answer proper errors when it is not.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.words.protocols.jabber.jid import JID
from twisted.words.xish import domish
from tx_xmpp.subprotocols import XMPPHandler

from imsupport.core.journal import Refused
from imsupport.xmpp import stanzas
from imsupport.xmpp.addresses import CHAT, CONSOLE, NODE, Address, Addresses, classify, parseJID
from imsupport.xmpp.clientresources import ClientResources

if TYPE_CHECKING:
    from imsupport.core.ports import Support
    from imsupport.store.interfaces import IStore
    from imsupport.xmpp.transport import XmppTransport

log = Logger()


class MessageHandler(XMPPHandler):
    def __init__(self, core: "Support", addresses: Addresses,
                 max_bytes: int) -> None:
        super().__init__()
        self.core = core
        self.addresses = addresses
        self.max_bytes = max_bytes

    def connectionInitialized(self) -> None:
        assert self.xmlstream is not None
        self.xmlstream.addObserver("/message", self.onMessage)

    def _error(self, stanza: domish.Element, to: JID, condition: str,
               etype: str, text: str) -> None:
        self.send(stanzas.error(stanza, self.addresses.replyFrom(to), condition, etype, text))

    def _answerRefusal(self, stanza: domish.Element, d: Deferred[Any]) -> None:
        """A message the core could not store went to nobody (R-RUN-3): its
        sender gets an error to that very stanza, so the client can show it
        as not delivered. ``wait`` when sending again later may work. The
        answer may come many seconds later, so only the addresses and the id
        are kept, not the stanza with its body."""
        d.addCallbacks(self._refused, self._notAnswered,
                       callbackArgs=(stanza.name, stanza.getAttribute("from"),
                                     stanza.getAttribute("to"), stanza.getAttribute("id")))

    def _refused(self, result: object, name: str, sender: str | None,
                 to: str | None, message_id: str | None) -> None:
        target = parseJID(to)
        if not isinstance(result, Refused) or target is None:
            return
        original = domish.Element((None, name))
        for attribute, value in (("from", sender), ("to", to), ("id", message_id)):
            if value is not None:
                original[attribute] = value
        if result.later:
            self._error(original, target, "resource-constraint", "wait", result.text)
        else:
            self._error(original, target, "internal-server-error", "cancel", result.text)

    @staticmethod
    def _notAnswered(reason: Failure) -> None:
        log.failure("Handling a message failed", reason)

    def onMessage(self, stanza: domish.Element) -> None:
        # Twisted's mark for "an observer took it" (domish declares no such attribute).
        stanza.handled = True  # type: ignore[attr-defined]
        mtype = stanza.getAttribute("type", "normal")
        sender = parseJID(stanza.getAttribute("from"))
        to = parseJID(stanza.getAttribute("to"))
        if mtype == "error" or sender is None or to is None:
            return
        address = classify(to, self.addresses.domain)
        if address.kind == NODE and not self.core.hasNode(address.node or ""):
            address = Address("unknown")
        if address.kind not in (CONSOLE, NODE, CHAT):
            self._error(stanza, to, "item-not-found", "cancel",
                        f"There is no support line at {to.userhost()}.")
            return
        if mtype == "groupchat":
            self._error(stanza, to, "bad-request", "modify",
                        "Group chat messages are not accepted here.")
            return
        parts = stanzas.MessageParts(stanza)
        body = parts.body
        if body is not None and len(body) * 4 > self.max_bytes \
                and len(body.encode("utf-8")) > self.max_bytes:
            size = len(body.encode("utf-8"))
            self._error(stanza, to, "not-acceptable", "modify",
                        f"The message is too large ({size} bytes; the limit is "
                        f"{self.max_bytes} bytes). Please send a shorter one or a file.")
            return
        who = sender.userhost()
        if (body is not None and body.strip()) or parts.oob:
            size = len((body or "").encode("utf-8")) + len(parts.oob or "")
            refused = self.core.admitMessage(
                who, size, node=address.node if address.kind == NODE else None,
                chat_id=address.chat_id if address.kind == CHAT else None)
            if refused is not None:
                if refused.answer:
                    self._error(stanza, to, "policy-violation", "wait", refused.text)
                return
        elif self.core.isRefusing(who):
            return  # chat states of a flooding sender go nowhere either
        self._dispatch(stanza, address, who, parts)

    def _dispatch(self, stanza: domish.Element, address: Address, who: str,
                  parts: stanzas.MessageParts) -> None:
        core = self.core
        message_id = stanzas.storableId(stanza.getAttribute("id"))
        text = parts.body.strip() if parts.body else ""
        if address.kind == CONSOLE:
            if text:
                core.consoleSaid(who, text)
            return
        if address.kind == NODE:
            node = address.node or ""
            if parts.received_id:
                core.clientReceipt(node, who, parts.received_id)
            if text or parts.oob:
                self._answerRefusal(stanza, core.clientSaid(
                    node, who, text, lang=stanzas.langOf(stanza), message_id=message_id,
                    receipt=parts.receipt_requested, chatstate=parts.chatstate,
                    oob=parts.oob))
            elif parts.chatstate:
                core.clientChatState(node, who, parts.chatstate)
            return
        node, chat_id = address.node or "", address.chat_id or 0
        if parts.received_id:
            core.operatorReceipt(chat_id, who, parts.received_id)
        if text or parts.oob:
            self._answerRefusal(stanza, core.operatorSaid(
                node, chat_id, who, text, message_id=message_id,
                receipt=parts.receipt_requested, chatstate=parts.chatstate, oob=parts.oob))
        elif parts.chatstate:
            core.operatorChatState(chat_id, who, parts.chatstate)


class PresenceHandler(XMPPHandler):
    """Node subscriptions and probes (R-PRES-1), clients' and operators'
    availability (R-PRES-2)."""

    def __init__(self, core: "Support", addresses: Addresses, store: "IStore",
                 transport: "XmppTransport") -> None:
        super().__init__()
        self.core = core
        self.addresses = addresses
        self.store = store
        self.transport = transport
        self.clients = ClientResources()

    def connectionInitialized(self) -> None:
        assert self.xmlstream is not None
        self.xmlstream.addObserver("/presence", self.onPresence)

    def connectionLost(self, reason: object) -> None:
        self.clients.clear()  # the server sends everyone's presence again once back
        super().connectionLost(reason)

    def onPresence(self, stanza: domish.Element) -> None:
        # Twisted's mark for "an observer took it" (domish declares no such attribute).
        stanza.handled = True  # type: ignore[attr-defined]
        sender = parseJID(stanza.getAttribute("from"))
        to = parseJID(stanza.getAttribute("to"))
        if sender is None or to is None:
            return
        address = classify(to, self.addresses.domain)
        ptype = stanza.getAttribute("type") or "available"
        who = sender.userhost()
        if self.core.isOperator(who) and ptype in ("available", "unavailable"):
            self.core.operatorPresence(who, sender.resource or "", ptype == "available",
                                       stanzas.showOf(stanza))
        if address.kind == NODE and self.core.hasNode(address.node or ""):
            self._toNode(address.node or "", who, sender.resource or "", ptype)
        elif address.kind == CONSOLE:
            self._toConsole(who, ptype)
        elif address.kind == CHAT:
            self._toChat(address.node or "", address.chat_id or 0, who, ptype)

    def _toNode(self, node: str, who: str, resource: str, ptype: str) -> None:
        here = self.addresses.node(node)
        handlers: dict[str, Callable[[], None]] = {
            "subscribe": lambda: self._subscribed(node, who),
            "unsubscribe": lambda: self._unsubscribed(node, who),
            "probe": lambda: self._publish(node, who),
            "available": lambda: self._available(node, who, resource),
            "unavailable": lambda: self._unavailable(node, who, resource),
            "subscribed": lambda: None,
            "unsubscribed": lambda: None,
        }
        action = handlers.get(ptype)
        if action is None:
            self.send(stanzas.presence(here, who, "error"))
            return
        action()

    def _available(self, node: str, who: str, resource: str) -> None:
        """A client's presence reached the node. A subscriber's comes with
        every log-in (the server probes for it too); a directed presence from
        anyone else is answered with the node's presence, as a contact would."""
        self.clients.available(node, who, resource)
        self.core.clientPresence(node, who, True)
        if who not in self.transport.subscribers.get(node, ()):
            self._publish(node, who)

    def _unavailable(self, node: str, who: str, resource: str) -> None:
        """Gone only with the last of the client's devices (R-CHAT-4)."""
        if self.clients.unavailable(node, who, resource):
            self.core.clientPresence(node, who, False)

    def _subscribed(self, node: str, who: str) -> None:
        here = self.addresses.node(node)
        self.transport.subscribers.setdefault(node, set()).add(who)
        self.store.addSubscriber(node, who).addErrback(
            lambda f: log.failure("Could not store a subscriber of {node}", f, node=node))
        self.send(stanzas.presence(here, who, "subscribed"))
        self.send(stanzas.presence(here, who, "subscribe"))  # returned (R-PRES-1)
        self._publish(node, who)

    def _unsubscribed(self, node: str, who: str) -> None:
        self.transport.subscribers.get(node, set()).discard(who)
        self.store.removeSubscriber(node, who).addErrback(
            lambda f: log.failure("Could not remove a subscriber of {node}", f, node=node))
        self.send(stanzas.presence(self.addresses.node(node), who, "unsubscribed"))

    def _publish(self, node: str, who: str) -> None:
        self.core.publishNodePresence(node, who)

    def _toChat(self, node: str, chat_id: int, who: str, ptype: str) -> None:
        """Chat addresses come and go with their chats: they answer probes
        but take no subscriptions."""
        if ptype == "probe":
            self.core.chatProbe(node, chat_id, who)
        elif ptype == "subscribe":
            self.send(stanzas.presence(self.addresses.chat(node, chat_id), who, "unsubscribed"))

    def _toConsole(self, who: str, ptype: str) -> None:
        console = self.addresses.console()
        allowed = self.core.isOperator(who) or self.core.isAdmin(who)
        if ptype == "subscribe":
            self.send(stanzas.presence(console, who, "subscribed" if allowed else "unsubscribed"))
        elif ptype == "probe" and allowed:
            self.send(stanzas.presence(console, who))
