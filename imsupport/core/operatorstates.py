"""
SPEC 15 ``operator.state``: each change of an operator's live state (the
team's folded presence and load) as an event for integrators.

The live state is OperatorState.state: offline, afk, free or busy. An
operator coming online from offline is reported as ``online`` and then the
state they came online in, so a receiver that only cares about sessions
needs only the online/offline pair.
"""
from __future__ import annotations

from twisted.internet.interfaces import IReactorTime

from imsupport.core.events import Events, operatorState
from imsupport.core.operators import OFFLINE
from imsupport.core.team import Team

ONLINE = "online"


def stateChanges(before: str, now: str) -> list[str]:
    """The operator.state values to report for a change from ``before`` to ``now``."""
    if before == now:
        return []
    if before == OFFLINE:
        return [ONLINE, now]
    return [now]


class OperatorStates:
    def __init__(self, team: Team, events: Events, clock: IReactorTime) -> None:
        self.team = team
        self.events = events
        self.clock = clock
        self._last: dict[str, str] = {}  # jid -> the last state reported (offline if none)

    def check(self, operator: str | None = None) -> None:
        """Report what changed for ``operator`` (None: everyone)."""
        jids = [operator] if operator is not None else list(self.team)
        now = self.clock.seconds()
        found = []
        for jid in jids:
            if jid not in self.team:
                continue
            state = self.team[jid].state
            for value in stateChanges(self._last.get(jid, OFFLINE), state):
                found.append(operatorState(jid, value, self.team.nodesOf(jid), now))
            self._last[jid] = state
        if found:
            self.events.emit(found)
