"""What comes in and what is asked, part by part: switching, the client
desk, an operator's words, the rate gate, queries, the console, chat
presence and the schedule watch, each built with only the parts it is
handed (no SupportCore)."""
from __future__ import annotations

from imsupport.core.chatpresence import ChatPresence
from imsupport.core.clients import ClientDesk
from imsupport.core.commands import CommandContext, Commands
from imsupport.core.console import Console
from imsupport.core.filters import MessageFilter
from imsupport.core.model import Operator
from imsupport.core.queries import Queries
from imsupport.core.rategate import RateGate
from imsupport.core.ratelimit import RateLimit, RateLimiter
from imsupport.core.schedulewatch import ScheduleWatch
from imsupport.core.switches import Target
from imsupport.core.switching import Switching
from imsupport.core.words import OperatorWords
from tests.unit.fakes import ALICE, BOB, IVAN, OLGA, directory
from tests.unit.parts.builder import SERVICE, Floor
from tests.unit.parts.test_chatway import way


def clientDesk(floor, closing, offers) -> ClientDesk:
    return ClientDesk(service=SERVICE, directory=floor.directory,
                      availability=floor.availability, clock=floor.clock, chats=floor.chats_,
                      queues=floor.queues, invitations=floor.invitations,
                      notices=floor.notices_, journal=floor.journal, relay=floor.relay,
                      closing=closing, offers=offers, presences=floor.presences,
                      store=floor.store, metrics=floor.metrics)


def queries(floor) -> Queries:
    return Queries(directory=floor.directory, availability=floor.availability,
                   clock=floor.clock, chats=floor.chats_, queues=floor.queues,
                   team=floor.team_, invitations=floor.invitations, presences=floor.presences,
                   journal=floor.journal, metrics=floor.metrics,
                   rates=RateLimiter(RateLimit(1, 1.0, 100, 100.0),
                                     RateLimit(1, 1.0, 100, 100.0), lambda jid: False))


def test_the_client_desk_starts_greets_offers_and_relays():
    floor, closing, offers = way(IVAN)
    desk = clientDesk(floor, closing, offers)
    desk.said("sales", ALICE, "Where is my parcel?")
    assert "An operator will answer you soon" in floor.transport.last(ALICE).body
    assert "Where is my parcel?" in floor.transport.last(IVAN).body
    chat = floor.chats_.ofClient("sales", ALICE)
    offers.accept(chat, IVAN, "Let me see", relay=True)
    desk.said("sales", ALICE, "Thanks")
    assert floor.transport.last(IVAN).body == "Thanks"
    desk.said("sales", ALICE, "!end")
    assert chat.state == "closed" and floor.metrics.chats_started == 1


def test_operator_words_go_through_the_filters_first():
    floor, closing, offers = way(IVAN)
    words = OperatorWords(filters=MessageFilter.fromConfig(["corp.shop.example"], []),
                          journal=floor.journal, notices=floor.notices_, relay=floor.relay,
                          closing=closing, team=floor.team_)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    offers.accept(chat, IVAN, "hi", relay=True)
    words.say(chat, IVAN, "see http://wiki.corp.shop.example/x")
    assert "Not sent to anyone" in floor.transport.last(IVAN).body
    assert floor.transport.last(ALICE).body == "hi"
    words.say(chat, IVAN, "Your parcel left today")
    assert floor.transport.last(ALICE).body == "Your parcel left today"


def test_switching_a_node_off_ends_its_queue_with_a_word():
    floor, closing, offers = way()
    switching = Switching(directory=floor.directory, availability=floor.availability,
                          store=floor.store, chats=floor.chats_, invitations=floor.invitations,
                          notices=floor.notices_, offers=offers, closing=closing,
                          presences=floor.presences)
    chat = floor.queuedChat(ALICE)
    changed = []
    switching.switch(Target("node", node="sales"), False).addCallback(changed.append)
    # the service ended it, the client did not leave: closed, not abandoned (SPEC 15)
    assert changed == [True] and chat.state == "closed"
    assert chat.record.close_reason == "switched_off" and floor.metrics.chats_abandoned == 0
    assert "switched off" in floor.transport.bodies(ALICE)[-1]


def test_the_rate_gate_notices_once_and_answers_in_the_senders_language():
    floor = Floor()
    gate = RateGate(limiter=RateLimiter(RateLimit(2, 1.0, 1000, 1000.0),
                                        RateLimit(5, 1.0, 1000, 1000.0), lambda jid: False),
                    clock=floor.clock, chats=floor.chats_, notices=floor.notices_,
                    team=floor.team_)
    results = [gate.admit(BOB, 10, node="sales") for _ in range(4)]
    assert results[:2] == [None, None] and all(r and r.answer for r in results[2:])
    assert [b for b in floor.transport.bodies(BOB) if "faster" in b] and gate.refusing(BOB)


def test_queries_answer_with_immutable_views():
    floor, closing, offers = way(IVAN, OLGA)
    ask = queries(floor)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    view = ask.chat(chat.id)
    assert view is not None and view.state == "offered" and len(view.invited) == 1
    node = ask.node("sales")
    assert node is not None and [c.id for c in node.queued] == [chat.id]
    assert (node.operators.free, node.operators.offline) == (2, 1), "Ivan, Olga; Guru offline"
    service = ask.service()
    assert service.queued == 1 and service.operators.total == 4
    operator = ask.operator(view.invited[0])
    assert operator is not None and operator.invitations == (chat.id,)
    assert ask.isInChat(chat.id, view.invited[0]) and not ask.isInChat(chat.id, BOB)
    assert ask.counters().store_up and ask.nodeTitles() == (("sales", "Sales questions"),)
    try:
        view.state = "closed"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("a view is read-only")


def test_the_console_counts_from_the_queries():
    floor, closing, offers = way(IVAN)
    switching = Switching(directory=floor.directory, availability=floor.availability,
                          store=floor.store, chats=floor.chats_, invitations=floor.invitations,
                          notices=floor.notices_, offers=offers, closing=closing,
                          presences=floor.presences)
    console = Console(service=SERVICE, directory=floor.directory, queries=queries(floor),
                      team=floor.team_, translator=floor.translator, offers=offers,
                      switching=switching)
    floor.queuedChat(ALICE)
    replies = []

    class Context(CommandContext):
        def reply(self, key, **fields):
            replies.append(floor.notices_.text(key, ("en",), **fields))

    console.status(Context(None, IVAN, "status", [], "!status"))  # type: ignore[arg-type]
    assert replies[-1].startswith("Your state: free; chats: 0 of 1.") and "sales: 1" in replies[-1]
    console.status(Context(None, "boss@shop.test", "status", ["sales"], "!status sales"))  # type: ignore[arg-type]
    assert "Operators: 3 in all, 1 online" in replies[-1] and "Queue (1): #1" in replies[-1]
    assert Commands([]).byName == {}


def test_chat_presence_follows_the_registry():
    floor, closing, offers = way(IVAN)
    presence = ChatPresence(floor.transport, floor.translator, floor.invitations,
                            floor.team_.languages, floor.directory.title)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    presence.sync(chat)
    assert floor.transport.to(IVAN, "chatpresence")[-1].extra["available"] is True
    floor.clock.advance(60)
    presence.sync(chat)
    assert floor.transport.to(IVAN, "chatpresence")[-1].extra["available"] is False


def test_the_schedule_watch_routes_again_when_a_shift_starts():
    operators = (Operator(IVAN, "Ivan", ("en",), schedule="Mon-Fri 09:00-18:00"),)
    floor = Floor(directory(operators=operators))
    floor.online(IVAN)
    closing = floor.closing()
    offers = floor.offers(closing)
    watch = ScheduleWatch(floor.clock, floor.availability, offers, floor.presences)
    watch.watch()
    floor.queuedChat(ALICE)
    offers.dispatch()
    assert not floor.transport.bodies(IVAN), "08:00: Ivan's shift starts at 09:00"
    floor.clock.advance(3600)
    assert "New chat #1" in floor.transport.last(IVAN).body
    watch.stop()


def test_the_operator_desk_answers_invitations_and_outsiders():
    from imsupport.core.faq import FaqIndex
    from imsupport.core.operatordesk import OperatorDesk
    from imsupport.core.recovery import Recovery
    from imsupport.core.workspace import Workspace
    floor, closing, offers = way(IVAN)
    transfers = floor.transfers(offers)
    words = OperatorWords(filters=None, journal=floor.journal, notices=floor.notices_,
                          relay=floor.relay, closing=closing, team=floor.team_)
    recovery = Recovery(clock=floor.clock, operator_grace=300, chats=floor.chats_,
                        queues=floor.queues, team=floor.team_, notices=floor.notices_,
                        journal=floor.journal, closing=closing, offers=offers,
                        transfers=transfers, presences=floor.presences)
    commands = Commands([])
    workspace = Workspace(SERVICE, floor.store, floor.translator, floor.team_, floor.notices_,
                          closing, transfers, words, commands, FaqIndex(()))
    desk = OperatorDesk(service=SERVICE, clock=floor.clock, chats=floor.chats_,
                        team=floor.team_, invitations=floor.invitations,
                        notices=floor.notices_, journal=floor.journal, relay=floor.relay,
                        words=words, offers=offers, transfers=transfers, recovery=recovery,
                        presences=floor.presences, commands=commands, workspace=workspace)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    desk.said("sales", chat.id, OLGA, "let me in")
    assert floor.transport.last(OLGA).body.startswith("Chat #1 is not open for you")
    desk.said("sales", chat.id, IVAN, "Hello, Alice")
    assert chat.state == "active" and floor.transport.last(ALICE).body == "Hello, Alice"
    desk.presence(IVAN, "laptop", False)
    assert chat.state == "held"
