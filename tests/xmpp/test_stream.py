"""The XMPP adapter over an in-memory component stream."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import ALICE, IVAN, OLGA
from tests.xmpp.stream import DOMAIN, InMemoryComponent

NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


@pytest.fixture
def comp():
    c = InMemoryComponent(max_message_bytes=1000)
    assert c.handshake() == c.expectedDigest()
    assert c.connection.connected
    c.pump()
    return c


def body(stanza):
    for child in stanza.elements():
        if child.name == "body":
            return str(child)
    return None


def condition(stanza):
    error = next(c for c in stanza.elements() if c.name == "error")
    return [c.name for c in error.elements() if c.uri == NS_STANZAS and c.name != "text"][0], \
        next(str(c) for c in error.elements() if c.name == "text")


def msg(frm, to, text=None, extra="", mid="x1", lang=None):
    lang_attr = f" xml:lang='{lang}'" if lang else ""
    b = f"<body>{text}</body>" if text is not None else ""
    return (f"<message from='{frm}/res' to='{to}' type='chat' id='{mid}'{lang_attr}>"
            f"{b}{extra}</message>")


def presence(frm, to, ptype=None, show=None):
    t = f" type='{ptype}'" if ptype else ""
    s = f"<show>{show}</show>" if show else ""
    return f"<presence from='{frm}' to='{to}'{t}>{s}</presence>"


def test_chat_through_the_stream(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    out = comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Hello", lang="en"))
    greeting = [s for s in out if s["to"] == ALICE][0]
    assert greeting["from"] == f"sales@{DOMAIN}" and "queue" in body(greeting)
    invitation = [s for s in out if s.getAttribute("to") == IVAN and body(s)][0]
    assert invitation["from"] == f"sales+1@{DOMAIN}"
    out = comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi there"))
    to_alice = [body(s) for s in out if s["to"] == ALICE and body(s)]
    assert to_alice == ["Ivan joined the chat.", "Hi there"]
    assert all(s["from"] == f"sales@{DOMAIN}" for s in out if s["to"] == ALICE)
    composing = "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
    out = comp.exchange(msg(ALICE, f"sales@{DOMAIN}", extra=composing))
    assert out and out[0]["to"] == IVAN and body(out[0]) is None
    assert out[0]["from"] == f"sales+1@{DOMAIN}"


def test_unknown_node_gets_item_not_found(comp):
    out = comp.exchange(msg(ALICE, f"nosuch@{DOMAIN}", "hi", mid="q1"))
    assert len(out) == 1 and out[0]["type"] == "error" and out[0]["id"] == "q1"
    assert condition(out[0])[0] == "item-not-found"
    assert out[0]["from"] == f"nosuch@{DOMAIN}", "the error comes from the address written to"
    assert condition(out[0])[1] == f"There is no support line at nosuch@{DOMAIN}."
    assert not comp.core.chats


def test_error_replies_come_from_the_address_written_to(comp):
    """Issue 7 (7): clients show an error in the window of the address it
    comes from; the address is rebuilt from its validated parts."""
    out = comp.exchange(msg(ALICE, f"evil%20name@{DOMAIN}/Res", "hi"))
    assert out[0]["from"] == f"evil%20name@{DOMAIN}/Res"
    out = comp.exchange(f"<message from='{ALICE}/r' to='sales@{DOMAIN}/x' type='groupchat'>"
                        f"<body>hi</body></message>")
    assert out[0]["from"] == f"sales@{DOMAIN}/x" and condition(out[0])[0] == "bad-request"
    out = comp.exchange(msg(ALICE, f"sales+5@{DOMAIN}", "x" * 1001))
    assert out[0]["from"] == f"sales+5@{DOMAIN}" and condition(out[0])[0] == "not-acceptable"


def test_a_node_address_with_a_resource_is_the_node(comp):
    out = comp.exchange(msg(ALICE, f"sales@{DOMAIN}/some-resource", "Hello"))
    assert comp.core.chats, "the client reached the line, not an error"
    greeting = [s for s in out if s["to"] == ALICE][0]
    assert greeting["from"] == f"sales@{DOMAIN}" and greeting.getAttribute("type") != "error"


def test_oversized_message_is_refused(comp):
    out = comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "x" * 1001))
    assert out[0]["type"] == "error" and out[0]["from"] == f"sales@{DOMAIN}"
    cond, text = condition(out[0])
    assert cond == "not-acceptable" and "1001 bytes" in text and "1000" in text
    assert not comp.core.chats


def test_empty_body_starts_nothing(comp):
    assert comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "")) == []
    assert comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "   \n ")) == []
    assert not comp.core.chats


def test_groupchat_and_errors_are_handled(comp):
    out = comp.exchange(f"<message from='{ALICE}' to='sales@{DOMAIN}' type='groupchat'>"
                        f"<body>hi</body></message>")
    assert condition(out[0])[0] == "bad-request"
    assert comp.exchange(f"<message from='{ALICE}' to='sales@{DOMAIN}' type='error'/>") == []


def test_subscription_is_accepted_and_returned(comp):
    out = comp.exchange(presence(ALICE, f"sales@{DOMAIN}", "subscribe"))
    types = [(s.getAttribute("type"), s["from"]) for s in out]
    assert ("subscribed", f"sales@{DOMAIN}") in types
    assert ("subscribe", f"sales@{DOMAIN}") in types
    current = [s for s in out if s.getAttribute("type") is None][0]
    assert [str(c) for c in current.elements() if c.name == "show"] == ["xa"]
    assert ALICE in comp.transport.subscribers["sales"]
    stored = []
    comp.store.subscribers().addCallback(stored.append)
    assert ALICE in stored[0]["sales"]
    # the node's presence follows the operators and reaches the subscriber
    out = comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    update = [s for s in out if s["to"] == ALICE]
    assert update and not [c for c in update[0].elements() if c.name == "show"]


def test_probe_is_answered(comp):
    out = comp.exchange(presence(ALICE, f"sales@{DOMAIN}", "probe"))
    assert out[0]["from"] == f"sales@{DOMAIN}" and out[0]["to"] == ALICE


def test_operator_presence_followed(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN, show="dnd"))
    assert comp.core.operators[IVAN].afk
    comp.exchange(presence(IVAN + "/laptop", DOMAIN, "unavailable"))
    assert not comp.core.operators[IVAN].online


def test_operators_are_subscribed_on_connect(comp):
    comp.transport.subscribeOperator(IVAN)
    out = comp.pump()
    assert [(s["type"], s["from"]) for s in out] == [("probe", DOMAIN), ("subscribe", DOMAIN)]


def test_disco_info_items_version_ping(comp):
    out = comp.exchange(f"<iq type='get' id='d1' from='{ALICE}/r' to='{DOMAIN}'>"
                        f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    xml = out[0].toXml()
    assert out[0]["type"] == "result" and "category='component'" in xml
    assert "urn:xmpp:ping" in xml and "jabber:iq:version" in xml
    out = comp.exchange(f"<iq type='get' id='d2' from='{ALICE}/r' to='{DOMAIN}'>"
                        f"<query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
    assert f"sales@{DOMAIN}" in out[0].toXml()
    out = comp.exchange(f"<iq type='get' id='d3' from='{ALICE}/r' to='sales@{DOMAIN}'>"
                        f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    assert "Sales questions" in out[0].toXml() and "type='bot'" in out[0].toXml()
    out = comp.exchange(f"<iq type='get' id='d4' from='{ALICE}/r' to='nope@{DOMAIN}'>"
                        f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    assert out[0]["type"] == "error"
    out = comp.exchange(f"<iq type='get' id='d5' from='{ALICE}/r' to='sales+1@{DOMAIN}'>"
                        f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    assert out[0]["type"] == "error"
    out = comp.exchange(f"<iq type='get' id='v1' from='{ALICE}/r' to='{DOMAIN}'>"
                        f"<query xmlns='jabber:iq:version'/></iq>")
    assert "imsupport" in out[0].toXml()
    out = comp.exchange(f"<iq type='get' id='p1' from='{ALICE}/r' to='{DOMAIN}'>"
                        f"<ping xmlns='urn:xmpp:ping'/></iq>")
    assert out[0]["type"] == "result" and out[0]["id"] == "p1"
    out = comp.exchange(f"<iq type='get' id='u1' from='{ALICE}/r' to='{DOMAIN}'>"
                        f"<query xmlns='urn:example:unknown'/></iq>")
    assert out[0]["type"] == "error"


def test_restricted_xml_closes_the_stream(comp):
    comp.receive("<!-- a comment -->")
    assert comp.wire.disconnecting
    assert b"restricted-xml" in comp.wire.value()


def test_console_from_stream(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    out = comp.exchange(msg(IVAN, DOMAIN, "!status"))
    assert out[0]["from"] == DOMAIN and "Your state: free" in body(out[0])


def test_receipt_request_forwarded(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Hello"))
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi"))
    out = comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "q", mid="a-1",
                            extra="<request xmlns='urn:xmpp:receipts'/>"))
    relayed = out[0]
    assert [c.name for c in relayed.elements() if c.uri == "urn:xmpp:receipts"] == ["request"]
    out = comp.exchange(f"<message from='{IVAN}/r' to='sales+1@{DOMAIN}' id='z'>"
                        f"<received xmlns='urn:xmpp:receipts' id='{relayed['id']}'/></message>")
    assert out[0]["to"] == ALICE and "a-1" in out[0].toXml()


def test_a_client_is_gone_only_when_the_last_of_their_devices_is(comp):
    """R-CHAT-4: Alice on her phone and her desktop logs the desktop off;
    her chat goes on past client_grace. Both off: it ends then."""
    node = f"sales@{DOMAIN}"
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.exchange(msg(ALICE, node, "Hello"))
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi"))
    comp.exchange(presence(ALICE + "/phone", node))
    comp.exchange(presence(ALICE + "/desktop", node))
    comp.exchange(presence(ALICE + "/desktop", node, "unavailable"))
    comp.clock.advance(601)
    assert comp.core.openChat(1) is not None, "still online on the phone"
    comp.exchange(presence(ALICE + "/phone", node, "unavailable"))
    comp.clock.advance(601)
    assert comp.core.openChat(1) is None
    # one device that comes and goes is gone with it, as before
    comp.exchange(msg(ALICE, node, "Me again"))
    comp.exchange(msg(IVAN, f"sales+2@{DOMAIN}", "Hi again"))
    comp.exchange(presence(ALICE + "/phone", node))
    comp.exchange(presence(ALICE + "/phone", node, "unavailable"))
    comp.clock.advance(601)
    assert comp.core.openChat(2) is None


def test_lost_stream_clears_operator_presence(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.xs.connectionLost(None)
    assert not comp.connection.connected
    assert not comp.core.operators[IVAN].online


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=200))
def test_built_messages_parse_back_to_the_same_body(text):
    from imsupport.xmpp.stanzas import message
    from tests.xmpp.stream import OutputReader
    reader = OutputReader()
    reader.feed(b"<stream:stream xmlns='jabber:component:accept' "
                b"xmlns:stream='http://etherx.jabber.org/streams'>")
    reader.feed(message("sales@d", "a'b\"<c>&@x", text, chatstate="active",
                        lang="ru", receipt_id="i&d").encode("utf-8"))
    element = reader.stanzas[0]
    assert body(element) == text
    assert element["to"] == "a'b\"<c>&@x" and element["id"] == "i&d"


def test_silent_operator_is_treated_as_gone(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Hello"))
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi"))
    comp.clock.advance(60)
    pings = [s for s in comp.pump() if s.name == "iq"]
    assert len(pings) == 1 and pings[0]["to"] == IVAN + "/laptop"
    assert "urn:xmpp:ping" in pings[0].toXml()
    comp.exchange(f"<iq type='result' id='{pings[0]['id']}' from='{IVAN}/laptop' to='{DOMAIN}'/>")
    assert comp.core.operators[IVAN].online, "answered: alive"
    comp.clock.advance(60)
    ping = [s for s in comp.pump() if s.name == "iq"][0]
    comp.exchange(f"<iq type='error' id='{ping['id']}' from='{IVAN}/laptop' to='{DOMAIN}'>"
                  f"<error type='cancel'><service-unavailable "
                  f"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
    assert comp.core.operators[IVAN].online, "an error is an answer too"
    comp.clock.advance(60)
    comp.pump()
    comp.clock.advance(20)  # silence
    assert not comp.core.operators[IVAN].online
    out = comp.pump()
    assert any(s["to"] == ALICE and "disconnected" in (body(s) or "") for s in out)


def test_operators_without_chats_are_not_pinged(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.clock.advance(60)
    assert not [s for s in comp.pump() if s.name == "iq"]


def test_chat_addresses_look_the_same_to_outsiders_open_or_not(comp):
    """Issue 7 (6): disco#info and messages to a chat address answer anyone
    not in the chat the same whether the chat is open or not."""
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Hello"))
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi"))

    def disco(frm, chat_id):
        out = comp.exchange(f"<iq type='get' id='i{chat_id}' from='{frm}/r' "
                            f"to='sales+{chat_id}@{DOMAIN}'>"
                            f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        return out[0]["type"], condition(out[0]) if out[0]["type"] == "error" else None

    assert disco(IVAN, 1)[0] == "result", "the chat's operator sees it"
    outsider_open, outsider_closed = disco(OLGA, 1), disco(OLGA, 999)
    assert outsider_open[0] == outsider_closed[0] == "error"
    assert outsider_open[1][0] == outsider_closed[1][0] == "item-not-found"
    texts = []
    for chat_id in (1, 999):
        out = comp.exchange(msg(OLGA, f"sales+{chat_id}@{DOMAIN}", "let me in"))
        texts.append(body(out[0]).replace(f"#{chat_id}", "#N"))
    assert texts[0] == texts[1]


def test_directed_presence_to_a_node_is_answered(comp):
    """Issue 7 (15): a client that sends presence to the node without a
    subscription (a text-only client, a gateway) learns the node's state."""
    out = comp.exchange(presence(ALICE + "/phone", f"sales@{DOMAIN}"))
    answer = [s for s in out if s["to"] == ALICE and s.name == "presence"]
    assert len(answer) == 1 and answer[0]["from"] == f"sales@{DOMAIN}"
    assert [str(c) for c in answer[0].elements() if c.name == "show"] == ["xa"]
    comp.exchange(presence(ALICE, f"sales@{DOMAIN}", "subscribe"))
    out = comp.exchange(presence(ALICE + "/phone", f"sales@{DOMAIN}"))
    assert not [s for s in out if s.name == "presence"], "subscribers are probed instead"


def test_chat_address_presence_with_a_nick(comp):
    """Issue 7 (13): the chat window is a named, available contact while the
    chat is open, and unavailable once it closes; probes are answered."""
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    out = comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Hello"))
    chat_presence = [s for s in out if s.name == "presence" and s["from"] == f"sales+1@{DOMAIN}"]
    assert len(chat_presence) == 1 and chat_presence[0]["to"] == IVAN
    assert chat_presence[0].getAttribute("type") is None
    nick = [c for c in chat_presence[0].elements() if c.name == "nick"]
    assert nick[0].uri == "http://jabber.org/protocol/nick" and str(nick[0]) == f"Chat #1: {ALICE}"
    out = comp.exchange(presence(IVAN + "/laptop", f"sales+1@{DOMAIN}", "probe"))
    assert [s.getAttribute("type") for s in out] == [None]
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi"))
    out = comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "!close"))
    gone = [s for s in out if s.name == "presence" and s["from"] == f"sales+1@{DOMAIN}"]
    assert [s.getAttribute("type") for s in gone] == ["unavailable"]
    out = comp.exchange(presence(IVAN + "/laptop", f"sales+1@{DOMAIN}", "subscribe"))
    assert [s.getAttribute("type") for s in out] == ["unsubscribed"]


def test_a_flood_costs_its_sender_errors_and_stores_nothing_beyond_the_limit(comp):
    """Issue 7 (4): 1,000 messages in one read; the burst is stored and
    relayed, the next burst's worth are refused with an error each, the rest
    are dropped (not answered stanza for stanza), with one notice."""
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.exchange(msg(ALICE, f"sales@{DOMAIN}", "Hello"))
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi"))
    flood = "".join(msg(ALICE, f"sales@{DOMAIN}", f"spam {i}", mid=f"f{i}") for i in range(1000))
    out = comp.exchange(flood)
    burst = comp.core.limits.client_rate.message_burst - 1  # "Hello" took one
    relayed = [body(s) for s in out if s["to"] == IVAN and (body(s) or "").startswith("spam")]
    assert relayed == [f"spam {i}" for i in range(burst)]
    errors = [s for s in out if s.getAttribute("type") == "error"]
    answered = comp.core.limits.client_rate.message_burst
    assert [e["id"] for e in errors] == [f"f{i}" for i in range(burst, burst + answered)]
    assert comp.core.rates.refused == 1000 - burst
    assert {condition(e)[0] for e in errors} == {"policy-violation"}
    assert all(e["from"] == f"sales@{DOMAIN}" and e["to"] == ALICE + "/res" for e in errors)
    notices = [s for s in out if s["to"] == ALICE and "faster than" in (body(s) or "")]
    assert len(notices) == 1
    stored = []
    comp.store.chatEvents(1).addCallback(stored.extend)
    assert len([e for e in stored if e.author == "client" and e.text.startswith("spam")]) == burst
    typing = "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
    assert comp.exchange(msg(ALICE, f"sales@{DOMAIN}", extra=typing)) == [], \
        "a flooding client's chat states go nowhere either"
