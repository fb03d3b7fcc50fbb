"""
What the service knows about each operator right now (R-PRES-2): presence
per resource folded into one state, and the chats they are in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from imsupport.core.model import Operator
from imsupport.core.routing import OperatorSnapshot

AFK_SHOWS = frozenset({"away", "xa", "dnd"})

FREE = "free"
BUSY = "busy"
AFK = "afk"
OFFLINE = "offline"


@dataclass
class OperatorState:
    operator: Operator
    resources: dict[str, str | None] = field(default_factory=dict)  # resource -> show
    chats: set[int] = field(default_factory=set)  # active chats, all nodes
    idle_since: float = 0.0

    @property
    def jid(self) -> str:
        return self.operator.jid

    @property
    def online(self) -> bool:
        return bool(self.resources)

    @property
    def afk(self) -> bool:
        """AFK unless at least one online resource is plainly available/chat."""
        return self.online and all(show in AFK_SHOWS for show in self.resources.values())

    @property
    def state(self) -> str:
        if not self.online:
            return OFFLINE
        if len(self.chats) >= self.operator.max_chats:
            return BUSY
        if self.afk:
            return AFK
        return FREE

    def snapshot(self, load: int, on_shift: bool = True,
                 switched_off: bool = False) -> OperatorSnapshot:
        """What routing sees; ``load`` counts the open invitations too (the
        registry has those)."""
        return OperatorSnapshot(
            jid=self.jid, online=self.online, afk=self.afk, load=load,
            max_chats=self.operator.max_chats, languages=self.operator.languages,
            idle_since=self.idle_since, on_shift=on_shift, switched_off=switched_off)

    def setPresence(self, resource: str, available: bool, show: str | None,
                    now: float) -> bool:
        """Record one resource's presence; True if the folded state changed."""
        before = (self.online, self.afk)
        if available:
            self.resources[resource] = show if show in AFK_SHOWS else None
        else:
            self.resources.pop(resource, None)
        after = (self.online, self.afk)
        if after != before and after == (True, False) and not self.chats:
            self.idle_since = now
        return after != before
