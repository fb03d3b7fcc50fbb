"""
Reverse contact (R-REV-1): an operator (``!contact CLIENT [NODE] TEXT``) or
the API writes to a client first. The message comes from the node address
and opens a chat: bound to that operator when they are online and not AFK
(it is active with them at once, they answer from its chat address), else
in the node's queue, where the client's answer is offered like any first
line, to that operator first (the sticky operator, R-ROUTE-5).

A client who already has an open chat in the node is not written to a
second time: the caller is told which chat it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from imsupport.core import lifecycle
from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.commands import CONSOLE, Command, CommandContext
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.display import showClient
from imsupport.core.journal import Journal
from imsupport.core.model import MESSAGE, OFFERED, STATE, ChatEvent
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.offers import Offers
from imsupport.core.queues import Queues
from imsupport.core.relay import Relay
from imsupport.core.team import Team
from imsupport.core.words import OperatorWords

log = Logger()

# How a contact went (Contacted.outcome)
ACTIVE_WITH_OPERATOR = "active"  # the chat is open with the operator
QUEUED_FOR_ANSWER = "queued"  # the chat waits in the node's queue for the answer
ALREADY_OPEN = "already_open"  # the client has an open chat there: nothing sent
UNKNOWN_NODE = "unknown_node"
BLOCKED = "blocked"  # the operator's text was stopped by the filters


@dataclass(frozen=True)
class Contacted:
    outcome: str
    chat_id: int | None = None


class Contacts:
    def __init__(self, *, directory: DirectoryRef, chats: Chats,
                 queues: Queues, team: Team, notices: Notices, journal: Journal,
                 relay: Relay, offers: Offers, words: OperatorWords,
                 presences: NodePresences) -> None:
        self.directory = directory
        self.chats = chats
        self.queues = queues
        self.team = team
        self.notices = notices
        self.journal = journal
        self.relay = relay
        self.offers = offers
        self.words = words
        self.presences = presences

    def contact(self, node: str, client: str, text: str,
                operator: str | None = None) -> Deferred[Contacted]:
        """Write ``text`` to ``client`` from ``node``. Fires once the chat's
        first lines are stored (the message is then on its way)."""
        if self.directory.node(node) is None:
            return succeed(Contacted(UNKNOWN_NODE))
        open_ = self.chats.ofClient(node, client)
        if open_ is not None:
            return succeed(Contacted(ALREADY_OPEN, open_.id))
        if operator is not None and self.words.wouldBlock(text):
            return succeed(Contacted(BLOCKED))
        chat = self.chats.start(node, client, self.chats.languagesFor(node, None, client))
        author = operator or "system"
        opened = self.journal.event(chat, STATE, author, "queued", contact=True)
        if operator is not None and self._canTake(operator):
            return self._withOperator(chat, operator, text, opened)
        return self._queued(chat, author, operator, text, opened)

    def _canTake(self, operator: str) -> bool:
        state = self.team.get(operator)
        return state is not None and state.online and not state.afk

    def _withOperator(self, chat: Chat, operator: str, text: str,
                      opened: ChatEvent) -> Deferred[Contacted]:
        lifecycle.move(chat.record, OFFERED)
        self.offers.activate(chat, operator)
        chat.record.first_line = text[:200]
        active = self.journal.event(chat, STATE, operator, "active", contact=True)
        message = self.journal.event(chat, MESSAGE, operator, text)
        log.info("Chat {chat} opened by {operator} for {client} (reverse contact)",
                 chat=chat.id, operator=operator, client=chat.client)
        d = self.journal.write(chat, [opened, active, message], save=True,
                               then=lambda: self.relay.toClient(chat, text))
        self.notices.toOperator(chat, operator, "contact_opened",
                                client=showClient(chat.client))
        self.presences.refresh()
        return d.addCallback(lambda _: Contacted(ACTIVE_WITH_OPERATOR, chat.id))

    def _queued(self, chat: Chat, author: str, operator: str | None, text: str,
                opened: ChatEvent) -> Deferred[Contacted]:
        """Nobody to bind it to now: the chat waits for the client's answer,
        which is offered like a first line (to ``operator`` first)."""
        if operator is not None:
            chat.last_operator = operator
        self.queues.add(chat)
        message = self.journal.event(chat, MESSAGE, author, text, contact=True)
        log.info("Chat {chat} for {client} waits in {node} for an answer (reverse contact)",
                 chat=chat.id, client=chat.client, node=chat.node)
        d = self.journal.write(chat, [opened, message], save=True,
                               then=lambda: self.relay.toClient(chat, text))
        self.presences.refresh()
        return d.addCallback(lambda _: Contacted(QUEUED_FOR_ANSWER, chat.id))


# -- !contact CLIENT [NODE] TEXT (R-CMD-9) -----------------------------------------------

def _contact(context: CommandContext) -> Deferred[Any] | None:
    core, args = context.core, context.args
    client = args[0].lower()
    if "@" not in client.strip("@") or "/" in client:
        context.reply("contact_bad_client", client=args[0])
        return None
    contacts = core.contacts
    assert contacts is not None
    mine = core.team.nodesOf(context.sender)
    nodes = {n.name for n in contacts.directory.nodes}
    words = context.rest.split(None, 1)  # the client, then the rest
    rest = words[1] if len(words) > 1 else ""
    first = rest.split(None, 1)
    if first and first[0] in nodes and len(first) > 1:
        node, text = first[0], first[1].strip()
    elif len(mine) == 1:
        node, text = mine[0], rest.strip()
    else:
        context.reply("contact_which_node", nodes=", ".join(sorted(mine or nodes)))
        return None
    if not text:
        context.reply("contact_no_text")
        return None

    def told(result: Contacted) -> None:
        key = {ACTIVE_WITH_OPERATOR: "contact_active", QUEUED_FOR_ANSWER: "contact_queued",
               ALREADY_OPEN: "contact_already_open", UNKNOWN_NODE: "contact_unknown_node",
               BLOCKED: "contact_blocked"}[result.outcome]
        context.reply(key, client=client, where=node, chat=result.chat_id)

    return contacts.contact(node, client, text, context.sender).addCallback(told)


def contactCommands() -> list[Command]:
    return [Command("contact", _contact, where=frozenset({CONSOLE}),
                    usage="<client> [node] <text>", help_key="help_contact", min_args=2,
                    max_args=None)]
