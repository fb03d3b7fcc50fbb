"""
Group commit: many chat writes, one transaction.

Hundreds of chats each write every message before relaying it (R-CHAT-6).
One transaction per write would make the disk flush the bottleneck, so writes
queue here and go to the database together: while one batch commits, the next
one fills. Each caller's Deferred fires after its batch is committed, in the
order the calls were made, which is the order the core relies on.

A failed batch is not reported as one: its writes are tried again one by one,
each in its own transaction, so one bad write (a duplicate event number, a
chat that was never saved) fails alone and the other chats' messages are
stored and relayed. A write that fails on its own errbacks with StoreError;
none is dropped silently. A batch that failed because the store is
unavailable (StoreUnavailable: connection lost, disk full) fails as a whole:
one by one would fail alike, or, if the store came back meanwhile, store
later writes before the earlier ones the core will try again.
"""
from __future__ import annotations

from typing import Callable, Generic, TypeVar

from twisted.internet.defer import Deferred, fail, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.store.interfaces import StoreError, StoreUnavailable

W = TypeVar("W")

log = Logger()


def asStoreError(reason: Failure) -> Failure:
    """Callers see StoreError, with the driver's message, whatever broke."""
    if reason.check(StoreError):
        return reason
    error = StoreError(f"{type(reason.value).__name__}: {reason.getErrorMessage().strip()}")
    error.__cause__ = reason.value
    return Failure(error)


class _Barrier:
    """A queue entry that writes nothing: it fires when the writes queued
    before it are done, so a read can see everything written before it."""


_BARRIER = _Barrier()


class GroupCommit(Generic[W]):
    def __init__(self, commit: Callable[[list[W]], Deferred[None]],
                 later: Callable[[Callable[[], None]], object] | None = None) -> None:
        """``commit`` stores a list of writes in one transaction. ``later``
        (e.g. ``lambda f: reactor.callLater(0, f)``) defers the start of a
        batch to the end of the current reactor turn, so that the writes of
        every stanza parsed from one read go together instead of the first
        going alone: each batch costs a hand-off to the database thread."""
        self._commit = commit
        self._later = later
        self._pending: list[tuple[W | _Barrier, Deferred[None]]] = []
        self._draining = False
        self._closed = False

    def submit(self, write: W) -> Deferred[None]:
        if self._closed:
            return fail(StoreError("the store is closed"))
        return self._enqueue(write)

    def _enqueue(self, write: W | _Barrier) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        self._pending.append((write, d))
        if not self._draining:
            self._draining = True
            if self._later is None:
                self._startDrain()
            else:
                self._later(self._startDrain)
        return d

    def _startDrain(self) -> None:
        Deferred.fromCoroutine(self._drain()).addErrback(
            lambda f: log.failure("Group commit stopped unexpectedly", f))

    def barrier(self) -> Deferred[None]:
        """Deferred[None] that fires once every write submitted so far has
        been committed or has failed."""
        if not self._draining:
            return succeed(None)
        return self._enqueue(_BARRIER)

    def close(self) -> Deferred[None]:
        """Refuse new writes and wait for the queued ones."""
        self._closed = True
        return self.barrier()

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                await self._commitBatch(batch)
        finally:
            self._draining = False

    async def _commitBatch(self, batch: list[tuple[W | _Barrier, Deferred[None]]]) -> None:
        writes = [w for w, _ in batch if not isinstance(w, _Barrier)]
        try:
            if writes:
                await self._commit(writes)
        except Exception as e:
            if len(writes) == 1 or isinstance(e, StoreUnavailable):
                self._fire(batch, Failure(e))
            else:
                log.warn("A batch of {count} chat writes failed ({error}); "
                         "writing them one by one", count=len(writes), error=e)
                await self._commitOneByOne(batch)
            return
        self._fire(batch, None)

    async def _commitOneByOne(self, batch: list[tuple[W | _Barrier, Deferred[None]]]) -> None:
        for write, d in batch:
            outcome: Failure | None = None
            if not isinstance(write, _Barrier):
                try:
                    await self._commit([write])
                except Exception as e:
                    outcome = Failure(e)
            self._fire([(write, d)], outcome)

    @staticmethod
    def _fire(batch: list[tuple[W | _Barrier, Deferred[None]]], failure: Failure | None) -> None:
        for write, d in batch:
            if failure is None or isinstance(write, _Barrier):
                d.callback(None)
            else:
                d.errback(asStoreError(failure))
