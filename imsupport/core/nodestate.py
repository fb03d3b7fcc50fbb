"""
A node's presence (R-PRES-1) from its operators' states: a pure function.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from imsupport.core.model import Node
from imsupport.core.operators import AFK, FREE, OFFLINE, OperatorState


@dataclass(frozen=True)
class NodePresence:
    available: bool
    show: str | None  # None (available), "away", "dnd", "xa"
    status_key: str  # i18n key of the status text
    queue: int


def nodeOperators(node: Node) -> set[str]:
    return {jid for group in node.groups for jid in group.operators}


def nodePresence(node: Node, operators: Mapping[str, OperatorState], queue: int,
                 switched_on: bool = True) -> NodePresence:
    if not switched_on:
        return NodePresence(False, None, "presence_closed", queue)
    states = [operators[jid] for jid in sorted(nodeOperators(node)) if jid in operators]
    online = [op for op in states if op.state != OFFLINE]
    if not online:
        return NodePresence(True, "xa", "presence_offline", queue)
    if any(op.state == FREE for op in online):
        return NodePresence(True, None, "presence_available", queue)
    if any(op.state == AFK for op in online):
        return NodePresence(True, "away", "presence_away", queue)
    return NodePresence(True, "dnd", "presence_busy", queue)
