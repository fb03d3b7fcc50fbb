"""
The core's outbound Transport, split by address: whatever is about a web
chat visitor goes to the web chat's hub, everything else (operators, XMPP
clients, node and chat presence, subscriptions) to XMPP. The core never
knows which kind of client it talks to.

Node presence goes to XMPP only: visitors ask ``/chat/{node}/status``.
"""
from __future__ import annotations

from typing import Callable, Protocol

from imsupport.core.ports import Transport


class VisitorSink(Protocol):
    """Where the core's words to visitors go (the hub)."""

    def toVisitor(self, node: str, client: str, body: str | None,
                  chatstate: str | None = None, oob: str | None = None) -> None: ...


class SplitTransport:
    def __init__(self, xmpp: Transport, web: VisitorSink,
                 isVisitor: Callable[[str], bool]) -> None:
        self.xmpp = xmpp
        self.web = web
        self.isVisitor = isVisitor

    def toClient(self, node: str, client: str, body: str | None,
                 chatstate: str | None = None, lang: str | None = None,
                 receipt_id: str | None = None, oob: str | None = None) -> None:
        if self.isVisitor(client):
            self.web.toVisitor(node, client, body, chatstate=chatstate, oob=oob)
        else:
            self.xmpp.toClient(node, client, body, chatstate=chatstate, lang=lang,
                               receipt_id=receipt_id, oob=oob)

    def toOperator(self, operator: str, body: str | None, node: str | None = None,
                   chat_id: int | None = None, chatstate: str | None = None,
                   receipt_id: str | None = None, oob: str | None = None) -> None:
        self.xmpp.toOperator(operator, body, node=node, chat_id=chat_id, chatstate=chatstate,
                             receipt_id=receipt_id, oob=oob)

    def receipt(self, node: str, chat_id: int | None, to: str, message_id: str) -> None:
        """A browser asks for no receipts: none goes to a visitor."""
        if not self.isVisitor(to):
            self.xmpp.receipt(node, chat_id, to, message_id)

    def nodePresence(self, node: str, show: str | None, status: str,
                     available: bool, to: str | None = None) -> None:
        if to is None or not self.isVisitor(to):
            self.xmpp.nodePresence(node, show, status, available, to=to)

    def chatPresence(self, operator: str, node: str, chat_id: int, available: bool,
                     nick: str | None = None, status: str | None = None) -> None:
        self.xmpp.chatPresence(operator, node, chat_id, available, nick=nick, status=status)

    def subscribeOperator(self, operator: str, status: str | None = None,
                          lang: str | None = None) -> None:
        self.xmpp.subscribeOperator(operator, status=status, lang=lang)
