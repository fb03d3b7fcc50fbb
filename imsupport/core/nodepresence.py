"""
Node presence (R-PRES-1): what each node's address shows its subscribers,
from its operators' states, hours and switches (the pure ``nodePresence``),
sent only when it changed.
"""
from __future__ import annotations

from collections.abc import Callable

from twisted.internet.interfaces import IReactorTime

from imsupport.core.availability import OPEN, Availability
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.i18n import Translator
from imsupport.core.nodestate import NodePresence, nodePresence
from imsupport.core.ports import Transport
from imsupport.core.queues import Queues
from imsupport.core.team import Team

CLOSED = NodePresence(False, None, "presence_closed", 0)  # the service stopped


class NodePresences:
    def __init__(self, directory: DirectoryRef, availability: Availability, team: Team,
                 queues: Queues, translator: Translator, transport: Transport,
                 clock: IReactorTime) -> None:
        self.directory = directory
        self.availability = availability
        self.team = team
        self.queues = queues
        self.translator = translator
        self.transport = transport
        self.clock = clock
        self._sent: dict[str, NodePresence] = {}
        # Told after each refresh, with its ``operator``: the operators' live
        # state may have changed too (SPEC 15 operator.state).
        self.refreshed: list[Callable[[str | None], None]] = []

    def of(self, name: str) -> NodePresence:
        node = self.directory.node(name)
        assert node is not None
        now = self.clock.seconds()
        mode = self.availability.nodeMode(node, now)
        queue = self.queues.length(name)
        if mode != OPEN:
            return nodePresence(node, {}, queue, mode=mode)
        switches = self.availability.switches
        off = switches.offOperators(name)
        switchedOn = [jid for jid in self.team.operatorsOf(name)
                      if jid in self.team and jid not in off and not switches.operatorOff(jid)]
        usable = {jid: self.team[jid] for jid in switchedOn
                  if self.availability.onShift(jid, now)}
        offShift = any(self.team[jid].online for jid in switchedOn if jid not in usable)
        return nodePresence(node, usable, queue, groups_off=switches.offGroups(name),
                            off_shift=offShift)

    def status(self, name: str, presence: NodePresence) -> str:
        """The status text, in the node's language, with the queue length (or the hours)."""
        node = self.directory.node(name)
        languages = node.languages if node else ()
        hours = ""
        if presence.status_key == "presence_closed_hours":
            hours = self.availability.hours(name, self.translator.language(languages),
                                            self.clock.seconds())
        return self.translator.text(presence.status_key, languages, queue=presence.queue,
                                    hours=hours)

    def refresh(self, operator: str | None = None) -> None:
        """Tell subscribers about every node whose presence changed; when only
        ``operator``'s state changed, only their nodes can have."""
        names = self.team.nodesOf(operator) if operator is not None \
            else [n.name for n in self.directory.nodes]
        for name in names:
            presence = self.of(name)
            if self._sent.get(name) != presence:
                self._send(name, presence)
        if operator is None:  # a node that left the directory goes unavailable, once
            for gone in [name for name in self._sent if self.directory.node(name) is None]:
                self._send(gone, CLOSED)
                del self._sent[gone]
        for listener in self.refreshed:
            listener(operator)

    def republish(self) -> None:
        """The stream came back: every node's presence again."""
        self._sent.clear()
        self.refresh()

    def shutdown(self) -> None:
        """The service is stopping: subscribers see every node unavailable
        ("switched off") instead of a stale "available"."""
        for node in self.directory.nodes:
            self._send(node.name, CLOSED)

    def _send(self, name: str, presence: NodePresence) -> None:
        self._sent[name] = presence
        self.transport.nodePresence(name, presence.show, self.status(name, presence),
                                    presence.available)

