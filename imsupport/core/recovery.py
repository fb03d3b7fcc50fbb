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

from twisted.logger import Logger

from imsupport.core.chat import Chat
from imsupport.core.display import showClient
from imsupport.core.model import ACTIVE, MESSAGE, QUEUED, STATE, ChatEvent, ChatRecord
from imsupport.core.teamwork import Teamwork

log = Logger()

RECENT_ON_REOPEN = 20  # messages replayed to an operator whose chat reopens


class Recovery(Teamwork):
    # -- an operator drops out ---------------------------------------------------------

    def operatorGone(self, operator: str, quiet: bool = False) -> None:
        """Hold every active chat of an operator who went offline; ``quiet``
        when nobody needs telling (right after a restart)."""
        for chat_id in sorted(self.operators[operator].chats):
            chat = self.chats.get(chat_id)
            if chat is not None and operator not in chat.held:
                self._hold(chat, operator, quiet)

    def _hold(self, chat: Chat, operator: str, quiet: bool) -> None:
        grace = self.service.operator_grace
        chat.held[operator] = self.clock.callLater(grace, self._graceOver, chat, operator)
        self.journal.write(chat, [self.journal.event(chat, STATE, operator, "held")])
        if quiet:
            return
        if all(o in chat.held for o in chat.record.operators):
                self._notifyClient(chat, "operator_lost", name=self.displayName(operator))
        for other in chat.record.operators:
            if other not in chat.held:
                self._notifyOperator(chat, other, "operator_lost_team",
                                     name=self.displayName(operator))

    def operatorBack(self, operator: str) -> None:
        """Reopen every chat held for an operator who came back."""
        for chat in [c for c in self.chats.values() if operator in c.held]:
            call = chat.held.pop(operator)
            if call.active():
                call.cancel()
            self.journal.write(chat, [self.journal.event(chat, STATE, operator, "reopened")])
            self._notifyOperator(chat, operator, "chat_reopened",
                                 client=showClient(chat.client))
            self.replayTo(chat, operator, last=RECENT_ON_REOPEN)
            if not any(o in chat.held for o in chat.record.operators):
                self._notifyClient(chat, "operator_back", name=self.displayName(operator))

    def _graceOver(self, chat: Chat, operator: str) -> None:
        chat.held.pop(operator, None)
        if chat.id not in self.chats or operator not in chat.record.operators:
            return
        log.info("Operator {operator} did not come back to chat {chat}", operator=operator,
                 chat=chat.id)
        if len(chat.record.operators) > 1:
            self.leave(chat, operator)
            return
        self.requeue(chat, operator)

    def requeue(self, chat: Chat, operator: str) -> None:
        """The chat lost its only operator: back to the front of the queue."""
        record = chat.record
        record.operators = ()
        record.state = QUEUED
        state = self.operators.get(operator)
        if state is not None:
            state.chats.discard(chat.id)
        chat.passed = {operator}
        chat.wave = chat.min_wave = None
        chat.muted.clear()
        if chat.idle_timer is not None and chat.idle_timer.active():
            chat.idle_timer.cancel()
        chat.idle_timer = None
        self.queues.setdefault(chat.node, []).insert(0, chat.id)
        self.journal.write(chat, [self.journal.event(chat, STATE, "system", QUEUED,
                                                     reason="operator_gone")], save=True)
        self._notifyClient(chat, "requeued")
        self.dispatch()
        self.refreshPresence()

    # -- a restart -----------------------------------------------------------------------

    def restore(self, records: Iterable[ChatRecord],
                events: dict[int, list[ChatEvent]]) -> None:
        """Rebuild the open chats the store holds (R-CHAT-8)."""
        for record in sorted(records, key=lambda r: (r.created_at, r.id)):
            history = events.get(record.id, [])
            chat = Chat(record=record, seq=max((e.seq for e in history), default=0))
            chat.client_lines = [(e.at, e.text) for e in history
                                 if e.kind == MESSAGE and e.author == "client"]
            self.chats[chat.id] = chat
            self.clientChats[(record.node, record.client)] = chat.id
            self.journal.write(chat, [self.journal.event(chat, STATE, "system", "restored")])
            if record.state == ACTIVE and record.operators:
                for operator in record.operators:
                    state = self.operators.get(operator)
                    if state is not None:
                        state.chats.add(chat.id)
                self._touch(chat)  # type: ignore[attr-defined]
                self._notifyClient(chat, "restored_active")
                for operator in record.operators:
                    if operator in self.operators:
                        # Their presence is not known yet: held until they
                        # show up, then reopened for them with its history.
                        self._hold(chat, operator, quiet=True)
            else:
                record.state = QUEUED
                record.operators = ()
                self.queues.setdefault(record.node, []).append(chat.id)
                if chat.client_lines:
                    self._notifyClient(chat, "restored_queued")
        restored = len(self.chats)
        if restored:
            log.info("Restored {count} open chats from the store", count=restored)
        self.dispatch()
        self.refreshPresence()
