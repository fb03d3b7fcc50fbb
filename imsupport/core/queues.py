"""
Each node's queue (R-CHAT-1, R-ROUTE-9): first come first served, a chat
that lost its operator goes first. The only place a queue changes, and the
only sender of "you are now number N" to the clients who moved up. Read like
a mapping of node name -> the queued chat ids in order.

A client is told their new place when it is one of the first few, or when
they moved up by a quarter since they were last told: someone 200th hears
of it some twenty times on their way to the front, not 199, and a queue of
N drained costs about N log N notices, not N squared over 2.
"""
from __future__ import annotations

from typing import Iterator, Mapping

from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.notices import Notices

ALWAYS_TOLD = 5  # places told at every move
TOLD_STEP = 0.75  # further back, a place is told once it is at most this of the last told


class Queues(Mapping[str, list[int]]):
    def __init__(self, chats: Chats, notices: Notices) -> None:
        self.chats = chats
        self.notices = notices
        self._queues: dict[str, list[int]] = {}
        self._told: dict[int, int] = {}  # chat id -> the place its client was last told

    def __getitem__(self, node: str) -> list[int]:
        return list(self._queues[node])

    def __iter__(self) -> Iterator[str]:
        return iter(self._queues)

    def __len__(self) -> int:
        return len(self._queues)

    def length(self, node: str) -> int:
        return len(self._queues.get(node, ()))

    def position(self, chat: Chat) -> int:
        """1 for the first in its node's queue."""
        return self._queues[chat.node].index(chat.id) + 1

    def placeTold(self, chat: Chat) -> int:
        """The chat's place, which its client is being told now (the greeting)."""
        place = self._told[chat.id] = self.position(chat)
        return place

    def worthTelling(self, chat_id: int, place: int) -> bool:
        told = self._told.get(chat_id)
        return place <= ALWAYS_TOLD or told is None or place <= told * TOLD_STEP

    def waiting(self, node: str) -> Iterator[Chat]:
        """The node's queued chats, first first (as queued when asked: the
        queue may change while they are looked at)."""
        chats = self.chats
        for chat_id in list(self._queues.get(node, ())):
            chat = chats.get(chat_id)
            if chat is not None:
                yield chat

    def add(self, chat: Chat) -> None:
        self._queues.setdefault(chat.node, []).append(chat.id)

    def putFirst(self, chat: Chat) -> None:
        self._queues.setdefault(chat.node, []).insert(0, chat.id)

    def leave(self, chat: Chat) -> bool:
        """Out of the queue; everyone behind it is told their new place."""
        queue = self._queues.get(chat.node, [])
        if chat.id not in queue:
            return False
        index = queue.index(chat.id)
        queue.remove(chat.id)
        self._told.pop(chat.id, None)
        for position, later in enumerate(queue[index:], start=index + 1):
            waiting = self.chats.get(later)
            if waiting is not None and waiting.client_lines \
                    and self.worthTelling(later, position):
                self._told[later] = position
                self.notices.toClient(waiting, "queue_position", position=position)
        return True
