"""
The core's ports: what it needs from the outside world (``Transport``, which
adapters provide) and what the outside world may ask of it (``Support``,
which adapters are typed against and ``SupportCore`` provides).

The core decides; an adapter (XMPP today, the web chat later) turns these calls
into stanzas or HTTP events. Addresses here are the domain's, not JIDs: a node
name, a chat id, a client's or operator's bare address.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Protocol

from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from twisted.internet.interfaces import IReactorTime

    from imsupport.core.files import SlotRefusal, SlotUrls, Uploads
    from imsupport.core.i18n import Translator
    from imsupport.core.model import ChatEvent, ChatRecord, Directory
    from imsupport.core.queries import Queries
    from imsupport.core.ratelimit import RateRefusal


class Transport(Protocol):
    def toClient(self, node: str, client: str, body: str | None,
                 chatstate: str | None = None, lang: str | None = None,
                 receipt_id: str | None = None, oob: str | None = None) -> None:
        """Send to a client from the node address. ``body`` None = chat state
        only. ``receipt_id`` asks the client for a XEP-0184 receipt under that
        id. ``oob`` is a file's URL (XEP-0066), for clients that show it."""

    def toOperator(self, operator: str, body: str | None, node: str | None = None,
                   chat_id: int | None = None, chatstate: str | None = None,
                   receipt_id: str | None = None, oob: str | None = None) -> None:
        """Send to an operator from a chat address (node and chat_id given),
        or from the service console (the bare domain) when both are None."""

    def receipt(self, node: str, chat_id: int | None, to: str, message_id: str) -> None:
        """Deliver a XEP-0184 receipt for ``message_id`` to ``to``: from the
        node address when chat_id is None (to a client), else from the chat
        address (to an operator)."""

    def nodePresence(self, node: str, show: str | None, status: str,
                     available: bool, to: str | None = None) -> None:
        """Publish a node's presence to one subscriber (``to``) or to all of
        the node's subscribers (``to`` None). ``show`` is None for plain
        available, else away / dnd / xa."""

    def chatPresence(self, operator: str, node: str, chat_id: int, available: bool,
                     nick: str | None = None, status: str | None = None) -> None:
        """Presence of a chat address to one operator (R-ADDR-2): available
        with a nick (XEP-0172) and a status naming the chat while it is open
        for them, unavailable after."""

    def subscribeOperator(self, operator: str, status: str | None = None,
                          lang: str | None = None) -> None:
        """Ask to follow an operator's presence from the domain address (and
        probe it). ``status`` says why, in the language ``lang``; it is what
        the operator's IM client shows of the request."""


class Support(Protocol):
    """What adapters call: the inbound port of the core (SupportCore is it).
    Calls are events (someone said something, changed presence); answers
    go out through the Transport; questions go to ``queries``, which returns
    immutable values."""

    queries: "Queries"
    translator: "Translator"  # the service's languages, for adapters' own texts
    clock: "IReactorTime"

    @property
    def files(self) -> "Uploads":
        """Uploads and downloads, for the web side."""

    @property
    def directory(self) -> "Directory":
        """The directory in force (operators' display names for pages)."""

    # a client wrote to a node address
    def clientSaid(self, node: str, client: str, text: str, lang: str | None = None,
                   message_id: str | None = None, receipt: bool = False,
                   chatstate: str | None = None, oob: str | None = None) -> Deferred[Any]:
        """Deferred: None once handled, or a Refused (not stored, so not
        delivered) for the adapter to answer the sender's message with.
        ``oob`` is the message's XEP-0066 URL: with it (or a body that is
        just a link to a file) the message is a file (SPEC 16)."""

    def clientChatState(self, node: str, client: str, state: str) -> None: ...

    def clientReceipt(self, node: str, client: str, message_id: str) -> None: ...

    def clientPresence(self, node: str, client: str, available: bool) -> None: ...

    # an operator wrote to a chat address or the console
    def operatorSaid(self, node: str, chat_id: int, operator: str, text: str,
                     message_id: str | None = None, receipt: bool = False,
                     chatstate: str | None = None, oob: str | None = None) -> Deferred[Any]:
        """As clientSaid."""

    def operatorChatState(self, chat_id: int, operator: str, state: str) -> None: ...

    def operatorReceipt(self, chat_id: int, operator: str, message_id: str) -> None: ...

    def operatorPresence(self, jid: str, resource: str, available: bool,
                         show: str | None = None) -> None: ...

    def consoleSaid(self, sender: str, text: str) -> Deferred[Any] | None: ...

    # files (R-CLI-1)
    def requestSlot(self, who: str, filename: str, size: int,
                    content_type: str | None) -> "Deferred[SlotUrls | SlotRefusal]":
        """An XEP-0363 slot's URLs for ``who``, or why it is refused."""

    # before anything is stored: who may say what
    def admitMessage(self, who: str, size: int, node: str | None = None,
                     chat_id: int | None = None) -> "RateRefusal | None":
        """None, or why the message is refused (over a rate limit)."""

    def isRefusing(self, who: str) -> bool: ...

    def hasNode(self, name: str) -> bool: ...

    def isOperator(self, jid: str) -> bool: ...

    def isAdmin(self, jid: str) -> bool: ...

    def isInChat(self, chat_id: int, jid: str) -> bool: ...

    # presence asked for, and the stream's comings and goings
    def publishNodePresence(self, node: str, to: str) -> None: ...

    def chatProbe(self, node: str, chat_id: int, who: str) -> None: ...

    def followOperators(self) -> None: ...

    def republishPresence(self) -> None: ...

    def streamLost(self) -> None: ...

    # the service's own life
    def restore(self, records: Iterable["ChatRecord"],
                events: dict[int, list["ChatEvent"]]) -> None: ...

    def startProbing(self) -> None: ...

    def stop(self) -> None: ...

    def shutdown(self) -> None: ...
