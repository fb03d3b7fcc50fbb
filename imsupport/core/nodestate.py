"""
A node's presence (R-PRES-1) from its operators' states: a pure function.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from imsupport.core.availability import AUTOREPLY, OPEN
from imsupport.core.model import Node
from imsupport.core.operators import AFK, FREE, OFFLINE, OperatorState


@dataclass(frozen=True)
class NodePresence:
    available: bool
    show: str | None  # None (available), "away", "dnd", "xa"
    status_key: str  # i18n key of the status text
    queue: int


def nodeOperators(node: Node, groups_off: Iterable[str] = (),
                  routed_only: bool = False) -> set[str]:
    """Operators of the node's switched-on groups: manual-only ones too (they
    answer redirected chats), unless ``routed_only`` (those routing offers
    new chats to: the automatic groups')."""
    off = set(groups_off)
    return {jid for group in node.groups if group.name not in off
            and (group.auto or not routed_only) for jid in group.operators}


def nodePresence(node: Node, operators: Mapping[str, OperatorState], queue: int,
                 mode: str = OPEN, groups_off: Iterable[str] = (),
                 off_shift: bool = False) -> NodePresence:
    """``operators`` holds the node's usable operators (on shift, switched
    on); ``mode`` is the node's availability (open, autoreply, offline);
    ``off_shift`` says that operators are online but none of them on shift."""
    if mode == AUTOREPLY:
        return NodePresence(True, "xa", "presence_closed_hours", queue)
    if mode != OPEN:
        return NodePresence(False, None, "presence_closed", queue)
    # what a new client can expect: only the operators routing would ask count
    states = [operators[jid] for jid in sorted(nodeOperators(node, groups_off, routed_only=True))
              if jid in operators]
    online = [op for op in states if op.state != OFFLINE]
    if not online:
        return NodePresence(True, "xa", "presence_off_shift" if off_shift
                            else "presence_offline", queue)
    if any(op.state == FREE for op in online):
        return NodePresence(True, None, "presence_available", queue)
    if any(op.state == AFK for op in online):
        return NodePresence(True, "away", "presence_away", queue)
    return NodePresence(True, "dnd", "presence_busy", queue)
