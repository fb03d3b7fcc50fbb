"""
Chats that survive drop-outs and crashes.

R-CHAT-7: an operator who goes offline with active chats has them held for
``operator_grace``; the client is told to wait. When the operator is back,
every held chat is reopened for them with its recent history. After the
grace the operator is out of the chat; a chat left with no operator goes
back to the front of the queue (R-ROUTE-9).

R-CHAT-8: after a restart (kill -9 included) queued and active chats are
rebuilt from the store, which holds everything that was ever relayed
(persist-then-relay), and both sides get a short notice.
"""
from __future__ import annotations

from typing import Iterable

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from imsupport.core import lifecycle
from imsupport.core.chat import IDLE, Chat
from imsupport.core.chats import Chats
from imsupport.core.closing import Closing
from imsupport.core.display import showClient
from imsupport.core.journal import Journal
from imsupport.core.model import HELD, MESSAGE, QUEUED, STATE, ChatEvent, ChatRecord
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.offers import Offers
from imsupport.core.queues import Queues
from imsupport.core.team import Team
from imsupport.core.transfers import Transfers

log = Logger()

RECENT_ON_REOPEN = 20  # messages replayed to an operator whose chat reopens


def graceTimer(operator: str) -> str:
    return f"held:{operator}"


class Recovery:
    def __init__(self, *, clock: IReactorTime, operator_grace: float, chats: Chats,
                 queues: Queues, team: Team, notices: Notices, journal: Journal,
                 closing: Closing, offers: Offers, transfers: Transfers,
                 presences: NodePresences) -> None:
        self.clock = clock
        self.operator_grace = operator_grace
        self.chats = chats
        self.queues = queues
        self.team = team
        self.notices = notices
        self.journal = journal
        self.closing = closing
        self.offers = offers
        self.transfers = transfers
        self.presences = presences

    # -- an operator drops out ---------------------------------------------------------

    def streamLost(self) -> None:
        """The XMPP stream went away: presence is learnt again by probing
        once it is back, and until then every operator counts as offline.
        Their chats are held quietly (nobody can be told now) for
        operator_grace: one who is not back by then loses them as after any
        drop-out, instead of leaving the client with nobody."""
        online = [jid for jid in sorted(self.team) if self.team[jid].online]
        self.team.forgetPresence()
        for jid in online:
            self.operatorGone(jid, quiet=True)

    def operatorGone(self, operator: str, quiet: bool = False) -> None:
        """Hold every active chat of an operator who went offline; ``quiet``
        when nobody needs telling (right after a restart)."""
        for chat_id in sorted(self.team[operator].chats):
            chat = self.chats.get(chat_id)
            if chat is not None and operator not in chat.held:
                self._hold(chat, operator, quiet)

    def _hold(self, chat: Chat, operator: str, quiet: bool) -> None:
        chat.held.add(operator)
        chat.timers.set(graceTimer(operator), self.operator_grace, self._graceOver, chat,
                        operator)
        moved = lifecycle.settleServing(chat.record, chat.held)
        self.journal.write(chat, [self.journal.event(chat, STATE, operator, "held")],
                           save=moved)
        if quiet:
            return
        if chat.state == HELD:
            self.notices.toClient(chat, "operator_lost", name=self.team.displayName(operator))
        for other in chat.record.operators:
            if other not in chat.held:
                self.notices.toOperator(chat, other, "operator_lost_team",
                                        name=self.team.displayName(operator))

    def operatorBack(self, operator: str) -> None:
        """Reopen every chat held for an operator who came back."""
        for chat in [c for c in self.chats.values() if operator in c.held]:
            chat.held.discard(operator)
            chat.timers.cancel(graceTimer(operator))
            moved = lifecycle.settleServing(chat.record, chat.held)
            self.journal.write(chat, [self.journal.event(chat, STATE, operator, "reopened")],
                               save=moved)
            self.notices.toOperator(chat, operator, "chat_reopened",
                                    client=showClient(chat.client))
            self.transfers.replayTo(chat, operator, last=RECENT_ON_REOPEN)
            if not any(o in chat.held for o in chat.record.operators):
                self.notices.toClient(chat, "operator_back",
                                      name=self.team.displayName(operator))

    def _graceOver(self, chat: Chat, operator: str) -> None:
        chat.held.discard(operator)
        if chat.id not in self.chats or operator not in chat.record.operators:
            return
        log.info("Operator {operator} did not come back to chat {chat}", operator=operator,
                 chat=chat.id)
        if len(chat.record.operators) > 1:
            self.transfers.leave(chat, operator)
            return
        self.requeue(chat, operator)

    def requeue(self, chat: Chat, operator: str) -> None:
        """The chat lost its only operator: back to the front of the queue."""
        record = chat.record
        record.operators = ()
        lifecycle.move(record, QUEUED)
        self.team.left(operator, chat.id, None)
        chat.passed = {operator}
        chat.wave = chat.min_wave = None
        chat.muted.clear()
        chat.timers.cancel(IDLE)
        self.queues.putFirst(chat)
        self.journal.write(chat, [self.journal.event(chat, STATE, "system", QUEUED,
                                                     reason="operator_gone")], save=True)
        self.notices.toClient(chat, "requeued")
        self.offers.dispatch()
        self.presences.refresh()

    # -- a restart -----------------------------------------------------------------------

    def restore(self, records: Iterable[ChatRecord],
                events: dict[int, list[ChatEvent]]) -> None:
        """Rebuild the open chats the store holds (R-CHAT-8)."""
        for record in sorted(records, key=lambda r: (r.created_at, r.id)):
            history = events.get(record.id, [])
            stored = record.state
            lifecycle.restore(record)
            chat = self.chats.chatOf(record)
            chat.seq = max((e.seq for e in history), default=0)
            chat.client_lines = [(e.at, e.text) for e in history
                                 if e.kind == MESSAGE and e.author == "client"]
            self.chats.add(chat)
            self.journal.write(chat, [self.journal.event(chat, STATE, "system", "restored")],
                               save=record.state != stored)
            if record.state == HELD:
                for operator in record.operators:
                    self.team.joined(operator, chat.id)
                self.closing.touch(chat)
                self.notices.toClient(chat, "restored_active")
                for operator in record.operators:
                    if operator in self.team:
                        # Their presence is not known yet: held until they
                        # show up, then reopened for them with its history.
                        self._hold(chat, operator, quiet=True)
            else:
                record.operators = ()
                self.queues.add(chat)
                if chat.client_lines:
                    self.notices.toClient(chat, "restored_queued")
        restored = len(self.chats)
        if restored:
            log.info("Restored {count} open chats from the store", count=restored)
        self.offers.dispatch()
        self.presences.refresh()
