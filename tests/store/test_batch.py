"""
Group commit on its own, with a fake database whose transactions the test
finishes by hand: which writes share a transaction, the order callers hear
back, and what a failed batch does. No reactor, no I/O.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, succeed

from imsupport.store.batch import GroupCommit
from imsupport.store.interfaces import StoreError


class FakeDatabase:
    """Each commit waits until the test finishes it; writes named in
    ``broken`` make any transaction that contains them fail."""

    def __init__(self, *broken: str) -> None:
        self.broken = set(broken)
        self.transactions: list[list[str]] = []
        self.waiting: list[tuple[list[str], Deferred]] = []
        self.committed: list[str] = []

    def commit(self, writes: list[str]) -> Deferred:
        self.transactions.append(list(writes))
        d: Deferred = Deferred()
        self.waiting.append((list(writes), d))
        return d

    def finishAll(self) -> None:
        while self.waiting:
            writes, d = self.waiting.pop(0)
            if self.broken & set(writes):
                violating = sorted(self.broken & set(writes))
                d.errback(RuntimeError(f"constraint violated by {violating}"))
            else:
                self.committed += writes
                d.callback(None)


def outcomes(calls: list[Deferred]) -> list[Any]:
    results: list[Any] = []
    for d in calls:
        d.addCallbacks(lambda _: results.append("ok"),
                       lambda f: results.append(f.trap(StoreError).__name__))
    return results


def test_writes_wait_for_the_running_batch_and_go_together() -> None:
    db = FakeDatabase()
    queue: GroupCommit[str] = GroupCommit(db.commit)
    fired: list[str] = []
    for name in "abcde":
        queue.submit(name).addCallback(lambda _, n=name: fired.append(n))
    assert db.transactions == [["a"]]  # b..e wait for a's transaction
    assert fired == []
    db.finishAll()
    assert db.transactions == [["a"], ["b", "c", "d", "e"]]
    assert fired == ["a", "b", "c", "d", "e"]


def test_a_failed_batch_is_retried_one_write_at_a_time() -> None:
    db = FakeDatabase("c")
    queue: GroupCommit[str] = GroupCommit(db.commit)
    results = outcomes([queue.submit(name) for name in "abcde"])
    db.finishAll()
    assert db.transactions == [["a"], ["b", "c", "d", "e"], ["b"], ["c"], ["d"], ["e"]]
    assert results == ["ok", "ok", "StoreError", "ok", "ok"]
    assert db.committed == ["a", "b", "d", "e"]


def test_a_failed_single_write_fails_alone() -> None:
    db = FakeDatabase("a")
    queue: GroupCommit[str] = GroupCommit(db.commit)
    results = outcomes([queue.submit("a")])
    db.finishAll()
    assert results == ["StoreError"]
    assert db.transactions == [["a"]]
    results = outcomes([queue.submit("b")])  # the queue goes on
    db.finishAll()
    assert results == ["ok"]


def test_barrier_fires_after_earlier_writes_only() -> None:
    db = FakeDatabase()
    queue: GroupCommit[str] = GroupCommit(db.commit)
    assert queue.barrier().called  # nothing queued: at once
    fired: list[str] = []
    queue.submit("a")
    queue.barrier().addCallback(lambda _: fired.append("barrier"))
    queue.submit("b").addCallback(lambda _: fired.append("b"))
    db.finishAll()
    assert fired == ["barrier", "b"]
    assert ["b"] in db.transactions  # the barrier is no write


def test_writes_submitted_by_a_callback_join_the_next_batch() -> None:
    db = FakeDatabase()
    queue: GroupCommit[str] = GroupCommit(db.commit)
    fired: list[str] = []
    queue.submit("a").addCallback(
        lambda _: queue.submit("a2").addCallback(lambda _: fired.append("a2")))
    queue.submit("b").addCallback(lambda _: fired.append("b"))
    db.finishAll()
    assert db.transactions == [["a"], ["b", "a2"]]
    assert fired == ["b", "a2"]


def test_close_waits_for_queued_writes_then_refuses() -> None:
    db = FakeDatabase()
    queue: GroupCommit[str] = GroupCommit(db.commit)
    queued = [queue.submit("a"), queue.submit("b")]
    closed = queue.close()
    assert not closed.called
    results = outcomes([queue.submit("late")])
    assert results == ["StoreError"]
    db.finishAll()
    assert closed.called and all(d.called for d in queued)
    assert db.committed == ["a", "b"]


def test_synchronous_commits_work_too() -> None:
    queue: GroupCommit[str] = GroupCommit(lambda writes: succeed(None))
    assert outcomes([queue.submit("a"), queue.submit("b")]) == ["ok", "ok"]
