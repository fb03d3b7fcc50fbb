"""
The client's side of a chat: a message to a node address starts or continues
a chat (R-CHAT-1), ``!end`` and ``!lang`` (R-CLI-2), chat states, receipts
and presence; a closed or switched-off node answers with its hours instead
(R-NODE-1, R-NODE-2, R-NODE-3).
"""
from __future__ import annotations

import re
from functools import partial

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from imsupport.core.availability import AUTOREPLY, OPEN
from imsupport.core.chat import Chat, parseCommand
from imsupport.core.journal import Refused
from imsupport.core.model import COMMAND, MESSAGE, STATE, ChatRecord
from imsupport.core.offers import RETURNING_LOOKUP, Offers

log = Logger()

# The first answer to a client, by the node's presence status (R-PRES-1).
GREETINGS = {"presence_available": "queued", "presence_away": "queued_away",
             "presence_busy": "queued_busy", "presence_offline": "queued_nobody",
             "presence_off_shift": "queued_off_shift"}
# What a client can type; any other "!word" is ordinary text for the operator.
CLIENT_COMMANDS = frozenset({"end", "lang", "help"})
CLOSED_NOTICE_EVERY = 600.0  # seconds between "we are closed" answers to one client
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


class Clients(Offers):
    clientChats: dict[tuple[str, str], int]  # (node, client) -> open chat
    lastOperator: dict[tuple[str, str], str]  # (node, client) -> operator
    clientLanguages: dict[str, tuple[str, ...]]  # client -> languages from !lang
    _closedNoticeAt: dict[tuple[str, str], float]
    _last_chat_id: int

    def clientSaid(self, node: str, client: str, text: str, lang: str | None = None,
                   message_id: str | None = None, receipt: bool = False,
                   chatstate: str | None = None) -> Deferred:
        """A client's message with a body to a node address. A chat state the
        client sent along (XEP-0085) is relayed with it; none is invented.
        The Deferred fires with a Refused when the message could not be
        stored (and so went to nobody): the adapter answers the sender."""
        chat_id = self.clientChats.get((node, client))
        chat = self.chats.get(chat_id) if chat_id is not None else None
        command = parseCommand(self.service.command_prefix, text)
        if command is not None and command[0] in CLIENT_COMMANDS:
            return self._clientCommand(node, client, chat, text, command)
        if chat is None:
            if not self._nodeTakesChats(node, client, lang):
                return succeed(None)
            chat = self._startChat(node, client, lang)
        data = {"id": message_id} if message_id else {}
        event = self.journal.event(chat, MESSAGE, "client", text, **data)
        if chat.queued:
            if not chat.record.first_line:
                chat.record.first_line = text[:200]
            return self.journal.write(chat, [event], save=event.seq <= 3,
                                      then=lambda: self._storedClientLine(chat, event.at, text),
                                      refuse=lambda later: self._refusedClientLine(
                                          chat, text, later))
        self._touch(chat)  # type: ignore[attr-defined]
        return self.journal.write(
            chat, [event],
            then=lambda: self._relayFromClient(chat, text, message_id, receipt, chatstate),
            refuse=partial(self.refusal, chat.record.languages))

    def _storedClientLine(self, chat: Chat, at: float, text: str) -> None:
        """Only stored lines count: they are what an invitation quotes, and
        a chat is offered only once it has one."""
        chat.client_lines.append((at, text))
        if not chat.record.first_line:
            chat.record.first_line = text[:200]
        if chat.id not in self.chats:
            return
        if chat.queued:
            self._afterQueuedMessage(chat, text)
        else:  # accepted while the line waited for the store: to the new operator
            self._relayFromClient(chat, text, None, False, None)

    def _refusedClientLine(self, chat: Chat, text: str, later: bool) -> Refused:
        """A queued chat's message was not stored. A chat that has no stored
        line then (it began during a store outage) ends here, unoffered: the
        refusal is the client's word, and the next message starts afresh."""
        if not chat.client_lines and chat.record.first_line == text[:200]:
            chat.record.first_line = ""
        if chat.id in self.chats and chat.queued and not chat.client_lines \
                and not self.journal.heldMessages(chat):
            log.info("Chat {chat} of {client} ends: its first message could not be stored",
                     chat=chat.id, client=chat.client)
            self.closeChat(chat, "not_stored")  # type: ignore[attr-defined]
        return self.refusal(chat.record.languages, later)

    def _clientCommand(self, node: str, client: str, chat: Chat | None, text: str,
                       command: tuple[str, list[str]]) -> Deferred:
        name, args = command
        if name == "lang":
            return self._setLanguages(node, client, chat, text, args)
        if name == "help":
            return self._clientHelp(node, client, chat, text)
        if chat is None:
            return succeed(None)
        event = self.journal.event(chat, COMMAND, "client", text)
        return self.journal.write(chat, [event], then=lambda: self.closeChat(  # type: ignore
            chat, "client"), refuse=partial(self.refusal, chat.record.languages))

    def _clientHelp(self, node: str, client: str, chat: Chat | None, text: str) -> Deferred:
        """``!help`` from a client: what a client can type (R-OPS-5: text-only
        clients learn ``!end`` here); kept in the chat's history, never relayed."""
        prefix = self.service.command_prefix
        fields = {"end": prefix + "end", "lang": prefix + "lang", "help": prefix + "help"}
        if chat is None:
            languages = self._clientLanguages(node, None, client)
            self.transport.toClient(node, client, self.translator.text(
                "client_help", languages, **fields), lang=self.translator.language(languages))
            return succeed(None)
        d = self.journal.write(chat, [self.journal.event(chat, COMMAND, "client", text)])
        self._notifyClient(chat, "client_help", **fields)
        return d

    def _setLanguages(self, node: str, client: str, chat: Chat | None, text: str,
                      args: list[str]) -> Deferred:
        """``!lang ru en``: the client's languages in priority order, for
        routing (R-ROUTE-4) and for the service's messages (R-CLI-2)."""
        wanted = tuple(dict.fromkeys(a.lower() for a in args if LANGUAGE.match(a.lower())))
        languages = wanted or (chat.record.languages if chat else self._clientLanguages(node, None))
        key = "languages_set" if wanted else "languages_usage"
        if wanted:
            self.clientLanguages[client] = wanted
        reply = self.translator.text(key, languages, languages=", ".join(languages))
        if chat is None:
            self.transport.toClient(node, client, reply, lang=self.translator.language(languages))
            return succeed(None)
        if wanted:
            chat.record.languages = wanted
            chat.passed.clear()
        event = self.journal.event(chat, COMMAND, "client", text)
        d = self.journal.write(chat, [event], save=bool(wanted))
        self._notifyClient(chat, key, languages=", ".join(languages))
        if wanted and chat.queued:
            for operator in list(chat.invitations):
                self.expire(chat, operator, redispatch=False)
            self.dispatch()
        return d

    def _nodeTakesChats(self, node_name: str, client: str, lang: str | None) -> bool:
        """Outside hours or switched off, no chat starts; the client is told
        (once in a while, so an auto-reply loop cannot flood anyone)."""
        node = self.directory.node(node_name)
        assert node is not None
        now = self.clock.seconds()
        mode = self.availability.nodeMode(node, now)
        if mode == OPEN:
            return True
        last = self._closedNoticeAt.get((node_name, client))
        if last is None or now - last >= CLOSED_NOTICE_EVERY:
            self._closedNoticeAt[(node_name, client)] = now
            languages = self._clientLanguages(node_name, lang)
            language = self.translator.language(languages)
            title = node.title or node.name
            if mode == AUTOREPLY:
                text = self.translator.text("closed_now", languages, title=title,
                                            hours=self.availability.hours(node_name, language,
                                                                          now))
            else:
                text = self.translator.text("switched_off_now", languages, title=title)
            self.transport.toClient(node_name, client, text, lang=language)
        return False

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
                grace, self.closeChat, chat, "client_gone")  # type: ignore[attr-defined]

    def _startChat(self, node: str, client: str, lang: str | None) -> Chat:
        self._last_chat_id += 1
        languages = self._clientLanguages(node, lang, client)
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
        self._lookUpEarlierChats(chat)
        self.refreshPresence()
        return chat

    def _lookUpEarlierChats(self, chat: Chat) -> None:
        """The operator of the client's previous chat in this node (R-ROUTE-5)
        comes from the store, so it survives restarts; the chat is not offered
        until the answer is in."""
        chat.looking_up = True

        def found(chats: list[ChatRecord]) -> None:
            chat.looking_up = False
            earlier = [c for c in chats if c.id != chat.id]
            served = [c for c in earlier if c.node == chat.node and c.operators]
            if served and chat.last_operator is None:
                chat.last_operator = served[0].operators[-1]
            chat.earlier = earlier
            if chat.id in self.chats and chat.queued and chat.client_lines:
                self.dispatch()

        def failed(reason: object) -> None:
            log.warn("Could not read the previous chat of {client}: {reason}",
                     client=chat.client, reason=reason)
            found([])

        self.store.findChats(client=chat.client, limit=RETURNING_LOOKUP).addCallbacks(
            found, failed)

    def _clientLanguages(self, node: str, lang: str | None,
                         client: str | None = None) -> tuple[str, ...]:
        """!lang if the client used it; else the message's xml:lang first and
        the node's languages after it; else the node's (R-ROUTE-4)."""
        if client is not None and client in self.clientLanguages:
            return self.clientLanguages[client]
        defaults = self.directory.node(node).languages  # type: ignore[union-attr]
        if lang:
            base = lang.lower().split("-")[0]
            return (base,) + tuple(x for x in defaults if x != base)
        return tuple(defaults)

    def _afterQueuedMessage(self, chat: Chat, text: str) -> None:
        if len(chat.client_lines) == 1:
            position = self.queues[chat.node].index(chat.id) + 1
            title = self.nodeOf(chat).title or chat.node
            # The greeting says what the node's presence says: it promises
            # a quick answer only when someone is free to give it.
            key = GREETINGS.get(self.nodePresenceOf(chat.node).status_key, "queued")
            self._notifyClient(chat, key, position=position, title=title,
                               help=self.service.command_prefix + "help",
                               end=self.service.command_prefix + "end")
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
