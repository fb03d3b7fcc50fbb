"""
The client's side of a chat: a message to a node address starts or continues
a chat (R-CHAT-1), ``!end``, ``!lang`` and ``!help`` (R-CLI-2), chat states,
receipts and presence; a closed or switched-off node answers with its hours
instead (R-NODE-1, R-NODE-2, R-NODE-3).
"""
from __future__ import annotations

import re
from functools import partial
from typing import Any, Iterable

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.config import ServiceConfig
from imsupport.core.availability import AUTOREPLY, OPEN, Availability
from imsupport.core.chat import Chat, parseCommand
from imsupport.core.chats import Chats
from imsupport.core.closing import Closing
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.filedesk import FileDesk, NotAFile
from imsupport.core.files import (
    Blob,
    FetchError,
    FileRefused,
    FilesFull,
    fileEventData,
)
from imsupport.core.invitations import OFFER, Invitations
from imsupport.core.journal import Journal, Refused
from imsupport.core.model import COMMAND, FILE, MESSAGE, STATE, ChatRecord, FileRecord
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.offers import RETURNING_LOOKUP, Offers
from imsupport.core.queues import Queues
from imsupport.core.rating import Ratings
from imsupport.core.relay import Relay
from imsupport.core.stats import Metrics
from imsupport.store.interfaces import IStore

log = Logger()

# The first answer to a client, by the node's presence status (R-PRES-1).
GREETINGS = {"presence_available": "queued", "presence_away": "queued_away",
             "presence_busy": "queued_busy", "presence_offline": "queued_nobody",
             "presence_off_shift": "queued_off_shift"}
# What a client can type; any other "!word" is ordinary text for the operator.
CLIENT_COMMANDS = frozenset({"end", "lang", "help", "upload"})
CLOSED_NOTICE_EVERY = 600.0  # seconds between "we are closed" answers to one client
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def validLanguages(languages: Iterable[str]) -> tuple[str, ...]:
    """The language codes of ``languages``, lower-cased, once each, in order."""
    return tuple(dict.fromkeys(a.lower() for a in languages if LANGUAGE.match(a.lower())))


class ClientDesk:
    def __init__(self, *, service: ServiceConfig, directory: DirectoryRef,
                 availability: Availability, clock: IReactorTime, chats: Chats, queues: Queues,
                 invitations: Invitations, notices: Notices, journal: Journal, relay: Relay,
                 closing: Closing, offers: Offers, presences: NodePresences, store: IStore,
                 metrics: Metrics, files: FileDesk | None = None,
                 ratings: Ratings | None = None) -> None:
        self.service = service
        self.directory = directory
        self.availability = availability
        self.clock = clock
        self.chats = chats
        self.queues = queues
        self.invitations = invitations
        self.notices = notices
        self.journal = journal
        self.relay = relay
        self.closing = closing
        self.offers = offers
        self.presences = presences
        self.store = store
        self.metrics = metrics
        self.files = files
        self.ratings = ratings
        self._closedNoticeAt: dict[tuple[str, str], float] = {}

    def said(self, node: str, client: str, text: str, lang: str | None = None,
             message_id: str | None = None, receipt: bool = False,
             chatstate: str | None = None, oob: str | None = None) -> Deferred[Any]:
        """A client's message with a body to a node address. A chat state the
        client sent along (XEP-0085) is relayed with it; none is invented.
        The Deferred fires with a Refused when the message could not be
        stored (and so went to nobody): the adapter answers the sender."""
        chat = self.chats.ofClient(node, client)
        command = parseCommand(self.service.command_prefix, text)
        if command is not None and command[0] in CLIENT_COMMANDS:
            return self._command(node, client, chat, text, command)
        if chat is None:
            if self.ratings is not None and self.ratings.answer(node, client, text):
                return succeed(None)
            if not self._nodeTakesChats(node, client, lang):
                return succeed(None)
            chat = self.start(node, client, lang)
        link = self.files.linkIn(text, oob) if self.files is not None else None
        if link is not None:
            return self._file(chat, link, text, message_id, receipt, chatstate)
        return self._text(chat, text, message_id, receipt, chatstate)

    def _text(self, chat: Chat, text: str, message_id: str | None, receipt: bool,
              chatstate: str | None) -> Deferred[Any]:
        data = {"id": message_id} if message_id else {}
        event = self.journal.event(chat, MESSAGE, "client", text, **data)
        if chat.queued:
            if not chat.record.first_line:
                chat.record.first_line = text[:200]
            return self.journal.write(chat, [event], save=event.seq <= 3,
                                      then=lambda: self._storedLine(chat, event.at, text),
                                      refuse=lambda later: self._refusedLine(chat, text, later))
        self.closing.touch(chat)
        return self.journal.write(
            chat, [event],
            then=lambda: self.relay.fromClient(chat, text, message_id, receipt, chatstate),
            refuse=partial(self.notices.refusal, chat.record.languages))

    # -- files (SPEC 16) --------------------------------------------------------------------

    def _file(self, chat: Chat, url: str, text: str, message_id: str | None, receipt: bool,
              chatstate: str | None) -> Deferred[Any]:
        """A link to a file: kept as a file of the chat and relayed as the
        service's own link; past the chat's quota refused to the sender; one
        that cannot be kept goes as the text it was, with a note."""
        assert self.files is not None

        def failed(reason: Failure) -> object:
            if reason.check(FileRefused):
                return Refused(str(reason.value), later=False)
            if reason.check(FetchError, FilesFull):
                for operator in chat.record.operators:
                    self.notices.toOperator(chat, operator, "file_not_kept", url=url,
                                            reason=str(reason.value))
            elif not reason.check(NotAFile):
                log.failure("Keeping the file at {url} failed", reason, url=url)
            return self._text(chat, text, message_id, receipt, chatstate)

        return self.files.resolve(url, chat.client, chat).addCallbacks(
            lambda record: self.keepFile(chat, record), failed)

    def keepFile(self, chat: Chat, record: FileRecord) -> Deferred[Any]:
        """The client's file in the chat: stored, then sent to its operators
        (a queued chat quotes it in the invitation)."""
        assert self.files is not None
        url = self.files.urlOf(record)
        event = self.journal.event(chat, FILE, "client", record.name,
                                   **fileEventData(record, url))
        refuse = partial(self.notices.refusal, chat.record.languages)
        if chat.queued:
            line = f"{record.name}: {url}"
            return self.journal.write(chat, [event], save=event.seq <= 3, refuse=refuse,
                                      then=lambda: self._storedLine(chat, event.at, line))
        self.closing.touch(chat)
        return self.journal.write(chat, [event], refuse=refuse,
                                  then=lambda: self.relay.fileFromClient(chat, url))

    def uploaded(self, node: str, client: str, name: str, content_type: str,
                 blob: Blob) -> Deferred[FileRecord | Refused]:
        """A file the client sent straight into their open chat (the web
        chat's upload): the record once its ``file`` event is stored, or
        the Refused when it was not; FileRefused without a chat or past a
        quota."""
        chat = self.chats.ofClient(node, client)
        if chat is None or self.files is None:
            return fail(FileRefused(self.notices.text(
                "file_needs_chat", self.chats.languagesFor(node, None, client))))
        open_chat = chat
        return self.files.chatUploaded(chat, client, name, content_type, blob).addCallback(
            lambda record: self.keepFile(open_chat, record).addCallback(
                lambda refused: refused if isinstance(refused, Refused) else record))

    def _upload(self, node: str, client: str, chat: Chat | None, text: str) -> Deferred[Any]:
        """``!upload``: a one-time page whose upload goes into the chat."""
        if chat is None or self.files is None:
            self.notices.directToClient(node, client, "upload_needs_chat",
                                        self.chats.languagesFor(node, None, client),
                                        upload=self.service.command_prefix + "upload")
            return succeed(None)
        d = self.journal.write(chat, [self.journal.event(chat, COMMAND, "client", text)])
        _, url = self.files.openPage(chat, client)
        self.notices.toClient(chat, "upload_page", url=url,
                              minutes=int(self.files.settings.upload_page_lifetime // 60))
        return d

    def _storedLine(self, chat: Chat, at: float, text: str) -> None:
        """Only stored lines count: they are what an invitation quotes, and
        a chat is offered only once it has one."""
        chat.client_lines.append((at, text))
        if not chat.record.first_line:
            chat.record.first_line = text[:200]
        if chat.id not in self.chats:
            return
        if chat.queued:
            self._afterQueuedLine(chat, text)
        else:  # accepted while the line waited for the store: to the new operator
            self.relay.fromClient(chat, text)

    def _refusedLine(self, chat: Chat, text: str, later: bool) -> Refused:
        """A queued chat's message was not stored. A chat that has no stored
        line then (it began during a store outage) ends here, unoffered: the
        refusal is the client's word, and the next message starts afresh."""
        if not chat.client_lines and chat.record.first_line == text[:200]:
            chat.record.first_line = ""
        if chat.id in self.chats and chat.queued and not chat.client_lines \
                and not self.journal.heldMessages(chat):
            log.info("Chat {chat} of {client} ends: its first message could not be stored",
                     chat=chat.id, client=chat.client)
            self.closing.close(chat, "not_stored")
        return self.notices.refusal(chat.record.languages, later)

    def _afterQueuedLine(self, chat: Chat, text: str) -> None:
        if len(chat.client_lines) == 1:
            # The greeting says what the node's presence says: it promises
            # a quick answer only when someone is free to give it.
            key = GREETINGS.get(self.presences.of(chat.node).status_key, "queued")
            prefix = self.service.command_prefix
            self.notices.toClient(chat, key, position=self.queues.placeTold(chat),
                                  title=self.directory.title(chat.node), help=prefix + "help",
                                  end=prefix + "end")
            self.offers.dispatch()
        else:
            for operator in self.invitations.operatorsOf(chat.id):
                self.notices.toOperator(chat, operator, "client_said_while_invited", text=text)

    # -- a client's commands -------------------------------------------------------------

    def _command(self, node: str, client: str, chat: Chat | None, text: str,
                 command: tuple[str, list[str]]) -> Deferred[Any]:
        name, args = command
        if name == "lang":
            return self._setLanguages(node, client, chat, text, args)
        if name == "help":
            return self._help(node, client, chat, text)
        if name == "upload":
            return self._upload(node, client, chat, text)
        return self._end(chat, text)

    def end(self, node: str, client: str) -> Deferred[Any]:
        """The client ended the chat another way than typing ``!end`` (the
        web chat's button): the same as the command."""
        return self._end(self.chats.ofClient(node, client), self.service.command_prefix + "end")

    def _end(self, chat: Chat | None, text: str) -> Deferred[Any]:
        if chat is None:
            return succeed(None)
        event = self.journal.event(chat, COMMAND, "client", text)
        return self.journal.write(chat, [event], then=lambda: self.closing.close(
            chat, "client"), refuse=partial(self.notices.refusal, chat.record.languages))

    def _help(self, node: str, client: str, chat: Chat | None, text: str) -> Deferred[Any]:
        """``!help`` from a client: what a client can type (R-OPS-5: text-only
        clients learn ``!end`` here); kept in the chat's history, never relayed."""
        prefix = self.service.command_prefix
        end, lang, help_ = prefix + "end", prefix + "lang", prefix + "help"
        upload = prefix + "upload"
        if chat is None:
            self.notices.directToClient(node, client, "client_help",
                                        self.chats.languagesFor(node, None, client), end=end,
                                        lang=lang, help=help_, upload=upload)
            return succeed(None)
        d = self.journal.write(chat, [self.journal.event(chat, COMMAND, "client", text)])
        self.notices.toClient(chat, "client_help", end=end, lang=lang, help=help_,
                              upload=upload)
        return d

    def chooseLanguages(self, client: str, languages: Iterable[str]) -> tuple[str, ...]:
        """The client's languages in priority order, given before their
        first message (the web chat's form), as ``!lang`` would set them
        but without a notice; the valid ones are kept and returned."""
        wanted = validLanguages(languages)
        if wanted:
            self.chats.clientLanguages[client] = wanted
        return wanted

    def _setLanguages(self, node: str, client: str, chat: Chat | None, text: str,
                      args: list[str]) -> Deferred[Any]:
        """``!lang ru en``: the client's languages in priority order, for
        routing (R-ROUTE-4) and for the service's messages (R-CLI-2)."""
        wanted = validLanguages(args)
        languages = wanted or (chat.record.languages if chat
                               else self.chats.languagesFor(node, None))
        key = "languages_set" if wanted else "languages_usage"
        if wanted:
            self.chats.clientLanguages[client] = wanted
        if chat is None:
            self.notices.directToClient(node, client, key, languages,
                                        languages=", ".join(languages))
            return succeed(None)
        if wanted:
            chat.record.languages = wanted
            chat.passed.clear()
        event = self.journal.event(chat, COMMAND, "client", text)
        d = self.journal.write(chat, [event], save=bool(wanted))
        self.notices.toClient(chat, key, languages=", ".join(languages))
        if wanted and chat.queued:
            for invitation in self.invitations.ofChat(chat.id, OFFER):
                self.offers.expire(chat, invitation.operator, redispatch=False)
            self.offers.dispatch()
        return d

    def closure(self, node_name: str,
                languages: Iterable[str]) -> tuple[str, dict[str, str]] | None:
        """None while the node takes chats; else why not, as the key of the
        notice a client gets (``closed_now`` outside hours,
        ``switched_off_now`` otherwise) and its fields in ``languages``."""
        node = self.directory.node(node_name)
        assert node is not None
        now = self.clock.seconds()
        mode = self.availability.nodeMode(node, now)
        if mode == OPEN:
            return None
        title = node.title or node.name
        if mode == AUTOREPLY:
            hours = self.availability.hours(node_name,
                                            self.notices.translator.language(languages), now)
            return "closed_now", {"title": title, "hours": hours}
        return "switched_off_now", {"title": title}

    def _nodeTakesChats(self, node_name: str, client: str, lang: str | None) -> bool:
        """Outside hours or switched off, no chat starts; the client is told
        (once in a while, so an auto-reply loop cannot flood anyone)."""
        languages = self.chats.languagesFor(node_name, lang)
        closed = self.closure(node_name, languages)
        if closed is None:
            return True
        now = self.clock.seconds()
        last = self._closedNoticeAt.get((node_name, client))
        if last is None or now - last >= CLOSED_NOTICE_EVERY:
            self._closedNoticeAt[(node_name, client)] = now
            key, fields = closed
            self.notices.directToClient(node_name, client, key, languages, **fields)
        return False

    # -- chat states, receipts, presence ---------------------------------------------------

    def chatState(self, node: str, client: str, state: str) -> None:
        chat = self.chats.ofClient(node, client)
        if chat is not None:
            self.relay.clientChatState(chat, state)

    def receipt(self, node: str, client: str, message_id: str) -> None:
        chat = self.chats.ofClient(node, client)
        if chat is not None:
            self.relay.clientReceipt(chat, message_id)

    def presence(self, node: str, client: str, available: bool) -> None:
        chat = self.chats.ofClient(node, client)
        if chat is not None:
            self.closing.clientPresence(chat, available)

    # -- a new chat --------------------------------------------------------------------------

    def start(self, node: str, client: str, lang: str | None) -> Chat:
        chat = self.chats.start(node, client, self.chats.languagesFor(node, lang, client))
        self.queues.add(chat)
        self.metrics.chats_started += 1
        event = self.journal.event(chat, STATE, "system", "queued")
        self.journal.write(chat, [event], save=True)
        log.info("Chat {chat} queued in {node} for {client}", chat=chat.id,
                 node=node, client=client)
        self._lookUpEarlierChats(chat)
        self.presences.refresh()
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
                self.offers.dispatch()

        def failed(reason: object) -> None:
            log.warn("Could not read the previous chat of {client}: {reason}",
                     client=chat.client, reason=reason)
            found([])

        self.store.findChats(client=chat.client, limit=RETURNING_LOOKUP).addCallbacks(
            found, failed)
