"""
Broadcasts (R-API-2, SPEC 14's ``POST /api/v1/messages``): a message from
the service to a group's operators, to every open chat (or a node's), to one
client's open chats, or into one operator's open chats.

What goes to a chat is kept in its history as a notice before it is sent
(persist-then-relay); the chat's operators see what their clients were told.
A message to operators outside any chat comes from the service's console
address and has no chat to be stored with.
"""
from __future__ import annotations

from dataclasses import dataclass

from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.notices import Notices

MAX_TEXT = 10_000  # characters of one broadcast


class NoSuchTarget(LookupError):
    """The node or group a broadcast names does not exist."""


@dataclass(frozen=True)
class Broadcast:
    """Who a broadcast went to: chat ids and operators' addresses."""

    chats: tuple[int, ...] = ()
    operators: tuple[str, ...] = ()


class Broadcasts:
    def __init__(self, directory: DirectoryRef, chats: Chats, notices: Notices) -> None:
        self.directory = directory
        self.chats = chats
        self.notices = notices

    def toGroup(self, node: str, group: str, text: str) -> Broadcast:
        found = self.directory.node(node)
        groups = {g.name: g for g in found.groups} if found else {}
        if group not in groups:
            raise NoSuchTarget(f"there is no group {node}/{group}")
        operators = tuple(dict.fromkeys(groups[group].operators))
        for operator in operators:
            self.notices.direct(operator, "broadcast_operator", text=text[:MAX_TEXT])
        return Broadcast(operators=operators)

    def toChats(self, node: str | None, text: str) -> Broadcast:
        """Every open chat (``node`` None) or a node's."""
        if node is not None and self.directory.node(node) is None:
            raise NoSuchTarget(f"there is no node {node}")
        return self._into([c for c in self._open() if node is None or c.node == node], text)

    def toClient(self, client: str, text: str) -> Broadcast:
        return self._into([c for c in self._open() if c.client == client], text)

    def toOperatorChats(self, operator: str, text: str) -> Broadcast:
        return self._into([c for c in self._open() if operator in c.record.operators], text)

    def _open(self) -> list[Chat]:
        return [self.chats[i] for i in sorted(self.chats)]

    def _into(self, chats: list[Chat], text: str) -> Broadcast:
        text = text[:MAX_TEXT]
        for chat in chats:
            self.notices.toClient(chat, "broadcast_client", text=text)
            for operator in chat.record.operators:
                self.notices.toOperator(chat, operator, "broadcast_copy", text=text)
        return Broadcast(chats=tuple(c.id for c in chats))
