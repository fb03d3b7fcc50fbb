"""
What an operator's command acts through (R-CMD-*, R-CMD-10): a command's
``context.core``. Built-in commands and plugins reach the parts they need
here (the store, the FAQ, the notices, closing and transfers, the operator's
own words), never the core's front, so the parts stay a graph without
cycles.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from twisted.internet.defer import Deferred

from imsupport.config import ServiceConfig
from imsupport.core.chat import Chat
from imsupport.core.closing import Closing
from imsupport.core.commands import Commands
from imsupport.core.faq import FaqIndex
from imsupport.core.filedesk import FileDesk
from imsupport.core.i18n import Translator
from imsupport.core.notices import Notices
from imsupport.core.team import Team
from imsupport.core.transfers import Transfers
from imsupport.core.words import OperatorWords
from imsupport.store.interfaces import IStore

if TYPE_CHECKING:
    from imsupport.core.contact import Contacts


@dataclass
class Workspace:
    service: ServiceConfig
    store: IStore
    translator: Translator
    team: Team
    notices: Notices
    closing: Closing
    transfers: Transfers
    words: OperatorWords
    commands: Commands
    files: FileDesk
    faq: FaqIndex = field(default_factory=lambda: FaqIndex(()))  # replaced with the directory
    contacts: "Contacts | None" = None  # reverse contact (R-REV-1)
    transcriptLink: Callable[[int], str] | None = None  # a chat's transcript link (core/links.py)

    def isAdmin(self, jid: str) -> bool:
        return jid in self.service.admins

    def isOperator(self, jid: str) -> bool:
        return jid in self.team

    def displayName(self, jid: str) -> str:
        return self.team.displayName(jid)

    def closeChat(self, chat: Chat, reason: str, by: str | None = None) -> Deferred[Any]:
        return self.closing.close(chat, reason, by)
