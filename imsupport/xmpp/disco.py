"""
Service discovery (R-PRES-3): the domain is a support service listing its
nodes; each node is an automated conversational agent.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.words.protocols.jabber.error import StanzaError
from twisted.words.protocols.jabber.jid import JID
from tx_xmpp import data_form, disco
from tx_xmpp.itx_xmpp import IDisco
from tx_xmpp.subprotocols import XMPPHandler
from zope.interface import implementer

from imsupport.xmpp.addresses import CHAT, CONSOLE, NODE, Address, classify
from imsupport.xmpp.stanzas import NS_CHATSTATES, NS_RECEIPTS
from imsupport.xmpp.upload import NS_UPLOAD

if TYPE_CHECKING:
    from imsupport.core.ports import Support

FEATURES = (disco.NS_DISCO_INFO, disco.NS_DISCO_ITEMS, NS_CHATSTATES, NS_RECEIPTS)


@implementer(IDisco)
class DiscoProvider(XMPPHandler):
    def __init__(self, core: "Support", domain: str, name: str) -> None:
        super().__init__()
        self.core = core
        self.domain = domain
        self.name = name

    def _target(self, requestor: JID, target: JID) -> Address:
        address = classify(target, self.domain)
        if address.kind == NODE and self.core.hasNode(address.node or ""):
            return address
        if address.kind == CHAT and self.core.isInChat(address.chat_id or 0,
                                                       requestor.userhost()):
            # Only the chat's own operators see it; to anyone else an open
            # chat and a closed one look the same (no enumeration).
            return address
        if address.kind == CONSOLE:
            return address
        raise StanzaError("item-not-found", text=f"There is nothing at {target.full()}.")

    def getDiscoInfo(self, requestor: JID, target: JID, nodeIdentifier: str = ""
                     ) -> list[disco.DiscoIdentity | disco.DiscoFeature | data_form.Form]:
        address = self._target(requestor, target)
        if nodeIdentifier:
            return []
        if address.kind == CONSOLE:
            # the domain is also the XEP-0363 upload service (SPEC 16)
            limit = data_form.Form("result", formNamespace=NS_UPLOAD, fields=[
                data_form.Field(var="max-file-size",
                                value=str(self.core.files.max_upload_bytes))])
            return [disco.DiscoIdentity("component", "generic", self.name),
                    disco.DiscoIdentity("store", "file", "HTTP File Upload")] \
                + [disco.DiscoFeature(f) for f in FEATURES + (NS_UPLOAD,)] + [limit]
        titles = dict(self.core.queries.nodeTitles())
        return [disco.DiscoIdentity("client", "bot", titles.get(address.node or "", "")),
                *(disco.DiscoFeature(f) for f in FEATURES)]

    def getDiscoItems(self, requestor: JID, target: JID, nodeIdentifier: str = ""
                      ) -> list[disco.DiscoItem]:
        address = self._target(requestor, target)
        if address.kind != CONSOLE or nodeIdentifier:
            return []
        return [disco.DiscoItem(JID(f"{name}@{self.domain}"), name=title)
                for name, title in self.core.queries.nodeTitles()]
