"""
Persist-then-relay (R-CHAT-6): every message, notice, command and state change
is written to the store first, and only what was written is sent.

The store fires its Deferreds in call order, so effects attached here run in
the order the core decided them, chat by chat.
"""
from __future__ import annotations

from typing import Any, Callable

from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.core.chat import Chat
from imsupport.core.model import ChatEvent
from imsupport.core.stats import Metrics
from imsupport.store.interfaces import IStore

log = Logger()


class Journal:
    def __init__(self, store: IStore, clock: IReactorTime, metrics: Metrics) -> None:
        self.store = store
        self.clock = clock
        self.metrics = metrics
        # Told about a chat each time one of its writes has landed, before
        # that write's own effects run: parts that publish a chat's state
        # (its address's presence) follow what is stored.
        self.listeners: list[Callable[[Chat], None]] = []

    def event(self, chat: Chat, kind: str, author: str, text: str = "",
              **data: Any) -> ChatEvent:
        return ChatEvent(chat_id=chat.id, seq=chat.nextSeq(), at=self.clock.seconds(),
                         kind=kind, author=author, text=text, data=data)

    def write(self, chat: Chat, events: list[ChatEvent], save: bool = False,
              then: Callable[[], None] | None = None,
              failed: Callable[[], None] | None = None) -> Deferred:
        """Store ``events`` (and the chat record if ``save``), then run
        ``then``. If the store fails, nothing is relayed and ``failed`` runs."""
        started = self.clock.seconds()
        pending: list[Deferred] = []
        if save:
            pending.append(self.store.saveChat(chat.record))
        if events:
            pending.append(self.store.appendEvents(events))
        d = pending[0] if len(pending) == 1 else gatherResults(pending, consumeErrors=True)
        return self._finish(d, started, chat, then, failed)

    def _finish(self, d: Deferred, started: float, chat: Chat,
                then: Callable[[], None] | None,
                failed: Callable[[], None] | None) -> Deferred:
        def done(_: object) -> None:
            self.metrics.observeWrite(self.clock.seconds() - started)
            for listener in self.listeners:
                try:
                    listener(chat)
                except Exception:
                    log.failure("A listener of chat {chat}'s writes failed", chat=chat.id)
            if then is not None:
                try:
                    then()
                except Exception:
                    log.failure("Relaying stored events of chat {chat} failed", chat=chat.id)

        def error(reason: Failure) -> None:
            self.metrics.writeErrors += 1
            log.failure("Could not store chat {chat} events; not relayed",
                        reason, chat=chat.id)
            if failed is not None:
                failed()

        return d.addCallbacks(done, error)
