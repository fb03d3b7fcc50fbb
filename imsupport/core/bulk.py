"""
Bulk notices (R-REV-1): one text to a list of clients, or to every client a
node had a chat with since a date, each written to through reverse contact
(core/contact.py), so every client's copy is a chat of its own with its
history and whoever answers is served.

They are paced: ``per_second`` clients a second, so that the XMPP server's
rate limits (Prosody's mod_limits, ejabberd's shapers) never throttle the
component link the live chats share. A job has an id whose progress and
per-client results the API reports; jobs live in memory, the chats they
open are stored.
"""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.core.contact import Contacted, Contacts
from imsupport.core.model import ChatRecord
from imsupport.store.interfaces import IStore

log = Logger()

PER_SECOND = 5.0  # clients written to a second
MAX_CLIENTS = 100_000  # clients one job may name or find
KEEP_JOBS = 100  # finished jobs kept for their reports

RUNNING, DONE = "running", "done"
FAILED = "failed"  # the outcome for one client whose contact raised


@dataclass
class BulkJob:
    id: str
    node: str
    text: str
    operator: str | None
    clients: list[str]
    created_at: float
    state: str = RUNNING
    results: dict[str, Contacted] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """JSON-ready: progress and, per client done so far, what happened."""
        return {"id": self.id, "node": self.node, "state": self.state,
                "total": len(self.clients), "done": len(self.results),
                "results": [{"client": c, "outcome": r.outcome, "chat_id": r.chat_id}
                            for c, r in self.results.items()]}


class BulkNotices:
    def __init__(self, clock: IReactorTime, contacts: Contacts, store: IStore,
                 per_second: float = PER_SECOND) -> None:
        self.clock = clock
        self.contacts = contacts
        self.store = store
        self.per_second = per_second
        self.jobs: dict[str, BulkJob] = {}

    def toClients(self, node: str, clients: Sequence[str], text: str,
                  operator: str | None = None) -> BulkJob:
        unique = list(dict.fromkeys(c.lower() for c in clients))[:MAX_CLIENTS]
        job = BulkJob(id=secrets.token_hex(8), node=node, text=text, operator=operator,
                      clients=unique, created_at=self.clock.seconds())
        self._keep(job)
        self._next(job)
        return job

    def toNodeClientsSince(self, node: str, since: float, text: str,
                           operator: str | None = None) -> Deferred[BulkJob]:
        """Every client with a chat in ``node`` created at ``since`` or later."""
        def found(chats: list[ChatRecord]) -> BulkJob:
            return self.toClients(node, [c.client for c in reversed(chats)], text, operator)
        return self.store.findChats(node=node, since=since, limit=MAX_CLIENTS).addCallback(found)

    def job(self, job_id: str) -> BulkJob | None:
        return self.jobs.get(job_id)

    def _keep(self, job: BulkJob) -> None:
        self.jobs[job.id] = job
        done = [j for j in self.jobs.values() if j.state == DONE]
        for old in done[:max(0, len(done) - KEEP_JOBS)]:
            del self.jobs[old.id]

    def _next(self, job: BulkJob) -> None:
        if len(job.results) >= len(job.clients):
            job.state = DONE
            log.info("Bulk notice {job} in {node} done: {count} clients", job=job.id,
                     node=job.node, count=len(job.clients))
            return
        client = job.clients[len(job.results)]

        def done(result: Contacted) -> None:
            job.results[client] = result

        def failed(reason: Failure) -> None:
            log.failure("Bulk notice {job} to {client} failed", reason, job=job.id,
                        client=client)
            job.results[client] = Contacted(FAILED)

        d = self.contacts.contact(job.node, client, job.text, job.operator)
        d.addCallbacks(done, failed)
        d.addBoth(lambda _: self.clock.callLater(1.0 / self.per_second, self._next, job))
