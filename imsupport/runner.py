"""
The running service: opens the store, seeds the directory, builds the core,
then connects the XMPP component; the web side listens from the start so
/healthz can tell what is not up yet.
"""
from __future__ import annotations

from typing import Any, Generator, Sequence

import treq
from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import serverFromString
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from imsupport import __version__
from imsupport.config import Config
from imsupport.core.commands import Command
from imsupport.core.eligibility import EligibilityChecks, IEligibilityCheck, loadChecks
from imsupport.core.events import IEventHandler
from imsupport.core.filters import MessageFilter
from imsupport.core.links import TranscriptLinks, deriveKey
from imsupport.core.model import Directory
from imsupport.core.service import SupportCore
from imsupport.core.switches import Switches
from imsupport.hooks.deliverer import Deliverer
from imsupport.hooks.seeding import seedWebhooks
from imsupport.store import isPostgres, makeStore, redactUrl
from imsupport.store.blobs import DiskBlobs
from imsupport.store.interfaces import IStore
from imsupport.web.admin import build as buildAdmin
from imsupport.web.api import build as buildApi
from imsupport.web.api import seedTokens
from imsupport.web.app import WebSide
from imsupport.web.chat import build as buildChat
from imsupport.web.chat import splitTransport
from imsupport.web.fetch import SafeFetcher
from imsupport.web.peers import Peers
from imsupport.xmpp.addresses import Addresses
from imsupport.xmpp.component import ComponentConnection
from imsupport.xmpp.transport import XmppTransport
from imsupport.xmpp.wiring import attachHandlers

log = Logger()

STORE_RETRY = 5.0  # seconds between attempts to open the store at start


class ImsupportService(MultiService):
    def __init__(self, config: Config, reactor: Any,
                 checks: Sequence[IEligibilityCheck] | None = None,
                 commands: Sequence[Command] = (),
                 filters: MessageFilter | None = None,
                 handlers: Sequence[IEventHandler] = ()) -> None:
        super().__init__()
        self.config = config
        self.reactor = reactor
        self.store: IStore = makeStore(config.storage.url, reactor=reactor)
        self.store_ready = False
        self.core: SupportCore | None = None
        self.deliverer: Deliverer | None = None
        self.hookStore: IStore | None = None  # the deliverer's own PostgreSQL connection
        self.component = ComponentConnection(
            reactor, config.service.domain, config.xmpp.host, config.xmpp.port,
            config.xmpp.secret, max_delay=config.xmpp.reconnect_max_delay)
        plugins = config.plugins
        self.pluginCommands = list(commands)
        self.eventHandlers = list(handlers)  # in-process IEventHandler plugins (SPEC 15)
        self.filters = config.filters.build() if filters is None else filters
        if checks is None:
            checks = loadChecks(plugins.options)
        self.eligibility = EligibilityChecks(checks, reactor, timeout=plugins.check_timeout)
        web = config.web
        # the files' bytes (SPEC 16), and the fetching of other servers' files into them
        self.blobs = DiskBlobs(web.files_dir, reactor)
        self.fetcher = SafeFetcher(reactor, self.blobs, web.fetch_allow)
        # operators' links to earlier chats' transcripts (R-CMD-2), served by the web side
        self.links = TranscriptLinks(deriveKey(config.xmpp.secret), web.public_url, reactor,
                                     web.transcript_link_lifetime)
        # the API (SPEC 14): [[api_tokens]] are its first tokens, kept hashed
        api = buildApi(lambda: self.core, self.store, reactor, config.service, config.api_tokens,
                       deliverer=lambda: self.deliverer,
                       answer_target=config.stats.answer_target)
        # who a request is from, through [web] trusted_proxies: for the limits per address
        peers = Peers(web.trusted_proxies)
        # the web chat (R-CLI-3): visitors are clients whose words go through its hub
        self.chat = buildChat(lambda: self.core, self.store, reactor, config.xmpp.secret,
                              config.service.default_language, blobs=self.blobs,
                              widget_origins=web.widget_origins,
                              peers=peers,
                              starts=(config.limits.web_chat_burst,
                                      config.limits.web_chats_per_hour))
        # the admin and analyst pages (SPEC 17): [[web_users]], passwords checked
        # in a thread (argon2 takes tens of milliseconds), changes through the API
        admin = buildAdmin(api, lambda: self.core, self.store, reactor, config.web_users,
                           web.public_url, answer_target=config.stats.answer_target,
                           run=lambda work: deferToThreadPool(reactor, reactor.getThreadPool(),
                                                              work),
                           peers=peers,
                           directory_from_file=config.service.seed_directory == "replace")
        self.web = WebSide(lambda: self.core, lambda: self.component.connected,
                           lambda: self.store_ready,
                           uploads=lambda: self.core.files if self.core is not None else None,
                           blobs=self.blobs, public_url=web.public_url, api=api,
                           links=self.links, store=self.store, chat=self.chat,
                           admin=admin)
        self.chat.asset = self.web.static.url  # versioned addresses of the page's files
        site = self.web.site(reactor)
        site.displayTracebacks = False
        StreamServerEndpointService(serverFromString(reactor, web.endpoint),
                                    site).setServiceParent(self)
        self._starting: Deferred[None] | None = None

    def startService(self) -> None:
        super().startService()
        self._starting = self._start()

    @inlineCallbacks
    def _start(self) -> Generator[Deferred[Any], Any, None]:
        while self.running:
            try:
                yield self.store.open()
                break
            except Exception:
                log.failure("Could not open the store at {url}; retrying in {delay} s",
                            url=redactUrl(self.config.storage.url), delay=STORE_RETRY)
                yield self._sleep(STORE_RETRY)
        if not self.running:
            return
        self.store_ready = True
        self._prepareFiles()
        # the file's API tokens into the store; from now on the store's are in force
        api = self.web.api
        if api is not None:
            api.tokens.load((yield seedTokens(self.store, self.config.api_tokens,
                                              self.reactor.seconds())))
        directory = yield self._seedDirectory()
        yield Deferred.fromCoroutine(seedWebhooks(
            self.store, self.config.webhooks, self.config.service.seed_directory))
        last_chat_id = yield self.store.maxChatId()
        subscribers = yield self.store.subscribers()
        switched_off = yield self.store.switchedOff()
        addresses = Addresses(self.config.service.domain)
        transport = XmppTransport(self.component, addresses, subscribers)
        core = SupportCore(clock=self.reactor, store=self.store,
                           transport=splitTransport(transport, self.chat),
                           directory=directory, service=self.config.service,
                           limits=self.config.limits, last_chat_id=last_chat_id,
                           switches=Switches(switched_off), eligibility=self.eligibility,
                           commands=self.pluginCommands, filters=self.filters,
                           storage=self.config.storage, web=self.config.web,
                           fetcher=self.fetcher, blobs=self.blobs, links=self.links)
        self.core = core
        core.journal.eventListeners.append(self.chat.hub.stored)  # visitors' live streams
        for handler in self.eventHandlers:
            core.events.listeners.append(handler.eventStored)
        # webhooks (SPEC 15): off the chat path, woken by the events bus
        hooks = yield self._deliveryStore()
        self.deliverer = Deliverer(hooks, treq, self.reactor,
                                   retry_delays=self.config.hooks.retry_delays)
        core.events.listeners.append(self.deliverer.wake)
        self.deliverer.start()
        core.startProbing()
        open_chats = yield self.store.openChats()
        history = {}
        for record in open_chats:
            history[record.id] = yield self.store.chatEvents(record.id)
        core.restore(open_chats, history)
        self.chat.hub.restored(open_chats)  # visitors count as gone until they reconnect
        if self.config.web.shared_dir:
            added = yield core.files.importShared(self.config.web.shared_dir,
                                                  addresses.domain)
            log.info("Shared files: {added} added from {dir}", added=added,
                     dir=self.config.web.shared_dir)
        attachHandlers(self.component, core, addresses, self.store, transport,
                       self.config.limits.max_message_bytes,
                       max_stanza_bytes=self.config.limits.max_stanza_bytes)
        self.component.setServiceParent(self)
        log.info("imsupport {version} serving {domain} with {nodes} nodes and {ops} operators "
                 "on {store} storage", version=__version__, domain=addresses.domain,
                 nodes=len(directory.nodes), ops=len(directory.operators),
                 store=self.store.kind)

    def _prepareFiles(self) -> None:
        """files_dir is made, and what a crash cut short in it removed; a
        directory that cannot be made is logged, and uploads then fail
        with a clear error rather than the whole service."""
        try:
            removed = self.blobs.prepare()
        except OSError as e:
            log.error("Files cannot be kept: {files_dir}: {error}",
                      files_dir=self.blobs.files_dir, error=e)
            return
        if removed:
            log.info("Removed {count} incomplete uploads from {files_dir}", count=removed,
                     files_dir=self.blobs.files_dir)

    @inlineCallbacks
    def _seedDirectory(self) -> Generator[Deferred[Any], Any, Directory]:
        mode = self.config.service.seed_directory
        stored: Directory = yield self.store.loadDirectory()
        empty = not (stored.nodes or stored.operators or stored.faq)
        if mode == "replace" or (mode == "missing" and empty):
            yield self.store.replaceDirectory(self.config.directory)
            log.info("Directory seeded from {path}", path=self.config.path)
            return self.config.directory
        return stored

    @inlineCallbacks
    def _deliveryStore(self) -> Generator[Deferred[Any], Any, IStore]:
        """The store the webhook deliverer reads and records through. With
        PostgreSQL, a connection of its own: one session runs one
        transaction at a time, and deliveries queued between chat writes
        slowed the chat path (the relay benchmark saw write latency double).
        SQLite (one writer anyway) and memory share the service's store."""
        url = self.config.storage.url
        if not isPostgres(url):
            return self.store
        store = makeStore(url, reactor=self.reactor)
        try:
            yield store.open()
        except Exception:
            log.failure("Webhooks: no connection of their own to {url}; sharing the "
                        "service's", url=redactUrl(url))
            return self.store
        self.hookStore = store
        return store

    def _sleep(self, seconds: float) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        self.reactor.callLater(seconds, d.callback, None)
        return d

    @inlineCallbacks
    def stopService(self) -> Generator[Deferred[Any], Any, None]:
        if self.deliverer is not None:
            self.deliverer.stop()
        self.chat.hub.stop()  # visitors' streams end; their browsers reconnect to the next
        if self.core is not None:
            self.core.stop()  # senders of held messages are told, while they can be
        if self.core is not None and self.component.connected:
            self.core.shutdown()
        yield super().stopService()
        if self.hookStore is not None:
            yield self.hookStore.close()
            self.hookStore = None
        if self.store_ready:
            yield self.store.close()
            self.store_ready = False
