"""
The operator workspace end to end (R-CMD-*, R-OPS-*, R-CHAT-7, R-CHAT-8):
real Prosody, the real twistd process (killed with SIGKILL in one test),
slixmpp clients as customers and operators.
"""
from __future__ import annotations

import sqlite3
import time

from tests.e2e.test_chat_path import COMPONENT, SALES
from tests.e2e.test_routing import group, node, rows, wait_free
from tests.e2e.xmppclient import TestClient

CHAT1 = f"sales+1@{COMPONENT}"
FAQ = '''
[[faq]]
id = "delivery"
question = "How long does delivery take?"
answer = "Delivery takes 1-3 working days."
tags = ["shipping"]

[[faq]]
id = "returns"
question = "Как вернуть товар?"
answer = "Верните товар в течение 14 дней."
tags = ["возврат"]
'''


def start_team(start_imsupport, xmpp_client, extra_toml="", **config):
    ivan, olga, guru = xmpp_client("ivan"), xmpp_client("olga"), xmpp_client("guru")
    service = start_imsupport(
        node(group("first", [ivan, olga]), group("experts", [guru], auto=False)),
        operators=rows((ivan, "Ivan", ["en", "ru"]), (olga, "Olga", ["en"]),
                       (guru, "Guru", ["en"])),
        extra_toml=extra_toml, **config)
    wait_free(service, 3)
    return service, ivan, olga, guru


def open_chat(client, operator, text="Hello, I need help"):
    """The client writes; whoever of ``operator`` is invited accepts."""
    client.send_message(SALES, text)
    operator.wait_message(CHAT1, contains="New chat #1")
    operator.send_message(CHAT1, "Hello, how can I help?")
    client.wait_message(SALES, contains="how can I help")


def assert_received_in_order(client, sender, *bodies):
    """``client`` received these messages from ``sender`` in this order."""
    received = [m.body for m in client.messages() if m.from_bare == sender]
    positions = [received.index(b) for b in bodies]
    assert positions == sorted(positions), f"{client.bare} received, in order: {received}"


def test_chat_of_three_and_mute(start_imsupport, xmpp_client):
    service, ivan, olga, guru = start_team(start_imsupport, xmpp_client)
    olga.send_presence(show="away")  # so the chat goes to Ivan
    time.sleep(0.3)
    anna = xmpp_client("anna")
    open_chat(anna, ivan)
    olga.send_presence()
    ivan.send_message(CHAT1, "!invite Olga")
    assert "invites you into chat #1" in olga.wait_message(CHAT1, contains="invites").body
    olga.send_message(CHAT1, "Hi, Olga here")
    assert anna.wait_message(SALES, contains="Olga joined")
    assert anna.wait_message(SALES, contains="Hi, Olga here")
    assert ivan.wait_message(CHAT1, contains="[Olga] Hi, Olga here")
    assert_received_in_order(anna, SALES, "Olga joined the chat.", "Hi, Olga here")
    assert_received_in_order(ivan, CHAT1, "Olga joined chat #1.", "[Olga] Hi, Olga here")
    so_far = olga.wait_message(CHAT1, contains="so far").body
    assert "Client: Hello, I need help" in so_far and "Ivan: Hello, how can I help?" in so_far
    anna.send_message(SALES, "Thanks both")
    assert ivan.wait_message(CHAT1, contains="Thanks both")
    assert olga.wait_message(CHAT1, contains="Thanks both")
    ivan.send_message(CHAT1, "!mute")
    assert ivan.wait_message(CHAT1, contains="Muted")
    ivan.send_message(CHAT1, "Olga, the order is stuck in the warehouse")
    assert olga.wait_message(CHAT1, contains="stuck in the warehouse")
    time.sleep(0.5)
    assert not [m for m in anna.messages() if "warehouse" in m.body]
    assert not [m for m in anna.messages() if m.body.startswith("!")]


def test_redirect_to_a_manual_only_group_with_history(start_imsupport, xmpp_client):
    service, ivan, olga, guru = start_team(start_imsupport, xmpp_client)
    olga.send_presence(show="away")
    time.sleep(0.3)
    bob = xmpp_client("bob")
    open_chat(bob, ivan, "My router keeps rebooting")
    bob.send_message(SALES, "It started after the update")
    assert ivan.wait_message(CHAT1, contains="after the update")
    ivan.send_message(CHAT1, "!redirect experts warranty case")
    assert ivan.wait_message(CHAT1, contains="Handing chat #1 over to sales/experts")
    assert bob.wait_message(SALES, contains="transferred to another operator")
    invitation = guru.wait_message(CHAT1, contains="hands chat #1 over to you").body
    assert "Note from Ivan: warranty case" in invitation
    assert "My router keeps rebooting" in invitation and "after the update" in invitation
    guru.send_message(CHAT1, "Guru from the experts here")
    so_far = guru.wait_message(CHAT1, contains="so far").body
    assert "My router keeps rebooting" in so_far and "Ivan:" in so_far
    assert bob.wait_message(SALES, contains="Guru joined")
    assert bob.wait_message(SALES, contains="Guru from the experts here")
    assert_received_in_order(bob, SALES, "Guru joined the chat.", "Guru from the experts here")
    assert not [m for m in bob.messages() if "warranty" in m.body or "!redirect" in m.body]
    assert ivan.wait_message(CHAT1, contains="Guru took over chat #1")
    bob.send_message(SALES, "Thanks Guru")
    assert guru.wait_message(CHAT1, contains="Thanks Guru")
    time.sleep(0.5)
    assert not [m for m in ivan.messages() if "Thanks Guru" in m.body], "Ivan left"


def test_faq_and_sfaq(start_imsupport, xmpp_client):
    service, ivan, olga, guru = start_team(start_imsupport, xmpp_client, extra_toml=FAQ)
    olga.send_presence(show="away")
    time.sleep(0.3)
    cora = xmpp_client("cora")
    open_chat(cora, ivan, "when will my parcel arrive")
    ivan.send_message(CHAT1, "!sfaq доставка shipping")
    hits = ivan.wait_message(CHAT1, contains="!faq delivery").body
    assert "How long does delivery take?" in hits
    ivan.send_message(CHAT1, "!sfaq вернуть")
    assert "!faq returns" in ivan.wait_message(CHAT1, contains="!faq returns").body
    ivan.send_message(CHAT1, "!faq delivery")
    assert cora.wait_message(SALES, contains="Delivery takes 1-3 working days.")
    assert not [m for m in cora.messages() if "sfaq" in m.body or "!faq" in m.body]
    ivan.send_message(COMPONENT, "!sfaq возврат")
    assert "!faq returns" in ivan.wait_message(COMPONENT, contains="FAQ").body


def test_operator_reconnect_reopens_the_chat(prosody, start_imsupport, xmpp_client):
    service, ivan, olga, guru = start_team(start_imsupport, xmpp_client)
    olga.send_presence(show="away")
    time.sleep(0.3)
    dora = xmpp_client("dora")
    open_chat(dora, ivan)
    ivan.disconnect()
    assert dora.wait_message(SALES, contains="Ivan was disconnected")
    dora.send_message(SALES, "Hello? Are you still there?")
    ivan_again = TestClient(ivan.bare, f"pw-{ivan.bare.split('@')[0]}", prosody.c2s_port)
    ivan_again.connect()
    try:
        assert ivan_again.wait_message(CHAT1, contains="open for you again")
        recent = ivan_again.wait_message(CHAT1, contains="so far").body
        assert "Hello? Are you still there?" in recent
        assert dora.wait_message(SALES, contains="Ivan is back")
        ivan_again.send_message(CHAT1, "Sorry, I am back")
        assert dora.wait_message(SALES, contains="Sorry, I am back")
    finally:
        ivan_again.disconnect()


def test_kill_9_mid_chat_and_the_chat_continues(start_imsupport, xmpp_client):
    service, ivan, olga, guru = start_team(start_imsupport, xmpp_client)
    olga.send_presence(show="away")
    time.sleep(0.3)
    emil = xmpp_client("emil")
    open_chat(emil, ivan)
    for i in range(20):
        emil.send_message(SALES, f"line {i}")
    ivan.wait_message(CHAT1, contains="line 19", timeout=15)
    service.kill()
    service.start()
    assert emil.wait_message(SALES, contains="restarted. Your chat continues", timeout=20)
    assert ivan.wait_message(CHAT1, contains="open for you again", timeout=20)
    recent = ivan.wait_message(CHAT1, contains="so far").body
    assert "line 19" in recent
    emil.send_message(SALES, "after the crash")
    assert ivan.wait_message(CHAT1, contains="after the crash")
    ivan.send_message(CHAT1, "all good")
    assert emil.wait_message(SALES, contains="all good")
    with sqlite3.connect(service.workdir / "db.sqlite") as db:
        stored = [text for (text,) in db.execute(
            "SELECT text FROM events WHERE chat_id = 1 AND kind = 'message' ORDER BY seq")]
    delivered_to_ivan = [m.body for m in ivan.messages() if m.from_bare == CHAT1]
    for i in range(20):
        assert f"line {i}" in stored and f"line {i}" in delivered_to_ivan


def test_profanity_and_internal_link_blocks(start_imsupport, xmpp_client):
    filters = '\n[filters]\ninternal_domains = ["corp.shop.example"]\nprofanity_allow = []\n'
    service, ivan, olga, guru = start_team(start_imsupport, xmpp_client, extra_toml=filters)
    olga.send_presence(show="away")
    time.sleep(0.3)
    fay = xmpp_client("fay")
    open_chat(fay, ivan)
    ivan.send_message(CHAT1, "Check http://wiki.corp.shop.example/orders/17 please")
    notice = ivan.wait_message(CHAT1, contains="Not sent").body
    assert "internal resource" in notice and "[[http://wiki.corp.shop.example/orders/17]]" in notice
    ivan.send_message(CHAT1, "Это п*здец какой-то")
    notice = ivan.wait_message(CHAT1, contains="Not sent").body
    assert "profanity" in notice and "[[" in notice
    ivan.send_message(CHAT1, "Check https://shop.example/orders/17 please")
    assert fay.wait_message(SALES, contains="https://shop.example/orders/17")
    time.sleep(0.3)
    assert not [m for m in fay.messages() if "corp.shop" in m.body or "здец" in m.body]


def test_reverse_contact_from_the_node_address(start_imsupport, xmpp_client):
    """R-REV-1: an operator writes first; the client gets it from the node
    address, answers, and the answer reaches the operator in that chat."""
    service, ivan, olga, guru = start_team(start_imsupport, xmpp_client)
    dora = xmpp_client("dora")
    ivan.send_message(COMPONENT, f"!contact {dora.bare} sales Your order 77 has shipped.")
    told = dora.wait_message(SALES, contains="Your order 77 has shipped.")
    assert told.from_bare == SALES
    assert ivan.wait_message(COMPONENT, contains="Chat #1 with")
    assert ivan.wait_message(CHAT1, contains="You opened this chat")
    dora.send_message(SALES, "Thanks, when will it arrive?")
    assert ivan.wait_message(CHAT1, contains="when will it arrive")
    assert not [m for m in olga.messages() if "New chat" in m.body], "bound to Ivan"
    ivan.send_message(COMPONENT, f"!contact {dora.bare} sales Another thing")
    assert ivan.wait_message(COMPONENT, contains="already has chat #1 open")
