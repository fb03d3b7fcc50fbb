"""
The web chat (R-CLI-3): visitors in a browser as clients of the core.

- visitors.py: their addresses (``name.id@web.invalid``) and signed tokens;
- transport.py: SplitTransport, the core's Transport split between XMPP and
  the hub by address;
- hub.py: each visitor's Server-Sent Events streams, fed from the chat's
  stored events (shown.py says what a visitor sees of them);
- app.py (with visit.py, uploads.py, page.py): the routes under ``/chat/``.

``build`` makes it from the service's parts; once the core is up, the
runner gives it ``splitTransport`` and tells the hub of its stored events
(``Journal.eventListeners``) and of the chats it restored.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from imsupport.core.i18n import Translator
from imsupport.web.chat.app import ChatSide
from imsupport.web.chat.hub import ChatHub
from imsupport.web.chat.ports import ChatCore
from imsupport.web.chat.starts import StartLimit
from imsupport.web.chat.transport import SplitTransport
from imsupport.web.chat.visitors import VisitorTokens, deriveKey, isVisitor
from imsupport.web.peers import Peers

if TYPE_CHECKING:
    from twisted.internet.interfaces import IReactorTime

    from imsupport.core.files import Blobs
    from imsupport.core.ports import Transport
    from imsupport.store.interfaces import IStore

__all__ = ["ChatSide", "SplitTransport", "build", "splitTransport"]


def build(core: Callable[[], ChatCore | None], store: "IStore", clock: "IReactorTime",
          secret: str, default_language: str = "en", blobs: "Blobs | None" = None,
          widget_origins: tuple[str, ...] = (), peers: Peers | None = None,
          starts: tuple[int, float] = (10, 60.0)) -> ChatSide:
    """``secret``: ``[xmpp] secret``, which visitors' tokens are signed
    with a key derived from; ``widget_origins``: ``[web] widget_origins``;
    ``peers``: who a request is from (``[web] trusted_proxies``); ``starts``: ``[limits]
    web_chat_burst`` and ``web_chats_per_hour``."""
    hub = ChatHub(clock, store, core)
    return ChatSide(core, hub, VisitorTokens(deriveKey(secret)),
                    Translator(default=default_language), blobs=blobs,
                    widget_origins=widget_origins, peers=peers,
                    starts=StartLimit(clock, *starts))


def splitTransport(xmpp: "Transport", side: ChatSide) -> SplitTransport:
    """The core's Transport: visitors to ``side``'s hub, the rest to XMPP."""
    return SplitTransport(xmpp, side.hub, isVisitor)
