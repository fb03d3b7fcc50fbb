"""What the web chat needs of the running core (SupportCore has all of it):
the inbound calls a client makes, in the web chat's own forms where words
would not do (languages, the end button, stars), and the read-only queries."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Protocol

from twisted.internet.defer import Deferred

from imsupport.web.chat.hub import HubCore

if TYPE_CHECKING:
    from imsupport.config import LimitsConfig
    from imsupport.core.files import Blob, Uploads
    from imsupport.core.journal import Refused
    from imsupport.core.model import FileRecord
    from imsupport.core.ratelimit import RateRefusal


class ChatCore(HubCore, Protocol):
    limits: "LimitsConfig"

    @property
    def files(self) -> "Uploads": ...

    def clientSaid(self, node: str, client: str, text: str, lang: str | None = None,
                   message_id: str | None = None, receipt: bool = False,
                   chatstate: str | None = None, oob: str | None = None) -> Deferred[Any]: ...

    def clientChatState(self, node: str, client: str, state: str) -> None: ...

    def admitMessage(self, who: str, size: int, node: str | None = None,
                     chat_id: int | None = None) -> "RateRefusal | None": ...

    def isRefusing(self, who: str) -> bool: ...

    def chooseClientLanguages(self, client: str,
                              languages: Iterable[str]) -> tuple[str, ...]: ...

    def clientEnded(self, node: str, client: str) -> Deferred[Any]: ...

    def clientRated(self, node: str, client: str, rating: int, comment: str = "") -> bool: ...

    def nodeClosure(self, node: str, languages: Iterable[str]) -> tuple[str, str] | None: ...

    def clientUploaded(self, node: str, client: str, name: str, content_type: str,
                       blob: "Blob") -> "Deferred[FileRecord | Refused]": ...
