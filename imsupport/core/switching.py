"""
Switching off and on (R-NODE-3) with its effects on open chats: off stops
new offers there; a node (or the service) off also turns away clients who
have no chat yet and ends its queue; ``hard`` also closes the active chats
it covers, with a notice to both sides. Switches are kept in the store.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from imsupport.core.availability import Availability
from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.closing import Closing
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.invitations import Invitations
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.offers import Offers
from imsupport.core.switches import HARD, SOFT, Switches, Target
from imsupport.store.interfaces import IStore

log = Logger()


class Switching:
    def __init__(self, *, directory: DirectoryRef, availability: Availability, store: IStore,
                 chats: Chats, invitations: Invitations, notices: Notices, offers: Offers,
                 closing: Closing, presences: NodePresences) -> None:
        self.directory = directory
        self.availability = availability
        self.store = store
        self.chats = chats
        self.invitations = invitations
        self.notices = notices
        self.offers = offers
        self.closing = closing
        self.presences = presences

    @property
    def switches(self) -> Switches:
        return self.availability.switches

    def switch(self, target: Target, on: bool, mode: str = SOFT,
               by: str = "system") -> Deferred[Any]:
        """Switch ``target`` off or on and persist it. Deferred[bool]: changed."""
        changed = self.switches.set(target, on)
        d = self.store.setSwitch(target.key, not on, mode)
        log.info("{by} switched {state} {target} ({mode})", by=by, target=target.describe(),
                 state="on" if on else "off", mode=mode)
        if not on:
            for chat in list(self.chats.values()):
                withdrawn = self._withdrawn(chat) if chat.queued else []
                if chat.queued and (withdrawn or self.switches.nodeOff(chat.node)):
                    for operator in withdrawn:
                        self.offers.expire(chat, operator, "invitation_switched_off",
                                           redispatch=False)
                    if target.kind in ("service", "node"):
                        self.notices.toClient(chat, "closed_switched_off")
                        self.closing.close(chat, "switched_off", by)
                elif chat.active and mode == HARD and self._covers(target, chat):
                    self.notices.toClient(chat, "closed_switched_off")
                    self.closing.close(chat, "switched_off", by)
        self.offers.dispatch()
        self.presences.refresh()
        return d.addCallback(lambda _: changed)

    def _withdrawn(self, chat: Chat) -> list[str]:
        """The operators invited to a waiting chat who may no longer have
        it: all of them when its node is off."""
        invited = self.invitations.operatorsOf(chat.id)
        if self.switches.nodeOff(chat.node):
            return list(invited)
        return [op for op in invited if self._offFor(chat.node, op)]

    def _offFor(self, node: str, operator: str) -> bool:
        """Whether routing may no longer offer ``node``'s chats to
        ``operator``: switched off, here or everywhere, or every group of
        the node that routes to them (its automatic ones) is."""
        if self.switches.operatorOff(operator) or operator in self.switches.offOperators(node):
            return True
        off = self.switches.offGroups(node)
        found = self.directory.node(node)
        groups = [g for g in found.groups if g.auto and operator in g.operators] if found else []
        return bool(groups) and all(g.name in off for g in groups)

    def _covers(self, target: Target, chat: Chat) -> bool:
        """Whether a hard switch-off of ``target`` ends this active chat."""
        if target.kind == "service":
            return True
        if target.kind == "node":
            return chat.node == target.node
        if target.kind == "operator":
            return (target.node in (None, chat.node)) and target.operator in chat.record.operators
        node = self.directory.nodeOf(chat)
        if chat.node != target.node:
            return False
        off = self.switches.offGroups(node.name)
        members = {jid for g in node.groups if g.name == target.group for jid in g.operators}
        others = {jid for g in node.groups if g.name != target.group and g.name not in off
                  for jid in g.operators}
        return any(op in members and op not in others for op in chat.record.operators)
