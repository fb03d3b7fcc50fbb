"""
The console's own commands (R-ADDR-4): ``!status`` for operators; for admins
also ``!status NODE`` (the node's live state and why each operator would not
be offered the next chat) and ``!off`` / ``!on`` to switch the service, a
node, a group or an operator (R-NODE-3). The counts come from the same
queries /metrics reads.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from imsupport.config import ServiceConfig
from imsupport.core.availability import OPEN
from imsupport.core.commands import CommandContext
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.display import showClient
from imsupport.core.i18n import Translator, formatDuration
from imsupport.core.model import Node
from imsupport.core.offers import Offers
from imsupport.core.queries import NodeView, Queries
from imsupport.core.switches import HARD, SOFT, TargetError, parseTarget
from imsupport.core.switching import Switching
from imsupport.core.team import Team

LISTED = 10  # chats and reasons listed in a node's status


class Console:
    def __init__(self, *, service: ServiceConfig, directory: DirectoryRef, queries: Queries,
                 team: Team, translator: Translator, offers: Offers,
                 switching: Switching) -> None:
        self.service = service
        self.directory = directory
        self.queries = queries
        self.team = team
        self.translator = translator
        self.offers = offers
        self.switching = switching

    def status(self, context: CommandContext) -> None:
        """Own state and the queues; an admin naming a node gets its live state."""
        sender = context.sender
        if context.args and sender in self.service.admins:
            self.nodeStatus(context, context.args[0])
        else:
            context.reply("console_status", **self._ownStatus(sender))

    def switchOff(self, context: CommandContext) -> Deferred[Any] | None:
        return self.switch(context, False)

    def switchOn(self, context: CommandContext) -> Deferred[Any] | None:
        return self.switch(context, True)

    def _ownStatus(self, jid: str) -> dict[str, object]:
        me = self.queries.operator(jid)
        queues = ", ".join(f"{name}: {self.queries.queueLength(name)}"
                           for name in sorted(n.name for n in self.directory.nodes))
        return {"state": self.translator.text(f"state_{me.state if me else 'offline'}",
                                              self.team.languages(jid)),
                "chats": len(me.chats) if me else 0,
                "max_chats": me.max_chats if me else 0,
                "queues": queues or "-"}

    def switch(self, context: CommandContext, on: bool) -> Deferred[Any] | None:
        args = list(context.args)
        mode = SOFT
        if args and args[-1].lower() in (SOFT, HARD):
            mode = args.pop().lower()
        try:
            target = parseTarget(args, self.directory.current)
        except TargetError as e:
            context.reply("console_switch_error", error=str(e))
            return None
        state = "on" if on else "off"

        def done(changed: bool) -> None:
            key = "console_switched" if changed else "console_switch_unchanged"
            context.reply(key, target=target.describe(), state=state, mode=mode)

        return self.switching.switch(target, on, mode, by=context.sender).addCallback(done)

    def nodeStatus(self, context: CommandContext, name: str) -> None:
        """R-STAT-4 for one node, plus routing's reasons (R-ROUTE-*)."""
        node = self.directory.node(name)
        view = self.queries.node(name)
        if node is None or view is None:
            context.reply("console_unknown_node", name=name,
                          nodes=", ".join(n.name for n in self.directory.nodes))
            return
        waiting = ", ".join(f"#{c.id} {showClient(c.client)} {formatDuration(c.waited)}"
                            for c in view.queued[:LISTED]) or "-"
        talking = ", ".join(
            f"#{c.id} {showClient(c.client)} with "
            f"{', '.join(self.team.displayName(o) for o in c.operators)}"
            f" {formatDuration(c.talking)}" for c in view.active[:LISTED]) or "-"
        switched = [key for key in sorted(self.switching.switches.off)
                    if key == "service" or name in key]
        counts = view.operators
        context.reply("console_node_status", name=name, title=view.title, mode=view.mode,
                      switch="switched off: " + ", ".join(switched) if switched
                      else ("all switched on" if view.mode == OPEN else ""),
                      total=counts.total, online=counts.online, afk=counts.afk,
                      free=counts.free, busy=counts.busy, queued=len(view.queued),
                      queue=waiting, active=len(view.active), chats=talking,
                      reasons=self._reasons(node, view))

    def _reasons(self, node: Node, view: NodeView) -> str:
        """Why each operator is not a candidate for the first queued chat
        (or for a new chat when the queue is empty)."""
        decision = self.offers.decideFirst(node, view.queued[0].id if view.queued else None)
        parts = [f"{self.team.displayName(jid)}: {why}"
                 for jid, why in sorted(decision.reasons.items())][:LISTED * 2]
        if decision.candidates:
            parts.insert(0, "next: " + ", ".join(self.team.displayName(j)
                                                 for j in decision.candidates[:LISTED]))
        return "; ".join(parts) or "-"
