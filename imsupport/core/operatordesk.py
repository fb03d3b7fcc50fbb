"""
The operators' side (R-CHAT-2, R-CHAT-3, R-CMD-*, R-ADDR-4, R-PRES-2): what
an operator writes to a chat address (an answer to an invitation, a command,
or words for the client), to the console, and their presence.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from imsupport.config import ServiceConfig
from imsupport.core.chat import Chat, parseCommand
from imsupport.core.chats import Chats
from imsupport.core.commands import CommandContext, Commands
from imsupport.core.invitations import TRANSFER, Invitations
from imsupport.core.journal import Journal, Refused
from imsupport.core.model import COMMAND
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.offers import Offers
from imsupport.core.recovery import Recovery
from imsupport.core.relay import Relay
from imsupport.core.team import Team
from imsupport.core.transfers import Transfers
from imsupport.core.words import OperatorWords
from imsupport.core.workspace import Workspace

log = Logger()


class OperatorDesk:
    def __init__(self, *, service: ServiceConfig, clock: IReactorTime, chats: Chats,
                 team: Team, invitations: Invitations, notices: Notices, journal: Journal,
                 relay: Relay, words: OperatorWords, offers: Offers, transfers: Transfers,
                 recovery: Recovery, presences: NodePresences, commands: Commands,
                 workspace: Workspace) -> None:
        self.service = service
        self.clock = clock
        self.chats = chats
        self.team = team
        self.invitations = invitations
        self.notices = notices
        self.journal = journal
        self.relay = relay
        self.words = words
        self.offers = offers
        self.transfers = transfers
        self.recovery = recovery
        self.presences = presences
        self.commands = commands
        self.workspace = workspace

    def said(self, node: str, chat_id: int, operator: str, text: str,
             message_id: str | None = None, receipt: bool = False,
             chatstate: str | None = None, oob: str | None = None) -> Deferred[Any]:
        """An operator's message with a body to a chat address. The Deferred[Any]
        fires with a Refused when it could not be stored (and so went to
        nobody): the adapter answers the sender with it."""
        chat = self.chats.get(chat_id)
        if chat is None or chat.node != node or not (
                self.invitations.has(chat_id, operator) or operator in chat.record.operators):
            # One answer whether the chat is open or not: nobody outside a chat
            # learns which chat numbers are in use.
            self.notices.direct(operator, "not_your_chat", node=node, chat_id=chat_id,
                                chat=chat_id)
            return succeed(None)
        prefix = self.service.command_prefix
        command = parseCommand(prefix, text)
        invitation = self.invitations.get(chat_id, operator)
        if invitation is not None:
            if command is not None and command[0] == "help":
                return self._run(chat, operator, command, text)  # accepts nothing
            declined = command is not None and command[0] == "decline"
            relay = command is None
            if relay and self.words.blocked(chat, operator, text):
                # Accepted all the same; the words themselves go nowhere.
                relay, text = False, prefix + "accept"
            if invitation.kind == TRANSFER:
                return self.transfers.decline(chat, operator, text) if declined else \
                    self.transfers.join(chat, operator, text, relay=relay)
            if declined:
                return self.offers.decline(chat, operator, text)
            return self.offers.accept(chat, operator, text, relay=relay)
        if command is not None:
            return self._run(chat, operator, command, text,
                             partial(self.notices.refusal, self.team.languages(operator)))
        return self.words.say(chat, operator, text, message_id, receipt, chatstate, oob)

    def _run(self, chat: Chat, operator: str, command: tuple[str, list[str]], text: str,
             refuse: Callable[[bool], Refused] | None = None) -> Deferred[Any]:
        """Commands are stored, never relayed, and run once stored."""
        event = self.journal.event(chat, COMMAND, operator, text)
        context = CommandContext(self.workspace, operator, command[0], command[1], text, chat,
                                 invited=self.invitations.has(chat.id, operator))
        return self.journal.write(chat, [event], then=lambda: self.commands.run(context),
                                  refuse=refuse)

    def console(self, sender: str, text: str) -> Deferred[Any] | None:
        """A message to the bare service address (R-ADDR-4)."""
        if not (sender in self.team or sender in self.service.admins):
            self.notices.direct(sender, "console_not_operator")
            return None
        command = parseCommand(self.service.command_prefix, text)
        name, args = command if command else ("help", [])
        d = self.commands.run(CommandContext(self.workspace, sender, name, args, text))
        state = self.team.get(sender)
        if state is not None and not state.online:
            # Often a text-only client that cannot answer the subscription
            # request (go-sendxmpp, sendxmpp): say what is missing.
            d.addCallback(lambda _: self.notices.direct(sender, "console_offline_hint",
                                                        domain=self.service.domain))
        return d

    def chatState(self, chat_id: int, operator: str, state: str) -> None:
        chat = self.chats.get(chat_id)
        if chat is not None:
            self.relay.operatorChatState(chat, operator, state)

    def receipt(self, chat_id: int, operator: str, message_id: str) -> None:
        chat = self.chats.get(chat_id)
        if chat is not None:
            self.relay.operatorReceipt(chat, message_id)

    def presence(self, jid: str, resource: str, available: bool,
                 show: str | None = None) -> None:
        state = self.team.get(jid)
        if state is None:
            return
        was_online = state.online
        if not self.team.setPresence(jid, resource, available, show, self.clock.seconds()):
            return
        log.info("Operator {jid} is now {state}", jid=jid, state=state.state)
        if not state.online:
            self.recovery.operatorGone(jid)
        elif was_online is False:
            self.recovery.operatorBack(jid)
        if not state.online or state.afk:
            # Nobody is there to answer: pass their invitations on now
            # rather than letting each run out its invite_timeout.
            for invitation in self.invitations.ofOperator(jid):
                if invitation.kind == TRANSFER:
                    self.transfers.unanswered(invitation.chat, jid)
                else:
                    self.offers.expire(invitation.chat, jid, "invitation_withdrawn")
        self.offers.dispatch()
        self.presences.refresh()
