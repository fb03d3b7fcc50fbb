"""
The core's state and the services every part of it uses: the open chats and
queues, operators' live state, what is open and switched on, node presence,
and system notices (stored, then sent).
"""
from __future__ import annotations

from typing import Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from imsupport.config import ServiceConfig, StorageConfig
from imsupport.core.availability import OPEN, Availability
from imsupport.core.chat import Chat
from imsupport.core.chatpresence import ChatPresence
from imsupport.core.display import showClient
from imsupport.core.eligibility import EligibilityChecks
from imsupport.core.faq import FaqIndex
from imsupport.core.i18n import Translator
from imsupport.core.journal import Journal, Refused
from imsupport.core.model import NOTICE, Directory, Node
from imsupport.core.nodestate import NodePresence, nodeOperators, nodePresence
from imsupport.core.operators import OperatorState
from imsupport.core.ports import Transport
from imsupport.core.routing import OperatorSnapshot
from imsupport.core.stats import Metrics
from imsupport.core.switches import Switches
from imsupport.store.interfaces import IStore

log = Logger()


class CoreBase:
    def __init__(self, *, clock: IReactorTime, store: IStore, transport: Transport,
                 directory: Directory, service: ServiceConfig, translator: Translator,
                 metrics: Metrics, switches: Switches | None = None,
                 eligibility: EligibilityChecks | None = None,
                 storage: StorageConfig | None = None) -> None:
        self.clock = clock
        self.store = store
        self.transport = transport
        self.service = service
        self.translator = translator
        self.metrics = metrics
        storage = storage or StorageConfig()
        self.journal = Journal(store, clock, metrics, hold_timeout=storage.hold_timeout,
                               max_held=storage.max_held_writes)
        self.eligibility = eligibility
        self.chats: dict[int, Chat] = {}  # open chats by id
        self.queues: dict[str, list[int]] = {}  # node -> queued chat ids, FIFO
        self.operators: dict[str, OperatorState] = {}
        self._presence: dict[str, NodePresence] = {}
        self._nodeOperators: dict[str, frozenset[str]] = {}
        self._scheduleTimer: IDelayedCall | None = None
        self.vetoes: dict[str, tuple[float, str]] = {}  # operator -> (until, plugin's reason)
        self._vetoTimer: IDelayedCall | None = None
        self.availability = Availability(directory, switches)
        self.directory = directory
        self.setDirectory(directory)
        self.chatPresence = ChatPresence(transport, translator, self.operatorLanguages,
                                         self._nodeTitle, showClient)
        self.journal.listeners.append(self.chatPresence.sync)

    @property
    def switches(self) -> Switches:
        return self.availability.switches

    def setDirectory(self, directory: Directory) -> None:
        """Apply a (new) directory; operators keep their live state."""
        self.directory = directory
        self.availability.setDirectory(directory)
        self.faq = FaqIndex(directory.faq)
        self._nodeOperators = {n.name: frozenset(nodeOperators(n)) for n in directory.nodes}
        self._operatorNodes: dict[str, list[str]] = {}
        for name, jids in self._nodeOperators.items():
            for jid in jids:
                self._operatorNodes.setdefault(jid, []).append(name)
        now = self.clock.seconds()
        current = self.operators
        self.operators = {}
        for operator in directory.operators:
            state = current.get(operator.jid) or OperatorState(operator, idle_since=now)
            state.operator = operator
            self.operators[operator.jid] = state

    def _nodeTitle(self, name: str) -> str:
        node = self.directory.node(name)
        return (node.title or node.name) if node else name

    def nodeOf(self, chat: Chat) -> Node:
        node = self.directory.node(chat.node)
        assert node is not None, f"chat {chat.id} in unknown node {chat.node}"
        return node

    def displayName(self, operator: str) -> str:
        state = self.operators.get(operator)
        return state.operator.name if state else operator.split("@")[0]

    def snapshots(self, node: str, now: float,
                  ready_only: bool = False) -> dict[str, OperatorSnapshot]:
        """What routing needs to know of the node's operators, right now;
        ``ready_only`` skips at once those who cannot take any chat (offline,
        away, at max_chats), which is most of them on a busy day."""
        result = {}
        for jid in self._nodeOperators.get(node, ()):
            state = self.operators.get(jid)
            if ready_only and (state is None or not state.resources or state.afk
                               or state.load >= state.operator.max_chats):
                continue
            if state is not None:
                result[jid] = state.snapshot(
                    on_shift=self.availability.onShift(jid, now),
                    switched_off=self.switches.operatorOff(jid))
        return result

    # -- opening hours and shifts ----------------------------------------------------

    def watchSchedules(self) -> None:
        """One timer for the next moment a node or a shift opens or closes:
        then chats may be offered again and node presence changes."""
        if self._scheduleTimer is not None and self._scheduleTimer.active():
            self._scheduleTimer.cancel()
        now = self.clock.seconds()
        when = self.availability.nextChange(now)
        self._scheduleTimer = None if when is None else \
            self.clock.callLater(max(0.0, when - now), self._scheduleChanged)

    def _scheduleChanged(self) -> None:
        self._scheduleTimer = None
        log.info("Opening hours or shifts changed; routing again")
        self.dispatch()  # type: ignore[attr-defined]
        self.refreshPresence()
        self.watchSchedules()

    # -- node presence -----------------------------------------------------------

    def nodePresenceOf(self, name: str) -> NodePresence:
        node = self.directory.node(name)
        assert node is not None
        now = self.clock.seconds()
        mode = self.availability.nodeMode(node, now)
        queue = len(self.queues.get(name, []))
        if mode != OPEN:
            return nodePresence(node, {}, queue, mode=mode)
        off = self.switches.offOperators(name)
        switchedOn = [jid for jid in self._nodeOperators.get(name, ())
                      if jid in self.operators and jid not in off
                      and not self.switches.operatorOff(jid)]
        usable = {jid: self.operators[jid] for jid in switchedOn
                  if self.availability.onShift(jid, now)}
        offShift = any(self.operators[jid].online for jid in switchedOn if jid not in usable)
        return nodePresence(node, usable, queue, groups_off=self.switches.offGroups(name),
                            off_shift=offShift)

    def presenceStatus(self, name: str, presence: NodePresence) -> str:
        node = self.directory.node(name)
        languages = node.languages if node else ()
        hours = ""
        if presence.status_key == "presence_closed_hours":
            hours = self.availability.hours(name, self.translator.language(languages),
                                            self.clock.seconds())
        return self.translator.text(presence.status_key, languages, queue=presence.queue,
                                    hours=hours)

    def refreshPresence(self, operator: str | None = None) -> None:
        """Tell subscribers about every node whose presence changed; when only
        ``operator``'s state changed, only their nodes can have."""
        names = self._operatorNodes.get(operator, []) if operator is not None \
            else [n.name for n in self.directory.nodes]
        for name in names:
            presence = self.nodePresenceOf(name)
            if self._presence.get(name) != presence:
                self._presence[name] = presence
                self.transport.nodePresence(name, presence.show,
                                            self.presenceStatus(name, presence),
                                            presence.available)

    # -- the queue ---------------------------------------------------------------------

    def _leaveQueue(self, chat: Chat) -> None:
        queue = self.queues.get(chat.node, [])
        if chat.id not in queue:
            return
        index = queue.index(chat.id)
        queue.remove(chat.id)
        for position, later in enumerate(queue[index:], start=index + 1):
            waiting = self.chats[later]
            if waiting.client_lines:
                self._notifyClient(waiting, "queue_position", position=position)
        self.refreshPresence()

    # -- system notices (stored, then sent) -----------------------------------------

    def _notifyClient(self, in_chat: Chat, key: str, then: Callable[[], None] | None = None,
                      **fields: object) -> None:
        languages = in_chat.record.languages
        text = self.translator.text(key, languages, **fields)
        event = self.journal.event(in_chat, NOTICE, "system", text, to="client", key=key)

        def send() -> None:
            self.transport.toClient(in_chat.node, in_chat.client, text,
                                    lang=self.translator.language(languages))
            if then is not None:
                then()

        self.journal.write(in_chat, [event], then=send)

    def operatorLanguages(self, operator: str) -> tuple[str, ...]:
        state = self.operators.get(operator)
        return state.operator.languages if state else (self.service.default_language,)

    def _notifyOperator(self, in_chat: Chat, operator: str, key: str,
                        **fields: object) -> None:
        fields.setdefault("chat", in_chat.id)
        text = self.translator.text(key, self.operatorLanguages(operator), **fields)
        event = self.journal.event(in_chat, NOTICE, "system", text, to=operator, key=key)
        self.journal.write(in_chat, [event], then=lambda: self.transport.toOperator(
            operator, text, node=in_chat.node, chat_id=in_chat.id))

    def refusal(self, languages: tuple[str, ...], later: bool) -> Refused:
        """What a person is told when their message was not stored, and so
        not delivered (R-RUN-3): sent as an error to that very message, which
        needs no store."""
        key = "message_not_stored" if later else "message_not_stored_error"
        return Refused(self.translator.text(key, languages), later)

    def _notifyOperatorDirect(self, operator: str, key: str, node: str | None = None,
                              chat_id: int | None = None, **fields: object) -> None:
        """An answer outside any open chat (console, closed chat): nothing to
        store it with."""
        text = self.translator.text(key, self.operatorLanguages(operator), **fields)
        self.transport.toOperator(operator, text, node=node, chat_id=chat_id)
