"""
Who and what is open right now: node opening hours and temporary windows
(R-NODE-1, R-NODE-2), operator shifts (R-ROUTE-6) and switches (R-NODE-3).
Pure: every answer takes ``now``; the core sets one timer for ``nextChange``.
"""
from __future__ import annotations

from imsupport.core.model import Directory, Node
from imsupport.core.schedule import HORIZON, Schedule, activeWindow, windowNextChange
from imsupport.core.switches import Switches

OPEN = "open"
AUTOREPLY = "autoreply"  # outside opening hours: a message with the hours, presence xa
OFFLINE = "offline"  # switched off, outside its window, or off hours = "offline"


class Availability:
    def __init__(self, directory: Directory, switches: Switches | None = None) -> None:
        self.switches = switches or Switches()
        self.setDirectory(directory)

    def setDirectory(self, directory: Directory) -> None:
        self.directory = directory
        self.nodeHours = {n.name: Schedule.parse(n.schedule, n.timezone, n.exceptions)
                          for n in directory.nodes}
        self.shifts = {o.jid: Schedule.parse(o.schedule, o.timezone, o.exceptions)
                       for o in directory.operators if o.schedule or o.exceptions}
        # jid -> (on shift, valid until): routing asks for every operator on
        # every decision, and the answer only changes at a shift boundary.
        self._onShift: dict[str, tuple[bool, float]] = {}

    def inWindow(self, node: Node, now: float) -> bool:
        return activeWindow(node.active_from, node.active_until, node.timezone, now)

    def nodeMode(self, node: Node, now: float) -> str:
        if self.switches.nodeOff(node.name) or not self.inWindow(node, now):
            return OFFLINE
        if self.nodeHours[node.name].isOpen(now):
            return OPEN
        return AUTOREPLY if node.off_hours == "autoreply" else OFFLINE

    def onShift(self, operator: str, now: float) -> bool:
        shift = self.shifts.get(operator)
        if shift is None:
            return True
        cached = self._onShift.get(operator)
        if cached is not None and cached[1] > now:
            return cached[0]
        value = shift.isOpen(now)
        change = shift.nextChange(now)
        self._onShift[operator] = (value, change if change is not None else now + HORIZON)
        return value

    def hours(self, node: str, language: str, now: float) -> str:
        return self.nodeHours[node].describe(language, now=now)

    def nextChange(self, now: float) -> float | None:
        """The next moment any node or shift opens or closes."""
        times = [s.nextChange(now) for s in self.nodeHours.values()]
        times += [s.nextChange(now) for s in self.shifts.values()]
        times += [windowNextChange(n.active_from, n.active_until, n.timezone, now)
                  for n in self.directory.nodes]
        future = [t for t in times if t is not None and t > now]
        if future:
            return min(future)
        # nextChange looks HORIZON ahead; a change further out (a holiday in
        # three weeks) is found by asking again then.
        timed = [s for s in (*self.nodeHours.values(), *self.shifts.values()) if not s.alwaysOpen]
        windows = [n for n in self.directory.nodes if n.active_from or n.active_until]
        return now + HORIZON if timed or windows else None
