"""Operator commands, chats of several operators, drop-outs and restarts
(R-CMD-*, R-OPS-1, R-OPS-2, R-CHAT-7, R-CHAT-8) through the core."""
from __future__ import annotations

from imsupport.core.model import (
    ACTIVE,
    CLOSED,
    HELD,
    MESSAGE,
    QUEUED,
    ChatRecord,
    Directory,
    FaqEntry,
    Group,
    Node,
)
from imsupport.core.transcript import transcript
from tests.unit.fakes import (
    ALICE,
    BOB,
    BOSS,
    GURU,
    IVAN,
    OLGA,
    activeChat,
    directory,
    events,
    makeCore,
    online,
)

CHAT = "sales+1"


def record(store, chat_id) -> ChatRecord:
    found = []
    store.getChat(chat_id).addCallback(found.append)
    return found[0]


def bodies_from(t, who, sender=CHAT):
    return [s.body for s in t.to(who) if s.sender == sender and s.body]


def with_faq(core):
    d = directory()
    core.setDirectory(Directory(nodes=d.nodes, operators=d.operators, faq=(
        FaqEntry("delivery", "How long does delivery take?", "Delivery takes 1-3 days.",
                 ("shipping",)),
        FaqEntry("returns", "How do I return an item?", "Send it back within 14 days."))))


# -- the command framework ---------------------------------------------------------------

def test_unknown_command_suggests_the_closest():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!redirekt olga")
    assert "Unknown command !redirekt" in t.last(IVAN).body and "!redirect" in t.last(IVAN).body
    core.operatorSaid("sales", 1, IVAN, "!redirect")
    assert t.last(IVAN).body == "Usage: !redirect <operator|group|node/group|node> [note]"
    core.operatorSaid("sales", 1, IVAN, "!help mute")
    assert "!mute - toggle" in t.last(IVAN).body and "!close" not in t.last(IVAN).body
    core.operatorSaid("sales", 1, IVAN, "!help")
    assert "!invite <operator|group|node/group|node>" in t.last(IVAN).body
    assert "!off" not in t.last(IVAN).body, "console-only commands are not listed in a chat"
    assert [b for b in t.bodies(ALICE) if b.startswith("!")] == []
    assert [e.kind for e in events(store, 1) if e.text.startswith("!")] == ["command"] * 4


def test_console_commands_need_the_console_and_admin_ones_an_admin():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!off sales")
    assert "Unknown command !off" in t.last(IVAN).body
    core.consoleSaid(IVAN, "!mute")
    assert "Unknown command !mute" in t.last(IVAN).body


# -- !mute, !faq, !sfaq, !history --------------------------------------------------------

def test_mute_keeps_words_from_the_client_but_in_history():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!mute")
    assert t.last(IVAN).body.startswith("Muted")
    core.operatorSaid("sales", 1, IVAN, "note to self")
    assert "note to self" not in t.bodies(ALICE)
    stored = [e for e in events(store, 1) if e.text == "note to self"]
    assert stored[0].kind == MESSAGE and stored[0].data["muted"] is True
    core.operatorSaid("sales", 1, IVAN, "!mute")
    assert t.last(IVAN).body.startswith("Unmuted")
    core.operatorSaid("sales", 1, IVAN, "back to you")
    assert t.last(ALICE).body == "back to you"


def test_faq_and_sfaq():
    core, clock, t, store = activeChat()
    with_faq(core)
    core.operatorSaid("sales", 1, IVAN, "!sfaq shipping")
    assert "!faq delivery - How long does delivery take?" in t.last(IVAN).body
    assert "How long" not in " ".join(t.bodies(ALICE))
    core.operatorSaid("sales", 1, IVAN, "!faq delivery")
    assert t.last(ALICE).body == "Delivery takes 1-3 days."
    core.operatorSaid("sales", 1, IVAN, "!faq delivry")
    assert "There is no FAQ entry delivry" in t.last(IVAN).body
    assert "delivery" in t.last(IVAN).body
    core.operatorSaid("sales", 1, IVAN, "!mute")
    core.operatorSaid("sales", 1, IVAN, "!faq returns")
    assert "Send it back" not in " ".join(t.bodies(ALICE)), "muted: to operators only"
    core.consoleSaid(IVAN, "!faq returns")
    assert "Send it back within 14 days." in t.last(IVAN).body


def test_history_lists_earlier_chats():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!history")
    assert "has no earlier chats" in t.last(IVAN).body
    core.operatorSaid("sales", 1, IVAN, "!close")
    core.clientSaid("sales", ALICE, "second visit")
    invitation = t.last(IVAN).body
    assert "Returning client: 1 earlier chats" in invitation and "#1 " in invitation
    core.operatorSaid("sales", 2, IVAN, "welcome back")
    core.operatorSaid("sales", 2, IVAN, "!history 3")
    assert "#1 " in t.last(IVAN).body and "Ivan" in t.last(IVAN).body
    assert "hi" in t.last(IVAN).body
    core.operatorSaid("sales", 2, IVAN, "!history 0")
    assert "from 1 to 50" in t.last(IVAN).body
    core.consoleSaid(IVAN, f"!history {ALICE}")
    assert "#2 " in t.last(IVAN).body and "#1 " in t.last(IVAN).body


# -- redirect, invite, leave ---------------------------------------------------------------

def test_redirect_to_a_manual_only_group_with_the_chat_so_far():
    core, clock, t, store = activeChat()
    online(core, GURU)
    core.operatorSaid("sales", 1, IVAN, "!redirect experts")
    assert "Handing chat #1 over to sales/experts" in t.last(IVAN).body
    assert "transferred to another operator" in t.last(ALICE).body
    assert "Ivan hands chat #1 over to you" in t.last(GURU).body
    core.clientSaid("sales", ALICE, "hello?")
    assert t.last(IVAN).body == "hello?", "the first operator stays until the new one joins"
    core.operatorSaid("sales", 1, GURU, "Guru here")
    so_far = [b for b in bodies_from(t, GURU) if b.startswith("Chat #1 so far")][0]
    assert "Client: hi" in so_far and "Ivan: hello" in so_far and "Client: hello?" in so_far
    assert "Guru joined the chat." in t.bodies(ALICE) and t.last(ALICE).body == "Guru here"
    assert "Guru took over chat #1" in t.last(IVAN).body
    assert core.chats[1].record.operators == (GURU,)
    core.clientSaid("sales", ALICE, "thanks")
    assert t.last(GURU).body == "thanks" and t.last(IVAN).body != "thanks"


def test_redirect_nobody_takes_comes_back():
    core, clock, t, store = activeChat()
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, f"!redirect {OLGA}")
    assert "hands chat #1 over" in t.last(OLGA).body
    clock.advance(60)
    assert "Nobody in Olga took chat #1; it stays with you." == t.last(IVAN).body
    assert "Ivan continues with you." == t.last(ALICE).body
    core.operatorSaid("sales", 1, IVAN, "!redirect guru@shop.test")
    assert "Nobody in Guru can take the chat now." == t.last(IVAN).body  # offline
    core.operatorSaid("sales", 1, IVAN, "!redirect nosuchgroup")
    assert "there is no group nosuchgroup in sales" in t.last(IVAN).body


def test_invite_makes_a_chat_of_three():
    core, clock, t, store = activeChat()
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    assert "Ivan invites you into chat #1" in t.last(OLGA).body
    core.operatorSaid("sales", 1, OLGA, "!accept")
    assert "Olga joined chat #1." == t.last(IVAN).body
    assert "Olga joined the chat." == t.last(ALICE).body
    core.operatorSaid("sales", 1, IVAN, "I asked Olga to help")
    assert t.last(ALICE).body == "I asked Olga to help"
    assert t.last(OLGA).body == "[Ivan] I asked Olga to help"
    core.clientSaid("sales", ALICE, "great")
    assert t.last(IVAN).body == "great" and t.last(OLGA).body == "great"
    core.operatorSaid("sales", 1, OLGA, "!mute")
    core.operatorSaid("sales", 1, OLGA, "Ivan, check the order")
    assert t.last(IVAN).body == "[Olga] Ivan, check the order"
    assert t.last(ALICE).body == "great" or "check the order" not in t.last(ALICE).body
    core.operatorSaid("sales", 1, IVAN, "!leave")
    assert "You left chat #1." == t.last(IVAN).body
    assert "Ivan left the chat." == t.last(ALICE).body
    core.operatorSaid("sales", 1, OLGA, "!leave")
    assert "only operator here" in t.last(OLGA).body


# -- an operator drops out ---------------------------------------------------------------

def test_operator_back_within_grace_gets_the_chat_reopened():
    core, clock, t, store = activeChat()
    core.operatorPresence(IVAN, "laptop", False)
    assert "Ivan was disconnected" in t.last(ALICE).body
    core.clientSaid("sales", ALICE, "are you there?")
    clock.advance(200)
    online(core, IVAN)
    reopened = bodies_from(t, IVAN)
    assert any("is open for you again" in b for b in reopened)
    assert any(b.startswith("Chat #1 so far") and "are you there?" in b for b in reopened)
    assert t.last(ALICE).body == "Ivan is back."
    clock.advance(200)
    assert core.chats[1].record.operators == (IVAN,)


def test_after_the_grace_the_chat_goes_to_the_front_of_the_queue():
    core, clock, t, store = activeChat()
    core.clientSaid("sales", BOB, "waiting already")
    core.operatorPresence(IVAN, "laptop", False)
    clock.advance(300)
    chat = core.chats[1]
    assert chat.record.state == QUEUED and core.queues["sales"][0] == 1
    assert "finding you another one" in t.last(ALICE).body
    online(core, OLGA)
    assert "New chat #1" in t.last(OLGA).body, "the returned chat goes first (R-ROUTE-9)"


def test_an_operator_not_back_after_an_xmpp_outage_loses_the_chat_after_the_grace():
    """The stream to the XMPP server drops: every operator's presence is
    unknown. One who comes back has the chat again; one who does not is
    handled as any drop-out, not left with the client waiting on nobody."""
    core, clock, t, store = activeChat()
    before = len(t.bodies(ALICE))
    core.streamLost()
    assert core.chats[1].record.state == HELD
    assert len(t.bodies(ALICE)) == before, "nobody can be told while the stream is down"
    online(core, IVAN)  # the probe after the reconnect finds Ivan
    assert core.chats[1].record.state == ACTIVE
    core.clientSaid("sales", ALICE, "still there?")
    assert t.last(IVAN).body == "still there?"

    core.streamLost()
    clock.advance(300)  # operator_grace, and Ivan never answered the probe
    assert core.chats[1].record.state == QUEUED and core.queues["sales"] == [1]
    assert "finding you another one" in t.last(ALICE).body
    online(core, OLGA)
    assert "New chat #1" in t.last(OLGA).body


# -- a restart -----------------------------------------------------------------------------

def test_restart_restores_queued_and_active_chats():
    core, clock, t, store = activeChat()
    core.clientSaid("sales", BOB, "in the queue")
    core.clientSaid("sales", ALICE, "before the crash")
    again, clock2, t2, _ = makeCore(store=store)
    open_chats = []
    store.openChats().addCallback(open_chats.extend)
    history = {c.id: events(store, c.id) for c in open_chats}
    again.chats.last_id = 2
    again.restore(open_chats, history)
    assert again.chats[1].active and again.queues["sales"] == [2]
    assert again.chats[1].record.state == HELD, "active, held until Ivan shows up"
    assert "restarted. Your chat continues" in t2.last(ALICE).body
    assert "keep your place in the queue" in t2.last(BOB).body
    online(again, IVAN)
    assert any("is open for you again" in b for b in bodies_from(t2, IVAN))
    assert again.chats[1].record.state == ACTIVE
    again.clientSaid("sales", ALICE, "after the restart")
    assert t2.last(IVAN).body == "after the restart"
    again.operatorSaid("sales", 1, IVAN, "still here")
    assert t2.last(ALICE).body == "still here"
    seqs = [e.seq for e in events(store, 1)]
    assert seqs == list(range(1, len(seqs) + 1)), "the history continues without gaps"
    online(again, OLGA)
    assert "New chat #2" in t2.last(OLGA).body
    assert "Client: in the queue" not in t2.last(OLGA).body
    assert "in the queue" in t2.last(OLGA).body
    assert BOSS


def test_a_node_gone_from_the_directory_ends_its_chats_at_restart_and_while_running():
    """A node taken out of the file while the service was stopped (or
    deleted through the API while it runs): its open chats end with a word
    to both sides, and the rest of the service starts and works."""
    core, clock, t, store = activeChat()
    core.clientSaid("sales", BOB, "in the queue")
    again, clock2, t2, _ = makeCore(store=store)
    other = Node("billing", "Billing", ("en",), groups=(Group("all", (IVAN,)),))
    again.setDirectory(Directory(nodes=(other,), operators=again.directory.operators))
    open_chats = []
    store.openChats().addCallback(open_chats.extend)
    again.chats.last_id = 2
    again.restore(open_chats, {c.id: events(store, c.id) for c in open_chats})
    assert len(again.chats) == 0 and again.queues["sales"] == []
    assert [record(store, n).state for n in (1, 2)] == [CLOSED, CLOSED]
    assert record(store, 1).close_reason == "node_removed"
    assert "support line is closed" in t2.last(ALICE).body
    assert "support line is closed" in t2.last(BOB).body
    online(again, IVAN)
    again.clientSaid("billing", ALICE, "a bill question")
    assert "New chat #3" in t2.last(IVAN).body

    core, clock, t, store = activeChat()  # while running: the API deletes the node
    core.setDirectory(Directory(nodes=(other,), operators=core.directory.operators))
    assert core.chats.get(1) is None and record(store, 1).close_reason == "node_removed"
    assert "support line was removed" in t.last(IVAN).body


# -- filters (R-OPS-3, R-OPS-4) -------------------------------------------------------------

def test_blocked_messages_go_nowhere_and_come_back_marked():
    from imsupport.core.filters import MessageFilter
    core, clock, t, store = activeChat()
    core.words.filters = MessageFilter.fromConfig(["corp.shop.example"], [])
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    core.operatorSaid("sales", 1, OLGA, "!accept")
    before = len(t.bodies(ALICE))
    core.operatorSaid("sales", 1, IVAN, "see http://wiki.corp.shop.example/orders for that")
    notice = t.last(IVAN).body
    assert notice.startswith("Not sent to anyone (a link to an internal resource)")
    assert "[[http://wiki.corp.shop.example/orders]]" in notice
    core.operatorSaid("sales", 1, IVAN, "what the f.u.c.k is this")
    assert "profanity" in t.last(IVAN).body and "[[f.u.c.k]]" in t.last(IVAN).body
    assert len(t.bodies(ALICE)) == before, "relayed to nobody: not the client"
    assert not [b for b in t.bodies(OLGA) if "wiki.corp" in b or "f.u.c.k" in b]
    blocked = [e for e in events(store, 1) if e.data.get("blocked")]
    assert [e.data["blocked"] for e in blocked] == [["internal_link"], ["profanity"]]
    core.operatorSaid("sales", 1, IVAN, "see https://shop.example/orders for that")
    assert t.last(ALICE).body == "see https://shop.example/orders for that"
    # one who joins later reads the whole chat, the blocked lines marked as such,
    # and so do the transcript's readers
    online(core, GURU)
    core.operatorSaid("sales", 1, IVAN, "!invite Guru")
    core.operatorSaid("sales", 1, GURU, "!accept")
    so_far = [b for b in bodies_from(t, GURU) if b.startswith("Chat #1 so far")][0]
    assert "Ivan (not sent, blocked: profanity): what the f.u.c.k is this" in so_far
    assert "Ivan: see https://shop.example/orders for that" in so_far
    lines = transcript(record(store, 1), events(store, 1), core.team.displayName)
    assert "Ivan (not sent, blocked: internal_link): see http://wiki.corp" in lines


def test_a_blocked_answer_to_an_invitation_still_accepts():
    from imsupport.core.filters import MessageFilter
    core, clock, t, store = makeCore()
    core.words.filters = MessageFilter.fromConfig([], [])
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "shit, a customer")
    assert core.chats[1].record.state == ACTIVE
    assert t.last(ALICE).body == "Ivan joined the chat."
    assert "Not sent to anyone (profanity)" in [b for b in t.bodies(IVAN) if "Not sent" in b][0]


def test_a_redirect_invitee_going_away_passes_the_redirect_on():
    core, clock, t, store = activeChat()
    online(core, OLGA, GURU)
    core.operatorSaid("sales", 1, IVAN, "!redirect sales")  # the node: Olga, then Guru
    first = OLGA if any("hands chat #1" in b for b in t.bodies(OLGA)) else GURU
    second = GURU if first == OLGA else OLGA
    core.operatorPresence(first, "laptop", True, "away")
    assert any("hands chat #1" in b for b in t.bodies(second))
    core.operatorSaid("sales", 1, second, "!accept")
    assert core.chats[1].record.operators == (second,)
