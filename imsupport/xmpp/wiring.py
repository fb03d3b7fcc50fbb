"""
The handler set of the component stream, in one place for the service and the
in-memory stream tests.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from tx_xmpp.disco import DiscoHandler
from tx_xmpp.generic import FallbackHandler, VersionHandler
from tx_xmpp.ping import PingHandler

from imsupport import __version__
from imsupport.xmpp.addresses import Addresses
from imsupport.xmpp.disco import DiscoProvider
from imsupport.xmpp.handlers import MessageHandler, PresenceHandler
from imsupport.xmpp.liveness import OperatorLiveness
from imsupport.xmpp.parser import StanzaLimits
from imsupport.xmpp.streamguard import StreamGuard
from imsupport.xmpp.upload import UploadHandler

if TYPE_CHECKING:
    from imsupport.core.ports import Support
    from imsupport.store.interfaces import IStore
    from imsupport.xmpp.component import ComponentConnection
    from imsupport.xmpp.transport import XmppTransport


def attachHandlers(stream: "ComponentConnection", core: "Support", addresses: Addresses,
                   store: "IStore", transport: "XmppTransport", max_message_bytes: int,
                   max_stanza_bytes: int = StanzaLimits.stanza_bytes) -> None:
    """Give the stream its handlers and tell the core when the stream comes
    and goes: on (re)connect, follow operators' presence again and republish
    every node's presence; on loss, forget the stale presence. The stream's
    parser refuses texts over ``max_message_bytes`` and stanzas over
    ``max_stanza_bytes`` as they arrive, in the core's languages."""

    def connected() -> None:
        core.followOperators()
        core.republishPresence()

    stream.on_connected = connected
    stream.guard = StreamGuard(addresses, StanzaLimits(stanza_bytes=max_stanza_bytes,
                                                       text_bytes=max_message_bytes),
                               core.translator)
    stream.on_lost = core.streamLost
    for handler in (FallbackHandler(), VersionHandler("imsupport", __version__),
                    PingHandler(), DiscoProvider(core, addresses.domain, "imsupport"),
                    UploadHandler(core, addresses.domain),
                    DiscoHandler(), MessageHandler(core, addresses, max_message_bytes),
                    PresenceHandler(core, addresses, store, transport),
                    OperatorLiveness(core, core.clock, addresses.domain)):
        handler.setHandlerParent(stream)
