"""
The service console at the bare domain (R-ADDR-4): ``!help`` and ``!status``
for operators; for admins also ``!status NODE`` (the node's live state and
why each operator would not be offered the next chat) and ``!off`` / ``!on``
to switch the service, a node, a group or an operator (R-NODE-3).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred

from imsupport.core.availability import OPEN
from imsupport.core.chat import Chat, parseCommand
from imsupport.core.commands import CommandContext
from imsupport.core.display import showClient
from imsupport.core.i18n import formatDuration
from imsupport.core.model import ChatRecord, Node
from imsupport.core.operators import AFK, BUSY, FREE, OFFLINE
from imsupport.core.switches import HARD, SOFT, TargetError, parseTarget

if TYPE_CHECKING:
    from imsupport.core.service import SupportCore

LISTED = 10  # chats and reasons listed in a node's status


class Console:
    def __init__(self, core: "SupportCore") -> None:
        self.core = core

    def _reply(self, to: str, key: str, **fields: object) -> None:
        self.core._notifyOperatorDirect(to, key, **fields)

    def said(self, sender: str, text: str) -> Deferred | None:
        core = self.core
        if not (core.isOperator(sender) or core.isAdmin(sender)):
            self._reply(sender, "console_not_operator")
            return None
        command = parseCommand(core.service.command_prefix, text)
        name, args = command if command else ("help", [])
        d = core.commands.run(CommandContext(core, sender, name, args, text))
        state = core.operators.get(sender)
        if state is not None and not state.online:
            # Often a text-only client that cannot answer the subscription
            # request (go-sendxmpp, sendxmpp): say what is missing.
            d.addCallback(lambda _: self._reply(sender, "console_offline_hint",
                                                domain=core.service.domain))
        return d

    def status(self, context: CommandContext) -> None:
        """Own state and the queues; an admin naming a node gets its live
        state; in a chat, also who is in it."""
        sender = context.sender
        if context.args and self.core.isAdmin(sender):
            self.nodeStatus(context, context.args[0])
        else:
            context.reply("console_status", **self._ownStatus(sender))

    def switchOff(self, context: CommandContext) -> Deferred | None:
        return self.switch(context, False)

    def switchOn(self, context: CommandContext) -> Deferred | None:
        return self.switch(context, True)

    def _ownStatus(self, jid: str) -> dict[str, object]:
        core = self.core
        state = core.operators.get(jid)
        languages = core.operatorLanguages(jid)
        queues = ", ".join(f"{name}: {len(core.queues.get(name, []))}"
                           for name in sorted(n.name for n in core.directory.nodes))
        return {"state": core.translator.text(f"state_{state.state}" if state
                                              else "state_offline", languages),
                "chats": len(state.chats) if state else 0,
                "max_chats": state.operator.max_chats if state else 0,
                "queues": queues or "-"}

    def switch(self, context: CommandContext, on: bool) -> Deferred | None:
        core = self.core
        args = list(context.args)
        mode = SOFT
        if args and args[-1].lower() in (SOFT, HARD):
            mode = args.pop().lower()
        try:
            target = parseTarget(args, core.directory)
        except TargetError as e:
            context.reply("console_switch_error", error=str(e))
            return None
        state = "on" if on else "off"

        def done(changed: bool) -> None:
            key = "console_switched" if changed else "console_switch_unchanged"
            context.reply(key, target=target.describe(), state=state, mode=mode)

        return core.switch(target, on, mode, by=context.sender).addCallback(done)

    def nodeStatus(self, context: CommandContext, name: str) -> None:
        """R-STAT-4 for one node, plus routing's reasons (R-ROUTE-*)."""
        core = self.core
        node = core.directory.node(name)
        if node is None:
            context.reply("console_unknown_node", name=name,
                        nodes=", ".join(n.name for n in core.directory.nodes))
            return
        now = core.clock.seconds()
        snapshots = core.snapshots(name, now)
        counts = {FREE: 0, BUSY: 0, AFK: 0, OFFLINE: 0}
        for jid in snapshots:
            counts[core.operators[jid].state] += 1
        queue = [core.chats[i] for i in core.queues.get(name, [])]
        active = [c for c in core.chats.values() if c.node == name and c.active]
        waiting = ", ".join(
            f"#{c.id} {showClient(c.client)} {formatDuration(now - c.record.created_at)}"
            for c in queue[:LISTED]) or "-"
        talking = ", ".join(
            f"#{c.id} {showClient(c.client)} with "
            f"{', '.join(core.displayName(o) for o in c.record.operators)}"
            f" {formatDuration(now - (c.record.accepted_at or now))}"
            for c in active[:LISTED]) or "-"
        reasons = self._reasons(node, queue, now)
        switched = [key for key in sorted(core.switches.off)
                    if key == "service" or name in key]
        context.reply("console_node_status", name=name, title=node.title or name,
                    mode=core.availability.nodeMode(node, now),
                    switch="switched off: " + ", ".join(switched) if switched
                    else ("all switched on" if core.availability.nodeMode(node, now) == OPEN
                          else ""),
                    total=len(snapshots),
                    online=len(snapshots) - counts[OFFLINE], afk=counts[AFK],
                    free=counts[FREE], busy=counts[BUSY], queued=len(queue), queue=waiting,
                    active=len(active), chats=talking, reasons=reasons)

    def _reasons(self, node: Node, queue: list[Chat], now: float) -> str:
        """Why each operator is not a candidate for the first queued chat
        (or for a new chat when the queue is empty)."""
        core = self.core
        probe = queue[0] if queue else Chat(ChatRecord(0, node.name, "", languages=node.languages))
        decision = core.decide(node, probe, now)
        parts = [f"{core.displayName(jid)}: {why}"
                 for jid, why in sorted(decision.reasons.items())][:LISTED * 2]
        if decision.candidates:
            parts.insert(0, "next: " + ", ".join(core.displayName(j)
                                                 for j in decision.candidates[:LISTED]))
        return "; ".join(parts) or "-"
