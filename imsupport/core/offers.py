"""
Offering queued chats (R-CHAT-1, R-CHAT-2, R-ROUTE-*): which queued chat is
offered to whom, eligibility plugins, waves and escalation, rounds, and what
happens on accept, decline and expiry. The order of candidates comes from the
pure ``routing.route``; the invitations live in the registry.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

from twisted.internet.defer import Deferred, gatherResults, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.core import lifecycle
from imsupport.core.availability import OPEN, Availability
from imsupport.core.chat import ESCALATION, RETRY, Chat, describeChat
from imsupport.core.chats import Chats
from imsupport.core.closing import Closing
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.display import showClient
from imsupport.core.eligibility import ChatInfo, EligibilityChecks
from imsupport.core.i18n import Translator, formatDuration
from imsupport.core.invitations import OFFER, Invitations
from imsupport.core.journal import Journal
from imsupport.core.model import ACTIVE, COMMAND, MESSAGE, OFFERED, QUEUED, STATE, ChatRecord, Node
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.queues import Queues
from imsupport.core.relay import Relay
from imsupport.core.routing import (
    ChatRequest,
    Decision,
    OperatorSnapshot,
    nextWave,
    route,
    waveEscalation,
)
from imsupport.core.switches import Switches
from imsupport.core.team import Team
from imsupport.core.timers import Timers

log = Logger()

TRANSCRIPT_LINES = 50  # client lines quoted in an invitation
VETO_SECONDS = 30.0  # a plugin's veto holds this long before the operator is asked again
RETURNING_LOOKUP = 21  # earlier chats of a client read for the invitation (R-OPS-2)
RETURNING_SHOWN = 3  # of them, shown in the invitation


def clockTime(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at)) + " UTC"


def transcript(translator: Translator, lines: Sequence[tuple[float, str]],
               languages: Sequence[str], skipped: int = 0, width: int | None = None) -> str:
    """What the client wrote, for an invitation: timed lines (each cut at
    ``width``), with ``skipped`` lines left out after the first."""
    if not lines:
        return translator.text("invitation_no_text", languages)
    shown = [f"[{clockTime(at)}] "
             f"{text if width is None or len(text) <= width else text[:width] + '…'}"
             for at, text in lines]
    if skipped:
        shown.insert(1, translator.text("transcript_skipped", languages, count=skipped))
    return "\n".join([translator.text("invitation_transcript_header", languages)] + shown)


def quoted(lines: Sequence[tuple[float, str]],
           most: int = TRANSCRIPT_LINES) -> tuple[Sequence[tuple[float, str]], int]:
    """What an invitation quotes of the client's lines (R-CHAT-2): all of
    them, or past ``most`` the first (the question) and the latest, and how
    many were left out between."""
    if len(lines) <= most:
        return lines, 0
    return [lines[0], *lines[len(lines) - most + 1:]], len(lines) - most


class Offers:
    def __init__(self, *, directory: DirectoryRef, availability: Availability,
                 clock: IReactorTime, chats: Chats, queues: Queues, team: Team,
                 invitations: Invitations, notices: Notices, journal: Journal, relay: Relay,
                 closing: Closing, presences: NodePresences,
                 eligibility: EligibilityChecks | None = None,
                 transcriptLink: Callable[[int], str] | None = None) -> None:
        """``transcriptLink`` makes the link under each earlier chat of a
        returning client (core/links.py); None: no links."""
        self.directory = directory
        self.availability = availability
        self.clock = clock
        self.chats = chats
        self.queues = queues
        self.team = team
        self.invitations = invitations
        self.notices = notices
        self.journal = journal
        self.relay = relay
        self.closing = closing
        self.presences = presences
        self.eligibility = eligibility
        self.transcriptLink = transcriptLink
        self.vetoes: dict[str, tuple[float, str]] = {}  # operator -> (until, plugin's reason)
        self._timers = Timers(clock)

    @property
    def switches(self) -> Switches:
        return self.availability.switches

    # -- who is offered what ---------------------------------------------------------

    def dispatch(self) -> None:
        """Offer every queued chat that is not being offered, FIFO per node.
        Nodes outside their hours keep their queue (closing is soft) but
        offer nothing until they open."""
        now = self.clock.seconds()
        for node in self.directory.nodes:
            if not self.queues.length(node.name) or \
                    self.availability.nodeMode(node, now) != OPEN:
                continue
            # Only operators who could take a chat at all matter here; with
            # none left the rest of the queue waits without being looked at,
            # so a long queue costs nothing while everyone is busy.
            ready = {jid: snap for jid, snap in self.team.snapshots(node.name, now, True).items()
                     if self._ready(node.name, snap)}
            if not ready:
                continue
            for chat in self.queues.waiting(node.name):
                if not ready:
                    break
                if not (self.invitations.any(chat.id) or chat.checking or chat.looking_up) \
                        and chat.client_lines:
                    for operator in self._offer(node, chat, now, ready):
                        snap = self.team.snapshot(operator, now)
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
        request = ChatRequest(
            languages=chat.record.languages, passed=frozenset(chat.passed),
            declines=chat.declines, last_operator=chat.last_operator,
            min_wave=chat.min_wave,
            vetoes={jid: why for jid, (until, why) in self.vetoes.items() if until > now},
            off_groups=self.switches.offGroups(node.name),
            off_operators=self.switches.offOperators(node.name))
        if snapshots is None:
            snapshots = self.team.snapshots(node.name, now)
        return route(node, snapshots, request)

    def decideFirst(self, node: Node, chat_id: int | None) -> Decision:
        """Routing's view of the chat ``chat_id`` (or of a new chat in the
        node): the candidates, and why each other operator is left out."""
        chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            chat = self.chats.chatOf(ChatRecord(0, node.name, "", languages=node.languages))
        return self.decide(node, chat, self.clock.seconds())

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
                self.invite(node, chat, operator)
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
            for operator, veto in zip(chosen, verdicts, strict=True):
                if veto:
                    self.vetoes[operator] = (until, veto)
                    log.info("Operator {operator} left out of chat {chat}: {veto}",
                             operator=operator, chat=chat.id, veto=veto)
            if any(verdicts) and not self._timers.active("vetoes"):
                # Route again when the vetoes run out, even if nothing else happens.
                self._timers.set("vetoes", VETO_SECONDS, self.dispatch)
            approved = {op for op, veto in zip(chosen, verdicts, strict=True) if not veto}
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
                self.invite(node, chat, operator)
            if not invite:
                self.dispatch()  # the vetoed are left out now: the next candidates

        def failed(reason: Failure) -> None:
            log.failure("Eligibility checks failed", reason)
            answered([None] * len(chosen))

        gatherResults(checks, consumeErrors=True).addCallbacks(answered, failed)

    # -- waves and rounds --------------------------------------------------------------

    def _enterWave(self, node: Node, chat: Chat, wave: int) -> None:
        chat.wave = wave
        chat.timers.cancel(ESCALATION)
        after = waveEscalation(node, wave)
        if after and nextWave(node, wave) is not None:
            chat.timers.set(ESCALATION, after, self._escalate, chat, wave)

    def _escalate(self, chat: Chat, wave: int) -> None:
        """Nobody of ``wave`` accepted within escalate_after: the next wave."""
        if chat.id not in self.chats or not chat.queued or chat.wave != wave:
            return
        node = self.directory.nodeOf(chat)
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
            for invitation in self.invitations.ofChat(chat.id, OFFER):
                self.expire(chat, invitation.operator, "invitation_escalated", redispatch=False)
        self.dispatch()

    def _pauseRound(self, node: Node, chat: Chat) -> None:
        """Everyone eligible in the wave passed once: ask them again after a
        pause (invite_timeout), unless escalation moves the chat on first."""
        if not chat.timers.active(RETRY):
            chat.timers.set(RETRY, node.invite_timeout, self._newRound, chat)

    def _newRound(self, chat: Chat) -> None:
        if chat.id in self.chats and chat.queued:
            chat.passed.clear()
            self.dispatch()

    # -- an invitation and its answers ---------------------------------------------------

    def invite(self, node: Node, chat: Chat, operator: str) -> None:
        self.invitations.open(chat, operator, OFFER, self.clock.seconds(), node.invite_timeout,
                              self.expire)
        moved = lifecycle.move(chat.record, OFFERED)
        event = self.journal.event(chat, STATE, "system", "offered", operator=operator,
                                   wave=chat.wave)
        self.journal.write(chat, [event], save=moved)
        self.notices.toOperator(chat, operator, "invitation",
                                **self._invitationFields(node, chat, operator))
        log.info("Chat {chat} offered to {operator}", chat=chat.id, operator=operator)
        self.presences.refresh(operator)

    def _invitationFields(self, node: Node, chat: Chat, operator: str) -> dict[str, object]:
        languages = self.team.languages(operator)
        lines, skipped = quoted(chat.client_lines)
        text = transcript(self.notices.translator, lines, languages, skipped=skipped)
        if chat.earlier:
            # R-OPS-2: a returning client's earlier chats, newest first.
            count = len(chat.earlier)
            text = self.notices.text(
                "returning_client", languages,
                count=f"{count - 1}+" if count >= RETURNING_LOOKUP - 1 else str(count),
                chats="\n".join(describeChat(c, self.team.displayName, self.transcriptLink)
                                for c in chat.earlier[:RETURNING_SHOWN])) + "\n" + text
        return {"chat": chat.id, "node": node.name, "title": node.title or node.name,
                "client": showClient(chat.client), "languages": ", ".join(chat.record.languages),
                "wait": formatDuration(self.clock.seconds() - chat.record.created_at),
                "transcript": text, "timeout": node.invite_timeout}

    def expire(self, chat: Chat, operator: str, notice: str = "invitation_expired",
               redispatch: bool = True) -> None:
        """The offer to ``operator`` ends unanswered (timeout, they went away,
        escalation); the chat goes to the next candidate."""
        invitation = self.invitations.get(chat.id, operator)
        if invitation is None or invitation.kind != OFFER:
            return
        self.invitations.withdraw(chat.id, operator)
        chat.passed.add(operator)
        event = self.journal.event(chat, STATE, "system", "invitation expired",
                                   operator=operator)
        self.journal.write(chat, [event], save=self._unoffered(chat))
        self.notices.toOperator(chat, operator, notice)
        if redispatch:
            self.dispatch()
            self.presences.refresh()

    def decline(self, chat: Chat, operator: str, text: str) -> Deferred[Any]:
        self.invitations.take(chat.id, operator)
        chat.passed.add(operator)
        chat.declines[operator] = chat.declines.get(operator, 0) + 1
        event = self.journal.event(chat, COMMAND, operator, text)
        self.journal.write(chat, [event], save=self._unoffered(chat))
        self.notices.toOperator(chat, operator, "declined")
        self.dispatch()
        self.presences.refresh()
        return succeed(None)

    def _unoffered(self, chat: Chat) -> bool:
        """Offered to nobody any more: queued again. Whether that changed it."""
        if chat.state == OFFERED and not self.invitations.any(chat.id, OFFER):
            return lifecycle.move(chat.record, QUEUED)
        return False

    def accept(self, chat: Chat, operator: str, text: str, relay: bool) -> Deferred[Any]:
        """The invited operator answered: the chat becomes active with them.
        Their answer goes to the client too, unless the filters stop it."""
        self.invitations.take(chat.id, operator)
        for invitation in self.invitations.withdrawAll(chat.id):
            self.notices.toOperator(chat, invitation.operator, "invitation_taken",
                                    name=self.team.displayName(operator))
        chat.stopOffering()
        self.activate(chat, operator)
        events = [self.journal.event(chat, MESSAGE if relay else COMMAND, operator, text),
                  self.journal.event(chat, STATE, operator, "active")]
        log.info("Chat {chat} accepted by {operator}", chat=chat.id, operator=operator)
        d = self.journal.write(chat, events, save=True)
        self.notices.toOperator(chat, operator, "accepted", client=showClient(chat.client))
        self.notices.toClient(chat, "operator_joined", then=lambda: self.relay.toClient(
            chat, text) if relay else None, name=self.team.displayName(operator))
        self.presences.refresh()
        return d

    def activate(self, chat: Chat, operator: str) -> None:
        """Bookkeeping when an operator's acceptance makes a chat active."""
        lifecycle.move(chat.record, ACTIVE)
        chat.record.accepted_at = self.clock.seconds()
        chat.record.operators = (operator,)
        self.team.joined(operator, chat.id)
        if self.queues.leave(chat):
            self.presences.refresh()
        self.closing.touch(chat)
