"""
The store: the durable log of chats and the home of the directory.

Every method returns a Deferred. Three implementations (memory, SQLite,
PostgreSQL) pass one contract test suite (tests/store/).

Ordering guarantee the core relies on (persist-then-relay, R-CHAT-6): the
Deferreds returned by ``saveChat`` / ``appendEvents`` fire in the order the
calls were made, and only after the data is durable (committed). A store may
batch several calls into one transaction (group commit) to keep up.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zope.interface import Attribute, Interface

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

    from imsupport.core.chatfacts import ChatFacts, OperatorStateChange
    from imsupport.core.events import Delivery, DeliveryState, HookEvent, Webhook
    from imsupport.core.model import (
        ChatEvent,
        ChatRecord,
        Directory,
        FaqEntry,
        FileRecord,
        Node,
        Operator,
    )


class StoreError(Exception):
    """The store could not do what was asked (connection lost, bad data...)."""


class StoreUnavailable(StoreError):
    """The store cannot do it *now*: the connection is lost or cannot be made,
    the server is shutting down, the disk is full, an I/O error, the database
    is locked. The same write may well succeed later, so the core holds it and
    tries again (R-RUN-3). Any other StoreError (a constraint violated, data
    the database cannot keep) would fail again and is not retried."""


@dataclass(frozen=True)
class StoredToken:
    """An API token as kept: its SHA-256 (hex), never the token (SPEC 14)."""
    name: str
    digest: str
    scopes: tuple[str, ...]
    created_at: float = 0.0


class IStore(Interface):
    kind = Attribute("'memory', 'sqlite' or 'postgresql'")

    def open() -> Deferred[None]:
        """Connect and bring the schema up to date. Deferred[None]."""

    def close() -> Deferred[None]:
        """Flush pending writes and disconnect. Deferred[None]."""

    def probe() -> Deferred[None]:
        """Write a few bytes and keep nothing new, to learn whether the store
        can write now (a full disk answers reads but not writes).
        Deferred[None]; fails with StoreUnavailable when it cannot."""

    # -- directory (R-RUN-2) -------------------------------------------------

    def loadDirectory() -> Deferred[Directory]:
        """Deferred[Directory] with everything stored (empty if nothing)."""

    def replaceDirectory(directory: Directory) -> Deferred[None]:
        """Store ``directory`` in place of the stored one, in one transaction."""

    def putOperator(operator: Operator) -> Deferred[None]:
        """Insert or replace one Operator (keyed by jid)."""

    def deleteOperator(jid: str) -> Deferred[bool]:
        """Remove an operator. Deferred[bool]: whether it existed."""

    def putNode(node: Node) -> Deferred[None]:
        """Insert or replace one Node, its groups included (keyed by name)."""

    def deleteNode(name: str) -> Deferred[bool]:
        """Remove a node. Deferred[bool]: whether it existed."""

    def putFaq(entry: FaqEntry) -> Deferred[None]:
        """Insert or replace one FaqEntry (keyed by id)."""

    def deleteFaq(id: str) -> Deferred[bool]:
        """Remove a FAQ entry. Deferred[bool]: whether it existed."""

    # -- chats (R-CHAT-6) ----------------------------------------------------

    def maxChatId() -> Deferred[int]:
        """Deferred[int]: the highest chat id ever stored, 0 if none.

        The core hands out chat ids itself (max + 1, ...) so that it never
        waits for the store to decide an address."""

    def saveChat(chat: ChatRecord) -> Deferred[None]:
        """Insert or replace a ChatRecord (keyed by id). Deferred[None]."""

    def appendEvents(events: Sequence[ChatEvent],
                     hooks: Sequence[HookEvent] = ()) -> Deferred[None]:
        """Append ChatEvents (each carries chat_id and its seq), and add
        ``hooks`` (the SPEC 15 events they report) to the outbox in the same
        transaction. The chat must
        have been saved before (an earlier or the same batch). A (chat_id, seq)
        that already exists with a different event is an error; one that holds
        this very event is not stored again and is no error: a write retried
        after an ambiguous commit (the server committed, then died before it
        answered) finds its own row. Deferred[None]."""

    def addEvents(events: Sequence[HookEvent]) -> Deferred[None]:
        """Add events for integrators that belong to no chat write
        (operator.state) to the outbox. Chat events' HookEvents go with
        their ChatEvents: ``appendEvents(events, hooks)``. An id already in
        the outbox is not added again."""

    def eventsAfter(seq: int, limit: int) -> Deferred[list[tuple[int, HookEvent]]]:
        """Up to ``limit`` (outbox seq, HookEvent) with seq > ``seq``, in seq
        order. Seqs grow in the order the events were stored."""

    def outboxEvent(event_id: str) -> Deferred[HookEvent | None]:
        """The outbox's event with this id, or None."""

    # -- webhooks (SPEC 15) ----------------------------------------------------

    def putWebhook(hook: Webhook) -> Deferred[None]:
        """Insert or replace a Webhook (keyed by id); its delivery state stays."""

    def deleteWebhook(id: str) -> Deferred[bool]:
        """Remove a webhook with its delivery state and redelivery queue (its
        delivery log stays). Deferred[bool]: whether it existed."""

    def webhooks() -> Deferred[list[Webhook]]:
        """Every webhook, by id."""

    def deliveryState(webhook_id: str) -> Deferred[DeliveryState]:
        """Where its deliveries stand (DeliveryState() if none yet)."""

    def recordDelivery(delivery: Delivery, cursor: int, attempts: int, next_at: float,
                       redelivered: bool = False) -> Deferred[None]:
        """One attempt, in one transaction: the log row, and the state it
        leads to (cursor, attempts and next_at of the outbox event in
        delivery); ``redelivered``: the attempt was of a redelivery that is
        now done (delivered or given up), and it leaves the queue."""

    def deliveries(webhook_id: str, limit: int = 100,
                   before: int | None = None) -> Deferred[list[Delivery]]:
        """The latest ``limit`` attempts, newest first, each with its
        ``seq`` in the log; with ``before``, only those older than the
        attempt of that seq (the next page)."""

    def redeliver(webhook_id: str, event_id: str) -> Deferred[bool]:
        """Queue one outbox event to be delivered to the webhook again.
        Deferred[bool]: False when the webhook or the event is unknown."""

    def getChat(chat_id: int) -> Deferred[ChatRecord | None]:
        """Deferred[ChatRecord | None]."""

    def chatEvents(chat_id: int, after_seq: int = 0) -> Deferred[list[ChatEvent]]:
        """Deferred[list[ChatEvent]] with seq > after_seq, in seq order."""

    def openChats() -> Deferred[list[ChatRecord]]:
        """Deferred[list[ChatRecord]]: chats whose state is queued or active,
        by id."""

    def findChats(node: str | None = None, client: str | None = None,
                  operator: str | None = None, state: str | None = None,
                  since: float | None = None, until: float | None = None,
                  limit: int | None = 100, q: str | None = None,
                  before: tuple[float, int] | None = None) -> Deferred[list[ChatRecord]]:
        """Deferred[list[ChatRecord]] matching every given filter, newest first
        (by created_at, then id). ``operator`` matches a chat that operator
        was ever in (as recorded in ``operators`` or any event author).

        ``q``: full-text search (issue 10, item 5): every word of ``q`` is in
        one or more of the chat's messages (events of kind 'message'), in
        any case and any form of the word (Russian and English stems:
        "доставки" finds "доставка"). A ``q`` without letters or digits is
        no filter; no input is an error. ``before``: a keyset cursor, the
        (created_at, id) of the last chat of the previous page; only chats
        after it in this order are returned, so pages of ``limit`` chats
        have no gaps and no repeats."""

    # -- node subscribers (R-PRES-1) -----------------------------------------

    def addSubscriber(node: str, jid: str) -> Deferred[None]:
        """Remember that ``jid`` (bare) subscribed to a node's presence."""

    def removeSubscriber(node: str, jid: str) -> Deferred[None]:
        """Forget a subscriber. Deferred[None]."""

    def subscribers() -> Deferred[dict[str, set[str]]]:
        """Deferred[dict[str, set[str]]]: node name -> subscribed bare JIDs."""

    # -- switches (R-NODE-3) -------------------------------------------------

    def setSwitch(target: str, off: bool, mode: str = "soft") -> Deferred[None]:
        """Record a target (a key of imsupport.core.switches) switched off
        (``off`` True, with its mode) or back on. Deferred[None]."""

    def switchedOff() -> Deferred[set[str]]:
        """Deferred[set[str]]: the targets that are switched off."""

    # -- files (R-CLI-1, R-CMD-6, SPEC 16) -------------------------------------

    def putFile(record: FileRecord) -> Deferred[None]:
        """Insert or replace a FileRecord (keyed by id). Its token is unique
        too: another record with the same token is an error."""

    def getFile(file_id: str) -> Deferred[FileRecord | None]:
        """The file with this id (ids are compared case-insensitively)."""

    def fileByToken(token: str) -> Deferred[FileRecord | None]:
        """The file whose download URL has this token (exact match)."""

    def findFiles(words: str | None = None, client: str | None = None,
                  chat_id: int | None = None, shared: bool | None = None,
                  uploader: str | None = None, since: float | None = None,
                  limit: int | None = 100) -> Deferred[list[FileRecord]]:
        """Files matching every given filter, newest first (created_at, then
        id). ``words``: each whitespace-separated word appears, in any case,
        in the file's name or in the first line of the chat it is in."""

    def fileUsage(uploader: str, since: float) -> Deferred[tuple[int, int]]:
        """(files, bytes) that ``uploader`` put in since ``since`` (for the
        per-day quota)."""

    # -- statistics (R-STAT-1..3) ----------------------------------------------

    def chatFacts(node: str | None, since: float, until: float, client: str | None = None,
                  operator: str | None = None,
                  presence: bool = True) -> Deferred[list[ChatFacts]]:
        """Deferred[list[ChatFacts]] (core/chatfacts.py) of the chats created
        in [since, until), of ``node`` (None: every node) and ``client`` when
        given, that ``operator`` (when given) was ever in, by created_at then
        id; first_response_at and rating computed by the store, in one pass
        for the SQL stores (store/sqlstats.py). ``presence`` False: who was
        in each chat is not read (``listed`` and ``states`` are empty, so
        ``operators`` and ``spans`` too): a node's or client's figures do
        without it, and are quicker for it."""

    def operatorStates(operator: str, since: float,
                       until: float) -> Deferred[list[OperatorStateChange]]:
        """Deferred[list[OperatorStateChange]]: from the outbox's
        ``operator.state`` events of ``operator`` (its bare JID as the
        events carry it), the last one before ``since`` and every one in
        [since, until), by time."""

    # -- API tokens (SPEC 14) ---------------------------------------------------------

    def putToken(token: StoredToken) -> Deferred[None]:
        """Add the token, or replace the one of that name."""

    def deleteToken(name: str) -> Deferred[bool]:
        """Deferred[bool]: whether there was one."""

    def tokens() -> Deferred[list[StoredToken]]:
        """Deferred[list[StoredToken]], by name."""
