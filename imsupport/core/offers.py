"""
The queue and the invitations (R-CHAT-1, R-CHAT-2, R-ROUTE-*): which queued
chat is offered to whom, eligibility plugins, waves and escalation, and what
happens on accept, decline and expiry. The order of candidates comes from the
pure ``routing.route``.
"""
from __future__ import annotations

import time
from typing import Mapping, Sequence

from twisted.internet.defer import Deferred, gatherResults, succeed
from twisted.logger import Logger

from imsupport.core.availability import OPEN
from imsupport.core.base import CoreBase
from imsupport.core.chat import Chat, describeChat
from imsupport.core.display import showClient
from imsupport.core.eligibility import ChatInfo
from imsupport.core.i18n import formatDuration
from imsupport.core.model import COMMAND, MESSAGE, STATE, Node
from imsupport.core.routing import (
    ChatRequest, Decision, OperatorSnapshot, nextWave, route, waveEscalation)

log = Logger()

TRANSCRIPT_LINES = 50  # client lines quoted in an invitation
VETO_SECONDS = 30.0
RETURNING_LOOKUP = 21  # earlier chats of a client read for the invitation (R-OPS-2)
RETURNING_SHOWN = 3  # a plugin's veto holds this long before the operator is asked again


class Offers(CoreBase):
    def dispatch(self) -> None:
        """Offer every queued chat that is not being offered, FIFO per node.
        Nodes outside their hours keep their queue (closing is soft) but
        offer nothing until they open."""
        now = self.clock.seconds()
        for node in self.directory.nodes:
            queue = self.queues.get(node.name)
            if not queue or self.availability.nodeMode(node, now) != OPEN:
                continue
            # Only operators who could take a chat at all matter here; with
            # none left the rest of the queue waits without being looked at,
            # so a long queue costs nothing while everyone is busy.
            ready = {jid: snap for jid, snap in self.snapshots(node.name, now, True).items()
                     if self._ready(node.name, snap)}
            for chat_id in list(queue):
                if not ready:
                    break
                chat = self.chats[chat_id]
                if not (chat.invitations or chat.checking or chat.looking_up) \
                        and chat.client_lines:
                    for operator in self._offer(node, chat, now, ready):
                        snap = self.operators[operator].snapshot(
                            on_shift=ready[operator].on_shift,
                            switched_off=ready[operator].switched_off)
                        if self._ready(node.name, snap):
                            ready[operator] = snap
                        else:
                            del ready[operator]

    def _ready(self, node: str, snap: OperatorSnapshot) -> bool:
        return (snap.online and not snap.afk and snap.load < snap.max_chats
                and snap.on_shift and not snap.switched_off
                and snap.jid not in self.switches.offOperators(node))

    def decide(self, node: Node, chat: Chat, now: float,
               snapshots: Mapping[str, OperatorSnapshot] | None = None) -> Decision:
        vetoes = self.vetoes
        request = ChatRequest(
            languages=chat.record.languages, passed=frozenset(chat.passed),
            declines=chat.declines, last_operator=chat.last_operator,
            min_wave=chat.min_wave,
            vetoes={jid: why for jid, (until, why) in vetoes.items() if until > now},
            off_groups=self.switches.offGroups(node.name),
            off_operators=self.switches.offOperators(node.name))
        if snapshots is None:
            snapshots = self.snapshots(node.name, now)
        return route(node, snapshots, request)

    def _offer(self, node: Node, chat: Chat, now: float,
               ready: Mapping[str, OperatorSnapshot]) -> list[str]:
        """Offer ``chat`` to the best of the ``ready`` operators; returns those
        invited now (none while plugins are being asked)."""
        decision = self.decide(node, chat, now, ready)
        if decision.wave is not None and decision.wave != chat.wave:
            self._enterWave(node, chat, decision.wave)
        if decision.round_over:
            self._pauseRound(node, chat)
            return []
        if not decision.candidates:
            return []
        chosen = decision.candidates if node.ring == "parallel" else decision.candidates[:1]
        if self.eligibility is None or not self.eligibility.enabled:
            for operator in chosen:
                self._invite(node, chat, operator)
            return chosen
        self._askPlugins(node, chat, chosen)
        return []

    def _askPlugins(self, node: Node, chat: Chat, chosen: Sequence[str]) -> None:
        """Plugins may answer later; meanwhile the chat is not offered twice."""
        assert self.eligibility is not None
        chat.checking = True
        info = ChatInfo(chat_id=chat.id, node=node.name, client=chat.client,
                        languages=chat.record.languages,
                        waited=self.clock.seconds() - chat.record.created_at)
        checks = [self.eligibility.check(operator, node.name, info) for operator in chosen]

        def answered(verdicts: list[str | None]) -> None:
            chat.checking = False
            if chat.id not in self.chats or not chat.queued:
                return
            until = self.clock.seconds() + VETO_SECONDS
            for operator, veto in zip(chosen, verdicts):
                if veto:
                    self.vetoes[operator] = (until, veto)
                    log.info("Operator {operator} left out of chat {chat}: {veto}",
                             operator=operator, chat=chat.id, veto=veto)
            if any(verdicts) and (self._vetoTimer is None or not self._vetoTimer.active()):
                # Route again when the vetoes run out, even if nothing else happens.
                self._vetoTimer = self.clock.callLater(VETO_SECONDS, self.dispatch)
            approved = {op for op, veto in zip(chosen, verdicts) if not veto}
            # Decide again on the state of now: the plugins may have taken a
            # while, and operators may have come or gone meanwhile.
            now = self.clock.seconds()
            if self.availability.nodeMode(node, now) != OPEN:
                return
            decision = self.decide(node, chat, now)
            invite = [op for op in decision.candidates if op in approved]
            if node.ring != "parallel":
                invite = invite[:1]
            for operator in invite:
                self._invite(node, chat, operator)
            if not invite:
                self.dispatch()  # the vetoed are left out now: the next candidates

        gatherResults(checks, consumeErrors=True).addCallbacks(
            answered, lambda f: (log.failure("Eligibility checks failed", f),
                                 answered([None] * len(chosen))))

    def _enterWave(self, node: Node, chat: Chat, wave: int) -> None:
        chat.wave = wave
        if chat.escalation_timer is not None and chat.escalation_timer.active():
            chat.escalation_timer.cancel()
        chat.escalation_timer = None
        after = waveEscalation(node, wave)
        if after and nextWave(node, wave) is not None:
            chat.escalation_timer = self.clock.callLater(after, self._escalate, chat, wave)

    def _escalate(self, chat: Chat, wave: int) -> None:
        """Nobody of ``wave`` accepted within escalate_after: the next wave."""
        chat.escalation_timer = None
        if chat.id not in self.chats or not chat.queued or chat.wave != wave:
            return
        node = self.nodeOf(chat)
        following = nextWave(node, wave)
        if following is None:
            return
        chat.min_wave = following
        chat.passed.clear()
        # The pending invitation is withdrawn only when a later wave has
        # someone to ask now; otherwise it runs its course, and route() falls
        # back to the earlier waves until the later one has someone.
        probe = self.decide(node, chat, self.clock.seconds())
        moved = probe.wave is not None and probe.wave >= following and bool(probe.candidates)
        log.info("Chat {chat} escalated from wave {wave} to wave {next}", chat=chat.id,
                 wave=wave, next=following)
        self.journal.write(chat, [self.journal.event(chat, STATE, "system", "escalated",
                                                     wave=following)])
        if moved:
            for operator in list(chat.invitations):
                self.expire(chat, operator, "invitation_escalated", redispatch=False)
        self.dispatch()

    def _pauseRound(self, node: Node, chat: Chat) -> None:
        """Everyone eligible in the wave passed once: ask them again after a
        pause (invite_timeout), unless escalation moves the chat on first."""
        if chat.retry_timer is None or not chat.retry_timer.active():
            chat.retry_timer = self.clock.callLater(node.invite_timeout, self._newRound, chat)

    def _newRound(self, chat: Chat) -> None:
        chat.retry_timer = None
        if chat.id in self.chats and chat.queued:
            chat.passed.clear()
            self.dispatch()

    def _invite(self, node: Node, chat: Chat, operator: str) -> None:
        chat.invitations[operator] = self.clock.callLater(
            node.invite_timeout, self.expire, chat, operator)
        self.operators[operator].invitations.add(chat.id)
        event = self.journal.event(chat, STATE, "system", "offered", operator=operator,
                                   wave=chat.wave)
        self.journal.write(chat, [event])
        self._notifyOperator(chat, operator, "invitation",
                             **self._invitationFields(node, chat, operator))
        log.info("Chat {chat} offered to {operator}", chat=chat.id, operator=operator)
        self.refreshPresence(operator)

    def _invitationFields(self, node: Node, chat: Chat, operator: str) -> dict[str, object]:
        languages = self.operatorLanguages(operator)
        transcript = self._transcript(chat.client_lines[-TRANSCRIPT_LINES:], languages)
        if chat.earlier:
            # R-OPS-2: a returning client's earlier chats, newest first.
            count = len(chat.earlier)
            transcript = self.translator.text(
                "returning_client", languages,
                count=f"{count - 1}+" if count >= RETURNING_LOOKUP - 1 else str(count),
                chats="\n".join(describeChat(c, self.displayName)
                                for c in chat.earlier[:RETURNING_SHOWN])) + "\n" + transcript
        return {"chat": chat.id, "node": node.name, "title": node.title or node.name,
                "client": showClient(chat.client), "languages": ", ".join(chat.record.languages),
                "wait": formatDuration(self.clock.seconds() - chat.record.created_at),
                "transcript": transcript, "timeout": node.invite_timeout}

    def _transcript(self, lines: Sequence[tuple[float, str]], languages: Sequence[str],
                    skipped: int = 0, width: int | None = None) -> str:
        """What the client wrote, for an invitation: timed lines (each cut
        at ``width``), with ``skipped`` lines left out after the first."""
        if not lines:
            return self.translator.text("invitation_no_text", languages)
        shown = [f"[{self._clockTime(at)}] "
                 f"{text if width is None or len(text) <= width else text[:width] + '…'}"
                 for at, text in lines]
        if skipped:
            shown.insert(1, self.translator.text("transcript_skipped", languages,
                                                 count=skipped))
        return "\n".join([self.translator.text("invitation_transcript_header", languages)]
                         + shown)

    @staticmethod
    def _clockTime(at: float) -> str:
        return time.strftime("%H:%M:%S", time.gmtime(at)) + " UTC"

    def expire(self, chat: Chat, operator: str, notice: str = "invitation_expired",
               redispatch: bool = True) -> None:
        """The invitation of ``operator`` ends unanswered (timeout, they went
        away, escalation); the chat goes to the next candidate."""
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
        if redispatch:
            self.dispatch()
            self.refreshPresence()

    def _endInvitation(self, chat: Chat, operator: str) -> None:
        chat.passed.add(operator)
        state = self.operators.get(operator)
        if state is not None:
            state.invitations.discard(chat.id)

    def decline(self, chat: Chat, operator: str, text: str) -> Deferred:
        call = chat.invitations.pop(operator)
        if call.active():
            call.cancel()
        self._endInvitation(chat, operator)
        chat.declines[operator] = chat.declines.get(operator, 0) + 1
        event = self.journal.event(chat, COMMAND, operator, text)
        self.journal.write(chat, [event])
        self._notifyOperator(chat, operator, "declined")
        self.dispatch()
        self.refreshPresence()
        return succeed(None)

    def accept(self, chat: Chat, operator: str, text: str, relay: bool) -> Deferred:
        """The invited operator answered: the chat becomes active with them.
        Their answer goes to the client too, unless the filters stop it."""
        call = chat.invitations.pop(operator)
        if call.active():
            call.cancel()
        self.operators[operator].invitations.discard(chat.id)
        self._withdrawInvitations(chat, taken_by=operator)
        chat.stopOffering()
        self.activate(chat, operator)  # type: ignore[attr-defined]
        events = [self.journal.event(chat, MESSAGE if relay else COMMAND, operator, text),
                  self.journal.event(chat, STATE, operator, "active")]
        log.info("Chat {chat} accepted by {operator}", chat=chat.id, operator=operator)
        d = self.journal.write(chat, events, save=True)
        self._notifyOperator(chat, operator, "accepted", client=showClient(chat.client))
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
