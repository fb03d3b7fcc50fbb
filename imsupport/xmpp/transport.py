"""
The core's Transport over XMPP: turns the core's decisions into stanzas, and
keeps the node subscribers that node presence goes to (R-PRES-1).
"""
from __future__ import annotations

from typing import Protocol

from twisted.logger import Logger

from imsupport.xmpp import stanzas
from imsupport.xmpp.addresses import Addresses

log = Logger()


class Sender(Protocol):
    def send(self, obj: object) -> None: ...


class XmppTransport:
    def __init__(self, stream: Sender, addresses: Addresses,
                 subscribers: dict[str, set[str]] | None = None) -> None:
        self.stream = stream
        self.addresses = addresses
        self.subscribers: dict[str, set[str]] = subscribers or {}
        self.sent = 0

    def _send(self, element: object) -> None:
        self.sent += 1
        self.stream.send(element)

    def toClient(self, node: str, client: str, body: str | None,
                 chatstate: str | None = None, lang: str | None = None,
                 receipt_id: str | None = None, oob: str | None = None) -> None:
        self._send(stanzas.message(self.addresses.node(node), client, body,
                                   chatstate=chatstate, lang=lang, receipt_id=receipt_id,
                                   oob=oob))

    def toOperator(self, operator: str, body: str | None, node: str | None = None,
                   chat_id: int | None = None, chatstate: str | None = None,
                   receipt_id: str | None = None, oob: str | None = None) -> None:
        sender = self.addresses.chat(node, chat_id) if node and chat_id \
            else self.addresses.console()
        self._send(stanzas.message(sender, operator, body, chatstate=chatstate,
                                   receipt_id=receipt_id, oob=oob))

    def receipt(self, node: str, chat_id: int | None, to: str, message_id: str) -> None:
        sender = self.addresses.chat(node, chat_id) if chat_id else self.addresses.node(node)
        self._send(stanzas.receipt(sender, to, message_id))

    def nodePresence(self, node: str, show: str | None, status: str,
                     available: bool, to: str | None = None) -> None:
        targets = [to] if to else sorted(self.subscribers.get(node, ()))
        sender = self.addresses.node(node)
        for target in targets:
            self._send(stanzas.presence(sender, target, None if available else "unavailable",
                                        show=show if available else None, status=status))

    def chatPresence(self, operator: str, node: str, chat_id: int, available: bool,
                     nick: str | None = None, status: str | None = None) -> None:
        self._send(stanzas.presence(self.addresses.chat(node, chat_id), operator,
                                    None if available else "unavailable",
                                    status=status if available else None,
                                    nick=nick if available else None))

    def subscribeOperator(self, operator: str, status: str | None = None,
                          lang: str | None = None) -> None:
        # Probe first: a probe that reaches the server while our subscription
        # request is still pending makes it answer "unsubscribed" on the
        # operator's behalf, which cancels the pending request (seen with
        # Prosody 0.12). When already subscribed the probe answers the
        # operator's presence and the repeated subscribe is acknowledged.
        console = self.addresses.console()
        self._send(stanzas.presence(console, operator, "probe"))
        self._send(stanzas.presence(console, operator, "subscribe", status=status, lang=lang))
