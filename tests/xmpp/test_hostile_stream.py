"""
Hostile input on the component stream (issue 7, defects 1-3 and stored ids):
what a client can make the XMPP server send us, and what a hostile server
could send. Bytes in through the real ComponentConnection, stanzas out.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Self

import pytest
from twisted.logger import capturedLogs, formatEvent
from twisted.words.xish import domish

from tests.unit.fakes import ALICE, BOB, IVAN
from tests.xmpp.stream import DOMAIN, STREAM_ID, InMemoryComponent
from tests.xmpp.test_stream import body, condition, msg, presence

SALES = f"sales@{DOMAIN}"
LONG_NS = "urn:" + "a" * 1000
HEADER = (b"<stream:stream xmlns='jabber:component:accept' "
          b"xmlns:stream='http://etherx.jabber.org/streams' "
          b"from='" + DOMAIN.encode() + b"' id='" + STREAM_ID.encode() + b"'>")


def connected(max_message_bytes: int = 65536) -> InMemoryComponent:
    c = InMemoryComponent(max_message_bytes=max_message_bytes)
    c.handshake()
    c.pump()
    return c


@pytest.fixture
def comp() -> InMemoryComponent:
    return connected()


class CopyCounter:
    """Characters domish's ``addContent`` copies while active: each call
    copies the text so far, so building text piece by piece is quadratic."""

    def __init__(self) -> None:
        self.copied = 0
        self.active = False

    def __enter__(self) -> Self:
        self.active = True
        return self

    def __exit__(self, *_: object) -> None:
        self.active = False


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> CopyCounter:
    counter = CopyCounter()
    original = domish.Element.addContent

    def counting(self: domish.Element, text: str) -> str:
        if counter.active:
            last = self.children[-1] if self.children and isinstance(self.children[-1], str) \
                else ""
            counter.copied += len(last) + len(text)
        return original(self, text)

    monkeypatch.setattr(domish.Element, "addContent", counting)
    return counter


def chunks(*parts: bytes | Iterator[bytes], size: int = 65536) -> Iterator[bytes]:
    """Reads of at most ``size`` bytes, as a socket would deliver them."""
    pending = b""
    for part in parts:
        for piece in ([part] if isinstance(part, bytes) else part):
            pending += piece
            while len(pending) >= size:
                yield pending[:size]
                pending = pending[size:]
    if pending:
        yield pending


def repeated(piece: bytes, times: int) -> Iterator[bytes]:
    batch = max(1, 65536 // len(piece))
    while times > 0:
        n = min(batch, times)
        yield piece * n
        times -= n


def errorsTo(out: list[domish.Element], who: str) -> list[domish.Element]:
    return [s for s in out if s.getAttribute("type") == "error" and s["to"].startswith(who)]


def chatGoesOn(comp: InMemoryComponent, client: str = BOB) -> None:
    """A normal message from another client still opens its chat."""
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    out = comp.exchange(msg(client, SALES, "An ordinary question", mid="ok1"))
    assert any(s["to"] == IVAN and "An ordinary question" in (body(s) or "") for s in out), out
    assert comp.connection.connected and not comp.wire.disconnecting


# -- defect 1: size, depth and element counts cost only the sender --------

def test_forty_thousand_children_cost_only_their_sender(comp):
    """The 241 KB client stanza with a 1,000-character namespace on 40,000
    empty children, as Prosody re-serialises it: about 40 MB on our link,
    refused at its first MiB and counted to its end, not built."""
    child = f"<e xmlns='{LONG_NS}'/>".encode()
    head = msg(ALICE, SALES, "hi", mid="big1").replace("</message>", "<x>").encode()
    reads = list(chunks(head, repeated(child, 40_000), b"</x></message>"))
    assert sum(map(len, reads)) > 40_000_000
    for data in reads:
        comp.receive(data)
    out = comp.pump()
    [refused] = errorsTo(out, ALICE)
    assert refused["from"] == SALES and refused["id"] == "big1"
    assert condition(refused) == (
        "not-acceptable", "Not accepted: this stanza is larger than the limit of 1048576 bytes.")
    assert comp.xs.stream.stats.elements_built < 1100, "the rest was counted, not built"
    assert not comp.core.chats
    chatGoesOn(comp)


def test_forty_thousand_children_as_the_client_wrote_them(comp):
    """The same stanza verbatim (241 KB): within the size, over the count."""
    children = "<p:e/>" * 40_000
    out = comp.exchange(msg(ALICE, SALES, "hi", mid="big2",
                            extra=f"<x xmlns:p='{LONG_NS}'>{children}</x>"))
    [refused] = errorsTo(out, ALICE)
    assert condition(refused)[1] == \
        "Not accepted: this stanza has 40003 elements; the limit is 10000."
    assert comp.xs.stream.stats.elements_built <= 10_003
    chatGoesOn(comp)


def test_a_25_megabyte_start_tag_costs_only_its_sender(comp):
    """24,000 namespaced attributes (about 200 KB from the client): Prosody
    declares the namespace again on each one, a single 25 MB tag."""
    attrs = "".join(f" xmlns:ns{i}='{LONG_NS}' ns{i}:a{i}=''" for i in range(24_000))
    data = msg(ALICE, SALES, "hi", mid="t1", extra=f"<x{attrs}/>").encode()
    for read in chunks(data):
        comp.receive(read)
    [refused] = errorsTo(comp.pump(), ALICE)
    assert condition(refused)[1] == \
        "Not accepted: this stanza is larger than the limit of 1048576 bytes."
    chatGoesOn(comp)


def test_over_deep_stanza_gets_an_error_from_the_address_written_to(comp):
    deep = "<a>" * 40 + "</a>" * 40
    out = comp.exchange(msg(ALICE, f"sales+7@{DOMAIN}", "hi", extra=deep, mid="d1"))
    [refused] = errorsTo(out, ALICE)
    assert refused["from"] == f"sales+7@{DOMAIN}" and refused["id"] == "d1"
    assert condition(refused) == (
        "not-acceptable",
        "Not accepted: this stanza nests elements 41 levels deep; the limit is 32.")
    out = comp.exchange(f"<iq type='get' id='q1' from='{ALICE}/r' to='{DOMAIN}'>"
                        f"<query xmlns='jabber:iq:version'>{deep}</query></iq>")
    [refused] = errorsTo(out, ALICE)
    assert refused.name == "iq" and refused["from"] == DOMAIN and refused["id"] == "q1"
    out = comp.exchange(msg(ALICE, f"evil%20name@{DOMAIN}", "hi", extra=deep))
    assert errorsTo(out, ALICE)[0]["from"] == f"evil%20name@{DOMAIN}", \
        "the address written to, rebuilt from its parsed parts (issue 7: 7)"
    chatGoesOn(comp)


def test_oversized_stanza_is_skipped_and_refused(comp):
    filler = f"<f v='{'x' * 3000}'/>" * 400  # 1.2 MB, every value and count within bounds
    out = comp.exchange(msg(ALICE, SALES, "hi", extra=filler, mid="s1"))
    [refused] = errorsTo(out, ALICE)
    assert condition(refused)[1] == \
        "Not accepted: this stanza is larger than the limit of 1048576 bytes."
    assert not comp.core.chats
    chatGoesOn(comp)


def test_error_and_result_stanzas_are_never_answered(comp):
    deep = "<a>" * 40 + "</a>" * 40
    assert comp.exchange(f"<message from='{ALICE}/r' to='{SALES}' type='error'>"
                         f"{deep}</message>") == []
    assert comp.exchange(f"<iq from='{ALICE}/r' to='{DOMAIN}' type='result' id='r1'>"
                         f"{deep}</iq>") == []
    assert comp.exchange(f"<message to='{SALES}'>{deep}</message>") == [], "no valid from"
    assert comp.xs.stream.stats.stanzas_refused == 3
    chatGoesOn(comp)


def test_presence_over_a_limit_is_answered_with_a_presence_error(comp):
    out = comp.exchange(f"<presence from='{ALICE}/r' to='{SALES}'>"
                        f"<status>{'s' * 70_000}</status></presence>")
    [refused] = errorsTo(out, ALICE)
    assert refused.name == "presence" and refused["from"] == SALES
    assert condition(refused)[1] == ("Not accepted: the text of <status> is 70000 bytes long; "
                                     "the limit is 65536 bytes.")
    assert ALICE not in comp.transport.subscribers.get("sales", set())


def test_refusals_are_in_the_senders_language(comp):
    deep = "<a>" * 40 + "</a>" * 40
    out = comp.exchange(msg(ALICE, SALES, "hi", extra=deep, lang="ru"))
    assert condition(out[0])[1] == ("Не принято: элементы в станзе вложены на 41 уровней, "
                                    "а допустимо не больше 32.")


# -- defect 2: newlines, linear text and refusal while parsing ----------

def test_a_quarter_million_newlines_are_refused_while_parsing(comp, copies):
    with copies:
        comp.receive(msg(ALICE, SALES, "\n" * 250_000, mid="n1"))
    [refused] = errorsTo(comp.pump(), ALICE)
    assert refused["from"] == SALES
    assert condition(refused) == (
        "not-acceptable", ("The message is too large (250000 bytes; the limit is 65536 bytes). "
                           "Please send a shorter one or a file."))
    assert copies.copied < 1000, "only the error's own text was built"
    assert comp.xs.stream.stats.text_chars_copied == 0, "the body was never assembled"
    assert not comp.core.chats
    chatGoesOn(comp)


def test_text_is_assembled_once(copies):
    comp = connected(max_message_bytes=200_000)
    text = "line\n" * 30_000  # expat reports each newline as a piece of its own
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    with copies:
        comp.receive(msg(ALICE, SALES, text))
    invitation = next(s for s in comp.pump() if s["to"] == IVAN and body(s))
    assert text.strip()[:1000] in body(invitation)
    assert copies.copied < 10_000, "the invitation's own lines only"
    assert comp.xs.stream.stats.text_chars_copied == len(text), "each character copied once"


# -- defect 3: restricted XML stops the stream at once ------------------

def billionLaughs() -> bytes:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)]
    return (b"<?xml version='1.0'?><!DOCTYPE stream:stream [" + "".join(entities).encode()
            + b"]>" + HEADER + b"<message from='x@y/z' to='" + SALES.encode()
            + b"'><body>&lol9;</body></message>")


def test_billion_laughs_from_a_hostile_server_is_not_expanded():
    comp = InMemoryComponent()
    data = billionLaughs()
    assert len(data) < 1300
    with capturedLogs() as events:
        comp.receive(data)
    written = comp.wire.value()
    assert b"restricted-xml" in written and b"</stream:stream>" in written
    assert b"handshake" not in written, "nothing after the DOCTYPE was read"
    assert comp.wire.disconnecting and not comp.core.chats
    logged = [formatEvent(e) for e in events]
    assert any("The component closed its stream to the XMPP server, which sent restricted "
               "XML (a DOCTYPE)" in line for line in logged), logged
    assert not any("The XMPP server closed" in line for line in logged)


def test_a_doctype_entity_never_reaches_a_chat():
    comp = InMemoryComponent()
    comp.receive(b"<!DOCTYPE s [<!ENTITY greeting 'Hello from the DTD'>]>" + HEADER)
    comp.receive(f"<handshake/>{presence(IVAN + '/laptop', DOMAIN)}"
                 f"<message from='{ALICE}/r' to='{SALES}' type='chat'>"
                 f"<body>&greeting;</body></message>")
    assert not comp.core.chats and not comp.connection.connected


@pytest.mark.parametrize("restricted", ["<!-- a comment -->", "<?pi data?>"])
def test_restricted_xml_then_a_message_in_one_read(comp, restricted):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.receive(restricted + msg(ALICE, SALES, "Hello"))
    written = comp.wire.value()
    assert b"restricted-xml" in written and comp.wire.disconnecting
    assert not comp.core.chats, "nothing after the refused construct was read"


def test_restricted_xml_across_reads(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.receive("<!-- a comment split ")
    comp.receive("across reads -->" + msg(ALICE, SALES, "Hello"))
    comp.receive(msg(BOB, SALES, "Hello again"))
    assert b"restricted-xml" in comp.wire.value()
    assert not comp.core.chats


def test_restricted_xml_inside_a_stanza(comp):
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.receive(msg(ALICE, SALES, "Hello", extra="<!-- inside -->"))
    assert b"restricted-xml" in comp.wire.value() and not comp.core.chats


def test_malformed_xml_is_logged_as_the_components_decision(comp):
    with capturedLogs() as events:
        comp.receive(f"<message from='{ALICE}/r' to='{SALES}'><body>hi</bo></message>")
    assert b"not-well-formed" in comp.wire.value() and comp.wire.disconnecting
    logged = " ".join(formatEvent(e) for e in events)
    assert "The component closed its stream to the XMPP server, which sent XML that is not " \
           "well-formed (mismatched tag" in logged
    assert "The XMPP server closed" not in logged


# -- stored attributes --------------------------------------------------

def test_a_huge_id_is_refused_and_a_long_one_not_stored(comp):
    out = comp.exchange(msg(ALICE, SALES, "Hello", mid="i" * 200_000))
    [refused] = errorsTo(out, ALICE)
    assert not refused.hasAttribute("id"), "the id is not sent back"
    assert condition(refused)[1] == ("Not accepted: an attribute of <message> is 200000 "
                                     "characters long; the limit is 3072.")
    assert not comp.core.chats
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    comp.exchange(msg(ALICE, SALES, "Hello", mid="j" * 3000,
                      extra="<request xmlns='urn:xmpp:receipts'/>"))
    comp.exchange(msg(IVAN, f"sales+1@{DOMAIN}", "Hi"))
    comp.exchange(msg(ALICE, SALES, "Thanks", mid="k" * 200))
    events = []
    comp.store.chatEvents(1).addCallback(events.extend)
    ids = [e.data.get("id") for e in events if e.author == "client"]
    assert ids == [None, "k" * 200], "ids over 200 characters are not stored"
    assert all(not chat.receipts for chat in comp.core.chats.values())


# -- web chat visitors' addresses are the web chat's own (R-CLI-3) ---------

VISITOR = r"anna.k3j2x9ab1c@web.invalid"


def test_a_stanza_claiming_a_web_chat_visitor_is_refused(comp):
    """A forging component or server cannot write into a visitor's chat,
    show as one, or upload as one: each stanza gets not-allowed, the core
    never sees it."""
    comp.exchange(presence(IVAN + "/laptop", DOMAIN))
    out = comp.exchange(msg(VISITOR, SALES, "I am a visitor", mid="w1"))
    [refused] = errorsTo(out, VISITOR)
    assert refused["from"] == SALES and refused["id"] == "w1"
    assert condition(refused) == (
        "not-allowed", "Not accepted: addresses under web.invalid belong to this service's "
                       "web chat and cannot write over XMPP.")
    assert not comp.core.chats
    out = comp.exchange(f"<message from='x@Chat.WEB.invalid/r' to='{SALES}' xml:lang='ru'>"
                        f"<body>привет</body></message>")
    [refused] = errorsTo(out, "x@")
    assert condition(refused)[1].startswith("Не принято: адреса в web.invalid")
    [refused] = errorsTo(comp.exchange(
        f"<iq type='get' id='q2' from='{VISITOR}/r' to='{DOMAIN}'>"
        f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>"), VISITOR)
    assert refused.name == "iq" and condition(refused)[0] == "not-allowed"
    [refused] = errorsTo(comp.exchange(presence(VISITOR + "/r", SALES, "subscribe")), VISITOR)
    assert refused.name == "presence"
    assert VISITOR not in comp.transport.subscribers.get("sales", set())
    assert comp.exchange(f"<message from='{VISITOR}/r' to='{SALES}' type='error'/>") == []
    assert not comp.core.chats
    chatGoesOn(comp)
