"""
Operators working together on one chat (R-CMD-7, R-CMD-8, R-CMD-9, R-OPS-1):
redirect (hand the chat over; the first operator stays until the new one
joins), invite (a chat of three or more), leave, and the replay of the
whole chat for whoever joins.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.core import lifecycle
from imsupport.core.chat import REDIRECT, Chat, Transfer
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.display import showClient
from imsupport.core.invitations import TRANSFER, Invitations
from imsupport.core.journal import Journal
from imsupport.core.model import (
    COMMAND,
    FILE,
    INVITED,
    MESSAGE,
    STATE,
    ChatEvent,
    Group,
    Node,
)
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.offers import Offers, transcript
from imsupport.core.relay import Relay
from imsupport.core.routing import ChatRequest, route
from imsupport.core.team import Team
from imsupport.core.transcript import saidLine
from imsupport.store.interfaces import IStore

log = Logger()

REPLAY_EVENTS = 200  # the most recent messages replayed to a joining operator
QUESTION_LATEST = 3  # the client's latest lines in a redirect or invite invitation
QUESTION_LINE_CHARS = 200  # each cut there: the joiner gets the whole chat on joining


class TargetNotFound(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    """Whom ``!redirect`` or ``!invite`` asks: one operator, or the
    operators routing finds in a node (or one group of it)."""

    label: str  # for the notices
    operator: str | None = None
    node: Node | None = None  # routed over; only the named group when one was named
    home: str = ""  # the node whose live state and switches apply


class Transfers:
    def __init__(self, *, directory: DirectoryRef, clock: IReactorTime, team: Team,
                 invitations: Invitations, notices: Notices, journal: Journal, relay: Relay,
                 offers: Offers, presences: NodePresences, store: IStore) -> None:
        self.directory = directory
        self.clock = clock
        self.team = team
        self.invitations = invitations
        self.notices = notices
        self.journal = journal
        self.relay = relay
        self.offers = offers
        self.presences = presences
        self.store = store

    # -- choosing who to ask ----------------------------------------------------

    def parseTransfer(self, chat: Chat, words: list[str]) -> tuple[Target, str]:
        """(target, note) of ``!redirect`` / ``!invite`` words: the longest
        leading words that name a target are the target (so display and
        group names may have spaces); the words after them are a note for
        whoever is asked. When no leading words name one, the first word's
        error is raised."""
        for count in range(len(words), 0, -1):
            try:
                target = self.resolveTarget(chat, " ".join(words[:count]))
            except TargetNotFound:
                if count == 1:
                    raise
                continue
            return target, " ".join(words[count:])
        raise TargetNotFound("name an operator, a group or a node")

    def resolveTarget(self, chat: Chat, word: str) -> Target:
        """An operator (JID or display name), a group of this node,
        ``node/group`` or a node. Manual-only groups count here: this is how
        chats reach them (R-ROUTE-2)."""
        word = word.strip()
        lowered = word.lower()
        by_name = {s.operator.name.lower(): jid for jid, s in self.team.items()}
        if "@" in word or lowered in by_name:
            jid = lowered if "@" in word else by_name[lowered]
            if jid not in self.team:
                raise TargetNotFound(f"there is no operator {word}")
            return Target(self.team.displayName(jid), operator=jid)
        named = self.directory.node(word)
        if "/" in word:
            node_name, _, group_name = word.partition("/")
            found = self.directory.node(node_name)
            if found is None:
                raise TargetNotFound(f"there is no node {node_name}")
            node = found
        elif named is not None:
            node, group_name = named, ""
        else:
            node, group_name = self.directory.nodeOf(chat), word
        if not group_name:
            return Target(node.name, node=node, home=node.name)
        groups = [g for g in node.groups if g.name == group_name]
        if not groups:
            raise TargetNotFound(f"there is no group {group_name} in {node.name}")
        return Target(f"{node.name}/{group_name}", home=node.name, node=Node(
            node.name, groups=(Group(group_name, groups[0].operators),)))

    def transferCandidates(self, chat: Chat, target: Target) -> list[str]:
        """The operators to ask, in order: the named operator when they can
        be asked, or everyone routing would offer the chat to, wave after
        wave."""
        inside = set(chat.record.operators)
        if target.operator is not None:
            state = self.team[target.operator]
            return [] if target.operator in inside or not state.online else [target.operator]
        assert target.node is not None
        switches = self.offers.switches
        snapshots = self.team.snapshots(target.home, self.clock.seconds())
        ordered: list[str] = []
        while True:
            decision = route(target.node, snapshots, ChatRequest(
                languages=chat.record.languages, declines={jid: 10**6 for jid in ordered},
                off_groups=switches.offGroups(target.home),
                off_operators=switches.offOperators(target.home) | frozenset(inside)))
            if not decision.candidates:
                return ordered
            ordered += decision.candidates

    # -- asking them ------------------------------------------------------------------

    def start(self, chat: Chat, by: str, kind: str, words: list[str]) -> None:
        if chat.transfer is not None:
            self.notices.toOperator(chat, by, "transfer_busy")
            return
        try:
            target, note = self.parseTransfer(chat, words)
        except TargetNotFound as e:
            self.notices.toOperator(chat, by, "transfer_no_target", error=str(e))
            return
        candidates = self.transferCandidates(chat, target)
        if not candidates:
            self.notices.toOperator(chat, by, "transfer_nobody", target=target.label)
            return
        transfer = chat.transfer = Transfer(kind, by, target.label, candidates, note=note)
        log.info("Chat {chat}: {by} asks for a {kind} to {target}", chat=chat.id, by=by,
                 kind=kind, target=target.label)
        data = {"target": target.label, **({"note": note} if note else {})}
        self.journal.write(chat, [self.journal.event(chat, STATE, by, kind, **data)])
        self.notices.toOperator(chat, by, f"{kind}_started", target=target.label)
        if kind == REDIRECT:
            self.notices.toClient(chat, "client_redirected")

        def ask(question: tuple[list[tuple[float, str]], int]) -> None:
            if chat.active and chat.transfer is transfer:
                transfer.question, transfer.skipped = question
                self._askNext(chat)

        self._clientQuestion(chat).addCallback(ask)

    def _clientQuestion(self, chat: Chat) -> Deferred[Any]:
        """What the client wrote, for the invitations: the first line and
        the latest ones (the joiner gets the whole chat when they join)."""
        def pick(events: list[ChatEvent]) -> tuple[list[tuple[float, str]], int]:
            lines = [(e.at, e.text) for e in events if e.kind == MESSAGE and e.author == "client"]
            latest = max(1, len(lines) - QUESTION_LATEST)
            return lines[:1] + lines[latest:], (latest - 1 if lines else 0)

        def failed(reason: Failure) -> tuple[list[tuple[float, str]], int]:
            log.failure("Could not read what the client of chat {chat} wrote", reason,
                        chat=chat.id)
            first = chat.record.first_line
            return ([(chat.record.created_at, first)] if first else []), 0

        return self.store.chatEvents(chat.id).addCallbacks(pick, failed)

    def _askNext(self, chat: Chat) -> None:
        transfer = chat.transfer
        assert transfer is not None
        node = self.directory.nodeOf(chat)
        while transfer.candidates:
            operator = transfer.candidates.pop(0)
            state = self.team.get(operator)
            if state is None or not state.online or operator in chat.record.operators:
                continue
            self.invitations.open(chat, operator, TRANSFER, self.clock.seconds(),
                                  node.invite_timeout, self.unanswered)
            # stored as "invited", not "offered": the chat stays active (SPEC 15
            # chat.offered all the same, an invitation going to an operator)
            self.journal.write(chat, [self.journal.event(
                chat, STATE, "system", INVITED, operator=operator, by=transfer.by,
                transfer=transfer.kind)])
            self.notices.toOperator(chat, operator, f"{transfer.kind}_invitation",
                                    name=self.team.displayName(transfer.by),
                                    client=showClient(chat.client),
                                    languages=", ".join(chat.record.languages),
                                    about=self._about(transfer, operator),
                                    timeout=node.invite_timeout)
            return
        self._failed(chat)

    def _about(self, transfer: Transfer, operator: str) -> str:
        """The inviter's note and the client's question, for ``operator``."""
        languages = self.team.languages(operator)
        note = [self.notices.text("transfer_note", languages, name=self.team.displayName(
            transfer.by), note=transfer.note)] if transfer.note else []
        return "\n".join(note + [transcript(
            self.notices.translator, transfer.question, languages, skipped=transfer.skipped,
            width=QUESTION_LINE_CHARS)])

    def unanswered(self, chat: Chat, operator: str) -> None:
        """The asked operator let it time out (or went away): the next one."""
        if self.invitations.withdraw(chat.id, operator) is None:
            return
        self.notices.toOperator(chat, operator, "invitation_expired")
        if chat.transfer is not None:
            self._askNext(chat)

    def decline(self, chat: Chat, operator: str, text: str) -> Deferred[Any]:
        self.invitations.take(chat.id, operator)
        self.journal.write(chat, [self.journal.event(chat, COMMAND, operator, text)])
        self.notices.toOperator(chat, operator, "declined")
        if chat.transfer is not None:
            self._askNext(chat)
        return succeed(None)

    def _failed(self, chat: Chat) -> None:
        """Nobody took it: the chat stays (comes back) with who asked."""
        transfer, chat.transfer = chat.transfer, None
        assert transfer is not None
        self.journal.write(chat, [self.journal.event(
            chat, STATE, "system", f"{transfer.kind} failed", target=transfer.target)])
        if transfer.by in chat.record.operators:
            self.notices.toOperator(chat, transfer.by, "transfer_failed",
                                    target=transfer.target)
        if transfer.kind == REDIRECT:
            self.notices.toClient(chat, "client_redirect_failed",
                                  name=self.team.displayName(transfer.by))

    # -- joining and leaving -------------------------------------------------------------

    def join(self, chat: Chat, operator: str, text: str, relay: bool) -> Deferred[Any]:
        """The asked operator accepted: they join, get the chat so far, and
        on a redirect the operator who asked leaves."""
        self.invitations.take(chat.id, operator)
        transfer, chat.transfer = chat.transfer, None
        record = chat.record
        record.operators = record.operators + (operator,)
        lifecycle.settleServing(record, chat.held)
        self.team.joined(operator, chat.id)
        name = self.team.displayName(operator)
        # Everyone learns who joined before hearing them: their words are
        # stored after the "joined" notices and relayed once stored; the
        # store lands writes in the order they were asked for.
        events = [] if relay else [self.journal.event(chat, COMMAND, operator, text)]
        # "by": who asked for the invite or redirect (SPEC 15 chat.joined)
        joined = self.journal.event(chat, STATE, operator, "joined",
                                    **({"by": transfer.by} if transfer is not None else {}))
        d = self.journal.write(chat, events + [joined], save=True)
        self.replayTo(chat, operator)
        for other in record.operators[:-1]:
            self.notices.toOperator(chat, other, "operator_joined_team", name=name)
        self.notices.toClient(chat, "operator_joined", name=name)
        if transfer is not None and transfer.kind == REDIRECT and \
                transfer.by in record.operators and transfer.by != operator:
            self.leave(chat, transfer.by, handed_to=operator)
        if relay:
            d = self.journal.write(
                chat, [self.journal.event(chat, MESSAGE, operator, text)],
                then=lambda: self.relay.fromOperator(chat, operator, text),
                refuse=partial(self.notices.refusal, self.team.languages(operator)))
        self.presences.refresh()
        return d

    def leave(self, chat: Chat, operator: str, handed_to: str | None = None) -> None:
        record = chat.record
        record.operators = tuple(o for o in record.operators if o != operator)
        chat.muted.discard(operator)
        lifecycle.settleServing(record, chat.held)
        self.team.left(operator, chat.id, self.clock.seconds())
        self.journal.write(chat, [self.journal.event(chat, STATE, operator, "left")],
                           save=True)
        if handed_to is not None:
            self.notices.toOperator(chat, operator, "handed_over",
                                    name=self.team.displayName(handed_to))
        else:
            self.notices.toOperator(chat, operator, "you_left")
            self.notices.toClient(chat, "operator_left", name=self.team.displayName(operator))
        for other in record.operators:
            self.notices.toOperator(chat, other, "operator_left_team",
                                    name=self.team.displayName(operator))
        self.offers.dispatch()
        self.presences.refresh()

    def replayTo(self, chat: Chat, operator: str, last: int = REPLAY_EVENTS) -> Deferred[Any]:
        """R-OPS-1: the whole chat so far (its ``last`` messages), with times
        and authors."""
        def send(events: list[ChatEvent]) -> None:
            lines = [self._replayLine(e) for e in events if e.kind in (MESSAGE, FILE)][-last:]
            if lines:
                self.notices.toOperator(chat, operator, "chat_so_far", lines="\n".join(lines))

        return self.store.chatEvents(chat.id).addCallback(send).addErrback(
            lambda f: log.failure("Could not replay chat {chat}", f, chat=chat.id))

    def _replayLine(self, event: ChatEvent) -> str:
        at = time.strftime("%H:%M:%S", time.gmtime(event.at))
        who = "Client" if event.author == "client" else self.team.displayName(event.author)
        return f"[{at}] {saidLine(who, event)}"
