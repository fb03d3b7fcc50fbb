"""What the API needs of the running core (SupportCore has all of it), and
the conversions of its values to JSON that several routes share."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol

from imsupport.web.api.errors import ApiError, badRequest

if TYPE_CHECKING:
    from imsupport.core.broadcast import Broadcasts
    from imsupport.core.bulk import BulkNotices
    from imsupport.core.contact import Contacts
    from imsupport.core.model import Directory
    from imsupport.core.queries import Queries
    from imsupport.core.switching import Switching


class Directed(Protocol):
    """Whatever holds the directory in force (ApiCore, core/ports.Support)."""

    @property
    def directory(self) -> "Directory": ...


class ApiCore(Protocol):
    queries: "Queries"
    switching: "Switching"
    broadcasts: "Broadcasts"
    contacts: "Contacts"
    bulk: "BulkNotices"

    @property
    def directory(self) -> "Directory": ...

    def setDirectory(self, directory: "Directory") -> None: ...


CoreRef = Callable[[], "ApiCore | None"]


def running(core: CoreRef) -> ApiCore:
    """The core, or a 503 while the service is still starting."""
    current = core()
    if current is None:
        raise ApiError(503, "service_unavailable", "The service is starting; try again soon.")
    return current


def isoTime(at: float | None) -> str | None:
    """POSIX seconds as ISO 8601 in UTC (``2026-12-02T14:05:09.250000+00:00``)."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, timezone.utc).isoformat()


def parseTime(name: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise badRequest(f"{name}: must be a date-time (e.g. 2026-12-02T14:00:00Z)") from None
    if when.tzinfo is None:
        raise badRequest(f"{name}: must have a time zone (e.g. Z or +01:00)")
    return when.timestamp()


def operatorName(core: Directed | None) -> Callable[[str], str | None]:
    """An operator's display name by JID, None for one not in the directory."""
    def name(jid: str) -> str | None:
        operator = core.directory.operator(jid) if core is not None else None
        return operator.name if operator is not None else None
    return name


JSON = dict[str, Any]
