"""
Operators working together on one chat (R-CMD-7, R-CMD-8, R-CMD-9, R-OPS-1):
redirect (hand the chat over; the first operator stays until the new one
joins), invite (a chat of three or more), leave, and the replay of the
whole chat for whoever joins.
"""
from __future__ import annotations

import time
from functools import partial
from dataclasses import dataclass

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.core.chat import REDIRECT, Chat, Transfer
from imsupport.core.clients import Clients
from imsupport.core.display import showClient
from imsupport.core.model import COMMAND, MESSAGE, STATE, ChatEvent, Group, Node
from imsupport.core.routing import ChatRequest, route

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


class Teamwork(Clients):
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
        by_name = {s.operator.name.lower(): jid for jid, s in self.operators.items()}
        if "@" in word or lowered in by_name:
            jid = lowered if "@" in word else by_name[lowered]
            if jid not in self.operators:
                raise TargetNotFound(f"there is no operator {word}")
            return Target(self.displayName(jid), operator=jid)
        if "/" in word:
            node_name, _, group_name = word.partition("/")
            node = self.directory.node(node_name)
            if node is None:
                raise TargetNotFound(f"there is no node {node_name}")
        elif self.directory.node(word) is not None:
            node, group_name = self.directory.node(word), ""
        else:
            node, group_name = self.nodeOf(chat), word
        assert node is not None
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
            state = self.operators[target.operator]
            return [] if target.operator in inside or not state.online else [target.operator]
        assert target.node is not None
        snapshots = self.snapshots(target.home, self.clock.seconds())
        ordered: list[str] = []
        while True:
            decision = route(target.node, snapshots, ChatRequest(
                languages=chat.record.languages, declines={jid: 10**6 for jid in ordered},
                off_groups=self.switches.offGroups(target.home),
                off_operators=self.switches.offOperators(target.home) | frozenset(inside)))
            if not decision.candidates:
                return ordered
            ordered += decision.candidates

    # -- asking them ------------------------------------------------------------------

    def startTransfer(self, chat: Chat, by: str, kind: str, words: list[str]) -> None:
        if chat.transfer is not None:
            self._notifyOperator(chat, by, "transfer_busy")
            return
        try:
            target, note = self.parseTransfer(chat, words)
        except TargetNotFound as e:
            self._notifyOperator(chat, by, "transfer_no_target", error=str(e))
            return
        candidates = self.transferCandidates(chat, target)
        if not candidates:
            self._notifyOperator(chat, by, "transfer_nobody", target=target.label)
            return
        transfer = chat.transfer = Transfer(kind, by, target.label, candidates, note=note)
        log.info("Chat {chat}: {by} asks for a {kind} to {target}", chat=chat.id, by=by,
                 kind=kind, target=target.label)
        data = {"target": target.label, **({"note": note} if note else {})}
        self.journal.write(chat, [self.journal.event(chat, STATE, by, kind, **data)])
        self._notifyOperator(chat, by, f"{kind}_started", target=target.label)
        if kind == REDIRECT:
            self._notifyClient(chat, "client_redirected")

        def ask(question: tuple[list[tuple[float, str]], int]) -> None:
            if chat.id in self.chats and chat.transfer is transfer:
                transfer.question, transfer.skipped = question
                self._askNext(chat)

        self._clientQuestion(chat).addCallback(ask)

    def _clientQuestion(self, chat: Chat) -> Deferred:
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
        node = self.nodeOf(chat)
        while transfer.candidates:
            operator = transfer.candidates.pop(0)
            state = self.operators.get(operator)
            if state is None or not state.online or operator in chat.record.operators:
                continue
            chat.invitations[operator] = self.clock.callLater(
                node.invite_timeout, self._transferUnanswered, chat, operator)
            state.invitations.add(chat.id)
            self._notifyOperator(chat, operator, f"{transfer.kind}_invitation",
                                 name=self.displayName(transfer.by),
                                 client=showClient(chat.client),
                                 languages=", ".join(chat.record.languages),
                                 about=self._transferAbout(transfer, operator),
                                 timeout=node.invite_timeout)
            return
        self._transferFailed(chat)

    def _transferAbout(self, transfer: Transfer, operator: str) -> str:
        """The inviter's note and the client's question, for ``operator``."""
        languages = self.operatorLanguages(operator)
        note = [self.translator.text("transfer_note", languages, name=self.displayName(
            transfer.by), note=transfer.note)] if transfer.note else []
        return "\n".join(note + [self._transcript(
            transfer.question, languages, skipped=transfer.skipped, width=QUESTION_LINE_CHARS)])

    def _transferUnanswered(self, chat: Chat, operator: str) -> None:
        if chat.invitations.pop(operator, None) is None:
            return
        self.operators[operator].invitations.discard(chat.id)
        self._notifyOperator(chat, operator, "invitation_expired")
        if chat.transfer is not None:
            self._askNext(chat)

    def declineTransfer(self, chat: Chat, operator: str, text: str) -> Deferred:
        call = chat.invitations.pop(operator)
        if call.active():
            call.cancel()
        self.operators[operator].invitations.discard(chat.id)
        self.journal.write(chat, [self.journal.event(chat, COMMAND, operator, text)])
        self._notifyOperator(chat, operator, "declined")
        if chat.transfer is not None:
            self._askNext(chat)
        return succeed(None)

    def _transferFailed(self, chat: Chat) -> None:
        """Nobody took it: the chat stays (comes back) with who asked."""
        transfer, chat.transfer = chat.transfer, None
        assert transfer is not None
        self.journal.write(chat, [self.journal.event(
            chat, STATE, "system", f"{transfer.kind} failed", target=transfer.target)])
        if transfer.by in chat.record.operators:
            self._notifyOperator(chat, transfer.by, "transfer_failed", target=transfer.target)
        if transfer.kind == REDIRECT:
            self._notifyClient(chat, "client_redirect_failed",
                               name=self.displayName(transfer.by))

    # -- joining and leaving -------------------------------------------------------------

    def join(self, chat: Chat, operator: str, text: str, relay: bool) -> Deferred:
        """The asked operator accepted: they join, get the chat so far, and
        on a redirect the operator who asked leaves."""
        call = chat.invitations.pop(operator)
        if call.active():
            call.cancel()
        state = self.operators[operator]
        state.invitations.discard(chat.id)
        transfer, chat.transfer = chat.transfer, None
        record = chat.record
        record.operators = record.operators + (operator,)
        state.chats.add(chat.id)
        name = self.displayName(operator)
        # Everyone learns who joined before hearing them: their words are
        # stored after the "joined" notices and relayed once stored; the
        # store lands writes in the order they were asked for.
        events = [] if relay else [self.journal.event(chat, COMMAND, operator, text)]
        d = self.journal.write(chat, events + [self.journal.event(chat, STATE, operator,
                                                                  "joined")], save=True)
        self.replayTo(chat, operator)
        for other in record.operators[:-1]:
            self._notifyOperator(chat, other, "operator_joined_team", name=name)
        self._notifyClient(chat, "operator_joined", name=name)
        if transfer is not None and transfer.kind == REDIRECT and \
                transfer.by in record.operators and transfer.by != operator:
            self.leave(chat, transfer.by, handed_to=operator)
        if relay:
            d = self.journal.write(
                chat, [self.journal.event(chat, MESSAGE, operator, text)],
                then=lambda: self._relayFromOperator(  # type: ignore[attr-defined]
                    chat, operator, text, None, False, None),
                refuse=partial(self.refusal, self.operatorLanguages(operator)))
        self.refreshPresence()
        return d

    def leave(self, chat: Chat, operator: str, handed_to: str | None = None) -> None:
        record = chat.record
        record.operators = tuple(o for o in record.operators if o != operator)
        chat.muted.discard(operator)
        state = self.operators.get(operator)
        now = self.clock.seconds()
        if state is not None:
            state.chats.discard(chat.id)
            if not state.chats:
                state.idle_since = now
        self.journal.write(chat, [self.journal.event(chat, STATE, operator, "left")],
                           save=True)
        if handed_to is not None:
            self._notifyOperator(chat, operator, "handed_over", name=self.displayName(handed_to))
        else:
            self._notifyOperator(chat, operator, "you_left")
            self._notifyClient(chat, "operator_left", name=self.displayName(operator))
        for other in record.operators:
            self._notifyOperator(chat, other, "operator_left_team",
                                 name=self.displayName(operator))
        self.dispatch()
        self.refreshPresence()

    def replayTo(self, chat: Chat, operator: str, last: int = REPLAY_EVENTS) -> Deferred:
        """R-OPS-1: the whole chat so far (its ``last`` messages), with times
        and authors."""
        def send(events: list[ChatEvent]) -> None:
            lines = [self._replayLine(chat, e) for e in events if e.kind == MESSAGE][-last:]
            if lines:
                self._notifyOperator(chat, operator, "chat_so_far", lines="\n".join(lines))

        return self.store.chatEvents(chat.id).addCallback(send).addErrback(
            lambda f: log.failure("Could not replay chat {chat}", f, chat=chat.id))

    def _replayLine(self, chat: Chat, event: ChatEvent) -> str:
        at = time.strftime("%H:%M:%S", time.gmtime(event.at))
        who = "Client" if event.author == "client" else self.displayName(event.author)
        muted = " (muted)" if event.data.get("muted") else ""
        return f"[{at}] {who}{muted}: {event.text}"
