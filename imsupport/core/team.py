"""
The operators' live side (R-PRES-2, R-ROUTE-3): each operator's presence and
chats, which nodes each one serves, and the snapshots routing decides on.
Read like a mapping of bare JID -> OperatorState.
"""
from __future__ import annotations

from typing import Iterator, Mapping

from imsupport.core.availability import Availability
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.invitations import Invitations
from imsupport.core.model import Directory
from imsupport.core.nodestate import nodeOperators
from imsupport.core.operators import OperatorState
from imsupport.core.routing import OperatorSnapshot


class Team(Mapping[str, OperatorState]):
    def __init__(self, directory: DirectoryRef, availability: Availability,
                 invitations: Invitations, default_language: str, now: float) -> None:
        self.availability = availability
        self.invitations = invitations
        self.default_language = default_language
        self._states: dict[str, OperatorState] = {}
        self._nodeOperators: dict[str, frozenset[str]] = {}
        self._operatorNodes: dict[str, list[str]] = {}
        self.setDirectory(directory.current, now)

    def setDirectory(self, directory: Directory, now: float) -> None:
        """A (new) directory; operators keep their live state."""
        self._nodeOperators = {n.name: frozenset(nodeOperators(n)) for n in directory.nodes}
        self._operatorNodes = {}
        for name, jids in self._nodeOperators.items():
            for jid in jids:
                self._operatorNodes.setdefault(jid, []).append(name)
        current, self._states = self._states, {}
        for operator in directory.operators:
            state = current.get(operator.jid) or OperatorState(operator, idle_since=now)
            state.operator = operator
            self._states[operator.jid] = state

    # -- the mapping -------------------------------------------------------------------

    def __getitem__(self, jid: str) -> OperatorState:
        return self._states[jid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)

    # -- who they are ------------------------------------------------------------------

    def displayName(self, jid: str) -> str:
        """What clients see instead of the JID."""
        state = self._states.get(jid)
        return state.operator.name if state else jid.split("@")[0]

    def languages(self, jid: str) -> tuple[str, ...]:
        state = self._states.get(jid)
        return state.operator.languages if state else (self.default_language,)

    def nodesOf(self, jid: str) -> list[str]:
        return self._operatorNodes.get(jid, [])

    def operatorsOf(self, node: str) -> frozenset[str]:
        return self._nodeOperators.get(node, frozenset())

    # -- what they are doing -----------------------------------------------------------

    def load(self, jid: str) -> int:
        """Active chats plus open invitations (R-ROUTE-3)."""
        state = self._states.get(jid)
        return (len(state.chats) if state else 0) + self.invitations.count(jid)

    def setPresence(self, jid: str, resource: str, available: bool, show: str | None,
                    now: float) -> bool:
        """One resource's presence; True when the operator's folded state changed."""
        state = self._states.get(jid)
        return state is not None and state.setPresence(resource, available, show, now)

    def forgetPresence(self) -> None:
        """The XMPP stream went away: presence will be learnt again."""
        for state in self._states.values():
            state.resources.clear()

    def joined(self, jid: str, chat_id: int) -> None:
        state = self._states.get(jid)
        if state is not None:
            state.chats.add(chat_id)

    def left(self, jid: str, chat_id: int, now: float | None) -> None:
        """Out of a chat; with none left they have been idle since ``now``
        (None: their idle time stays as it was, as for one who dropped out)."""
        state = self._states.get(jid)
        if state is not None:
            state.chats.discard(chat_id)
            if not state.chats and now is not None:
                state.idle_since = now

    # -- for routing -------------------------------------------------------------------

    def snapshot(self, jid: str, now: float) -> OperatorSnapshot:
        state = self._states[jid]
        return state.snapshot(self.load(jid), on_shift=self.availability.onShift(jid, now),
                              switched_off=self.availability.switches.operatorOff(jid))

    def snapshots(self, node: str, now: float,
                  ready_only: bool = False) -> dict[str, OperatorSnapshot]:
        """What routing needs to know of the node's operators, right now;
        ``ready_only`` skips at once those who cannot take any chat (offline,
        away, at max_chats), which is most of them on a busy day."""
        result = {}
        states, invited = self._states, self.invitations.count
        onShift, off = self.availability.onShift, self.availability.switches.operatorOff
        for jid in self._nodeOperators.get(node, ()):
            state = states.get(jid)
            if state is None:
                continue
            load = len(state.chats) + invited(jid)
            if ready_only and (not state.resources or state.afk
                               or load >= state.operator.max_chats):
                continue
            result[jid] = state.snapshot(load, on_shift=onShift(jid, now),
                                         switched_off=off(jid))
        return result
