"""
Issue 7 end to end (real Prosody, the real twistd process, slixmpp clients):
a flood from one client (R-SEC-3), the greeting when nobody is online, chat
addresses as named contacts, and the client's own commands.
"""
from __future__ import annotations

import sqlite3
import time

from tests.e2e.test_chat_path import (
    COMPONENT,
    SALES,
    metrics,
    nodes_toml,
    operator_rows,
    wait_operator_followed,
)
from tests.e2e.test_workspace import wait_free

FLOOD = 1000


def chat(n: int) -> str:
    return f"sales+{n}@{COMPONENT}"


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.1)


def test_one_clients_flood_is_refused_and_another_chat_loses_nothing(start_imsupport,
                                                                     xmpp_client):
    ivan, olga = xmpp_client("ivan"), xmpp_client("olga")
    service = start_imsupport(nodes_toml(ivan.bare, olga.bare),
                              operators=operator_rows(ivan, olga))
    wait_free(service, 2)
    flooder, bob = xmpp_client("mallory"), xmpp_client("bob")
    operators = {}
    for n, client in ((1, flooder), (2, bob)):
        client.send_message(SALES, f"Hello from {client.bare}")
        deadline = time.monotonic() + 10
        while n not in operators and time.monotonic() < deadline:
            for op in (ivan, olga):
                if op not in operators.values() and any(
                        "New chat" in m.body for m in op.inbox() if m.from_bare == chat(n)):
                    op.wait_message(chat(n), contains="New chat")
                    operators[n] = op
            time.sleep(0.05)
        operators[n].send_message(chat(n), "Hello!")
        client.wait_message(SALES, contains="Hello!")
    mallory_op, bob_op = operators[1], operators[2]

    sent = {flooder.send_message(SALES, f"flood {i} " + "x" * 200): f"flood {i}"
            for i in range(FLOOD)}
    for i in range(20):
        bob.send_message(SALES, f"bob {i}")

    def relayed_flood():
        return [m.body.split(" x")[0] for m in mallory_op.messages()
                if m.from_bare == chat(1) and m.body.startswith("flood ")]

    def rate_limited():
        line = [x for x in metrics(service).splitlines()
                if x.startswith("imsupport_rate_limited_total ")]
        return int(float(line[0].split()[1]))

    wait_until(lambda: len(relayed_flood()) + rate_limited() >= FLOOD, 60,
               "every flood message relayed or refused")
    time.sleep(0.5)  # nothing more may arrive
    delivered, refused = relayed_flood(), rate_limited()
    errors = [m for m in flooder.messages() if m.type == "error"]
    assert len(delivered) + refused == FLOOD, "each one delivered or refused, none lost"
    assert delivered and refused, (len(delivered), refused)
    burst = 30  # [limits] client_message_burst's default
    assert len(errors) == min(refused, burst), \
        "a burst's worth of refusals answered with an error; the flood beyond is not echoed"
    assert {e.id for e in errors} <= set(sent) and len({e.id for e in errors}) == len(errors)
    assert not {sent[e.id] for e in errors} & set(delivered), "never both"
    assert all("policy-violation" in e.xml for e in errors)
    notices = [m for m in flooder.messages() if "faster than we can take them" in m.body]
    assert len(notices) == 1, [m.body for m in notices]
    for i in range(20):
        assert bob_op.wait_message(chat(2), contains=f"bob {i}", timeout=20)
    with sqlite3.connect(service.workdir / "db.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM events WHERE chat_id = 1 AND kind = 'message' "
                            "AND author = 'client' AND text LIKE 'flood %'").fetchone()[0]
    assert stored == len(delivered), "nothing stored beyond the limit"
    print(f"\nflood: {FLOOD} sent, {len(delivered)} delivered, {refused} refused "
          f"({len(errors)} with an error, one notice), {FLOOD - len(delivered) - refused} lost; "
          f"the other chat: 20 sent, 20 delivered")


def test_nobody_online_greeting_keeps_the_message(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan", connect=False)
    start_imsupport(nodes_toml(ivan.bare), operators=operator_rows(ivan))
    carol = xmpp_client("carol")
    carol.subscribe(SALES)
    presence = carol.wait_presence(SALES, ptype="available", show="xa")
    assert "No operators online" in presence.status
    carol.send_message(SALES, "Is anybody there?")
    greeting = carol.wait_message(SALES, contains="queue").body
    assert "Nobody at Sales questions is online right now. Your message is kept" in greeting
    assert "soon" not in greeting and "!end" in greeting
    ivan.connect()
    invitation = ivan.wait_message(chat(1), contains="New chat #1", timeout=15)
    assert "Is anybody there?" in invitation.body, "the message was kept"


def test_chat_address_is_a_named_contact_while_open(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(nodes_toml(ivan.bare), operators=operator_rows(ivan))
    wait_operator_followed(service, ivan)
    dora = xmpp_client("dora")
    dora.send_message(SALES, "Hello")
    online = ivan.wait_presence(chat(1), ptype="available")
    assert "http://jabber.org/protocol/nick" in online.xml and f"Chat #1: {dora.bare}" in online.xml
    assert f"chat #1 with {dora.bare}" in online.status
    ivan.wait_message(chat(1), contains="New chat #1")
    ivan.send_message(chat(1), "Hi")
    dora.wait_message(SALES, contains="Hi")
    ivan.send_message(chat(1), "!close")
    assert ivan.wait_presence(chat(1), ptype="unavailable")


def test_client_help_answers_the_client_and_other_commands_are_text(start_imsupport,
                                                                    xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(nodes_toml(ivan.bare), operators=operator_rows(ivan))
    wait_operator_followed(service, ivan)
    erin = xmpp_client("erin")
    erin.send_message(SALES, "!help")
    assert "!end: end the chat" in erin.wait_message(SALES, contains="!end").body
    erin.send_message(SALES, "My order is late")
    ivan.wait_message(chat(1), contains="New chat #1")
    ivan.send_message(chat(1), "Let me see")
    erin.wait_message(SALES, contains="Let me see")
    erin.send_message(SALES, "!help")
    assert "!lang" in erin.wait_message(SALES, contains="!end: end the chat").body
    erin.send_message(SALES, "!close")
    wait_until(lambda: "!close" in [m.body for m in ivan.messages() if m.from_bare == chat(1)],
               10, "the client's !close reached the operator as text")

    assert not [m for m in ivan.messages() if m.body == "!help"], "help never reaches the operator"
    erin.send_message(SALES, "!end")
    assert ivan.wait_message(chat(1), contains="closed by the client")
