"""
The support core: what happens when a client or an operator says something or
changes presence. Adapters call the ``client*``, ``operator*`` and
``console*`` methods; the core answers through its Transport.

State changes are decided synchronously in memory; everything that leaves the
service goes through the Journal first (persist-then-relay, R-CHAT-6).
"""
from __future__ import annotations

from typing import Iterable

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from imsupport.config import LimitsConfig, ServiceConfig
from imsupport.core.chat import Chat, parseCommand
from imsupport.core.dispatch import Dispatcher
from imsupport.core.i18n import Translator
from imsupport.core.model import (
    ABANDONED, ACTIVE, CLOSED, COMMAND, MESSAGE, STATE, ChatRecord, Directory)
from imsupport.core.nodestate import NodePresence
from imsupport.core.operators import OperatorState
from imsupport.core.ports import Transport
from imsupport.core.stats import Metrics
from imsupport.store.interfaces import IStore

log = Logger()


class SupportCore(Dispatcher):
    def __init__(self, *, clock: IReactorTime, store: IStore, transport: Transport,
                 directory: Directory, service: ServiceConfig,
                 limits: LimitsConfig | None = None, translator: Translator | None = None,
                 last_chat_id: int = 0) -> None:
        super().__init__(clock=clock, store=store, transport=transport,
                         directory=directory, service=service,
                         translator=translator or Translator(default=service.default_language),
                         metrics=Metrics())
        self.limits = limits or LimitsConfig()
        self._last_chat_id = last_chat_id
        self.clientChats: dict[tuple[str, str], int] = {}  # (node, client) -> open chat
        self.lastOperator: dict[tuple[str, str], str] = {}  # (node, client) -> operator

    # -- what adapters ask ---------------------------------------------------

    def hasNode(self, name: str) -> bool:
        return self.directory.node(name) is not None

    def isOperator(self, jid: str) -> bool:
        return jid in self.operators

    def isAdmin(self, jid: str) -> bool:
        return jid in self.service.admins

    def openChat(self, chat_id: int) -> Chat | None:
        return self.chats.get(chat_id)

    # -- clients ---------------------------------------------------------------

    def clientSaid(self, node: str, client: str, text: str, lang: str | None = None,
                   message_id: str | None = None, receipt: bool = False,
                   chatstate: str | None = None) -> Deferred:
        """A client's message with a body to a node address. A chat state the
        client sent along (XEP-0085) is relayed with it; none is invented."""
        chat_id = self.clientChats.get((node, client))
        chat = self.chats.get(chat_id) if chat_id is not None else None
        command = parseCommand(self.service.command_prefix, text)
        if command is not None and command[0] == "end":
            if chat is None:
                return succeed(None)
            event = self.journal.event(chat, COMMAND, "client", text)
            return self.journal.write(chat, [event], then=lambda: self.closeChat(
                chat, "client"))
        if chat is None:
            chat = self._startChat(node, client, lang)
        data = {"id": message_id} if message_id else {}
        event = self.journal.event(chat, MESSAGE, "client", text, **data)
        if chat.queued:
            chat.client_lines.append((event.at, text))
            if not chat.record.first_line:
                chat.record.first_line = text[:200]
            return self.journal.write(chat, [event], save=event.seq <= 3,
                                      then=lambda: self._afterQueuedMessage(chat, text))
        self._touch(chat)
        return self.journal.write(
            chat, [event],
            then=lambda: self._relayFromClient(chat, text, message_id, receipt, chatstate),
            failed=lambda: self._notifyClient(chat, "not_delivered"))

    def clientChatState(self, node: str, client: str, state: str) -> None:
        chat = self.chats.get(self.clientChats.get((node, client), -1))
        if chat is not None and chat.active:
            for operator in chat.record.operators:
                self.transport.toOperator(operator, None, node=chat.node,
                                          chat_id=chat.id, chatstate=state)

    def clientReceipt(self, node: str, client: str, message_id: str) -> None:
        chat = self.chats.get(self.clientChats.get((node, client), -1))
        if chat is not None and message_id in chat.receipts:
            sender, original = chat.receipts.pop(message_id)
            self.transport.receipt(node, chat.id, sender, original)

    def clientPresence(self, node: str, client: str, available: bool) -> None:
        chat = self.chats.get(self.clientChats.get((node, client), -1))
        if chat is None:
            return
        if available:
            if chat.client_gone_timer is not None and chat.client_gone_timer.active():
                chat.client_gone_timer.cancel()
            chat.client_gone_timer = None
        elif chat.client_gone_timer is None:
            grace = self.nodeOf(chat).client_grace
            chat.client_gone_timer = self.clock.callLater(
                grace, self.closeChat, chat, "client_gone")

    def _startChat(self, node: str, client: str, lang: str | None) -> Chat:
        self._last_chat_id += 1
        languages = self._clientLanguages(node, lang)
        record = ChatRecord(id=self._last_chat_id, node=node, client=client,
                            languages=languages, created_at=self.clock.seconds())
        chat = Chat(record=record, last_operator=self.lastOperator.get((node, client)))
        self.chats[chat.id] = chat
        self.clientChats[(node, client)] = chat.id
        self.queues.setdefault(node, []).append(chat.id)
        self.metrics.chats_started += 1
        event = self.journal.event(chat, STATE, "system", "queued")
        self.journal.write(chat, [event], save=True)
        log.info("Chat {chat} queued in {node} for {client}", chat=chat.id,
                 node=node, client=client)
        self.refreshPresence()
        return chat

    def _clientLanguages(self, node: str, lang: str | None) -> tuple[str, ...]:
        defaults = self.directory.node(node).languages  # type: ignore[union-attr]
        if lang:
            base = lang.lower().split("-")[0]
            return (base,) + tuple(x for x in defaults if x != base)
        return tuple(defaults)

    def _afterQueuedMessage(self, chat: Chat, text: str) -> None:
        if len(chat.client_lines) == 1:
            position = self.queues[chat.node].index(chat.id) + 1
            title = self.nodeOf(chat).title or chat.node
            self._notifyClient(chat, "queued", position=position, title=title)
            self.dispatch()
        else:
            for operator in chat.invitations:
                self._notifyOperator(chat, operator, "client_said_while_invited", text=text)

    def _relayFromClient(self, chat: Chat, text: str, message_id: str | None,
                         receipt: bool, chatstate: str | None) -> None:
        for seq, operator in enumerate(chat.record.operators):
            relayed = None
            if receipt and message_id:
                relayed = f"c{chat.id}-{chat.seq}-{seq}"
                chat.rememberReceipt(relayed, chat.client, message_id)
            self.transport.toOperator(operator, text, node=chat.node, chat_id=chat.id,
                                      chatstate=chatstate, receipt_id=relayed)
            self.metrics.messages_relayed += 1

    # -- operators in a chat ---------------------------------------------------

    def operatorSaid(self, node: str, chat_id: int, operator: str, text: str,
                     message_id: str | None = None, receipt: bool = False,
                     chatstate: str | None = None) -> Deferred:
        """An operator's message with a body to a chat address."""
        chat = self.chats.get(chat_id)
        if chat is None or chat.node != node:
            self._notifyOperatorDirect(operator, "no_such_chat", node=node, chat_id=chat_id,
                                       chat=chat_id)
            return succeed(None)
        command = parseCommand(self.service.command_prefix, text)
        if operator in chat.invitations:
            if command is not None and command[0] == "decline":
                return self.decline(chat, operator, text)
            return self.accept(chat, operator, text, relay=command is None)
        if operator not in chat.record.operators:
            self._notifyOperatorDirect(operator, "not_in_chat", node=node, chat_id=chat_id,
                                       chat=chat_id)
            return succeed(None)
        if command is not None:
            return self._operatorCommand(chat, operator, text, command)
        self._touch(chat)
        event = self.journal.event(chat, MESSAGE, operator, text,
                                   **({"id": message_id} if message_id else {}))
        return self.journal.write(
            chat, [event],
            then=lambda: self._relayFromOperator(chat, operator, text, message_id, receipt,
                                                 chatstate),
            failed=lambda: self._notifyOperator(chat, operator, "not_delivered"))

    def operatorChatState(self, chat_id: int, operator: str, state: str) -> None:
        chat = self.chats.get(chat_id)
        if chat is not None and chat.active and operator in chat.record.operators:
            self.transport.toClient(chat.node, chat.client, None, chatstate=state)

    def operatorReceipt(self, chat_id: int, operator: str, message_id: str) -> None:
        chat = self.chats.get(chat_id)
        if chat is not None and message_id in chat.receipts:
            sender, original = chat.receipts.pop(message_id)
            self.transport.receipt(chat.node, None, sender, original)

    def _relayFromOperator(self, chat: Chat, operator: str, text: str,
                           message_id: str | None, receipt: bool,
                           chatstate: str | None) -> None:
        relayed = None
        if receipt and message_id:
            relayed = f"o{chat.id}-{chat.seq}"
            chat.rememberReceipt(relayed, operator, message_id)
        self.transport.toClient(chat.node, chat.client, text, chatstate=chatstate,
                                receipt_id=relayed)
        self.metrics.messages_relayed += 1

    def _operatorCommand(self, chat: Chat, operator: str, text: str,
                         command: tuple[str, list[str]]) -> Deferred:
        name = command[0]
        event = self.journal.event(chat, COMMAND, operator, text)
        if name == "close":
            return self.journal.write(chat, [event],
                                      then=lambda: self.closeChat(chat, "operator", operator))
        if name == "help":
            return self.journal.write(chat, [event], then=lambda: self._notifyOperator(
                chat, operator, "operator_help"))
        known = ", ".join(self.service.command_prefix + c for c in ("close", "help"))
        return self.journal.write(chat, [event], then=lambda: self._notifyOperator(
            chat, operator, "unknown_command", command=self.service.command_prefix + name,
            known=known))

    # -- operators' presence and the console -------------------------------------

    def operatorPresence(self, jid: str, resource: str, available: bool,
                         show: str | None = None) -> None:
        state = self.operators.get(jid)
        if state is None:
            return
        if state.setPresence(resource, available, show, self.clock.seconds()):
            log.info("Operator {jid} is now {state}", jid=jid, state=state.state)
            if not state.online or state.afk:
                # Nobody is there to answer: pass their invitations on now
                # rather than letting each run out its invite_timeout.
                for chat_id in sorted(state.invitations):
                    chat = self.chats.get(chat_id)
                    if chat is not None:
                        self.expire(chat, jid, "invitation_withdrawn")
            self.dispatch()
            self.refreshPresence()

    def consoleSaid(self, sender: str, text: str) -> None:
        """A message to the bare service address (R-ADDR-4)."""
        if not (self.isOperator(sender) or self.isAdmin(sender)):
            self._notifyOperatorDirect(sender, "console_not_operator")
            return
        command = parseCommand(self.service.command_prefix, text)
        name = command[0] if command else "help"
        if name == "status":
            self._notifyOperatorDirect(sender, "console_status", **self._statusFields(sender))
        elif name == "help":
            self._notifyOperatorDirect(sender, "operator_help")
        else:
            known = ", ".join(self.service.command_prefix + c for c in ("help", "status"))
            self._notifyOperatorDirect(sender, "unknown_command",
                                       command=self.service.command_prefix + name, known=known)

    def _statusFields(self, jid: str) -> dict[str, object]:
        state = self.operators.get(jid)
        languages = state.operator.languages if state else ()
        queues = ", ".join(f"{name}: {len(self.queues.get(name, []))}"
                           for name in sorted(n.name for n in self.directory.nodes))
        return {"state": self.translator.text(f"state_{state.state}" if state else "state_offline",
                                              languages),
                "chats": len(state.chats) if state else 0,
                "max_chats": state.operator.max_chats if state else 0,
                "queues": queues or "-"}

    # -- closing -----------------------------------------------------------------

    def closeChat(self, chat: Chat, reason: str, by: str | None = None) -> Deferred:
        if chat.id not in self.chats:
            return succeed(None)
        abandoned = chat.queued
        chat.cancelTimers()
        self._withdrawInvitations(chat)
        now = self.clock.seconds()
        record = chat.record
        record.state = ABANDONED if abandoned else CLOSED
        record.closed_at = now
        record.close_reason = reason
        operators = list(record.operators)
        for operator in operators:
            state = self.operators.get(operator)
            if state is not None:
                state.chats.discard(chat.id)
                if not state.chats:
                    state.idle_since = now
        if operators:
            self.lastOperator[(chat.node, chat.client)] = operators[-1]
        del self.chats[chat.id]
        self.clientChats.pop((chat.node, chat.client), None)
        self._leaveQueue(chat)
        self.metrics.chats_abandoned += abandoned
        self.metrics.chats_closed += not abandoned
        event = self.journal.event(chat, STATE, by or "system", record.state, reason=reason)
        log.info("Chat {chat} {state}: {reason}", chat=chat.id, state=record.state,
                 reason=reason)
        self.journal.write(chat, [event], save=True)
        self._sayGoodbye(chat, reason, by, operators, abandoned)
        self.dispatch()
        self.refreshPresence()
        return succeed(None)

    def _sayGoodbye(self, chat: Chat, reason: str, by: str | None,
                    operators: Iterable[str], abandoned: bool) -> None:
        minutes = self.nodeOf(chat).idle_timeout // 60
        name = self.displayName(by) if by else ""
        if abandoned:
            if reason == "client":
                self._notifyClient(chat, "abandoned")
            return
        client_key = {"operator": "closed_by_operator", "client": "closed_by_client",
                      "idle": "closed_idle", "client_gone": "closed_client_gone"}[reason]
        if reason != "client_gone":
            self._notifyClient(chat, client_key, name=name, minutes=minutes)
        for operator in operators:
            languages = self.operators[operator].operator.languages \
                if operator in self.operators else ()
            why = self.translator.text(f"reason_{reason}", languages, name=name, minutes=minutes)
            self._notifyOperator(chat, operator, "chat_closed_for_operator", reason=why)

    def _touch(self, chat: Chat) -> None:
        timeout = self.nodeOf(chat).idle_timeout
        if chat.idle_timer is not None and chat.idle_timer.active():
            chat.idle_timer.reset(timeout)
        else:
            chat.idle_timer = self.clock.callLater(timeout, self.closeChat, chat, "idle")

    def activate(self, chat: Chat, operator: str) -> None:
        """Bookkeeping when an operator's acceptance makes a chat active."""
        chat.record.state = ACTIVE
        chat.record.accepted_at = self.clock.seconds()
        chat.record.operators = (operator,)
        self.operators[operator].chats.add(chat.id)
        self._leaveQueue(chat)
        self._touch(chat)

    def operatorStates(self) -> dict[str, OperatorState]:
        return self.operators

    # -- the XMPP stream -------------------------------------------------------------

    def streamLost(self) -> None:
        """The XMPP server went away: what we knew of presence is stale and
        will be learnt again by probing when the stream is back."""
        for state in self.operators.values():
            state.resources.clear()

    def republishPresence(self) -> None:
        """Send every node's presence to its subscribers again."""
        self._presence.clear()
        self.refreshPresence()

    def shutdown(self) -> None:
        """The service is stopping: subscribers see every node unavailable
        (R-PRES-1, "switched off") instead of a stale "available"."""
        for node in self.directory.nodes:
            presence = NodePresence(False, None, "presence_closed", 0)
            self._presence[node.name] = presence
            self.transport.nodePresence(node.name, None, self.presenceStatus(node.name, presence),
                                        False)
        for chat in self.chats.values():
            chat.cancelTimers()
