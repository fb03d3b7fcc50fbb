"""
The support core: what happens when a client or an operator says something or
changes presence. Adapters call the ``client*``, ``operator*`` and
``console*`` methods; the core answers through its Transport.

State changes are decided synchronously in memory; everything that leaves the
service goes through the Journal first (persist-then-relay, R-CHAT-6).
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Iterable, Sequence

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from imsupport.config import LimitsConfig, ServiceConfig, StorageConfig
from imsupport.core.chat import Chat, parseCommand
from imsupport.core.builtins import builtinCommands
from imsupport.core.commands import Command, CommandContext, Commands
from imsupport.core.console import Console
from imsupport.core.eligibility import EligibilityChecks
from imsupport.core.filters import MessageFilter, mark
from imsupport.core.i18n import Translator
from imsupport.core.journal import Refused
from imsupport.core.model import ABANDONED, ACTIVE, CLOSED, COMMAND, MESSAGE, STATE, Directory
from imsupport.core.nodestate import NodePresence
from imsupport.core.ports import Transport
from imsupport.core.stats import Metrics
from imsupport.core.ratelimit import RateLimiter, RateRefusal, Verdict
from imsupport.core.recovery import Recovery
from imsupport.core.switches import HARD, SOFT, Switches, Target
from imsupport.store.interfaces import IStore

log = Logger()

# What the client is told when a chat closes, by reason. The client who went
# away is not told; a switched-off chat's client was told before it closed.
CLIENT_GOODBYES = {"operator": "closed_by_operator", "client": "closed_by_client",
                   "idle": "closed_idle"}


class SupportCore(Recovery):
    def __init__(self, *, clock: IReactorTime, store: IStore, transport: Transport,
                 directory: Directory, service: ServiceConfig,
                 limits: LimitsConfig | None = None, translator: Translator | None = None,
                 last_chat_id: int = 0, switches: Switches | None = None,
                 eligibility: EligibilityChecks | None = None,
                 commands: Sequence[Command] = (),
                 filters: MessageFilter | None = None,
                 storage: StorageConfig | None = None) -> None:
        super().__init__(clock=clock, store=store, transport=transport,
                         directory=directory, service=service,
                         translator=translator or Translator(default=service.default_language),
                         metrics=Metrics(), switches=switches, eligibility=eligibility,
                         storage=storage)
        self.limits = limits or LimitsConfig()
        self._last_chat_id = last_chat_id
        self.clientChats = {}
        self.lastOperator = {}
        self.clientLanguages = {}
        self._closedNoticeAt = {}
        self.filters = filters
        self.rates = RateLimiter(self.limits.client_rate, self.limits.operator_rate,
                                 lambda jid: self.isOperator(jid) or self.isAdmin(jid))
        self.console = Console(self)
        self.commands = Commands(builtinCommands(self.console) + list(commands))
        self.watchSchedules()

    # -- what adapters ask ---------------------------------------------------

    def hasNode(self, name: str) -> bool:
        return self.directory.node(name) is not None

    def isOperator(self, jid: str) -> bool:
        return jid in self.operators

    def isAdmin(self, jid: str) -> bool:
        return jid in self.service.admins

    def openChat(self, chat_id: int) -> Chat | None:
        return self.chats.get(chat_id)

    def isInChat(self, chat_id: int, jid: str) -> bool:
        """Whether ``jid`` is an operator of the open chat or invited to it:
        the only people a chat address answers as a chat."""
        chat = self.chats.get(chat_id)
        return chat is not None and (jid in chat.record.operators or jid in chat.invitations)

    # -- rate limits (R-SEC-3) ---------------------------------------------------

    def admitMessage(self, who: str, size: int, node: str | None = None,
                     chat_id: int | None = None) -> RateRefusal | None:
        """Whether a message of ``size`` body bytes from ``who`` (to ``node``,
        or to chat ``chat_id``, or to the console) may go on: None, or why
        not, in the sender's language. Nothing refused is stored or relayed;
        the first refusal of a burst also gets the sender a notice."""
        verdict = self.rates.admit(who, size, self.clock.seconds())
        if verdict is Verdict.ADMITTED:
            return None
        chat = self.chats.get(chat_id) if chat_id is not None else \
            self.chats.get(self.clientChats.get((node, who), -1)) if node is not None else None
        if verdict is Verdict.REFUSED_FIRST:
            log.info("Rate limit reached by {who}; refusing their messages for now", who=who)
            self._rateNotice(who, node, chat_id, chat)
        if chat_id is None and node is not None:
            languages = chat.record.languages if chat else self._clientLanguages(node, None, who)
        else:
            languages = self.operatorLanguages(who)
        return RateRefusal(self.translator.text("rate_refused", languages),
                           answer=verdict is not Verdict.REFUSED_QUIETLY)

    def isRefusing(self, who: str) -> bool:
        """Whether ``who`` is over their rate limit right now."""
        return self.rates.refusing(who)

    def _rateNotice(self, who: str, node: str | None, chat_id: int | None,
                    chat: Chat | None) -> None:
        if chat_id is None and node is not None:
            if chat is not None:
                self._notifyClient(chat, "rate_limited")
            else:
                languages = self._clientLanguages(node, None, who)
                self.transport.toClient(node, who, self.translator.text("rate_limited", languages),
                                        lang=self.translator.language(languages))
        elif chat is not None and who in chat.record.operators:
            self._notifyOperator(chat, who, "rate_limited")
        else:
            self._notifyOperatorDirect(who, "rate_limited", node=node, chat_id=chat_id)

    # -- operators in a chat ---------------------------------------------------

    def operatorSaid(self, node: str, chat_id: int, operator: str, text: str,
                     message_id: str | None = None, receipt: bool = False,
                     chatstate: str | None = None) -> Deferred:
        """An operator's message with a body to a chat address. The Deferred
        fires with a Refused when it could not be stored (and so went to
        nobody): the adapter answers the sender with it."""
        chat = self.chats.get(chat_id)
        if chat is None or chat.node != node or not (
                operator in chat.invitations or operator in chat.record.operators):
            # One answer whether the chat is open or not: nobody outside a chat
            # learns which chat numbers are in use.
            self._notifyOperatorDirect(operator, "not_your_chat", node=node, chat_id=chat_id,
                                       chat=chat_id)
            return succeed(None)
        command = parseCommand(self.service.command_prefix, text)
        if operator in chat.invitations:
            if command is not None and command[0] == "help":
                return self._runCommand(chat, operator, command, text)  # accepts nothing
            declined = command is not None and command[0] == "decline"
            relay = command is None
            if relay and self.blocked(chat, operator, text):
                # Accepted all the same; the words themselves go nowhere.
                relay, text = False, self.service.command_prefix + "accept"
            if chat.transfer is not None or chat.active:
                return self.declineTransfer(chat, operator, text) if declined else \
                    self.join(chat, operator, text, relay=relay)
            if declined:
                return self.decline(chat, operator, text)
            return self.accept(chat, operator, text, relay=relay)
        refuse = partial(self.refusal, self.operatorLanguages(operator))
        if command is not None:
            return self._runCommand(chat, operator, command, text, refuse)
        if self.blocked(chat, operator, text):
            return succeed(None)
        self._touch(chat)
        data: dict[str, object] = {"id": message_id} if message_id else {}
        if operator in chat.muted:
            data["muted"] = True
        event = self.journal.event(chat, MESSAGE, operator, text, **data)
        return self.journal.write(
            chat, [event],
            then=lambda: self._relayFromOperator(chat, operator, text, message_id, receipt,
                                                 chatstate),
            refuse=refuse)

    def _runCommand(self, chat: Chat, operator: str, command: tuple[str, list[str]],
                    text: str, refuse: Callable[[bool], Refused] | None = None) -> Deferred:
        """Commands are stored, never relayed, and run once stored."""
        event = self.journal.event(chat, COMMAND, operator, text)
        context = CommandContext(self, operator, command[0], command[1], text, chat)
        return self.journal.write(chat, [event], then=lambda: self.commands.run(context),
                                  refuse=refuse)

    def blocked(self, chat: Chat, operator: str, text: str) -> bool:
        """R-OPS-3, R-OPS-4: an operator's message with profanity or an
        internal link is relayed to nobody. It is kept in the history as
        blocked, and the operator gets it back with the parts marked."""
        findings = self.filters.check(text) if self.filters is not None else []
        if not findings:
            return False
        kinds = sorted({f.kind for f in findings})
        event = self.journal.event(chat, MESSAGE, operator, text, blocked=kinds,
                                   rules=[f.rule for f in findings])
        self.journal.write(chat, [event])
        self._notifyOperator(chat, operator, "blocked", text=mark(text, findings),
                             reasons=", ".join(self.translator.text(
                                 f"blocked_{kind}", self.operatorLanguages(operator))
                                 for kind in kinds))
        log.info("Blocked a message of {operator} in chat {chat}: {kinds}",
                 operator=operator, chat=chat.id, kinds=kinds)
        return True

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
        """To the client (unless the operator muted themself, R-CMD-1) and to
        the other operators of a shared chat, with the author's name."""
        others = [o for o in chat.record.operators if o != operator]
        if others:
            signed = f"[{self.displayName(operator)}] {text}"
            for other in others:
                self.transport.toOperator(other, signed, node=chat.node, chat_id=chat.id)
        if operator in chat.muted:
            return
        relayed = None
        if receipt and message_id:
            relayed = f"o{chat.id}-{chat.seq}"
            chat.rememberReceipt(relayed, operator, message_id)
        self.transport.toClient(chat.node, chat.client, text, chatstate=chatstate,
                                receipt_id=relayed)
        self.metrics.messages_relayed += 1

    # -- operators' presence and the console -------------------------------------

    def operatorPresence(self, jid: str, resource: str, available: bool,
                         show: str | None = None) -> None:
        state = self.operators.get(jid)
        if state is None:
            return
        was_online = state.online
        if state.setPresence(resource, available, show, self.clock.seconds()):
            log.info("Operator {jid} is now {state}", jid=jid, state=state.state)
            if not state.online:
                self.operatorGone(jid)
            elif was_online is False:
                self.operatorBack(jid)
            if not state.online or state.afk:
                # Nobody is there to answer: pass their invitations on now
                # rather than letting each run out its invite_timeout.
                for chat_id in sorted(state.invitations):
                    chat = self.chats.get(chat_id)
                    if chat is not None and chat.transfer is not None:
                        self._transferUnanswered(chat, jid)
                    elif chat is not None:
                        self.expire(chat, jid, "invitation_withdrawn")
            self.dispatch()
            self.refreshPresence()

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
        client_key = CLIENT_GOODBYES.get(reason)
        if client_key is not None:
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

    def consoleSaid(self, sender: str, text: str) -> None:
        """A message to the bare service address (R-ADDR-4)."""
        self.console.said(sender, text)

    # -- switching off and on (R-NODE-3) ---------------------------------------------

    def switch(self, target: Target, on: bool, mode: str = SOFT,
               by: str = "system") -> Deferred:
        """Switch ``target`` off or on and persist it. Off stops new offers
        there; a node (or the service) off also turns away clients who have
        no chat yet and ends its queue; ``hard`` also closes the active chats
        it covers, with a notice to both sides. Deferred[bool]: changed."""
        changed = self.switches.set(target, on)
        d = self.store.setSwitch(target.key, not on, mode)
        log.info("{by} switched {state} {target} ({mode})", by=by, target=target.describe(),
                 state="on" if on else "off", mode=mode)
        if not on:
            for chat in list(self.chats.values()):
                if chat.queued and self._switchedAway(chat):
                    for operator in list(chat.invitations):
                        self.expire(chat, operator, "invitation_withdrawn", redispatch=False)
                    if target.kind in ("service", "node"):
                        self._notifyClient(chat, "closed_switched_off")
                        self.closeChat(chat, "switched_off", by)
                elif chat.active and mode == HARD and self._covers(target, chat):
                    self._notifyClient(chat, "closed_switched_off")
                    self.closeChat(chat, "switched_off", by)
        self.dispatch()
        self.refreshPresence()
        return d.addCallback(lambda _: changed)

    def _switchedAway(self, chat: Chat) -> bool:
        return self.switches.nodeOff(chat.node) or any(
            self._offFor(chat.node, op) for op in chat.invitations)

    def _offFor(self, node: str, operator: str) -> bool:
        return self.switches.operatorOff(operator) or operator in self.switches.offOperators(node)

    def _covers(self, target: Target, chat: Chat) -> bool:
        """Whether a hard switch-off of ``target`` ends this active chat."""
        if target.kind == "service":
            return True
        if target.kind == "node":
            return chat.node == target.node
        if target.kind == "operator":
            return (target.node in (None, chat.node)) and target.operator in chat.record.operators
        node = self.nodeOf(chat)
        if chat.node != target.node:
            return False
        members = {jid for g in node.groups if g.name == target.group for jid in g.operators}
        others = {jid for g in node.groups if g.name != target.group
                  and g.name not in self.switches.offGroups(node.name) for jid in g.operators}
        return any(op in members and op not in others for op in chat.record.operators)

    # -- the XMPP stream -------------------------------------------------------------

    def streamLost(self) -> None:
        """The XMPP server went away: what we knew of presence is stale and
        will be learnt again by probing when the stream is back."""
        for state in self.operators.values():
            state.resources.clear()

    def followOperators(self) -> None:
        """Ask to see every operator's presence (R-PRES-2), saying why in
        their language: the request is all a person sees of it."""
        for jid in sorted(self.operators):
            languages = self.operatorLanguages(jid)
            self.transport.subscribeOperator(
                jid, status=self.translator.text("subscription_request", languages),
                lang=self.translator.language(languages))

    def republishPresence(self) -> None:
        """Send every node's presence to its subscribers again, and every
        open chat's to its operators."""
        self._presence.clear()
        self.refreshPresence()
        self.chatPresence.republish(list(self.chats.values()))

    def chatProbe(self, node: str, chat_id: int, who: str) -> None:
        """Someone asked for a chat address's presence."""
        self.chatPresence.answerProbe(node, chat_id, self.chats.get(chat_id), who)

    def shutdown(self) -> None:
        """The service is stopping: subscribers see every node unavailable
        (R-PRES-1, "switched off") instead of a stale "available"."""
        for node in self.directory.nodes:
            presence = NodePresence(False, None, "presence_closed", 0)
            self._presence[node.name] = presence
            self.transport.nodePresence(node.name, None, self.presenceStatus(node.name, presence),
                                        False)
        self.chatPresence.withdrawAll(list(self.chats.values()))
        for chat in self.chats.values():
            chat.cancelTimers()
