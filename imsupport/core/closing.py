"""
How chats end (R-CHAT-4, R-CHAT-5): the operator's !close, the client's
!end, the client away longer than ``client_grace``, ``idle_timeout`` of
silence, a switch-off. Both sides are told (in their languages); a chat the
client left before any operator joined is recorded as abandoned, one the
service ended before then as closed.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from imsupport.core import lifecycle
from imsupport.core.chat import CLIENT_GONE, IDLE, Chat
from imsupport.core.chats import Chats
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.invitations import Invitations
from imsupport.core.journal import Journal
from imsupport.core.model import ABANDONED, CLOSED, STATE
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.queues import Queues
from imsupport.core.stats import Metrics
from imsupport.core.team import Team

log = Logger()

NODE_REMOVED = "node_removed"  # the chat's node left the directory

# What the client is told when a chat closes, by reason. The client who went
# away is not told; a switched-off chat's client was told before it closed.
CLIENT_GOODBYES = {"operator": "closed_by_operator", "client": "closed_by_client",
                   "idle": "closed_idle", NODE_REMOVED: "closed_node_removed"}


# Reasons that are the client's leaving (!end or the web chat's button, away
# longer than client_grace): a waiting chat that ends so is abandoned.
CLIENT_LEFT = frozenset({"client", "client_gone"})


class Closing:
    def __init__(self, directory: DirectoryRef, clock: IReactorTime, chats: Chats,
                 queues: Queues, invitations: Invitations, team: Team, notices: Notices,
                 journal: Journal, metrics: Metrics, presences: NodePresences) -> None:
        self.directory = directory
        self.clock = clock
        self.chats = chats
        self.queues = queues
        self.invitations = invitations
        self.team = team
        self.notices = notices
        self.journal = journal
        self.metrics = metrics
        self.presences = presences
        # told after a chat closed, once it is out of every index (routing
        # then offers the freed operators the next chats)
        self.closed: list[Callable[[Chat], None]] = []

    def close(self, chat: Chat, reason: str, by: str | None = None) -> Deferred[Any]:
        if chat.id not in self.chats:
            return succeed(None)
        # SPEC 15: abandoned is the client's leaving before any operator
        # joined; a waiting chat the service ends (switch-off, idle, not
        # stored, an admin) is closed, with its reason
        abandoned = chat.queued and chat.record.accepted_at is None and reason in CLIENT_LEFT
        chat.timers.cancelAll()
        chat.held.clear()
        self.invitations.withdrawAll(chat.id)
        now = self.clock.seconds()
        record = chat.record
        lifecycle.move(record, ABANDONED if abandoned else CLOSED)
        record.closed_at = now
        record.close_reason = reason
        operators = list(record.operators)
        for operator in operators:
            self.team.left(operator, chat.id, now)
        self.chats.remove(chat)
        if self.queues.leave(chat):
            self.presences.refresh()
        self.metrics.chats_abandoned += abandoned
        self.metrics.chats_closed += not abandoned
        # who was in it, for SPEC 15 chat.closed (the record's list is theirs to change)
        event = self.journal.event(chat, STATE, by or "system", record.state, reason=reason,
                                   operators=operators)
        log.info("Chat {chat} {state}: {reason}", chat=chat.id, state=record.state,
                 reason=reason)
        self.journal.write(chat, [event], save=True)
        self._goodbye(chat, reason, by, operators, abandoned)
        for listener in self.closed:
            listener(chat)
        self.presences.refresh()
        return succeed(None)

    def _goodbye(self, chat: Chat, reason: str, by: str | None, operators: Iterable[str],
                 abandoned: bool) -> None:
        minutes = self.directory.nodeOf(chat).idle_timeout // 60
        name = self.team.displayName(by) if by else ""
        if abandoned:
            if reason == "client":
                self.notices.toClient(chat, "abandoned")
            return
        client_key = CLIENT_GOODBYES.get(reason)
        if client_key is not None:
            self.notices.toClient(chat, client_key, name=name, minutes=minutes)
        for operator in operators:
            why = self.notices.text(f"reason_{reason}", self.team.languages(operator)
                                    if operator in self.team else (), name=name,
                                    minutes=minutes)
            self.notices.toOperator(chat, operator, "chat_closed_for_operator", reason=why)

    def endOrphans(self) -> None:
        """End the open chats of nodes no longer in the directory (deleted
        through the API, or taken out of the file while the service was
        stopped), telling both sides."""
        for chat in [c for c in self.chats.values() if self.directory.node(c.node) is None]:
            log.warn("Chat {chat} ends: its node {node} is no longer in the directory",
                     chat=chat.id, node=chat.node)
            self.close(chat, NODE_REMOVED)

    # -- the timers that end chats -------------------------------------------------------

    def touch(self, chat: Chat) -> None:
        """Something was said: the idle timeout starts again."""
        chat.timers.reset(IDLE, self.directory.nodeOf(chat).idle_timeout, self.close, chat,
                          "idle")

    def clientPresence(self, chat: Chat, available: bool) -> None:
        """A client away longer than ``client_grace`` has left the chat."""
        if available:
            chat.timers.cancel(CLIENT_GONE)
        elif not chat.timers.active(CLIENT_GONE):
            chat.timers.set(CLIENT_GONE, self.directory.nodeOf(chat).client_grace, self.close,
                            chat, "client_gone")
