"""
The store in a few dictionaries, for unit tests of the core.

Its Deferreds have fired when they are returned, so tests need no reactor.
It keeps what the SQL stores would keep, not the caller's objects: records go
through the same row and JSON codec, so a test cannot pass by mutating a
stored object, and data the databases would refuse (not JSON, NaN) is refused
here too.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable, Sequence, TypeVar

from twisted.internet.defer import Deferred, fail, succeed
from zope.interface import implementer

from imsupport.core.chatfacts import ChatFacts, OperatorStateChange, chatFacts
from imsupport.core.events import OPERATOR_STATE, Delivery, DeliveryState, HookEvent, Webhook
from imsupport.core.model import (
    MESSAGE,
    OPEN_STATES,
    ChatEvent,
    ChatRecord,
    Directory,
    FaqEntry,
    FileRecord,
    Node,
    Operator,
)
from imsupport.store import codec, sqlhooks, sqlsearch
from imsupport.store.codec import ChatRow, EventRow, FileRow
from imsupport.store.interfaces import IStore, StoredToken, StoreError
from imsupport.store.sql import DIRECTORY

T = TypeVar("T")


def _answer(compute: Callable[..., T], *args: Any) -> Deferred[T]:
    """Errors come back as StoreError in a Deferred, as from a database."""
    try:
        return succeed(compute(*args))
    except StoreError as e:
        return fail(e)
    except Exception as e:
        return fail(StoreError(f"{type(e).__name__}: {e}"))


@implementer(IStore)
class MemoryStore:
    kind = "memory"

    def __init__(self) -> None:
        # kind -> key -> JSON text, in insertion order (like the position column)
        self._directory: dict[str, dict[str, str]] = {kind: {} for kind in DIRECTORY}
        self._chats: dict[int, ChatRow] = {}
        self._events: dict[int, dict[int, EventRow]] = {}
        self._subscribers: dict[str, set[str]] = {}
        self._switches: dict[str, str] = {}
        self._files: dict[str, FileRow] = {}  # lower-case id -> row
        self._tokens: dict[str, StoredToken] = {}
        self._outbox: list[tuple[Any, ...]] = []  # (seq, *OutboxRow); seq = index + 1
        self._outboxIds: set[str] = set()
        self._webhooks: dict[str, Webhook] = {}
        self._hookStates: dict[str, DeliveryState] = {}
        self._redeliveries: dict[str, list[str]] = {}  # webhook id -> event ids, in order
        self._deliveries: list[Delivery] = []

    def open(self) -> Deferred[None]:
        return succeed(None)

    def close(self) -> Deferred[None]:
        """Nothing to flush; the data stays, so a reopened store still has it."""
        return succeed(None)

    def probe(self) -> Deferred[None]:
        """Memory can always write."""
        return succeed(None)

    # -- directory -----------------------------------------------------------------

    def loadDirectory(self) -> Deferred[Directory]:
        return _answer(lambda: Directory(**{
            kind: tuple(DIRECTORY[kind][2](text) for text in self._directory[kind].values())
            for kind in DIRECTORY}))

    def replaceDirectory(self, directory: Directory) -> Deferred[None]:
        def replace() -> None:
            encoded = {kind: {getattr(item, DIRECTORY[kind][1]): codec.itemToJson(item)
                              for item in getattr(directory, kind)}
                       for kind in DIRECTORY}
            self._directory = encoded
        return _answer(replace)

    def _put(self, kind: str, item: Any) -> Deferred[None]:
        def put() -> None:
            self._directory[kind][getattr(item, DIRECTORY[kind][1])] = codec.itemToJson(item)
        return _answer(put)

    def _delete(self, kind: str, key: str) -> Deferred[bool]:
        return _answer(lambda: self._directory[kind].pop(key, None) is not None)

    def putOperator(self, operator: Operator) -> Deferred[None]:
        return self._put("operators", operator)

    def deleteOperator(self, jid: str) -> Deferred[bool]:
        return self._delete("operators", jid)

    def putNode(self, node: Node) -> Deferred[None]:
        return self._put("nodes", node)

    def deleteNode(self, name: str) -> Deferred[bool]:
        return self._delete("nodes", name)

    def putFaq(self, entry: FaqEntry) -> Deferred[None]:
        return self._put("faq", entry)

    def deleteFaq(self, id: str) -> Deferred[bool]:
        return self._delete("faq", id)

    # -- chats ------------------------------------------------------------------------

    def maxChatId(self) -> Deferred[int]:
        return succeed(max(self._chats, default=0))

    def saveChat(self, chat: ChatRecord) -> Deferred[None]:
        def save() -> None:
            row = codec.chatToRow(chat)
            self._chats[row[0]] = row
        return _answer(save)

    def appendEvents(self, events: Sequence[ChatEvent],
                     hooks: Sequence[HookEvent] = ()) -> Deferred[None]:
        def append() -> None:
            rows = [sqlhooks.outboxRow(h) for h in hooks]  # refused before anything is kept
            self._append(events)
            self._addOutbox(rows)
        return _answer(append)

    # -- events for integrators (SPEC 15) ------------------------------------------------

    def addEvents(self, events: Sequence[HookEvent]) -> Deferred[None]:
        return _answer(lambda: self._addOutbox([sqlhooks.outboxRow(e) for e in events]))

    def _addOutbox(self, rows: Sequence[sqlhooks.OutboxRow]) -> None:
        for row in rows:
            if row[0] not in self._outboxIds:
                self._outboxIds.add(row[0])
                self._outbox.append((len(self._outbox) + 1, *row))

    def eventsAfter(self, seq: int, limit: int) -> Deferred[list[tuple[int, HookEvent]]]:
        return succeed([sqlhooks.eventFromRow(r) for r in self._outbox[max(seq, 0):][:limit]])

    def outboxEvent(self, event_id: str) -> Deferred[HookEvent | None]:
        rows = [r for r in self._outbox if r[1] == event_id]
        return succeed(sqlhooks.eventFromRow(rows[0])[1] if rows else None)

    def putWebhook(self, hook: Webhook) -> Deferred[None]:
        return _answer(self._webhooks.__setitem__, hook.id, hook)

    def deleteWebhook(self, id: str) -> Deferred[bool]:
        self._hookStates.pop(id, None)
        self._redeliveries.pop(id, None)
        return succeed(self._webhooks.pop(id, None) is not None)

    def webhooks(self) -> Deferred[list[Webhook]]:
        return succeed([self._webhooks[k] for k in sorted(self._webhooks)])

    def deliveryState(self, webhook_id: str) -> Deferred[DeliveryState]:
        state = self._hookStates.get(webhook_id, DeliveryState())
        return succeed(replace(state, redeliver=tuple(self._redeliveries.get(webhook_id, []))))

    def recordDelivery(self, delivery: Delivery, cursor: int, attempts: int, next_at: float,
                       redelivered: bool = False) -> Deferred[None]:
        self._deliveries.append(replace(delivery, seq=len(self._deliveries) + 1))
        self._hookStates[delivery.webhook_id] = DeliveryState(cursor, attempts, next_at)
        queue = self._redeliveries.get(delivery.webhook_id, [])
        if redelivered and delivery.event_id in queue:
            queue.remove(delivery.event_id)
        return succeed(None)

    def deliveries(self, webhook_id: str, limit: int = 100,
                   before: int | None = None) -> Deferred[list[Delivery]]:
        return succeed([d for d in reversed(self._deliveries) if d.webhook_id == webhook_id
                        and (before is None or d.seq < before)][:limit])

    def redeliver(self, webhook_id: str, event_id: str) -> Deferred[bool]:
        if webhook_id not in self._webhooks or event_id not in self._outboxIds:
            return succeed(False)
        queue = self._redeliveries.setdefault(webhook_id, [])
        if event_id not in queue:
            queue.append(event_id)
        return succeed(True)

    def _append(self, events: Sequence[ChatEvent]) -> None:
        """All or nothing, with the checks the SQL schema makes: the chat
        exists (foreign key) and (chat_id, seq) is new (primary key), unless
        it holds this very event already (a retried write, as the SQL stores
        take it)."""
        rows = [codec.eventToRow(e) for e in events]
        seen: set[tuple[int, int]] = set()
        fresh = []
        for row in rows:
            chat_id, seq = row[0], row[1]
            if chat_id not in self._chats:
                raise StoreError(f"chat {chat_id} was never saved")
            stored = self._events.get(chat_id, {}).get(seq)
            if (chat_id, seq) in seen or (stored is not None and stored != row):
                raise StoreError(f"chat {chat_id} already has an event {seq}")
            seen.add((chat_id, seq))
            if stored is None:
                fresh.append(row)
        for row in fresh:
            self._events.setdefault(row[0], {})[row[1]] = row

    def getChat(self, chat_id: int) -> Deferred[ChatRecord | None]:
        row = self._chats.get(chat_id)
        return succeed(codec.chatFromRow(row) if row else None)

    def chatEvents(self, chat_id: int, after_seq: int = 0) -> Deferred[list[ChatEvent]]:
        stored = self._events.get(chat_id, {})
        return succeed([codec.eventFromRow(stored[seq]) for seq in sorted(stored)
                        if seq > after_seq])

    def openChats(self) -> Deferred[list[ChatRecord]]:
        return succeed([codec.chatFromRow(self._chats[i]) for i in sorted(self._chats)
                        if self._chats[i][3] in OPEN_STATES])

    def findChats(self, node: str | None = None, client: str | None = None,
                  operator: str | None = None, state: str | None = None,
                  since: float | None = None, until: float | None = None,
                  limit: int | None = 100, q: str | None = None,
                  before: tuple[float, int] | None = None) -> Deferred[list[ChatRecord]]:
        """Same meaning as the SQL stores: ``since`` inclusive, ``until``
        exclusive, newest first, ``limit`` None for all; ``q`` matched on
        the same stems as SQLite's index (sqlsearch)."""
        wanted = set(sqlsearch.queryStems(q))
        found: list[ChatRecord] = []
        for chat in map(codec.chatFromRow, self._chats.values()):
            if ((node is not None and chat.node != node)
                    or (client is not None and chat.client != client)
                    or (state is not None and chat.state != state)
                    or (since is not None and chat.created_at < since)
                    or (until is not None and chat.created_at >= until)
                    or (operator is not None and not self._wasIn(operator, chat))
                    or (before is not None and (chat.created_at, chat.id) >= before)
                    or (wanted and not wanted <= self._stems(chat.id))):
                continue
            found.append(chat)
        found.sort(key=lambda c: (c.created_at, c.id), reverse=True)
        return succeed(found if limit is None else found[:limit])

    def _stems(self, chat_id: int) -> set[str]:
        return sqlsearch.messageStems(row[5] for row in self._events.get(chat_id, {}).values()
                                      if row[3] == MESSAGE)

    def _wasIn(self, operator: str, chat: ChatRecord) -> bool:
        return operator in chat.operators or any(
            row[4] == operator for row in self._events.get(chat.id, {}).values())

    # -- files (R-CLI-1, R-CMD-6, SPEC 16) -----------------------------------------------

    def putFile(self, record: FileRecord) -> Deferred[None]:
        return _answer(self._putFile, record)

    def _putFile(self, record: FileRecord) -> None:
        """With the checks the SQL schema makes: the chat exists (foreign
        key) and no other record has the token (unique)."""
        row = codec.fileToRow(record)
        file_id, token, chat_id = row[0], row[1], row[9]
        if chat_id is not None and chat_id not in self._chats:
            raise StoreError(f"chat {chat_id} was never saved")
        if any(other[1] == token and other[0] != file_id for other in self._files.values()):
            raise StoreError("another file already has this token")
        self._files[file_id] = row

    def getFile(self, file_id: str) -> Deferred[FileRecord | None]:
        row = self._files.get(codec.fileId(file_id))
        return succeed(codec.fileFromRow(row) if row else None)

    def fileByToken(self, token: str) -> Deferred[FileRecord | None]:
        row = next((r for r in self._files.values() if r[1] == token), None)
        return succeed(codec.fileFromRow(row) if row else None)

    def findFiles(self, words: str | None = None, client: str | None = None,
                  chat_id: int | None = None, shared: bool | None = None,
                  uploader: str | None = None, since: float | None = None,
                  limit: int | None = 100) -> Deferred[list[FileRecord]]:
        """Same meaning as the SQL stores: every word in the name or the
        chat's first line (any case), ``since`` inclusive, newest first."""
        terms = [t.lower() for t in (words or "").split()]
        found: list[FileRecord] = []
        for record in map(codec.fileFromRow, self._files.values()):
            if ((client is not None and record.client != client)
                    or (chat_id is not None and record.chat_id != chat_id)
                    or (shared is not None and record.shared != shared)
                    or (uploader is not None and record.uploader != uploader)
                    or (since is not None and record.created_at < since)
                    or not all(self._mentions(record, t) for t in terms)):
                continue
            found.append(record)
        found.sort(key=lambda f: (f.created_at, f.id), reverse=True)
        return succeed(found if limit is None else found[:limit])

    def _mentions(self, record: FileRecord, term: str) -> bool:
        chat = self._chats.get(record.chat_id) if record.chat_id is not None else None
        first_line = codec.chatFromRow(chat).first_line if chat else ""
        return term in record.name.lower() or term in first_line.lower()

    def fileUsage(self, uploader: str, since: float) -> Deferred[tuple[int, int]]:
        rows = [r for r in self._files.values() if r[7] == uploader and r[6] >= since]
        return succeed((len(rows), sum(r[3] for r in rows)))

    # -- subscribers --------------------------------------------------------------------

    def addSubscriber(self, node: str, jid: str) -> Deferred[None]:
        self._subscribers.setdefault(node, set()).add(jid)
        return succeed(None)

    def removeSubscriber(self, node: str, jid: str) -> Deferred[None]:
        jids = self._subscribers.get(node)
        if jids is not None:
            jids.discard(jid)
            if not jids:
                del self._subscribers[node]
        return succeed(None)

    def subscribers(self) -> Deferred[dict[str, set[str]]]:
        return succeed({node: set(jids) for node, jids in self._subscribers.items()})

    # -- switches (R-NODE-3) ---------------------------------------------------------------

    def setSwitch(self, target: str, off: bool, mode: str = "soft") -> Deferred[None]:
        if off:
            self._switches[target] = mode
        else:
            self._switches.pop(target, None)
        return succeed(None)

    def switchedOff(self) -> Deferred[set[str]]:
        return succeed(set(self._switches))

    # -- statistics (R-STAT-1..3) ----------------------------------------------------

    def chatFacts(self, node: str | None, since: float, until: float,
                  client: str | None = None,
                  operator: str | None = None,
                  presence: bool = True) -> Deferred[list[ChatFacts]]:
        found: list[ChatFacts] = []
        for chat in map(codec.chatFromRow, self._chats.values()):
            if ((node is not None and chat.node != node)
                    or (client is not None and chat.client != client)
                    or not since <= chat.created_at < until):
                continue
            stored = self._events.get(chat.id, {})
            facts = chatFacts(chat, [codec.eventFromRow(row) for row in stored.values()])
            if operator is None or operator in facts.operators:
                found.append(facts if presence else replace(facts, listed=(), states=()))
        found.sort(key=lambda f: (f.created_at, f.chat_id))
        return succeed(found)

    def operatorStates(self, operator: str, since: float,
                       until: float) -> Deferred[list[OperatorStateChange]]:
        rows = sorted((r for r in self._outbox if r[2] == OPERATOR_STATE
                       and json.loads(r[4]).get("operator") == operator and r[3] < until),
                      key=lambda r: (r[3], r[0]))
        before = [r for r in rows if r[3] < since][-1:]
        chosen = before + [r for r in rows if r[3] >= since]
        return succeed(sqlhooks.changesFromRows(operator, [(r[3], r[4]) for r in chosen]))

    # -- API tokens (SPEC 14) ---------------------------------------------------------

    def putToken(self, token: StoredToken) -> Deferred[None]:
        def put() -> None:
            if any(t.digest == token.digest and t.name != token.name
                   for t in self._tokens.values()):
                raise StoreError(f"another token has the digest of {token.name}")
            self._tokens[token.name] = token
        return _answer(put)

    def deleteToken(self, name: str) -> Deferred[bool]:
        return _answer(lambda: self._tokens.pop(name, None) is not None)

    def tokens(self) -> Deferred[list[StoredToken]]:
        return _answer(lambda: [self._tokens[n] for n in sorted(self._tokens)])
