"""A chat's way, part by part: closing, offers, transfers and recovery, each
built with only the parts it is handed (no SupportCore)."""
from __future__ import annotations

from imsupport.core.chat import IDLE
from imsupport.core.events import fromChatEvents
from imsupport.core.invitations import TRANSFER
from imsupport.core.model import (
    ABANDONED,
    ACTIVE,
    CLOSED,
    HELD,
    OFFERED,
    QUEUED,
    ChatEvent,
    ChatRecord,
)
from imsupport.core.recovery import Recovery
from tests.unit.fakes import ALICE, BOB, GURU, IVAN, OLGA
from tests.unit.parts.builder import Floor
from tests.unit.parts.test_floor import stored


def way(*online: str):
    floor = Floor()
    floor.online(*online)
    closing = floor.closing()
    offers = floor.offers(closing)
    closing.closed.append(lambda chat: offers.dispatch())
    return floor, closing, offers


def test_closing_a_waiting_chat_is_abandoned_an_active_one_closed():
    floor, closing, offers = way()
    waiting = floor.queuedChat(ALICE)
    closing.close(waiting, "client")
    assert waiting.state == ABANDONED and floor.queues.length("sales") == 0
    assert floor.transport.last(ALICE).body == "You left the queue. Write again any time."
    assert floor.metrics.chats_abandoned == 1 and 1 not in floor.chats_
    floor, closing, offers = way(IVAN)
    chat = floor.queuedChat(BOB)
    offers.dispatch()
    offers.accept(chat, IVAN, "hello", relay=True)
    closing.close(chat, "operator", IVAN)
    assert chat.state == CLOSED and floor.team_.load(IVAN) == 0
    assert "Ivan closed the chat" in floor.transport.last(BOB).body
    assert "Chat #1 is closed (closed by Ivan)" in floor.transport.last(IVAN).body
    assert floor.chats_.lastOperator[("sales", BOB)] == IVAN


def test_a_waiting_chat_the_service_ends_is_closed_with_its_reason_not_abandoned():
    """SPEC 15: chat.abandoned is the client's leaving before any operator
    joined; the idle timer, a switch-off or an admin ending a waiting chat
    is chat.closed, with the reason and no operators."""
    floor, closing, offers = way()
    waiting = floor.queuedChat(ALICE)
    closing.close(waiting, "idle")
    assert waiting.state == CLOSED and waiting.record.close_reason == "idle"
    assert floor.metrics.chats_abandoned == 0 and floor.metrics.chats_closed == 1
    assert "closed after 30 minutes without messages" in floor.transport.last(ALICE).body
    [hook] = [h for h in fromChatEvents(waiting.record, stored(floor, 1))
              if h.type.startswith("chat.") and h.type != "chat.queued"]
    assert (hook.type, hook.data["reason"], hook.data["operators"]) == \
        ("chat.closed", "idle", [])
    gone = floor.queuedChat(BOB)
    closing.close(gone, "client_gone")
    assert gone.state == ABANDONED and floor.metrics.chats_abandoned == 1
    assert "chat.abandoned" in [h.type for h in fromChatEvents(gone.record, stored(floor, 2))]


def test_the_idle_timer_closes_and_any_word_pushes_it_out():
    floor, closing, offers = way(IVAN)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    offers.accept(chat, IVAN, "hi", relay=True)
    floor.clock.advance(1700)
    closing.touch(chat)
    floor.clock.advance(1700)
    assert chat.state == ACTIVE and chat.timers.active(IDLE)
    floor.clock.advance(101)
    assert chat.state == CLOSED


def test_offers_invite_expire_and_accept_through_the_registry():
    floor, closing, offers = way(IVAN, OLGA)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    first = floor.invitations.operatorsOf(chat.id)
    assert len(first) == 1 and chat.state == OFFERED
    assert "New chat #1" in floor.transport.last(first[0]).body
    floor.clock.advance(60)  # invite_timeout: the next candidate
    second = floor.invitations.operatorsOf(chat.id)
    assert second and second != first and chat.state == OFFERED
    assert "expired" in floor.transport.last(first[0]).body
    offers.accept(chat, second[0], "Hello!", relay=True)
    assert chat.state == ACTIVE and not floor.invitations.any(chat.id)
    assert chat.record.operators == (second[0],) and floor.queues.length("sales") == 0
    assert floor.transport.bodies(ALICE)[-2:] == [
        f"{floor.team_.displayName(second[0])} joined the chat.", "Hello!"]


def test_an_offer_declined_by_everyone_goes_back_to_queued_and_waits_a_round():
    floor, closing, offers = way(IVAN)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    offers.decline(chat, IVAN, "!decline")
    assert chat.state == QUEUED and IVAN in chat.passed and chat.declines[IVAN] == 1


def test_transfers_invite_join_and_the_redirecting_operator_leaves():
    floor, closing, offers = way(IVAN)
    transfers = floor.transfers(offers)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    offers.accept(chat, IVAN, "hi", relay=True)
    floor.online(GURU)
    transfers.start(chat, IVAN, "redirect", ["experts", "warranty", "case"])
    [invitation] = floor.invitations.ofChat(chat.id)
    assert invitation.operator == GURU and invitation.kind == TRANSFER
    assert "Note from Ivan: warranty case" in floor.transport.last(GURU).body
    transfers.join(chat, GURU, "Guru here", relay=True)
    assert chat.record.operators == (GURU,) and chat.state == ACTIVE
    assert "Guru took over chat #1" in " ".join(floor.transport.bodies(IVAN))
    assert floor.transport.bodies(ALICE)[-2:] == ["Guru joined the chat.", "Guru here"]


def test_recovery_holds_reopens_and_after_the_grace_requeues():
    floor, closing, offers = way(IVAN)
    transfers = floor.transfers(offers)
    recovery = Recovery(clock=floor.clock, operator_grace=300, chats=floor.chats_,
                        queues=floor.queues, team=floor.team_, notices=floor.notices_,
                        journal=floor.journal, closing=closing, offers=offers,
                        transfers=transfers, presences=floor.presences)
    chat = floor.queuedChat(ALICE)
    offers.dispatch()
    offers.accept(chat, IVAN, "hi", relay=True)
    recovery.operatorGone(IVAN)
    assert chat.state == HELD and "Ivan was disconnected" in floor.transport.last(ALICE).body
    recovery.operatorBack(IVAN)
    assert chat.state == ACTIVE and floor.transport.last(ALICE).body == "Ivan is back."
    recovery.operatorGone(IVAN)
    floor.clock.advance(300)
    assert chat.state == QUEUED and floor.queues["sales"][0] == chat.id
    assert "finding you another one" in floor.transport.last(ALICE).body
    closing.close(chat, "client")  # back in the queue, but Ivan had joined: not abandoned
    assert chat.state == CLOSED and floor.metrics.chats_abandoned == 0


def test_recovery_restores_an_active_chat_held_and_a_queued_one_in_the_queue():
    floor, closing, offers = way()
    transfers = floor.transfers(offers)
    recovery = Recovery(clock=floor.clock, operator_grace=300, chats=floor.chats_,
                        queues=floor.queues, team=floor.team_, notices=floor.notices_,
                        journal=floor.journal, closing=closing, offers=offers,
                        transfers=transfers, presences=floor.presences)
    active = ChatRecord(1, "sales", ALICE, state=ACTIVE, operators=(IVAN,), created_at=1.0)
    waiting = ChatRecord(2, "sales", BOB, state=OFFERED, created_at=2.0)
    for record in (active, waiting):
        floor.store.saveChat(record)
    line = ChatEvent(2, 1, 2.0, "message", "client", "still there?")
    floor.store.appendEvents([line])
    recovery.restore([active, waiting], {2: [line]})
    assert floor.chats_[1].state == HELD and IVAN in floor.chats_[1].held
    assert floor.chats_[2].state == QUEUED and floor.queues["sales"] == [2]
    assert floor.chats_[2].client_lines == [(2.0, "still there?")]
    seqs = [e.seq for e in stored(floor, 2)]
    assert seqs == [1, 2, 3], "numbers go on after the stored ones: restored, notice"
    assert "keep your place in the queue" in floor.transport.last(BOB).body
