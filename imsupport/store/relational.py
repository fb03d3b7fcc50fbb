"""
What the SQLite and the PostgreSQL stores have in common: every IStore method
as a program from ``sql``, the group commit of chat writes, the schema
upgrade at open, and one error type for callers.

A subclass only says how to connect, how to run a program in one transaction
and how to disconnect.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence, TypeVar

from twisted.internet.defer import Deferred, fail, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

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
from imsupport.store import codec, sql, sqlhooks, sqlsearch, sqlstats, sqltokens
from imsupport.store.batch import GroupCommit, asStoreError
from imsupport.store.interfaces import IStore, StoredToken, StoreError, StoreUnavailable
from imsupport.store.upgrade import Step, loadSteps

log = Logger()

T = TypeVar("T")

# Seconds a batch of chat writes waits to fill before it goes to the database:
# 0 = until the end of the current reactor turn, which already gathers the
# writes of every stanza parsed from one read without adding latency.
BATCH_DELAY = 0.0


@implementer(IStore)
class RelationalStore:
    kind = "relational"

    def __init__(self, where: str, steps: Sequence[Step] | None = None) -> None:
        """``where`` names the database in messages (never a password);
        ``steps`` replaces the packaged schema steps (tests)."""
        self._where = where
        self._steps = list(steps) if steps is not None else loadSteps(self.kind)
        self._writes: GroupCommit[sql.ChatWrite] | None = None

    # -- what a subclass provides ------------------------------------------------

    def _connect(self) -> Deferred[None]:
        raise NotImplementedError

    def _beforeUpgrade(self, steps: Sequence[Step]) -> Deferred[None]:
        return succeed(None)

    def _run(self, program: sql.Program[T]) -> Deferred[T]:
        """Run ``program`` in one transaction; Deferred of its result."""
        raise NotImplementedError

    def _disconnect(self) -> None:
        raise NotImplementedError

    def _unavailable(self, error: BaseException) -> bool:
        """Whether ``error`` means the database cannot write *now* (lost
        connection, full disk...) rather than that this write is wrong."""
        return False

    def _later(self) -> Callable[[Callable[[], None]], object] | None:
        """How to run something at the end of this reactor turn; None when
        the store was given no reactor (batches then start at once)."""
        reactor = getattr(self, "_reactor", None)
        if reactor is None:
            return None
        return lambda f: reactor.callLater(BATCH_DELAY, f)

    # -- opening and closing ---------------------------------------------------------

    def open(self) -> Deferred[None]:
        return Deferred.fromCoroutine(self._open())

    async def _open(self) -> None:
        if self._writes is not None:
            raise StoreError(f"the {self.kind} store at {self._where} is already open")
        try:
            await self._connect()
            await self._beforeUpgrade(self._steps)
            applied = await self._run(sql.upgrade(self.kind, self._steps, time.time()))
        except Exception as e:
            self._disconnect()
            raise StoreError(f"cannot open the {self.kind} store at {self._where}: "
                             f"{type(e).__name__}: {e}") from e
        if applied:
            log.info("Upgraded the {kind} store at {where}: schema steps {steps} applied",
                     kind=self.kind, where=self._where, steps=applied)
        self._writes = GroupCommit(self._commitWrites, self._later())

    def close(self) -> Deferred[None]:
        """Waits for queued chat writes before disconnecting, so nothing the
        core was promised is lost at shutdown."""
        writes, self._writes = self._writes, None
        if writes is None:
            return succeed(None)
        return writes.close().addCallback(lambda _: self._disconnect())

    # -- running programs ------------------------------------------------------------

    def _storeError(self, reason: Failure) -> Failure:
        """What callers see: StoreUnavailable when the same call may succeed
        later, else StoreError, with the driver's message."""
        if reason.check(StoreError):
            return reason
        if reason.value is not None and self._unavailable(reason.value):
            error = StoreUnavailable(f"{type(reason.value).__name__}: "
                                     f"{reason.getErrorMessage().strip()}")
            error.__cause__ = reason.value
            return Failure(error)
        return asStoreError(reason)

    def _call(self, program: sql.Program[T]) -> Deferred[T]:
        if self._writes is None:
            program.close()
            return fail(StoreError(f"the {self.kind} store at {self._where} is not open"))
        return self._run(program).addErrback(self._storeError)

    def _read(self, program: sql.Program[T]) -> Deferred[T]:
        """Chat reads wait for the chat writes asked for before them, so the
        store reads its own writes as the memory store does. File writes wait
        too: the chat a file is linked to is stored before the file is."""
        if self._writes is None:
            return self._call(program)
        return self._writes.barrier().addCallback(lambda _: self._call(program))

    def _submit(self, make: Callable[[], sql.ChatWrite]) -> Deferred[None]:
        if self._writes is None:
            return fail(StoreError(f"the {self.kind} store at {self._where} is not open"))
        try:
            write = make()
        except (TypeError, ValueError, AttributeError) as e:
            return fail(StoreError(f"cannot store this chat data: {e}"))
        return self._writes.submit(write)

    def _commitWrites(self, writes: list[sql.ChatWrite]) -> Deferred[None]:
        """A batch that breaks a constraint is tried once more as a possible
        retry of writes already committed (see ``sql.writeChatsAgain``)."""
        def again(reason: Failure) -> Deferred[None]:
            reason = self._storeError(reason)
            if reason.check(StoreUnavailable) or not any(w.events for w in writes):
                return fail(reason)
            return self._run(sql.writeChatsAgain(writes)).addErrback(self._storeError)

        return self._run(sql.writeChats(writes)).addErrback(again)

    def probe(self) -> Deferred[None]:
        if self._writes is None:
            return fail(StoreUnavailable(f"the {self.kind} store at {self._where} is not open"))
        return self._call(sql.probe(time.time()))

    # -- directory -----------------------------------------------------------------

    def loadDirectory(self) -> Deferred[Directory]:
        return self._call(sql.loadDirectory())

    def replaceDirectory(self, directory: Directory) -> Deferred[None]:
        return self._call(sql.replaceDirectory(directory))

    def putOperator(self, operator: Operator) -> Deferred[None]:
        return self._call(sql.putItem("operators", operator))

    def deleteOperator(self, jid: str) -> Deferred[bool]:
        return self._call(sql.deleteItem("operators", jid))

    def putNode(self, node: Node) -> Deferred[None]:
        return self._call(sql.putItem("nodes", node))

    def deleteNode(self, name: str) -> Deferred[bool]:
        return self._call(sql.deleteItem("nodes", name))

    def putFaq(self, entry: FaqEntry) -> Deferred[None]:
        return self._call(sql.putItem("faq", entry))

    def deleteFaq(self, id: str) -> Deferred[bool]:
        return self._call(sql.deleteItem("faq", id))

    # -- chats ------------------------------------------------------------------------

    def saveChat(self, chat: ChatRecord) -> Deferred[None]:
        return self._submit(lambda: sql.ChatWrite(chats=(codec.chatToRow(chat),)))

    def appendEvents(self, events: Sequence[ChatEvent],
                     hooks: Sequence[HookEvent] = ()) -> Deferred[None]:
        return self._submit(lambda: sql.ChatWrite(events=tuple(map(codec.eventToRow, events)),
                                                  outbox=tuple(map(sqlhooks.outboxRow, hooks))))

    # -- events for integrators (SPEC 15) ------------------------------------------------

    def addEvents(self, events: Sequence[HookEvent]) -> Deferred[None]:
        """Through the group commit like chat writes: outbox rows are written
        one transaction at a time, so their seq grows in commit order."""
        return self._submit(lambda: sql.ChatWrite(outbox=tuple(map(sqlhooks.outboxRow, events))))

    def eventsAfter(self, seq: int, limit: int) -> Deferred[list[tuple[int, HookEvent]]]:
        """Not behind the group commit's barrier, as chat reads are: its
        reader (the webhook deliverer) is woken only once the rows it wants
        are committed, and should not wait on chat writes besides."""
        return self._call(sqlhooks.eventsAfter(seq, limit))

    def outboxEvent(self, event_id: str) -> Deferred[HookEvent | None]:
        return self._read(sqlhooks.outboxEvent(event_id))

    def putWebhook(self, hook: Webhook) -> Deferred[None]:
        return self._call(sqlhooks.putWebhook(hook))

    def deleteWebhook(self, id: str) -> Deferred[bool]:
        return self._call(sqlhooks.deleteWebhook(id))

    def webhooks(self) -> Deferred[list[Webhook]]:
        return self._call(sqlhooks.webhooks())

    def deliveryState(self, webhook_id: str) -> Deferred[DeliveryState]:
        return self._call(sqlhooks.deliveryState(webhook_id))

    def recordDelivery(self, delivery: Delivery, cursor: int, attempts: int, next_at: float,
                       redelivered: bool = False) -> Deferred[None]:
        return self._call(sqlhooks.recordDelivery(delivery, cursor, attempts, next_at,
                                                  redelivered))

    def deliveries(self, webhook_id: str, limit: int = 100,
                   before: int | None = None) -> Deferred[list[Delivery]]:
        return self._call(sqlhooks.deliveries(webhook_id, limit, before))

    def redeliver(self, webhook_id: str, event_id: str) -> Deferred[bool]:
        return self._read(sqlhooks.redeliver(webhook_id, event_id))

    def maxChatId(self) -> Deferred[int]:
        return self._read(sql.maxChatId())

    def getChat(self, chat_id: int) -> Deferred[ChatRecord | None]:
        return self._read(sql.getChat(chat_id))

    def chatEvents(self, chat_id: int, after_seq: int = 0) -> Deferred[list[ChatEvent]]:
        return self._read(sql.chatEvents(chat_id, after_seq))

    def openChats(self) -> Deferred[list[ChatRecord]]:
        return self._read(sql.openChats())

    def findChats(self, node: str | None = None, client: str | None = None,
                  operator: str | None = None, state: str | None = None,
                  since: float | None = None, until: float | None = None,
                  limit: int | None = 100, q: str | None = None,
                  before: tuple[float, int] | None = None) -> Deferred[list[ChatRecord]]:
        return self._read(sqlsearch.findChats(self.kind, node=node, client=client,
                                              operator=operator, state=state, since=since,
                                              until=until, limit=limit, q=q, before=before))

    # -- files (R-CLI-1, R-CMD-6, SPEC 16) -----------------------------------------------
    # Not chat writes: one transaction each, outside the group commit, done
    # (readable) when the Deferred fires.

    def putFile(self, record: FileRecord) -> Deferred[None]:
        try:
            row = codec.fileToRow(record)
        except (TypeError, ValueError, AttributeError) as e:
            return fail(StoreError(f"cannot store this file record: {e}"))
        return self._read(sql.putFile(row))

    def getFile(self, file_id: str) -> Deferred[FileRecord | None]:
        return self._read(sql.getFile(file_id))

    def fileByToken(self, token: str) -> Deferred[FileRecord | None]:
        return self._read(sql.fileByToken(token))

    def findFiles(self, words: str | None = None, client: str | None = None,
                  chat_id: int | None = None, shared: bool | None = None,
                  uploader: str | None = None, since: float | None = None,
                  limit: int | None = 100) -> Deferred[list[FileRecord]]:
        return self._read(sql.findFiles(self.kind, words=words, client=client, chat_id=chat_id,
                                        shared=shared, uploader=uploader, since=since,
                                        limit=limit))

    def fileUsage(self, uploader: str, since: float) -> Deferred[tuple[int, int]]:
        return self._read(sql.fileUsage(uploader, since))

    # -- subscribers --------------------------------------------------------------------

    def addSubscriber(self, node: str, jid: str) -> Deferred[None]:
        return self._call(sql.addSubscriber(node, jid))

    def removeSubscriber(self, node: str, jid: str) -> Deferred[None]:
        return self._call(sql.removeSubscriber(node, jid))

    def subscribers(self) -> Deferred[dict[str, set[str]]]:
        return self._call(sql.subscribers())

    # -- switches (R-NODE-3) ---------------------------------------------------------------

    def setSwitch(self, target: str, off: bool, mode: str = "soft") -> Deferred[None]:
        return self._call(sql.setSwitch(target, off, mode, time.time()))

    def switchedOff(self) -> Deferred[set[str]]:
        return self._call(sql.switchedOff())

    # -- statistics (R-STAT-1..3) ----------------------------------------------------------

    def chatFacts(self, node: str | None, since: float, until: float,
                  client: str | None = None,
                  operator: str | None = None,
                  presence: bool = True) -> Deferred[list[ChatFacts]]:
        return self._read(sqlstats.chatFacts(self.kind, node, since, until, client=client,
                                             presence=presence,
                                             operator=operator))

    def operatorStates(self, operator: str, since: float,
                       until: float) -> Deferred[list[OperatorStateChange]]:
        return self._read(sqlhooks.operatorStates(self.kind, operator, since, until))

    # -- API tokens (SPEC 14) ---------------------------------------------------------

    def putToken(self, token: StoredToken) -> Deferred[None]:
        return self._call(sqltokens.putToken(token))

    def deleteToken(self, name: str) -> Deferred[bool]:
        return self._call(sqltokens.deleteToken(name))

    def tokens(self) -> Deferred[list[StoredToken]]:
        return self._call(sqltokens.tokens())
