"""
The core's parts built one by one, without the SupportCore front: each test
of a part builds that part and only the parts it is handed, over a
MemoryStore, a task.Clock and the recording transport.
"""
from __future__ import annotations

from twisted.internet.task import Clock

from imsupport.config import ServiceConfig
from imsupport.core.availability import Availability
from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.closing import Closing
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.i18n import Translator
from imsupport.core.invitations import Invitations
from imsupport.core.journal import Journal
from imsupport.core.model import Directory
from imsupport.core.nodepresence import NodePresences
from imsupport.core.notices import Notices
from imsupport.core.offers import Offers
from imsupport.core.queues import Queues
from imsupport.core.relay import Relay
from imsupport.core.stats import Metrics
from imsupport.core.team import Team
from imsupport.core.transfers import Transfers
from tests.unit.fakes import START, OrderCheckingStore, RecordingTransport, directory

SERVICE = ServiceConfig(domain="support.shop.test", admins=("boss@shop.test",))


class Ground:
    """What every part stands on: the clock, the store, the transport, the
    directory in force, the registry of invitations and the journal."""

    def __init__(self, directory_: Directory | None = None) -> None:
        self.clock = Clock()
        self.clock.advance(START)
        self.store = OrderCheckingStore()
        self.transport = RecordingTransport()
        self.translator = Translator(default="en")
        self.metrics = Metrics()
        self.directory = DirectoryRef(directory_ or directory())
        self.availability = Availability(self.directory.current)
        self.invitations = Invitations()
        self.journal = Journal(self.store, self.clock, self.metrics)

    def team(self) -> Team:
        return Team(self.directory, self.availability, self.invitations, "en",
                    self.clock.seconds())

    def chats(self) -> Chats:
        return Chats(self.directory, self.clock)

    def notices(self, team: Team) -> Notices:
        return Notices(self.translator, self.journal, self.transport, team)


class Floor(Ground):
    """The open state: team, chats, notices, queues, node presence, relay."""

    def __init__(self, directory_: Directory | None = None) -> None:
        super().__init__(directory_)
        self.team_ = self.team()
        self.chats_ = self.chats()
        self.notices_ = self.notices(self.team_)
        self.queues = Queues(self.chats_, self.notices_)
        self.presences = NodePresences(self.directory, self.availability, self.team_,
                                       self.queues, self.translator, self.transport, self.clock)
        self.relay = Relay(self.transport, self.team_, self.metrics)

    def online(self, *jids: str, show: str | None = None) -> None:
        for jid in jids:
            self.team_.setPresence(jid, "laptop", True, show, self.clock.seconds())

    def closing(self) -> Closing:
        return Closing(self.directory, self.clock, self.chats_, self.queues, self.invitations,
                       self.team_, self.notices_, self.journal, self.metrics, self.presences)

    def offers(self, closing: Closing) -> Offers:
        return Offers(directory=self.directory, availability=self.availability,
                      clock=self.clock, chats=self.chats_, queues=self.queues, team=self.team_,
                      invitations=self.invitations, notices=self.notices_,
                      journal=self.journal, relay=self.relay, closing=closing,
                      presences=self.presences)

    def transfers(self, offers: Offers) -> Transfers:
        return Transfers(directory=self.directory, clock=self.clock, team=self.team_,
                         invitations=self.invitations, notices=self.notices_,
                         journal=self.journal, relay=self.relay, offers=offers,
                         presences=self.presences, store=self.store)

    def queuedChat(self, client: str, text: str = "hello?", node: str = "sales") -> Chat:
        """A chat as the client desk leaves it: queued, saved, one stored line."""
        chat = self.chats_.start(node, client, ("en",))
        self.queues.add(chat)
        self.journal.write(chat, [self.journal.event(chat, "state", "system", "queued")],
                           save=True)
        chat.client_lines.append((self.clock.seconds(), text))
        return chat
