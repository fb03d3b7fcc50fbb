"""The open state, part by part: chats, queues, the team, notices, node
presence and the relay, each built alone (no SupportCore)."""
from __future__ import annotations

from imsupport.core.invitations import OFFER
from imsupport.core.model import NOTICE
from tests.unit.fakes import ALICE, BOB, IVAN, OLGA
from tests.unit.parts.builder import Floor, Ground


def stored(ground: Ground, chat_id: int) -> list:
    events: list = []
    ground.store.chatEvents(chat_id).addCallback(events.extend)
    return events


def test_chats_number_index_and_remember_the_last_operator():
    ground = Ground()
    chats = ground.chats()
    first = chats.start("sales", ALICE, ("en",))
    second = chats.start("sales", BOB, ("ru",))
    assert (first.id, second.id) == (1, 2) and chats.ofClient("sales", ALICE) is first
    assert first.queued and chats.idOfClient("sales", BOB) == 2 and len(chats) == 2
    first.record.operators = (IVAN,)
    chats.remove(first)
    assert 1 not in chats and chats.ofClient("sales", ALICE) is None
    assert chats.lastOperator[("sales", ALICE)] == IVAN
    assert chats.start("sales", ALICE, ("en",)).last_operator == IVAN, "R-ROUTE-5"


def test_chats_languages_from_lang_then_xml_lang_then_the_node():
    chats = Ground().chats()
    assert chats.languagesFor("sales", None) == ("en", "ru")
    assert chats.languagesFor("sales", "ru-RU") == ("ru", "en")
    chats.clientLanguages[ALICE] = ("de",)
    assert chats.languagesFor("sales", "ru", ALICE) == ("de",)


def test_queues_are_fifo_and_tell_those_behind_their_new_place():
    floor = Floor()
    a, b, c = (floor.queuedChat(x) for x in (ALICE, BOB, "carol@x"))
    assert floor.queues["sales"] == [1, 2, 3] and floor.queues.position(c) == 3
    floor.queues.leave(a)
    assert floor.queues["sales"] == [2, 3]
    assert "You are now number 1" in floor.transport.last(BOB).body
    assert "You are now number 2" in floor.transport.last("carol@x").body
    floor.queues.putFirst(a)
    assert [chat.id for chat in floor.queues.waiting("sales")] == [1, 2, 3]
    assert floor.queues.leave(a) and not floor.queues.leave(a)


def test_team_load_counts_the_registry_and_snapshots_skip_the_unready():
    floor = Floor()
    floor.online(IVAN, OLGA)
    chat = floor.queuedChat(ALICE)
    floor.invitations.open(chat, IVAN, OFFER, 0.0, 60, lambda *_: None)
    assert floor.team_.load(IVAN) == 1 and floor.team_.load(OLGA) == 0
    ready = floor.team_.snapshots("sales", floor.clock.seconds(), ready_only=True)
    assert set(ready) == {OLGA}, "Ivan is at max_chats (1) with the invitation"
    assert floor.team_.snapshots("sales", floor.clock.seconds())[IVAN].load == 1
    floor.team_.joined(OLGA, 9)
    floor.team_.left(OLGA, 9, 123.0)
    assert floor.team_[OLGA].idle_since == 123.0 and floor.team_.displayName(OLGA) == "Olga"


def test_notices_are_stored_before_they_are_sent_and_direct_ones_are_not():
    floor = Floor()
    chat = floor.queuedChat(ALICE)
    floor.notices_.toClient(chat, "operator_joined", name="Ivan")
    floor.notices_.toOperator(chat, IVAN, "invitation_expired")
    notices = [(e.kind, e.data["to"], e.text) for e in stored(floor, chat.id) if e.kind == NOTICE]
    assert notices == [(NOTICE, "client", "Ivan joined the chat."),
                       (NOTICE, IVAN, "The invitation to chat #1 expired; it went to the "
                                      "next operator.")]
    assert floor.transport.last(ALICE).body == "Ivan joined the chat."
    floor.notices_.direct(OLGA, "not_your_chat", node="sales", chat_id=5, chat=5)
    assert floor.transport.last(OLGA).sender == "sales+5"
    assert len(stored(floor, chat.id)) == 3, "a direct answer has no chat to be stored with"


def test_node_presence_is_sent_only_when_it_changes():
    floor = Floor()
    floor.presences.refresh()
    floor.presences.refresh()
    assert [p.extra["show"] for p in floor.transport.presences("sales")] == ["xa"]
    floor.online(IVAN)
    floor.presences.refresh(IVAN)
    assert floor.transport.presences("sales")[-1].body == "Operators are free. Queue: 0."
    floor.presences.shutdown()
    assert floor.transport.presences("sales")[-1].extra["available"] is False


def test_the_relay_signs_for_the_other_operators_and_maps_receipts():
    floor = Floor()
    chat = floor.queuedChat(ALICE)
    chat.record.operators = (IVAN, OLGA)
    floor.relay.fromOperator(chat, IVAN, "hi", message_id="m1", receipt=True)
    assert floor.transport.last(OLGA).body == "[Ivan] hi"
    sent = floor.transport.last(ALICE)
    assert sent.body == "hi" and sent.extra["receipt_id"]
    floor.relay.clientReceipt(chat, sent.extra["receipt_id"])
    back = floor.transport.to(IVAN, "receipt")[-1]
    assert back.extra == {"id": "m1"} and back.sender == "sales+1"
    assert floor.metrics.messages_relayed == 1
