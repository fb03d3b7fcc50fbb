"""
Relaying a chat's messages (R-CHAT-3): the client's words to every operator
in the chat, an operator's to the client (unless muted, R-CMD-1) and, signed
with their name, to the other operators; XEP-0085 chat states as sent, and
XEP-0184 receipts mapped across. Called only for what is already stored.
"""
from __future__ import annotations

from imsupport.core.chat import Chat
from imsupport.core.ports import Transport
from imsupport.core.stats import Metrics
from imsupport.core.team import Team


class Relay:
    def __init__(self, transport: Transport, team: Team, metrics: Metrics) -> None:
        self.transport = transport
        self.team = team
        self.metrics = metrics

    def fromClient(self, chat: Chat, text: str, message_id: str | None = None,
                   receipt: bool = False, chatstate: str | None = None) -> None:
        for seq, operator in enumerate(chat.record.operators):
            relayed = None
            if receipt and message_id:
                relayed = f"c{chat.id}-{chat.seq}-{seq}"
                chat.rememberReceipt(relayed, chat.client, message_id)
            self.transport.toOperator(operator, text, node=chat.node, chat_id=chat.id,
                                      chatstate=chatstate, receipt_id=relayed)
            self.metrics.messages_relayed += 1

    def fromOperator(self, chat: Chat, operator: str, text: str,
                     message_id: str | None = None, receipt: bool = False,
                     chatstate: str | None = None) -> None:
        others = [o for o in chat.record.operators if o != operator]
        if others:
            signed = f"[{self.team.displayName(operator)}] {text}"
            for other in others:
                self.transport.toOperator(other, signed, node=chat.node, chat_id=chat.id)
        if operator in chat.muted:
            return
        relayed = None
        if receipt and message_id:
            relayed = f"o{chat.id}-{chat.seq}"
            chat.rememberReceipt(relayed, operator, message_id)
        self.transport.toClient(chat.node, chat.client, text, chatstate=chatstate,
                                receipt_id=relayed)
        self.metrics.messages_relayed += 1

    def toClient(self, chat: Chat, text: str) -> None:
        """An operator's words that accepted an invitation."""
        self.transport.toClient(chat.node, chat.client, text)
        self.metrics.messages_relayed += 1

    def clientChatState(self, chat: Chat, state: str) -> None:
        if chat.active:
            for operator in chat.record.operators:
                self.transport.toOperator(operator, None, node=chat.node, chat_id=chat.id,
                                          chatstate=state)

    def operatorChatState(self, chat: Chat, operator: str, state: str) -> None:
        if chat.active and operator in chat.record.operators:
            self.transport.toClient(chat.node, chat.client, None, chatstate=state)

    def clientReceipt(self, chat: Chat, message_id: str) -> None:
        """The client got an operator's message: the receipt goes to them."""
        if message_id in chat.receipts:
            sender, original = chat.receipts.pop(message_id)
            self.transport.receipt(chat.node, chat.id, sender, original)

    def operatorReceipt(self, chat: Chat, message_id: str) -> None:
        if message_id in chat.receipts:
            sender, original = chat.receipts.pop(message_id)
            self.transport.receipt(chat.node, None, sender, original)

    # -- files (SPEC 16): the service's link, with XEP-0066 for clients that show it --

    def fileFromClient(self, chat: Chat, url: str) -> None:
        for operator in chat.record.operators:
            self.transport.toOperator(operator, url, node=chat.node, chat_id=chat.id, oob=url)
            self.metrics.messages_relayed += 1

    def fileFromOperator(self, chat: Chat, operator: str, url: str) -> None:
        others = [o for o in chat.record.operators if o != operator]
        for other in others:
            self.transport.toOperator(other, f"[{self.team.displayName(operator)}] {url}",
                                      node=chat.node, chat_id=chat.id, oob=url)
        if operator in chat.muted:
            return
        self.transport.toClient(chat.node, chat.client, url, oob=url)
        self.metrics.messages_relayed += 1
