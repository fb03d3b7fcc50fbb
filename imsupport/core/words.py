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
from twisted.python.failure import Failure

from imsupport.core.chat import Chat
from imsupport.core.closing import Closing
from imsupport.core.filedesk import FileDesk, NotAFile
from imsupport.core.files import FetchError, FileRefused, FilesFull, fileEventData
from imsupport.core.filters import MessageFilter, mark
from imsupport.core.journal import Journal, Refused
from imsupport.core.model import FILE, MESSAGE, FileRecord
from imsupport.core.notices import Notices
from imsupport.core.relay import Relay
from imsupport.core.team import Team

log = Logger()


class OperatorWords:
    def __init__(self, *, filters: MessageFilter | None, journal: Journal, notices: Notices,
                 relay: Relay, closing: Closing, team: Team,
                 files: FileDesk | None = None) -> None:
        self.filters = filters
        self.files = files
        self.journal = journal
        self.notices = notices
        self.relay = relay
        self.closing = closing
        self.team = team

    def say(self, chat: Chat, operator: str, text: str, message_id: str | None = None,
            receipt: bool = False, chatstate: str | None = None,
            oob: str | None = None) -> Deferred[Any]:
        """Deferred: None once relayed (or blocked), a Refused when it could
        not be stored. A link to a file (SPEC 16) is sent as a file."""
        link = self.files.linkIn(text, oob) if self.files is not None else None
        if link is not None:
            return self._file(chat, operator, link, text, message_id, receipt, chatstate)
        return self._words(chat, operator, text, message_id, receipt, chatstate)

    def _words(self, chat: Chat, operator: str, text: str, message_id: str | None,
               receipt: bool, chatstate: str | None) -> Deferred[Any]:
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

    def _file(self, chat: Chat, operator: str, url: str, text: str,
              message_id: str | None, receipt: bool, chatstate: str | None) -> Deferred[Any]:
        assert self.files is not None

        def failed(reason: Failure) -> object:
            if reason.check(FileRefused):
                return Refused(str(reason.value), later=False)
            if reason.check(FetchError, FilesFull):
                self.notices.toOperator(chat, operator, "file_not_kept", url=url,
                                        reason=str(reason.value))
            elif not reason.check(NotAFile):
                log.failure("Keeping the file at {url} failed", reason, url=url)
            return self._words(chat, operator, text, message_id, receipt, chatstate)

        return self.files.resolve(url, operator, chat).addCallbacks(
            lambda record: self.sendFile(chat, operator, record), failed)

    def sendFile(self, chat: Chat, operator: str, record: FileRecord) -> Deferred[Any]:
        """A kept file from ``operator`` into the chat (an upload, ``!file
        ID``, a page): stored, then sent to the client from the node
        address and, signed, to the other operators."""
        assert self.files is not None
        url = self.files.urlOf(record)
        self.closing.touch(chat)
        event = self.journal.event(chat, FILE, operator, record.name,
                                   **fileEventData(record, url))
        return self.journal.write(
            chat, [event], then=lambda: self.relay.fileFromOperator(chat, operator, url),
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
