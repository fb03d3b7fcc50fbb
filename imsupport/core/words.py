"""
An operator's words in a chat (R-CHAT-3, R-CMD-1, R-OPS-3, R-OPS-4): checked
by the filters (a blocked message goes to nobody and comes back marked),
stored, then relayed to the client (unless muted) and to the other operators.
What ``!faq`` and plugins' ``toClient`` send goes the same way.
"""
from __future__ import annotations

from functools import partial
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from imsupport.core.chat import Chat
from imsupport.core.closing import Closing
from imsupport.core.filters import MessageFilter, mark
from imsupport.core.journal import Journal
from imsupport.core.model import MESSAGE
from imsupport.core.notices import Notices
from imsupport.core.relay import Relay
from imsupport.core.team import Team

log = Logger()


class OperatorWords:
    def __init__(self, *, filters: MessageFilter | None, journal: Journal, notices: Notices,
                 relay: Relay, closing: Closing, team: Team) -> None:
        self.filters = filters
        self.journal = journal
        self.notices = notices
        self.relay = relay
        self.closing = closing
        self.team = team

    def say(self, chat: Chat, operator: str, text: str, message_id: str | None = None,
            receipt: bool = False, chatstate: str | None = None) -> Deferred[Any]:
        """Deferred[Any]: None once relayed (or blocked), a Refused when it could
        not be stored."""
        if self.blocked(chat, operator, text):
            return succeed(None)
        self.closing.touch(chat)
        data: dict[str, object] = {"id": message_id} if message_id else {}
        if operator in chat.muted:
            data["muted"] = True
        event = self.journal.event(chat, MESSAGE, operator, text, **data)
        return self.journal.write(
            chat, [event],
            then=lambda: self.relay.fromOperator(chat, operator, text, message_id, receipt,
                                                 chatstate),
            refuse=partial(self.notices.refusal, self.team.languages(operator)))

    def wouldBlock(self, text: str) -> bool:
        return self.filters is not None and bool(self.filters.check(text))

    def blocked(self, chat: Chat, operator: str, text: str) -> bool:
        """Profanity or an internal link: relayed to nobody, kept in the
        history as blocked, and the operator gets it back with the parts
        marked."""
        findings = self.filters.check(text) if self.filters is not None else []
        if not findings:
            return False
        kinds = sorted({f.kind for f in findings})
        event = self.journal.event(chat, MESSAGE, operator, text, blocked=kinds,
                                   rules=[f.rule for f in findings])
        self.journal.write(chat, [event])
        languages = self.team.languages(operator)
        self.notices.toOperator(chat, operator, "blocked", text=mark(text, findings),
                                reasons=", ".join(self.notices.text(f"blocked_{kind}", languages)
                                                  for kind in kinds))
        log.info("Blocked a message of {operator} in chat {chat}: {kinds}",
                 operator=operator, chat=chat.id, kinds=kinds)
        return True
