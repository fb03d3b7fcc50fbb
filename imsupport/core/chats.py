"""
The open chats and what the service remembers of each client (R-CHAT-1,
R-ROUTE-4, R-ROUTE-5): chat numbers, each client's open chat in a node, the
operator of their last chat there, and the languages they chose with !lang.
Read like a mapping of chat id -> Chat.
"""
from __future__ import annotations

from typing import Iterator, Mapping

from twisted.internet.interfaces import IReactorTime

from imsupport.core.chat import Chat
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.model import ChatRecord
from imsupport.core.timers import Timers


class Chats(Mapping[int, Chat]):
    def __init__(self, directory: DirectoryRef, clock: IReactorTime,
                 last_chat_id: int = 0) -> None:
        self.directory = directory
        self.clock = clock
        self.last_id = last_chat_id  # the core hands out ids itself (max + 1)
        self._open: dict[int, Chat] = {}
        self._byClient: dict[str, dict[str, int]] = {}  # client -> node -> open chat
        self.lastOperator: dict[tuple[str, str], str] = {}  # (node, client) -> operator
        self.clientLanguages: dict[str, tuple[str, ...]] = {}  # client -> from !lang

    # -- the mapping -------------------------------------------------------------------

    def __getitem__(self, chat_id: int) -> Chat:
        return self._open[chat_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._open)

    def __len__(self) -> int:
        return len(self._open)

    def ofClient(self, node: str | None, client: str) -> Chat | None:
        """The client's open chat in ``node``."""
        if node is None:
            return None
        chat_id = self._byClient.get(client, {}).get(node)
        return self._open.get(chat_id) if chat_id is not None else None

    def idOfClient(self, node: str, client: str) -> int | None:
        return self._byClient.get(client, {}).get(node)

    def allOfClient(self, client: str) -> list[Chat]:
        """The client's open chats in every node, first first: an index, not
        a scan of every open chat (the web chat asks on each request)."""
        ids = sorted(self._byClient.get(client, {}).values())
        return [self._open[i] for i in ids if i in self._open]

    # -- opening and closing -----------------------------------------------------------

    def start(self, node: str, client: str, languages: tuple[str, ...]) -> Chat:
        """A new chat (queued) with the next number."""
        self.last_id += 1
        record = ChatRecord(id=self.last_id, node=node, client=client, languages=languages,
                            created_at=self.clock.seconds())
        chat = self.chatOf(record)
        chat.last_operator = self.lastOperator.get((node, client))
        self.add(chat)
        return chat

    def chatOf(self, record: ChatRecord) -> Chat:
        return Chat(record=record, timers=Timers(self.clock))

    def add(self, chat: Chat) -> None:
        self._open[chat.id] = chat
        self._byClient.setdefault(chat.client, {})[chat.node] = chat.id

    def remove(self, chat: Chat) -> None:
        """The chat closed: its last operator is remembered (R-ROUTE-5)."""
        if chat.record.operators:
            self.lastOperator[(chat.node, chat.client)] = chat.record.operators[-1]
        self._open.pop(chat.id, None)
        nodes = self._byClient.get(chat.client, {})
        if nodes.get(chat.node) == chat.id:
            del nodes[chat.node]
            if not nodes:
                del self._byClient[chat.client]

    # -- languages (R-ROUTE-4, R-CLI-2) ------------------------------------------------

    def languagesFor(self, node: str, lang: str | None,
                     client: str | None = None) -> tuple[str, ...]:
        """!lang if the client used it; else the message's xml:lang first and
        the node's languages after it; else the node's."""
        if client is not None and client in self.clientLanguages:
            return self.clientLanguages[client]
        found = self.directory.node(node)
        defaults = found.languages if found else ()
        if lang:
            base = lang.lower().split("-")[0]
            return (base,) + tuple(x for x in defaults if x != base)
        return tuple(defaults)
