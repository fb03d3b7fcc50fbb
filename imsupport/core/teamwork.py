"""
Operators working together on one chat (R-CMD-7, R-CMD-8, R-CMD-9, R-OPS-1):
redirect (hand the chat over; the first operator stays until the new one
joins), invite (a chat of three or more), leave, and the replay of the
whole chat for whoever joins.
"""
from __future__ import annotations

import time

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from imsupport.core.chat import REDIRECT, Chat, Transfer
from imsupport.core.clients import Clients
from imsupport.core.model import COMMAND, MESSAGE, STATE, ChatEvent, Group, Node
from imsupport.core.routing import ChatRequest, route

log = Logger()

REPLAY_EVENTS = 200  # the most recent messages replayed to a joining operator


class TargetNotFound(ValueError):
    pass


class Teamwork(Clients):
    # -- choosing who to ask ----------------------------------------------------

    def transferCandidates(self, chat: Chat, words: list[str]) -> tuple[str, list[str]]:
        """(description, operators to ask in order) for ``!redirect`` and
        ``!invite`` targets: an operator (JID or display name), a group of
        this node, ``node/group`` or a node. Manual-only groups count here:
        this is how chats reach them (R-ROUTE-2)."""
        word = " ".join(words).strip()
        lowered = word.lower()
        inside = set(chat.record.operators)
        by_name = {s.operator.name.lower(): jid for jid, s in self.operators.items()}
        if "@" in word or lowered in by_name:
            jid = lowered if "@" in word else by_name[lowered]
            state = self.operators.get(jid)
            if state is None:
                raise TargetNotFound(f"there is no operator {word}")
            if jid in inside or not state.online:
                return self.displayName(jid), []
            return self.displayName(jid), [jid]
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
        if group_name:
            groups = [g for g in node.groups if g.name == group_name]
            if not groups:
                raise TargetNotFound(f"there is no group {group_name} in {node.name}")
            target = Node(node.name, groups=(Group(group_name, groups[0].operators),))
            label = f"{node.name}/{group_name}"
        else:
            target, label = node, node.name
        now = self.clock.seconds()
        snapshots = self.snapshots(node.name, now)
        ordered: list[str] = []
        while True:  # wave after wave: everyone the target could offer it to
            decision = route(target, snapshots, ChatRequest(
                languages=chat.record.languages, declines={jid: 10**6 for jid in ordered},
                off_groups=self.switches.offGroups(node.name),
                off_operators=self.switches.offOperators(node.name) | frozenset(inside)))
            if not decision.candidates:
                return label, ordered
            ordered += decision.candidates

    # -- asking them ------------------------------------------------------------------

    def startTransfer(self, chat: Chat, by: str, kind: str, words: list[str]) -> None:
        if chat.transfer is not None:
            self._notifyOperator(chat, by, "transfer_busy")
            return
        try:
            label, candidates = self.transferCandidates(chat, words)
        except TargetNotFound as e:
            self._notifyOperator(chat, by, "transfer_no_target", error=str(e))
            return
        if not candidates:
            self._notifyOperator(chat, by, "transfer_nobody", target=label)
            return
        chat.transfer = Transfer(kind, by, label, candidates)
        log.info("Chat {chat}: {by} asks for a {kind} to {target}", chat=chat.id, by=by,
                 kind=kind, target=label)
        self.journal.write(chat, [self.journal.event(chat, STATE, by, kind, target=label)])
        self._notifyOperator(chat, by, f"{kind}_started", target=label)
        if kind == REDIRECT:
            self._notifyClient(chat, "client_redirected")
        self._askNext(chat)

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
                                 name=self.displayName(transfer.by), client=chat.client,
                                 languages=", ".join(chat.record.languages),
                                 timeout=node.invite_timeout)
            return
        self._transferFailed(chat)

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
        events = [self.journal.event(chat, MESSAGE if relay else COMMAND, operator, text),
                  self.journal.event(chat, STATE, operator, "joined")]
        d = self.journal.write(chat, events, save=True)
        self.replayTo(chat, operator)
        for other in record.operators[:-1]:
            self._notifyOperator(chat, other, "operator_joined_team", name=name)
        self._notifyClient(chat, "operator_joined", name=name)
        if transfer is not None and transfer.kind == REDIRECT and \
                transfer.by in record.operators and transfer.by != operator:
            self.leave(chat, transfer.by, handed_to=operator)
        if relay:
            self._relayFromOperator(chat, operator, text, None, False, None)  # type: ignore
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
