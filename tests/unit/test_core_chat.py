"""The core chat path with task.Clock, a memory store and a recording transport."""
from __future__ import annotations

from twisted.internet.defer import fail

from imsupport.core.model import ABANDONED, ACTIVE, CLOSED, COMMAND, MESSAGE, NOTICE, QUEUED
from imsupport.store.interfaces import StoreError
from tests.unit.fakes import ALICE, BOB, GURU, IVAN, OLGA, activeChat, events, makeCore, online


def record(store, chat_id):
    result = []
    store.getChat(chat_id).addCallback(result.append)
    return result[0]


def test_whole_path_queue_invite_accept_relay_close():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "Hello, where is my order?", message_id="m1")
    greeting = t.to(ALICE)[0]
    assert greeting.sender == "sales"
    assert "number 1 in the queue for Sales questions" in greeting.body
    invitation = t.last(IVAN)
    assert invitation.sender == "sales+1"
    for part in ("New chat #1 in sales", ALICE, "Languages: en, ru", "Waiting: 0:00",
                 "Hello, where is my order?"):
        assert part in invitation.body

    clock.advance(5)
    core.operatorSaid("sales", 1, IVAN, "Hi Alice, let me check.")
    assert "Ivan joined the chat." in t.bodies(ALICE)
    assert t.bodies(ALICE)[-1] == "Hi Alice, let me check."
    assert IVAN not in " ".join(t.bodies(ALICE)), "clients never see operator JIDs"
    assert record(store, 1).state == ACTIVE

    core.clientSaid("sales", ALICE, "Thanks!")
    assert t.last(IVAN).body == "Thanks!" and t.last(IVAN).sender == "sales+1"
    core.operatorSaid("sales", 1, IVAN, "!close")
    goodbye, question = t.bodies(ALICE)[-2:]
    assert "Ivan closed the chat" in goodbye
    assert "How did we do?" in question
    assert "Chat #1 is closed (closed by Ivan)" in t.last(IVAN).body
    assert "!close" not in t.bodies(ALICE), "commands never reach the client"

    stored = events(store, 1)
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    kinds = [(e.kind, e.author, e.text) for e in stored]
    assert ("message", "client", "Hello, where is my order?") in kinds
    assert ("message", IVAN, "Hi Alice, let me check.") in kinds
    assert ("command", IVAN, "!close") in kinds
    assert ("state", IVAN, "closed") in kinds
    assert stored[1].data == {"id": "m1"}
    final = record(store, 1)
    assert final.state == CLOSED and final.close_reason == "operator"
    assert final.operators == (IVAN,)
    assert final.first_line == "Hello, where is my order?"


def test_every_sent_notice_is_stored_first():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "!accept")
    notices = [e.text for e in events(store, 1) if e.kind == NOTICE]
    for sent in t.sent:
        if sent.kind in ("client", "operator") and sent.body:
            assert sent.body in notices or sent.body == "hi"


def test_accept_command_is_not_relayed():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "!accept")
    assert t.bodies(ALICE)[-1] == "Ivan joined the chat."
    assert [e.kind for e in events(store, 1) if e.text == "!accept"] == [COMMAND]


def test_invitation_timeout_goes_to_next_operator():
    core, clock, t, store = makeCore()
    online(core, IVAN, OLGA)
    core.clock.advance(1)
    core.operatorPresence(OLGA, "phone", True)  # both free; Ivan idle longest
    core.clientSaid("sales", ALICE, "hi")
    assert "New chat #1" in t.last(IVAN).body
    assert not t.bodies(OLGA)
    clock.advance(59)
    assert not t.bodies(OLGA)
    clock.advance(1)
    assert "expired" in t.last(IVAN).body
    assert "New chat #1" in t.last(OLGA).body
    core.operatorSaid("sales", 1, IVAN, "too late?")
    assert "Chat #1 is not open for you" in t.last(IVAN).body


def test_decline_passes_and_next_wave_when_first_wave_exhausted():
    core, clock, t, store = makeCore()
    online(core, IVAN, GURU)
    core.clientSaid("sales", ALICE, "hi")
    assert not t.bodies(GURU), "wave 2 waits while wave 1 has an eligible operator"
    core.operatorSaid("sales", 1, IVAN, "!decline")
    assert "You declined chat #1." in t.last(IVAN).body
    assert "New chat #1" in t.last(GURU).body


def test_waits_until_an_operator_comes_online():
    core, clock, t, store = makeCore()
    core.clientSaid("sales", ALICE, "anyone?")
    assert core.queues["sales"] == [1]
    clock.advance(300)
    online(core, OLGA)
    invitation = t.last(OLGA).body
    assert "Waiting: 5:00" in invitation


def test_afk_operator_and_language_mismatch_are_not_offered():
    core, clock, t, store = makeCore()
    online(core, IVAN, show="away")
    online(core, OLGA)
    core.clientSaid("sales", ALICE, "privet", lang="ru")
    assert not t.bodies(IVAN)
    # Olga speaks only English: the node's languages (en, ru) follow ru.
    assert "New chat #1" in t.last(OLGA).body


def test_only_shared_language_operators():
    core, clock, t, store = makeCore()
    online(core, OLGA)
    core.setDirectory(core.directory)  # unchanged directory keeps live state
    core.clientSaid("sales", ALICE, "Hallo", lang="de")
    # de + node languages (en, ru): Olga shares en.
    assert t.bodies(OLGA)
    core2, _, t2, _ = makeCore()
    online(core2, OLGA)
    chat = core2.clients.start("sales", BOB, None)
    chat.record.languages = ("de",)
    core2.clientSaid("sales", BOB, "Hallo")
    assert not t2.bodies(OLGA)


def test_max_chats_busy_operator_not_offered_second_chat():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "one")
    core.operatorSaid("sales", 1, IVAN, "ok")
    core.clientSaid("sales", BOB, "two")
    assert not any("New chat #2" in b for b in t.bodies(IVAN))
    assert "number 1 in the queue" in t.bodies(BOB)[0]
    core.operatorSaid("sales", 1, IVAN, "!close")
    assert "New chat #2" in t.last(IVAN).body


def test_queue_positions_move():
    core, clock, t, store = makeCore()
    core.clientSaid("sales", ALICE, "first")
    core.clientSaid("sales", BOB, "second")
    assert "number 2 in the queue" in t.bodies(BOB)[0]
    core.clientSaid("sales", ALICE, "!end")
    assert "You left the queue" in t.last(ALICE).body
    assert "You are now number 1 in the queue." == t.last(BOB).body
    assert record(store, 1).state == ABANDONED
    assert core.metrics.chats_abandoned == 1


def test_client_writes_while_invited_operator_sees_it():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.clientSaid("sales", ALICE, "are you there?")
    assert t.last(IVAN).body == "Client: are you there?"


def test_idle_timeout_closes_and_next_message_starts_new_chat():
    core, clock, t, store = activeChat()
    clock.advance(1799)
    assert core.openChat(1) is not None
    clock.advance(1)
    assert core.openChat(1) is None
    goodbye, question = t.bodies(ALICE)[-2:]
    assert "30 minutes without messages" in goodbye
    assert "How did we do?" in question
    assert record(store, 1).close_reason == "idle"
    core.clientSaid("sales", ALICE, "hi again")
    assert core.chats.idOfClient("sales", ALICE) == 2


def test_client_offline_grace_then_close():
    core, clock, t, store = activeChat()
    core.clientPresence("sales", ALICE, False)
    clock.advance(300)
    core.clientPresence("sales", ALICE, True)  # back within grace
    clock.advance(600)
    assert core.openChat(1) is not None
    core.clientPresence("sales", ALICE, False)
    clock.advance(600)
    assert core.openChat(1) is None
    assert record(store, 1).close_reason == "client_gone"
    assert "the client went offline" in t.last(IVAN).body


def test_client_end_closes_active_chat():
    core, clock, t, store = activeChat()
    core.clientSaid("sales", ALICE, "!end")
    goodbye, question = t.bodies(ALICE)[-2:]
    assert "The chat is closed" in goodbye
    assert "How did we do?" in question
    assert "closed by the client" in t.last(IVAN).body
    assert record(store, 1).state == CLOSED


def test_client_cannot_use_operator_commands():
    core, clock, t, store = activeChat()
    core.clientSaid("sales", ALICE, "!close")
    assert core.openChat(1) is not None
    assert t.last(IVAN).body == "!close", "relayed as plain text, no power"
    core.operatorSaid("sales", 1, OLGA, "I take over")
    assert "Chat #1 is not open for you" in t.last(OLGA).body
    assert "I take over" not in t.bodies(ALICE)


def test_unknown_operator_command_and_help():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!frobnicate")
    assert "Unknown command !frobnicate" in t.last(IVAN).body
    core.operatorSaid("sales", 1, IVAN, "!help")
    assert "!close" in t.last(IVAN).body
    assert len(t.bodies(ALICE)) == 3  # greeting, joined, hello


def test_closed_chat_address_answers():
    core, clock, t, store = makeCore()
    core.operatorSaid("sales", 42, IVAN, "hello?")
    last = t.last(IVAN)
    assert last.body == "Chat #42 is not open for you: it is closed, or you are not in it."
    assert last.sender == "sales+42"


def test_outsiders_cannot_tell_open_chats_from_closed_ones():
    """Issue 7 (6): one answer to anyone not in the chat, whether it is open."""
    core, clock, t, store = activeChat()
    answers = []
    for chat_id in (1, 999):
        for outsider in (OLGA, "mallory@evil.test"):
            core.operatorSaid("sales", chat_id, outsider, "hello?")
            answers.append(t.last(outsider).body.replace(f"#{chat_id}", "#N"))
    assert len(set(answers)) == 1, answers
    assert "hello?" not in t.bodies(ALICE) + t.bodies(IVAN)


def test_chat_states_relay_both_ways_only_when_active():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.clientChatState("sales", ALICE, "composing")
    assert not [s for s in t.to(IVAN) if s.chatstate == "composing"]
    core.operatorSaid("sales", 1, IVAN, "hello")
    core.clientChatState("sales", ALICE, "composing")
    assert [s for s in t.to(IVAN) if s.chatstate == "composing" and s.body is None]
    core.operatorChatState(1, IVAN, "paused")
    assert [s for s in t.to(ALICE) if s.chatstate == "paused" and s.body is None]


def test_receipts_are_mapped_both_ways():
    core, clock, t, store = activeChat()
    core.clientSaid("sales", ALICE, "question", message_id="c-7", receipt=True)
    relayed = t.last(IVAN).extra["receipt_id"]
    assert relayed
    core.operatorReceipt(1, IVAN, relayed)
    receipt = t.to(ALICE, "receipt")[-1]
    assert receipt.extra["id"] == "c-7" and receipt.sender == "sales"
    core.operatorSaid("sales", 1, IVAN, "answer", message_id="o-3", receipt=True)
    relayed = t.last(ALICE).extra["receipt_id"]
    core.clientReceipt("sales", ALICE, relayed)
    receipt = t.to(IVAN, "receipt")[-1]
    assert receipt.extra["id"] == "o-3" and receipt.sender == "sales+1"


def test_store_failure_relays_nothing_and_tells_the_sender():
    core, clock, t, store = activeChat()
    store.appendEvents = lambda events: fail(StoreError("disk full"))
    core.clientSaid("sales", ALICE, "lost?")
    assert "lost?" not in t.bodies(IVAN)
    assert core.metrics.writeErrors >= 1


def test_chat_ids_continue_after_restart():
    core, clock, t, store = makeCore()
    core.chats.last_id = 41
    core.clientSaid("sales", ALICE, "hi")
    assert core.chats.idOfClient("sales", ALICE) == 42
    assert record(store, 42).state == QUEUED


def test_message_events_keep_order_under_many_messages():
    core, clock, t, store = activeChat()
    for i in range(50):
        core.clientSaid("sales", ALICE, f"c{i}")
        core.operatorSaid("sales", 1, IVAN, f"o{i}")
    texts = [e.text for e in events(store, 1) if e.kind == MESSAGE]
    assert texts[-4:] == ["c48", "o48", "c49", "o49"]
    assert t.bodies(IVAN)[-1] == "c49" and t.bodies(ALICE)[-1] == "o49"


def test_invitation_passes_on_when_the_operator_goes_away():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    online(core, OLGA)
    assert "New chat #1" in t.last(IVAN).body and not t.bodies(OLGA)
    core.operatorPresence(IVAN, "laptop", True, "away")
    assert "You went away" in t.last(IVAN).body
    assert "New chat #1" in t.last(OLGA).body
    assert core.invitations.count(IVAN) == 0


def test_chat_state_sent_with_a_message_is_relayed_and_none_invented():
    core, clock, t, store = activeChat()
    core.clientSaid("sales", ALICE, "plain")
    assert t.last(IVAN).chatstate is None
    core.clientSaid("sales", ALICE, "with state", chatstate="active")
    assert t.last(IVAN).chatstate == "active"
    core.operatorSaid("sales", 1, IVAN, "answer", chatstate="active")
    assert t.last(ALICE).chatstate == "active"


def test_client_help_answers_the_client_and_is_not_relayed():
    """Issue 7 (14): a text-only client learns its commands; `!help` is kept
    in the history as a command and never reaches the operator."""
    core, clock, t, store = makeCore()
    core.clientSaid("sales", ALICE, "!help")
    assert not core.chats, "asking for help starts no chat"
    assert "!end: end the chat" in t.last(ALICE).body
    core, clock, t, store = activeChat()
    before = len(t.bodies(IVAN))
    core.clientSaid("sales", ALICE, "!help")
    assert "!end: end the chat" in t.last(ALICE).body and "!lang" in t.last(ALICE).body
    assert len(t.bodies(IVAN)) == before, "nothing of it went to the operator"
    kinds = [(e.kind, e.author, e.text) for e in events(store, 1)]
    assert (COMMAND, "client", "!help") in kinds
    core.clientSaid("sales", ALICE, "!frobnicate now")
    assert t.last(IVAN).body == "!frobnicate now", "an unknown client command is text"


def test_a_long_queue_is_told_its_places_by_quarters_and_the_last_five():
    """Someone 40th is not told each of 39 moves: the first few places,
    and a move by a quarter since they were last told (core/queues.py)."""
    core, clock, t, store = makeCore()
    clients = [f"c{n}@shop.example" for n in range(40)]
    for client in clients:
        core.clientSaid("sales", client, "hello")
    last = clients[-1]
    assert "number 40 in the queue" in t.bodies(last)[0]
    for client in clients[:-1]:
        core.clientSaid("sales", client, "!end")
    told = [int(b.split("number ")[1].split(" ")[0]) for b in t.bodies(last)[1:]]
    assert told == [30, 22, 16, 12, 9, 6, 5, 4, 3, 2, 1]
    notices = sum(1 for c in clients for b in t.bodies(c) if b.startswith("You are now number"))
    assert notices < 40 * 39 / 2 / 2, notices  # 780 before; fewer still in longer queues
    assert not core.queues._told.get(1), "who left is forgotten"
