"""
The support core's front: it builds the parts and hands every call of the
inbound port (``core/ports.Support``) to the part that owns the concern.
Adapters (XMPP today, the web next) call it; it holds no rule of its own.

The parts, each owning its state and given its collaborators (no cycles):

    directory, availability, invitations, journal       what is there
    team, chats, notices, queues, presences, relay       who and what is open
    closing -> offers -> transfers -> recovery           a chat's way
    switching, clients, words, fileRouting, rates        what comes in
    queries, console, commands, workspace, desk          what is asked

State changes are decided synchronously in memory; everything that leaves the
service goes through the Journal first (persist-then-relay, R-CHAT-6).
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from imsupport.config import LimitsConfig, ServiceConfig, StorageConfig, WebConfig
from imsupport.core.availability import Availability
from imsupport.core.broadcast import Broadcasts
from imsupport.core.builtins import builtinCommands
from imsupport.core.bulk import BulkNotices
from imsupport.core.chat import Chat
from imsupport.core.chatpresence import ChatPresence
from imsupport.core.chats import Chats
from imsupport.core.clients import ClientDesk
from imsupport.core.closing import Closing
from imsupport.core.commands import Command, Commands
from imsupport.core.console import Console
from imsupport.core.contact import Contacts, contactCommands
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.display import showClient
from imsupport.core.eligibility import EligibilityChecks
from imsupport.core.events import Events
from imsupport.core.faq import FaqIndex
from imsupport.core.filecommands import fileCommands
from imsupport.core.filedesk import FileDesk
from imsupport.core.filerouting import FileRouting
from imsupport.core.files import Blob, Blobs, Fetcher, Slot, SlotRefusal, SlotUrls
from imsupport.core.filters import MessageFilter
from imsupport.core.i18n import Translator
from imsupport.core.invitations import Invitations
from imsupport.core.journal import Journal, Refused
from imsupport.core.links import TranscriptLinks
from imsupport.core.model import ChatEvent, ChatRecord, Directory, FileRecord
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.offers import Offers
from imsupport.core.operatordesk import OperatorDesk
from imsupport.core.operatorstates import OperatorStates
from imsupport.core.ports import Transport
from imsupport.core.queries import Queries
from imsupport.core.queues import Queues
from imsupport.core.rategate import RateGate
from imsupport.core.ratelimit import RateLimiter, RateRefusal
from imsupport.core.rating import Ratings
from imsupport.core.recovery import Recovery
from imsupport.core.relay import Relay
from imsupport.core.schedulewatch import ScheduleWatch
from imsupport.core.stats import Metrics
from imsupport.core.switches import SOFT, Switches, Target
from imsupport.core.switching import Switching
from imsupport.core.team import Team
from imsupport.core.transfers import Transfers
from imsupport.core.words import OperatorWords
from imsupport.core.workspace import Workspace
from imsupport.store.interfaces import IStore


class SupportCore:
    def __init__(self, *, clock: IReactorTime, store: IStore, transport: Transport,
                 directory: Directory, service: ServiceConfig,
                 limits: LimitsConfig | None = None, translator: Translator | None = None,
                 last_chat_id: int = 0, switches: Switches | None = None,
                 eligibility: EligibilityChecks | None = None,
                 commands: Sequence[Command] = (),
                 filters: MessageFilter | None = None,
                 storage: StorageConfig | None = None, web: WebConfig | None = None,
                 fetcher: Fetcher | None = None, blobs: Blobs | None = None,
                 links: TranscriptLinks | None = None) -> None:
        self.clock = clock
        self.store = store
        self.transport = transport
        self.service = service
        self.limits = limits = limits or LimitsConfig()
        self.translator = translator = translator or Translator(default=service.default_language)
        self.metrics = metrics = Metrics()
        storage = storage or StorageConfig()
        # links to earlier chats' transcripts for operators (R-CMD-2); None: none given
        self.links = links
        transcriptLink = links.url if links is not None else None
        # what is there
        self.directoryRef = ref = DirectoryRef(directory)
        self.availability = availability = Availability(directory, switches)
        self.invitations = invitations = Invitations()
        # events for integrators (SPEC 15): the bus, told once they are stored
        self.events = events = Events(store, clock)
        self.journal = journal = Journal(store, clock, metrics, hold_timeout=storage.hold_timeout,
                                         max_held=storage.max_held_writes, events=events)
        # who and what is open
        self.team = team = Team(ref, availability, invitations, service.default_language,
                                clock.seconds())
        self.chats = chats = Chats(ref, clock, last_chat_id)
        self.notices = notices = Notices(translator, journal, transport, team)
        self.queues = queues = Queues(chats, notices)
        self.presences = presences = NodePresences(ref, availability, team, queues, translator,
                                                   transport, clock)
        self.chatPresence = ChatPresence(transport, translator, invitations, team.languages,
                                         ref.title, showClient)
        journal.listeners.append(self.chatPresence.sync)
        self.operatorStates = OperatorStates(team, events, clock)
        presences.refreshed.append(self.operatorStates.check)
        self.relay = relay = Relay(transport, team, metrics)
        self.files = files = FileDesk(settings=web or WebConfig(), clock=clock, store=store,
                                      chats=chats, team=team, translator=translator,
                                      fetcher=fetcher, blobs=blobs)
        # a chat's way
        self.closing = closing = Closing(ref, clock, chats, queues, invitations, team, notices,
                                         journal, metrics, presences)
        self.offers = offers = Offers(
            directory=ref, availability=availability, clock=clock, chats=chats, queues=queues,
            team=team, invitations=invitations, notices=notices, journal=journal, relay=relay,
            closing=closing, presences=presences, eligibility=eligibility,
            transcriptLink=transcriptLink)
        closing.closed.append(lambda chat: offers.dispatch())  # freed operators: next chats
        self.transfers = transfers = Transfers(
            directory=ref, clock=clock, team=team, invitations=invitations, notices=notices,
            journal=journal, relay=relay, offers=offers, presences=presences, store=store)
        self.recovery = recovery = Recovery(
            clock=clock, operator_grace=service.operator_grace, chats=chats, queues=queues,
            team=team, notices=notices, journal=journal, closing=closing, offers=offers,
            transfers=transfers, presences=presences)
        # what comes in
        self.switching = switching = Switching(
            directory=ref, availability=availability, store=store, chats=chats,
            invitations=invitations, notices=notices, offers=offers, closing=closing,
            presences=presences)
        self.ratings = ratings = Ratings(clock, journal, notices, enabled=service.ask_rating)
        closing.closed.append(ratings.closed)
        self.clients = ClientDesk(
            service=service, directory=ref, availability=availability, clock=clock, chats=chats,
            queues=queues, invitations=invitations, notices=notices, journal=journal,
            relay=relay, closing=closing, offers=offers, presences=presences, store=store,
            metrics=metrics, files=files, ratings=ratings)
        self.words = words = OperatorWords(filters=filters, journal=journal, notices=notices,
                                           relay=relay, closing=closing, team=team, files=files)
        self.fileRouting = FileRouting(files, chats, self.clients, words, notices)
        self.rates = RateLimiter(limits.client_rate, limits.operator_rate,
                                 lambda jid: jid in team or jid in service.admins)
        self.gate = RateGate(limiter=self.rates, clock=clock, chats=chats, notices=notices,
                             team=team)
        # what is asked
        self.queries = queries = Queries(
            directory=ref, availability=availability, clock=clock, chats=chats, queues=queues,
            team=team, invitations=invitations, presences=presences, journal=journal,
            metrics=metrics, rates=self.rates)
        self.console = Console(service=service, directory=ref, queries=queries, team=team,
                               translator=translator, offers=offers, switching=switching)
        self.broadcasts = Broadcasts(ref, chats, notices)
        self.contacts = Contacts(
            directory=ref, chats=chats, queues=queues, team=team, notices=notices,
            journal=journal, relay=relay, offers=offers, words=words, presences=presences)
        self.bulk = BulkNotices(clock, self.contacts, store)
        self.commands = Commands(builtinCommands(self.console) + fileCommands()
                                 + contactCommands() + list(commands))
        self.workspace = Workspace(service, store, translator, team, notices, closing,
                                   transfers, words, self.commands, files,
                                   FaqIndex(directory.faq), self.contacts, transcriptLink)
        self.desk = OperatorDesk(
            service=service, clock=clock, chats=chats, team=team, invitations=invitations,
            notices=notices, journal=journal, relay=relay, words=words, offers=offers,
            transfers=transfers, recovery=recovery, presences=presences,
            commands=self.commands, workspace=self.workspace)
        self.schedule = ScheduleWatch(clock, availability, offers, presences)
        self.schedule.watch()

    # -- the directory -------------------------------------------------------------------

    @property
    def directory(self) -> Directory:
        return self.directoryRef.current

    def setDirectory(self, directory: Directory) -> None:
        """Apply a (new) directory: operators keep their live state, those
        new to it are asked for presence, queued chats are routed by it."""
        known = set(self.team)
        self.directoryRef.current = directory
        self.availability.setDirectory(directory)
        self.team.setDirectory(directory, self.clock.seconds())
        self.workspace.faq = FaqIndex(directory.faq)
        for jid in sorted(set(self.team) - known):
            self._follow(jid)
        self.closing.endOrphans()
        self.schedule.changed()

    @property
    def faq(self) -> FaqIndex:
        return self.workspace.faq

    @property
    def filters(self) -> MessageFilter | None:
        return self.words.filters

    @property
    def eligibility(self) -> EligibilityChecks | None:
        return self.offers.eligibility

    @eligibility.setter
    def eligibility(self, checks: EligibilityChecks | None) -> None:
        self.offers.eligibility = checks

    @property
    def switches(self) -> Switches:
        return self.availability.switches

    @property
    def operators(self) -> Team:
        return self.team

    # -- what adapters ask ---------------------------------------------------------------

    def hasNode(self, name: str) -> bool:
        return self.directory.node(name) is not None

    def isOperator(self, jid: str) -> bool:
        return jid in self.team

    def isAdmin(self, jid: str) -> bool:
        return jid in self.service.admins

    def openChat(self, chat_id: int) -> Chat | None:
        return self.chats.get(chat_id)

    def isInChat(self, chat_id: int, jid: str) -> bool:
        return self.queries.isInChat(chat_id, jid)

    # -- clients ---------------------------------------------------------------------------

    def clientSaid(self, node: str, client: str, text: str, lang: str | None = None,
                   message_id: str | None = None, receipt: bool = False,
                   chatstate: str | None = None, oob: str | None = None) -> Deferred[Any]:
        return self.clients.said(node, client, text, lang=lang, message_id=message_id,
                                 receipt=receipt, chatstate=chatstate, oob=oob)

    def clientChatState(self, node: str, client: str, state: str) -> None:
        self.clients.chatState(node, client, state)

    def clientReceipt(self, node: str, client: str, message_id: str) -> None:
        self.clients.receipt(node, client, message_id)

    def clientPresence(self, node: str, client: str, available: bool) -> None:
        self.clients.presence(node, client, available)

    # the web chat's ways of saying what an IM client says in words (R-CLI-3)
    def chooseClientLanguages(self, client: str, languages: Iterable[str]) -> tuple[str, ...]:
        return self.clients.chooseLanguages(client, languages)

    def clientEnded(self, node: str, client: str) -> Deferred[Any]:
        return self.clients.end(node, client)

    def clientRated(self, node: str, client: str, rating: int, comment: str = "") -> bool:
        return self.ratings.rate(node, client, rating, comment)

    def nodeClosure(self, node: str, languages: Iterable[str]) -> tuple[str, str] | None:
        """None while ``node`` takes chats; else the key and text of why not."""
        closed = self.clients.closure(node, tuple(languages))
        return None if closed is None else \
            (closed[0], self.translator.text(closed[0], tuple(languages), **closed[1]))

    def clientUploaded(self, node: str, client: str, name: str, content_type: str,
                       blob: Blob) -> Deferred[FileRecord | Refused]:
        return self.clients.uploaded(node, client, name, content_type, blob)

    def admitMessage(self, who: str, size: int, node: str | None = None,
                     chat_id: int | None = None) -> RateRefusal | None:
        return self.gate.admit(who, size, node=node, chat_id=chat_id)

    def isRefusing(self, who: str) -> bool:
        return self.gate.refusing(who)

    # -- operators and the console -----------------------------------------------------------

    def operatorSaid(self, node: str, chat_id: int, operator: str, text: str,
                     message_id: str | None = None, receipt: bool = False,
                     chatstate: str | None = None, oob: str | None = None) -> Deferred[Any]:
        return self.desk.said(node, chat_id, operator, text, message_id=message_id,
                              receipt=receipt, chatstate=chatstate, oob=oob)

    def requestSlot(self, who: str, filename: str, size: int,
                    content_type: str | None) -> Deferred[SlotUrls | SlotRefusal]:
        """An XEP-0363 upload slot for ``who`` (R-CLI-1): its URLs, or why not."""
        files = self.files

        def urls(result: Slot | SlotRefusal) -> SlotUrls | SlotRefusal:
            if isinstance(result, SlotRefusal):
                return result
            return SlotUrls(files.putUrl(result), files.getUrl(result))

        return files.requestSlot(who, filename, size, content_type).addCallback(urls)

    def operatorChatState(self, chat_id: int, operator: str, state: str) -> None:
        self.desk.chatState(chat_id, operator, state)

    def operatorReceipt(self, chat_id: int, operator: str, message_id: str) -> None:
        self.desk.receipt(chat_id, operator, message_id)

    def operatorPresence(self, jid: str, resource: str, available: bool,
                         show: str | None = None) -> None:
        self.desk.presence(jid, resource, available, show)

    def consoleSaid(self, sender: str, text: str) -> Deferred[Any] | None:
        return self.desk.console(sender, text)

    # -- orders (the console's, the coming API's) ------------------------------------------

    def closeChat(self, chat: Chat, reason: str, by: str | None = None) -> Deferred[Any]:
        return self.closing.close(chat, reason, by)

    def switch(self, target: Target, on: bool, mode: str = SOFT,
               by: str = "system") -> Deferred[Any]:
        return self.switching.switch(target, on, mode, by)

    def startTransfer(self, chat: Chat, by: str, kind: str, words: list[str]) -> None:
        self.transfers.start(chat, by, kind, words)

    def leave(self, chat: Chat, operator: str) -> None:
        self.transfers.leave(chat, operator)

    def dispatch(self) -> None:
        self.offers.dispatch()

    # -- presence and the XMPP stream ------------------------------------------------------

    def refreshPresence(self, operator: str | None = None) -> None:
        self.presences.refresh(operator)

    def publishNodePresence(self, node: str, to: str) -> None:
        """A node's presence to one address (a probe, a subscription)."""
        presence = self.presences.of(node)
        self.transport.nodePresence(node, presence.show, self.presences.status(node, presence),
                                    presence.available, to=to)

    def chatProbe(self, node: str, chat_id: int, who: str) -> None:
        """Someone asked for a chat address's presence."""
        self.chatPresence.answerProbe(node, chat_id, self.chats.get(chat_id), who)

    def followOperators(self) -> None:
        """Ask to see every operator's presence (R-PRES-2), saying why in
        their language: the request is all a person sees of it."""
        for jid in sorted(self.team):
            self._follow(jid)

    def _follow(self, jid: str) -> None:
        languages = self.team.languages(jid)
        self.transport.subscribeOperator(
            jid, status=self.translator.text("subscription_request", languages),
            lang=self.translator.language(languages))

    def republishPresence(self) -> None:
        """The stream is back: every node's presence to its subscribers again,
        and every open chat's to its operators."""
        self.presences.republish()
        self.chatPresence.republish(list(self.chats.values()))

    def streamLost(self) -> None:
        """The XMPP server went away: presence is stale (Recovery.streamLost)."""
        self.recovery.streamLost()

    # -- starting and stopping ---------------------------------------------------------------

    def restore(self, records: Iterable[ChatRecord],
                events: dict[int, list[ChatEvent]]) -> None:
        """After a restart: the store's open chats (R-CHAT-8), but removed nodes' end."""
        self.recovery.restore(records, events)
        self.closing.endOrphans()

    def startProbing(self) -> None:
        """The store is open: watch that it takes writes (/healthz)."""
        self.journal.startProbing()

    def stop(self) -> None:
        """The service is stopping: the senders of held messages are told
        (while they can be), subscribers see every node unavailable, and no
        timer runs any more."""
        self.journal.stop()
        self.events.stop()

    def shutdown(self) -> None:
        """Subscribers see every node unavailable (R-PRES-1, "switched off")
        instead of a stale "available"; timers stop."""
        self.presences.shutdown()
        self.chatPresence.withdrawAll(list(self.chats.values()))
        for chat in self.chats.values():
            chat.timers.cancelAll()
        self.schedule.stop()
