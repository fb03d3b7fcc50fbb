"""
Read-only questions to the core (R-STAT-4, R-API-1): the live state of the
service, a node, an operator, a client and a chat, as immutable values. What
adapters (the console, /metrics, disco, the coming API and pages) read; none
of them touches the parts' own dictionaries.
"""
from __future__ import annotations

from dataclasses import dataclass

from twisted.internet.interfaces import IReactorTime

from imsupport.core.availability import Availability
from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.invitations import Invitations
from imsupport.core.journal import Journal
from imsupport.core.nodepresence import NodePresences
from imsupport.core.operators import AFK, BUSY, FREE, OFFLINE, OperatorState
from imsupport.core.queues import Queues
from imsupport.core.ratelimit import RateLimiter
from imsupport.core.stats import WRITE_BUCKETS, Metrics
from imsupport.core.team import Team

STATES = (FREE, BUSY, AFK, OFFLINE)


@dataclass(frozen=True)
class OperatorCounts:
    free: int = 0
    busy: int = 0  # in as many chats as they take
    afk: int = 0
    offline: int = 0
    in_chats: int = 0  # in at least one chat (free ones with room left too): not a state

    @property
    def total(self) -> int:
        return self.free + self.busy + self.afk + self.offline

    @property
    def online(self) -> int:
        return self.total - self.offline

    def get(self, state: str) -> int:
        return int(getattr(self, state))


@dataclass(frozen=True)
class OperatorView:
    jid: str
    name: str
    state: str  # free, busy, afk, offline
    resources: tuple[str, ...]  # online resources
    chats: tuple[int, ...]  # active chats, all nodes
    invitations: tuple[int, ...]  # chats they are invited to now
    max_chats: int
    nodes: tuple[str, ...]
    idle_since: float


@dataclass(frozen=True)
class ChatView:
    id: int
    node: str
    client: str
    state: str  # queued, offered, active, held
    operators: tuple[str, ...]
    invited: tuple[str, ...]
    languages: tuple[str, ...]
    created_at: float
    accepted_at: float | None
    first_line: str
    waited: float  # seconds in the queue so far (or until accepted)
    talking: float  # seconds since an operator joined (0 while queued)


@dataclass(frozen=True)
class NodeView:
    name: str
    title: str
    mode: str  # open, autoreply, offline
    presence: str  # the presence status key (presence_available, ...)
    operators: OperatorCounts
    queued: tuple[ChatView, ...]  # first first
    active: tuple[ChatView, ...]


@dataclass(frozen=True)
class ServiceView:
    at: float
    nodes: tuple[NodeView, ...]
    operators: OperatorCounts  # every operator of the directory

    @property
    def queued(self) -> int:
        return sum(len(n.queued) for n in self.nodes)

    @property
    def active(self) -> int:
        return sum(len(n.active) for n in self.nodes)


@dataclass(frozen=True)
class Counters:
    """Totals since start, and the store's health (R-RUN-4)."""
    messages_relayed: int
    chats_started: int
    chats_closed: int
    chats_abandoned: int
    rate_limited: int  # messages refused by a rate limit
    store_up: bool  # the store takes writes now
    held_writes: int  # writes waiting for the store now
    writes_held: int  # writes that had to wait, in all
    messages_refused: int  # not stored, refused to their senders
    write_errors: int  # writes that failed for good
    write_count: int
    write_sum: float  # seconds
    write_buckets: tuple[tuple[float, int], ...]  # (upper bound in seconds, writes)


def countStates(states: list[OperatorState]) -> OperatorCounts:
    counts = {state: 0 for state in STATES}
    for state in states:
        counts[state.state] += 1
    return OperatorCounts(**counts, in_chats=sum(1 for state in states if state.chats))


class Queries:
    def __init__(self, *, directory: DirectoryRef, availability: Availability,
                 clock: IReactorTime, chats: Chats, queues: Queues, team: Team,
                 invitations: Invitations, presences: NodePresences, journal: Journal,
                 metrics: Metrics, rates: RateLimiter) -> None:
        self.directory = directory
        self.availability = availability
        self.clock = clock
        self.chats = chats
        self.queues = queues
        self.team = team
        self.invitations = invitations
        self.presences = presences
        self.journal = journal
        self.metrics = metrics
        self.rates = rates

    def counters(self) -> Counters:
        m = self.metrics
        return Counters(
            messages_relayed=m.messages_relayed, chats_started=m.chats_started,
            chats_closed=m.chats_closed, chats_abandoned=m.chats_abandoned,
            rate_limited=self.rates.refused, store_up=self.journal.up(),
            held_writes=self.journal.held, writes_held=m.writes_held,
            messages_refused=m.messages_refused, write_errors=m.writeErrors,
            write_count=m.write_count, write_sum=m.write_sum,
            write_buckets=tuple(zip(WRITE_BUCKETS, m.write_buckets, strict=True)))

    def nodeTitles(self) -> tuple[tuple[str, str], ...]:
        """(name, title) of every node, for service discovery."""
        return tuple((n.name, n.title or n.name) for n in self.directory.nodes)

    def service(self) -> ServiceView:
        nodes = tuple(view for view in (self.node(n.name) for n in self.directory.nodes)
                      if view is not None)
        return ServiceView(self.clock.seconds(), nodes, countStates(list(self.team.values())))

    def node(self, name: str) -> NodeView | None:
        node = self.directory.node(name)
        if node is None:
            return None
        now = self.clock.seconds()
        members = [self.team[jid] for jid in sorted(self.team.operatorsOf(name))
                   if jid in self.team]
        active = sorted((c for c in self.chats.values() if c.node == name and c.active),
                        key=lambda c: c.id)
        return NodeView(name=name, title=node.title or name,
                        mode=self.availability.nodeMode(node, now),
                        presence=self.presences.of(name).status_key,
                        operators=countStates(members),
                        queued=tuple(self._chat(c, now) for c in self.queues.waiting(name)),
                        active=tuple(self._chat(c, now) for c in active))

    def queueLength(self, node: str) -> int:
        return self.queues.length(node)

    def operator(self, jid: str) -> OperatorView | None:
        state = self.team.get(jid)
        if state is None:
            return None
        return OperatorView(
            jid=jid, name=state.operator.name, state=state.state,
            resources=tuple(sorted(state.resources)), chats=tuple(sorted(state.chats)),
            invitations=tuple(i.chat_id for i in self.invitations.ofOperator(jid)),
            max_chats=state.operator.max_chats, nodes=tuple(self.team.nodesOf(jid)),
            idle_since=state.idle_since)

    def operators(self) -> tuple[OperatorView, ...]:
        return tuple(view for view in (self.operator(jid) for jid in sorted(self.team))
                     if view is not None)

    def chat(self, chat_id: int) -> ChatView | None:
        chat = self.chats.get(chat_id)
        return self._chat(chat, self.clock.seconds()) if chat is not None else None

    def clientChats(self, client: str) -> tuple[ChatView, ...]:
        """The client's open chats (one per node at most)."""
        now = self.clock.seconds()
        return tuple(self._chat(c, now) for c in self.chats.allOfClient(client))

    def isInChat(self, chat_id: int, jid: str) -> bool:
        """Whether ``jid`` is an operator of the open chat or invited to it:
        the only people a chat address answers as a chat."""
        chat = self.chats.get(chat_id)
        return chat is not None and (jid in chat.record.operators
                                     or self.invitations.has(chat_id, jid))

    def _chat(self, chat: Chat, now: float) -> ChatView:
        record = chat.record
        accepted = record.accepted_at
        return ChatView(
            id=record.id, node=record.node, client=record.client, state=record.state,
            operators=tuple(record.operators),
            invited=tuple(self.invitations.operatorsOf(record.id)),
            languages=tuple(record.languages), created_at=record.created_at,
            accepted_at=accepted, first_line=record.first_line,
            waited=(accepted if accepted is not None and chat.active else now)
            - record.created_at,
            talking=now - accepted if accepted is not None and chat.active else 0.0)
