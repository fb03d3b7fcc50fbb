"""A store that fails on command, for tests of store outages (R-RUN-3)."""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, fail

from imsupport.store.interfaces import StoreError, StoreUnavailable
from tests.unit.fakes import OrderCheckingStore


class FlakyStore:
    """Wraps a store (an OrderCheckingStore by default) and breaks it the way
    a database breaks:

    - ``down``: every call fails at once with StoreUnavailable (the server is
      gone, the disk is full);
    - ``lose_answers``: writes are committed, then fail with StoreUnavailable
      all the same (the server died after COMMIT, before it answered);
    - ``hang``: writes get no answer at all until ``release()``;
    - ``broken``: an event with one of these texts fails with a plain
      StoreError (bad data: retrying would not help).
    """

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner if inner is not None else OrderCheckingStore()
        self.down = False
        self.lose_answers = False
        self.hang = False
        self.broken: set[str] = set()
        self.hanging: list[tuple[Deferred, Deferred]] = []
        self.attempts = 0  # writes asked for, whatever became of them

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _outage(self) -> Deferred:
        return fail(StoreUnavailable("OperationalError: the test took the store down"))

    def _write(self, call: Any, *args: Any) -> Deferred:
        self.attempts += 1
        if self.down:
            return self._outage()
        if self.hang:
            waiting: Deferred = Deferred()
            self.hanging.append((waiting, call(*args)))
            return waiting
        d = call(*args)
        if self.lose_answers:
            d.addCallback(lambda _: self._outage())
        return d

    def release(self) -> None:
        """Answer the writes that hung, as the store answered them."""
        hanging, self.hanging = self.hanging, []
        for waiting, answer in hanging:
            answer.chainDeferred(waiting)

    def saveChat(self, chat: Any) -> Deferred:
        return self._write(self.inner.saveChat, chat)

    def appendEvents(self, events: Any, hooks: Any = ()) -> Deferred:
        if any(e.text in self.broken for e in events):
            self.attempts += 1
            return fail(StoreError("IntegrityError: the test broke this event"))
        return self._write(self.inner.appendEvents, events, hooks)

    def probe(self) -> Deferred:
        return self._write(self.inner.probe)

    def _read(self, name: str, *args: Any, **kw: Any) -> Deferred:
        if self.down:
            return self._outage()
        return getattr(self.inner, name)(*args, **kw)

    def findChats(self, *args: Any, **kw: Any) -> Deferred:
        return self._read("findChats", *args, **kw)

    def chatEvents(self, *args: Any, **kw: Any) -> Deferred:
        return self._read("chatEvents", *args, **kw)
