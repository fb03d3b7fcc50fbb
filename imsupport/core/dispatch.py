"""
The queue and the invitations: which queued chat is offered to whom, and what
happens on accept, decline and expiry (R-CHAT-1, R-CHAT-2, R-ROUTE-9). The
order of candidates comes from the pure ``routing.route``.
"""
from __future__ import annotations

import time
from typing import Callable

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from imsupport.config import ServiceConfig
from imsupport.core.chat import Chat
from imsupport.core.i18n import Translator, formatDuration
from imsupport.core.journal import Journal
from imsupport.core.model import COMMAND, MESSAGE, NOTICE, STATE, Directory, Node
from imsupport.core.nodestate import NodePresence, nodePresence
from imsupport.core.operators import OperatorState
from imsupport.core.ports import Transport
from imsupport.core.routing import ChatRequest, route
from imsupport.core.stats import Metrics
from imsupport.store.interfaces import IStore

log = Logger()

TRANSCRIPT_LINES = 50  # client lines quoted in an invitation


class Dispatcher:
    def __init__(self, *, clock: IReactorTime, store: IStore, transport: Transport,
                 directory: Directory, service: ServiceConfig, translator: Translator,
                 metrics: Metrics) -> None:
        self.clock = clock
        self.store = store
        self.transport = transport
        self.service = service
        self.translator = translator
        self.metrics = metrics
        self.journal = Journal(store, clock, metrics)
        self.chats: dict[int, Chat] = {}  # open chats by id
        self.queues: dict[str, list[int]] = {}  # node -> queued chat ids, FIFO
        self.operators: dict[str, OperatorState] = {}
        self._presence: dict[str, NodePresence] = {}
        self.directory = directory
        self.setDirectory(directory)

    def setDirectory(self, directory: Directory) -> None:
        """Apply a (new) directory; operators keep their live state."""
        self.directory = directory
        now = self.clock.seconds()
        current = self.operators
        self.operators = {}
        for operator in directory.operators:
            state = current.get(operator.jid) or OperatorState(operator, idle_since=now)
            state.operator = operator
            self.operators[operator.jid] = state

    def nodeOf(self, chat: Chat) -> Node:
        node = self.directory.node(chat.node)
        assert node is not None, f"chat {chat.id} in unknown node {chat.node}"
        return node

    def displayName(self, operator: str) -> str:
        state = self.operators.get(operator)
        return state.operator.name if state else operator.split("@")[0]

    # -- offering queued chats ---------------------------------------------------

    def dispatch(self) -> None:
        """Offer every queued chat that has no pending invitation, FIFO."""
        for node in self.directory.nodes:
            for chat_id in list(self.queues.get(node.name, [])):
                chat = self.chats[chat_id]
                if not chat.invitations and chat.client_lines:
                    self._offer(node, chat)

    def _offer(self, node: Node, chat: Chat) -> None:
        request = ChatRequest(languages=chat.record.languages,
                              tried=frozenset(chat.tried), last_operator=chat.last_operator)
        decision = route(node, {jid: s.snapshot() for jid, s in self.operators.items()},
                         request)
        if not decision.candidates:
            if chat.tried and (chat.retry_timer is None or not chat.retry_timer.active()):
                # Everyone eligible passed: start a new round after a pause.
                chat.retry_timer = self.clock.callLater(node.invite_timeout,
                                                        self._newRound, chat)
            return
        chosen = decision.candidates if node.ring == "parallel" else decision.candidates[:1]
        for operator in chosen:
            self._invite(node, chat, operator)

    def _newRound(self, chat: Chat) -> None:
        chat.retry_timer = None
        if chat.id in self.chats and chat.queued:
            chat.tried.clear()
            self.dispatch()

    def _invite(self, node: Node, chat: Chat, operator: str) -> None:
        chat.invitations[operator] = self.clock.callLater(
            node.invite_timeout, self.expire, chat, operator)
        self.operators[operator].invitations.add(chat.id)
        event = self.journal.event(chat, STATE, "system", "offered", operator=operator)
        self.journal.write(chat, [event])
        self._notifyOperator(chat, operator, "invitation",
                             **self._invitationFields(node, chat, operator))
        log.info("Chat {chat} offered to {operator}", chat=chat.id, operator=operator)
        self.refreshPresence()

    def _invitationFields(self, node: Node, chat: Chat, operator: str) -> dict[str, object]:
        lines = chat.client_lines[-TRANSCRIPT_LINES:]
        languages = self.operators[operator].operator.languages
        if lines:
            header = self.translator.text("invitation_transcript_header", languages)
            transcript = "\n".join([header] + [
                f"[{self._clockTime(at)}] {text}" for at, text in lines])
        else:
            transcript = self.translator.text("invitation_no_text", languages)
        return {"chat": chat.id, "node": node.name, "title": node.title or node.name,
                "client": chat.client, "languages": ", ".join(chat.record.languages),
                "wait": formatDuration(self.clock.seconds() - chat.record.created_at),
                "transcript": transcript, "timeout": node.invite_timeout}

    @staticmethod
    def _clockTime(at: float) -> str:
        return time.strftime("%H:%M:%S", time.gmtime(at)) + " UTC"

    def expire(self, chat: Chat, operator: str, notice: str = "invitation_expired") -> None:
        """The invitation of ``operator`` ends unanswered (timeout, or they
        went away); the chat goes to the next candidate."""
        call = chat.invitations.pop(operator, None)
        if call is None:
            return
        if call.active():
            call.cancel()
        self._endInvitation(chat, operator)
        event = self.journal.event(chat, STATE, "system", "invitation expired",
                                   operator=operator)
        self.journal.write(chat, [event])
        self._notifyOperator(chat, operator, notice)
        self.dispatch()
        self.refreshPresence()

    def _endInvitation(self, chat: Chat, operator: str) -> None:
        chat.tried.add(operator)
        state = self.operators.get(operator)
        if state is not None:
            state.invitations.discard(chat.id)

    def decline(self, chat: Chat, operator: str, text: str) -> Deferred:
        call = chat.invitations.pop(operator)
        if call.active():
            call.cancel()
        self._endInvitation(chat, operator)
        event = self.journal.event(chat, COMMAND, operator, text)
        self.journal.write(chat, [event])
        self._notifyOperator(chat, operator, "declined")
        self.dispatch()
        self.refreshPresence()
        return succeed(None)

    def accept(self, chat: Chat, operator: str, text: str, relay: bool) -> Deferred:
        """The invited operator answered: the chat becomes active with them."""
        call = chat.invitations.pop(operator)
        if call.active():
            call.cancel()
        self.operators[operator].invitations.discard(chat.id)
        self._withdrawInvitations(chat, taken_by=operator)
        self.activate(chat, operator)  # type: ignore[attr-defined]
        events = [self.journal.event(chat, MESSAGE if relay else COMMAND, operator, text),
                  self.journal.event(chat, STATE, operator, "active")]
        log.info("Chat {chat} accepted by {operator}", chat=chat.id, operator=operator)
        d = self.journal.write(chat, events, save=True)
        self._notifyOperator(chat, operator, "accepted", client=chat.client)
        self._notifyClient(chat, "operator_joined", then=lambda: self._relayAcceptText(
            chat, text) if relay else None, name=self.displayName(operator))
        self.refreshPresence()
        return d

    def _relayAcceptText(self, chat: Chat, text: str) -> None:
        self.transport.toClient(chat.node, chat.client, text)
        self.metrics.messages_relayed += 1

    def _withdrawInvitations(self, chat: Chat, taken_by: str | None = None) -> None:
        for operator, call in list(chat.invitations.items()):
            if call.active():
                call.cancel()
            state = self.operators.get(operator)
            if state is not None:
                state.invitations.discard(chat.id)
            if taken_by is not None:
                self._notifyOperator(chat, operator, "invitation_taken",
                                     name=self.displayName(taken_by))
        chat.invitations.clear()

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

    # -- node presence -----------------------------------------------------------

    def nodePresenceOf(self, name: str) -> NodePresence:
        node = self.directory.node(name)
        assert node is not None
        return nodePresence(node, self.operators, len(self.queues.get(name, [])))

    def presenceStatus(self, name: str, presence: NodePresence) -> str:
        node = self.directory.node(name)
        languages = node.languages if node else ()
        return self.translator.text(presence.status_key, languages, queue=presence.queue)

    def refreshPresence(self) -> None:
        """Tell subscribers about every node whose presence changed."""
        for node in self.directory.nodes:
            presence = self.nodePresenceOf(node.name)
            if self._presence.get(node.name) != presence:
                self._presence[node.name] = presence
                self.transport.nodePresence(node.name, presence.show,
                                            self.presenceStatus(node.name, presence),
                                            presence.available)

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

    def _notifyOperator(self, in_chat: Chat, operator: str, key: str,
                        **fields: object) -> None:
        state = self.operators.get(operator)
        languages = state.operator.languages if state else ()
        fields.setdefault("chat", in_chat.id)
        text = self.translator.text(key, languages, **fields)
        event = self.journal.event(in_chat, NOTICE, "system", text, to=operator, key=key)
        self.journal.write(in_chat, [event], then=lambda: self.transport.toOperator(
            operator, text, node=in_chat.node, chat_id=in_chat.id))

    def _notifyOperatorDirect(self, operator: str, key: str, node: str | None = None,
                              chat_id: int | None = None, **fields: object) -> None:
        """An answer outside any open chat (console, closed chat): nothing to
        store it with."""
        state = self.operators.get(operator)
        languages = state.operator.languages if state else (self.service.default_language,)
        self.transport.toOperator(operator, self.translator.text(key, languages, **fields),
                                  node=node, chat_id=chat_id)
