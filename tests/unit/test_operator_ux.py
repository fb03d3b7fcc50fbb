"""What real IM clients and operators showed (issue 7: defects 9, 10, 12, 15, 16)
through the core, with the recording transport."""
from __future__ import annotations

import dataclasses

from twisted.internet.defer import Deferred

from imsupport.core.model import Directory, FaqEntry, Group, Node, Operator
from tests.unit.fakes import (
    ALICE,
    BOSS,
    GURU,
    IVAN,
    OLGA,
    PETR,
    OrderCheckingStore,
    RecordingTransport,
    activeChat,
    directory,
    makeCore,
    online,
)

GATEWAY_USER = r"alice\40matrix.org@gw.example.test"
SHOWN = "alice@matrix.org via gw.example.test"
BOB_GW = r"bob\40irc.test@irc.gw"


class CommitLater(OrderCheckingStore):
    """Writes land only when the test commits them, in the order they were
    asked for, as with a real database (the memory store answers at once,
    which hides any relay that does not wait for its write)."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = False
        self.pending: list[tuple[object, Deferred]] = []

    def _later(self, write):
        if not self.holding:
            return write()
        d: Deferred = Deferred()
        self.pending.append((write, d))
        return d

    def saveChat(self, chat):
        record = dataclasses.replace(chat)  # as it is now, not at commit
        return self._later(lambda: OrderCheckingStore.saveChat(self, record))

    def appendEvents(self, events, hooks=()):
        events, hooks = list(events), list(hooks)
        return self._later(lambda: OrderCheckingStore.appendEvents(self, events, hooks))

    def commit(self) -> None:
        while self.pending:
            write, d = self.pending.pop(0)
            write().chainDeferred(d)


class StoredFirst(RecordingTransport):
    """Fails the test when something reaches a client before it is stored."""

    def __init__(self, store: CommitLater) -> None:
        super().__init__()
        self.store = store

    def toClient(self, node, client, body, chatstate=None, lang=None, receipt_id=None,
                 oob=None):
        if body is not None:
            stored = []
            for chat_id in list(self.store._events):
                self.store.chatEvents(chat_id).addCallback(stored.extend)
            assert body in [e.text for e in stored], f"{body!r} reached {client} unstored"
        super().toClient(node, client, body, chatstate, lang, receipt_id, oob)


def heldCore():
    """Alice's chat #1 active with Ivan; Olga and Guru online; writes held."""
    store = CommitLater()
    t = StoredFirst(store)
    core, _, _, _ = makeCore(store=store, transport=t)
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "my order is late")
    core.operatorSaid("sales", 1, IVAN, "hello")
    online(core, OLGA, GURU)
    return core, t, store


# -- 9: "X joined the chat." before X's first words, both stored first ---------------

def test_after_a_redirect_the_client_sees_who_joined_before_their_first_words():
    core, t, store = heldCore()
    core.operatorSaid("sales", 1, IVAN, "!redirect experts")
    store.holding = True
    t.clear()
    core.operatorSaid("sales", 1, GURU, "Guru here, let me look")
    assert t.bodies(ALICE) == [], "nothing reaches the client before it is stored"
    store.commit()
    assert t.bodies(ALICE) == ["Guru joined the chat.", "Guru here, let me look"]
    assert core.chats[1].record.operators == (GURU,)


def test_after_an_invite_everyone_sees_who_joined_before_their_first_words():
    core, t, store = heldCore()
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    store.holding = True
    t.clear()
    core.operatorSaid("sales", 1, OLGA, "Olga here too")
    assert t.bodies(ALICE) == [] and t.bodies(IVAN) == []
    store.commit()
    assert t.bodies(ALICE) == ["Olga joined the chat.", "Olga here too"]
    assert t.bodies(IVAN) == ["Olga joined chat #1.", "[Olga] Olga here too"]


def test_joining_with_accept_relays_nothing():
    core, t, store = heldCore()
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    store.holding = True
    t.clear()
    core.operatorSaid("sales", 1, OLGA, "!accept")
    store.commit()
    assert t.bodies(ALICE) == ["Olga joined the chat."]


# -- 10: an operator the service cannot see is told why and what to do -----------------

def test_the_console_explains_why_an_operator_counts_as_offline():
    core, _, t, _ = makeCore()
    core.consoleSaid(IVAN, "!status")
    status, hint = t.bodies(IVAN)
    assert status.startswith("Your state: offline")
    assert "does not see your presence" in hint and "support.shop.test" in hint
    assert "subscription request" in hint and "directly" in hint
    core.consoleSaid(IVAN, "!sfaq delivery")
    assert "does not see your presence" in t.last(IVAN).body, "any console command"
    core.consoleSaid(PETR, "!status")
    assert "не видит" in t.last(PETR).body, "in the operator's language"
    t.clear()
    online(core, IVAN)
    core.consoleSaid(IVAN, "!status")
    assert len(t.bodies(IVAN)) == 1 and t.last(IVAN).body.startswith("Your state: free")
    core.consoleSaid(BOSS, "!status")
    assert not [b for b in t.bodies(BOSS) if "presence" in b], "an admin who is no operator"


def test_the_subscription_request_says_why_in_the_operators_language():
    core, _, t, _ = makeCore()
    core.followOperators()
    asked = {s.to: s for s in t.sent if s.kind == "subscribe"}
    assert set(asked) == {IVAN, OLGA, GURU, PETR}
    assert "so it can offer you chats" in asked[IVAN].extra["status"]
    assert asked[IVAN].extra["lang"] == "en"
    assert asked[PETR].extra["lang"] == "ru" and "чаты" in asked[PETR].extra["status"]


def test_an_operator_added_while_running_is_asked_for_presence_and_gets_chats():
    core, _, t, _ = makeCore()
    nina = "nina@shop.test"
    d = core.directory
    sales = d.node("sales")
    first = dataclasses.replace(sales.groups[0], operators=(nina,))
    core.setDirectory(dataclasses.replace(
        d, operators=d.operators + (Operator(nina, "Nina", ("ru",)),),
        nodes=tuple(dataclasses.replace(n, groups=(first,)) if n is sales else n
                    for n in d.nodes)))
    asked = [s for s in t.sent if s.kind == "subscribe"]
    assert [s.to for s in asked] == [nina], "only the new operator, once"
    assert asked[0].extra["lang"] == "ru" and "чаты" in asked[0].extra["status"]
    t.clear()
    core.setDirectory(core.directory)
    assert not [s for s in t.sent if s.kind == "subscribe"], "nobody new: nobody asked"
    online(core, nina)
    core.clientSaid("sales", ALICE, "Hello?")
    assert any("#1" in b for b in t.bodies(nina)), "the new operator is offered the chat"


def test_a_new_directory_routes_the_queue_and_shows_the_nodes_at_once():
    """Petr, online but in no group, is put in one (API or directory page):
    the waiting chat is offered to him then, not at the next unrelated
    event; subscribers see the node's new presence, and a removed node goes
    unavailable."""
    core, _, t, _ = makeCore()
    online(core, PETR)
    core.clientSaid("sales", ALICE, "Здравствуйте")
    assert not any("#1" in b for b in t.bodies(PETR))
    d = core.directory
    sales = d.node("sales")
    first = dataclasses.replace(sales.groups[0], operators=(PETR,))
    billing = Node("billing", "Billing", ("en",), groups=(Group("all", (IVAN,)),))
    t.clear()
    core.setDirectory(dataclasses.replace(
        d, nodes=(dataclasses.replace(sales, groups=(first,)), billing)))
    assert any("#1" in b for b in t.bodies(PETR)), "offered at once"
    assert [p.extra["available"] for p in t.presences("billing")] == [True]
    t.clear()
    core.setDirectory(dataclasses.replace(core.directory, nodes=(core.directory.node("sales"),)))
    assert [(p.extra["available"], p.extra["show"]) for p in t.presences("billing")] == \
        [(False, None)], "the removed node goes unavailable, once"
    core.setDirectory(core.directory)
    assert len(t.presences("billing")) == 1


# -- 12: gateway users are shown unescaped, addressed as they are -----------------------

def test_gateway_clients_are_shown_unescaped_everywhere():
    core, _, t, _ = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", GATEWAY_USER, "hi from matrix")
    invitation = t.last(IVAN).body
    assert f"Client: {SHOWN}" in invitation and "\\40" not in invitation
    core.operatorSaid("sales", 1, IVAN, "hello")
    assert t.last(GATEWAY_USER).body == "hello", "addressed by the real JID"
    assert f"with {SHOWN}" in next(b for b in t.bodies(IVAN) if b.startswith("You are in"))
    core.operatorSaid("sales", 1, IVAN, "!history")
    assert t.last(IVAN).body == f"{SHOWN} has no earlier chats."
    core.clientSaid("sales", BOB_GW, "me too")
    core.consoleSaid(BOSS, "!status sales")
    status = t.last(BOSS).body
    assert f"#1 {SHOWN} with Ivan" in status and "#2 bob@irc.test via irc.gw" in status
    assert "\\40" not in status
    core.operatorSaid("sales", 1, IVAN, "!close")
    core.consoleSaid(IVAN, f"!history {SHOWN}")
    assert t.last(IVAN).body.startswith(f"Earlier chats of {SHOWN}:")
    assert "#1 " in t.last(IVAN).body
    core.consoleSaid(IVAN, f"!history {GATEWAY_USER} 1")
    assert "#1 " in t.last(IVAN).body, "the real JID works as well"
    assert core.chats.lastOperator[("sales", GATEWAY_USER)] == IVAN, "stored and matched as is"


def test_redirect_invitations_and_reopened_chats_show_the_gateway_user():
    core, _, t, _ = makeCore()
    online(core, IVAN, OLGA)
    core.operatorPresence(OLGA, "laptop", True, "away")
    core.clientSaid("sales", GATEWAY_USER, "hi from matrix")
    core.operatorSaid("sales", 1, IVAN, "hello")
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    assert f"Client: {SHOWN}" in t.last(OLGA).body
    core.operatorSaid("sales", 1, OLGA, "!accept")
    core.operatorPresence(IVAN, "laptop", False)
    online(core, IVAN)
    reopened = next(b for b in t.bodies(IVAN) if "open for you again" in b)
    assert f"with {SHOWN}" in reopened


# -- 16: what the chat is about, and the inviter's note -----------------------------------

def test_a_redirect_carries_the_clients_question_and_the_note():
    core, _, t, _ = activeChat()  # Alice wrote "hi"
    for n in range(1, 9):
        core.clientSaid("sales", ALICE, f"line {n}")
    core.clientSaid("sales", ALICE, "x" * 1000)
    online(core, GURU)
    core.operatorSaid("sales", 1, IVAN, "!redirect experts warranty case")
    assert "Handing chat #1 over to sales/experts" in t.last(IVAN).body
    invitation = t.last(GURU).body
    assert "Ivan hands chat #1 over to you." in invitation
    assert "Note from Ivan: warranty case" in invitation
    shown = [line.split("] ", 1)[1] for line in invitation.splitlines() if line.startswith("[")]
    assert shown[0] == "hi", "the first line"
    assert shown[1:3] == ["line 7", "line 8"] and shown[-1].startswith("xxx"), "the latest"
    assert len(shown[-1]) < 300, "each line bounded"
    assert "line 3" not in invitation and "…" in invitation
    assert "warranty case" not in " ".join(t.bodies(ALICE))


def test_an_invitation_after_a_long_wait_quotes_the_question_and_the_latest_lines():
    """R-CHAT-2: sixty lines written while nobody was online; the
    invitation quotes the first (the question), says how many it leaves
    out, and ends with the latest."""
    core, _, t, _ = makeCore()
    for n in range(60):
        core.clientSaid("sales", ALICE, f"line {n}")
    online(core, IVAN)
    invitation = t.last(IVAN).body
    assert "] line 0\n… 10 more lines …\n[" in invitation
    assert "] line 10\n" not in invitation and "] line 11\n" in invitation
    assert invitation.index("] line 59") > invitation.index("] line 11")


def test_an_invite_carries_the_note_and_without_one_no_note_line():
    core, _, t, _ = activeChat()
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    invitation = t.last(OLGA).body
    assert "Note from" not in invitation
    assert "The client wrote:" in invitation and "] hi" in invitation
    core.operatorSaid("sales", 1, OLGA, "!decline")
    core.operatorSaid("sales", 1, IVAN, f"!invite {OLGA} please check the refund")
    assert "Note from Ivan: please check the refund" in t.last(OLGA).body


def test_the_longest_leading_words_that_name_a_target_are_the_target():
    operators = (Operator(IVAN, "Ivan", ("en",)), Operator(OLGA, "Anna Maria", ("en",)),
                 Operator(GURU, "Anna", ("en",)))
    node = Node("sales", "Sales", ("en",), groups=(
        Group("first", (IVAN,)), Group("second line", (GURU,), auto=False)))
    core, _, t, _ = makeCore()
    core.setDirectory(Directory(nodes=(node,), operators=operators))
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    online(core, OLGA, GURU)
    core.operatorSaid("sales", 1, IVAN, "!invite Anna Maria about the invoice")
    assert "Inviting Anna Maria into chat #1." == t.last(IVAN).body
    assert "Note from Ivan: about the invoice" in t.last(OLGA).body
    core.operatorSaid("sales", 1, OLGA, "!decline")
    core.operatorSaid("sales", 1, IVAN, "!invite Anna the invoice again")
    assert "Note from Ivan: the invoice again" in t.last(GURU).body
    core.operatorSaid("sales", 1, GURU, "!decline")
    core.operatorSaid("sales", 1, IVAN, "!redirect second line as agreed")
    assert "Note from Ivan: as agreed" in t.last(GURU).body
    core.operatorSaid("sales", 1, GURU, "!decline")
    core.operatorSaid("sales", 1, IVAN, "!redirect experts warranty case")
    assert "there is no group experts in sales" in t.last(IVAN).body, "the first word named"


# -- 15: !faq shows what went where; !help lists what can be used here and now -------------

def withFaq(core):
    d = directory()
    core.setDirectory(Directory(nodes=d.nodes, operators=d.operators, faq=(
        FaqEntry("delivery", "How long does delivery take?", "Delivery takes 1-3 days."),)))


def test_faq_tells_the_operator_what_went_to_the_client():
    core, _, t, _ = activeChat()
    withFaq(core)
    core.operatorSaid("sales", 1, IVAN, "!faq delivery")
    assert t.last(ALICE).body == "Delivery takes 1-3 days."
    assert t.last(IVAN).body == "Sent to the client (delivery): Delivery takes 1-3 days."
    core.operatorSaid("sales", 1, IVAN, "!mute")
    core.operatorSaid("sales", 1, IVAN, "!faq delivery")
    assert t.bodies(ALICE).count("Delivery takes 1-3 days.") == 1
    assert t.last(IVAN).body == ("You are muted: sent to the operators only, not to the "
                                 "client (delivery): Delivery takes 1-3 days.")


def test_faq_blocked_by_the_filters_is_not_reported_as_sent():
    from imsupport.core.filters import MessageFilter
    core, _, t, _ = activeChat()
    d = directory()
    core.setDirectory(Directory(nodes=d.nodes, operators=d.operators, faq=(
        FaqEntry("wiki", "Where is it?", "See http://wiki.corp.shop.example/x"),)))
    core.words.filters = MessageFilter.fromConfig(["corp.shop.example"], [])
    core.operatorSaid("sales", 1, IVAN, "!faq wiki")
    assert t.last(IVAN).body.startswith("Not sent to anyone")
    assert not [b for b in t.bodies(IVAN) if b.startswith("Sent to the client")]


def test_help_in_a_chat_lists_what_can_be_used_there_and_then():
    core, _, t, _ = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!help")
    listed = t.last(IVAN).body
    assert "!close" in listed and "!faq" in listed
    assert "!accept" not in listed and "!decline" not in listed
    core.operatorSaid("sales", 1, IVAN, "!help accept")
    assert "!accept - accept an invitation" in t.last(IVAN).body, "explained when asked"
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    core.operatorSaid("sales", 1, OLGA, "!help")
    invited = t.last(OLGA).body
    assert "!accept" in invited and "!decline" in invited and "!help" in invited
    assert "!close" not in invited and "!mute" not in invited
    assert OLGA not in core.chats[1].record.operators, "asking for help accepts nothing"
    assert core.invitations.has(1, OLGA)
    core.operatorSaid("sales", 1, OLGA, "!accept")
    assert OLGA in core.chats[1].record.operators


def test_help_of_an_operator_invited_to_a_queued_chat():
    core, _, t, _ = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "!help")
    listed = t.last(IVAN).body
    assert "!accept" in listed and "!decline" in listed and "!close" not in listed
    assert core.chats[1].queued and core.invitations.has(1, IVAN)
