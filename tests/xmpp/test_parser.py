"""The hardened element stream alone: the same elements as domish, bounded."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.words.xish import domish

from imsupport.xmpp.parser import (
    BYTES,
    DEPTH,
    ELEMENTS,
    TEXT,
    HardenedElementStream,
    Refusal,
    StanzaLimits,
    StreamClosed,
)

HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
          b"xmlns:stream='http://etherx.jabber.org/streams' id='s1'>")

STANZAS = [
    ("<message from='a@b/c' to='sales@d' type='chat' id='1' xml:lang='ru'>"
     "<body>Hello &amp; &lt;world&gt; &#x41;&#66; \u043f\u0440\u0438\u0432\u0435\u0442</body>"
     "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"),
    ("<message to='d'><html xmlns='http://jabber.org/protocol/xhtml-im'>"
     "<body xmlns='http://www.w3.org/1999/xhtml'><p>one <b>two</b> three</p></body></html>"
     "</message>"),
    ("<iq type='get' id='2' to='d'><q:query xmlns:q='urn:q' q:attr='v'><q:item/>tail"
     "</q:query></iq>"),
    ("<presence from='a@b/c'><status><![CDATA[<not markup> & such]]></status>"
     "<x xmlns='vcard-temp:x:update'><photo/></x></presence>"),
    "<message to='d'><body>\n\nline\r\nbreaks\n</body></message>",
    "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
]


class Collector:
    def __init__(self, limits: StanzaLimits | None = None) -> None:
        self.elements: list[domish.Element] = []
        self.refusals: list[Refusal] = []
        self.closed: list[StreamClosed] = []
        self.root: domish.Element | None = None
        self.stream = HardenedElementStream(limits or StanzaLimits(), self.refusals.append,
                                            self.closed.append)
        self.stream.DocumentStartEvent = self._root
        self.stream.ElementEvent = self.elements.append
        self.stream.DocumentEndEvent = lambda: None

    def _root(self, root: domish.Element) -> None:
        self.root = root

    def feed(self, *reads: bytes) -> Collector:
        for data in reads:
            self.stream.parse(data)
        return self


def domishElements(data: bytes) -> list[domish.Element]:
    out: list[domish.Element] = []
    stream = domish.elementStream()
    stream.DocumentStartEvent = lambda root: None
    stream.ElementEvent = out.append
    stream.DocumentEndEvent = lambda: None
    stream.parse(data)
    return out


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0] + points, points + [len(data)], strict=True) if data[a:b]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(STANZAS), min_size=1, max_size=6),
       st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_builds_what_domish_builds_whatever_the_reads(stanzas, cuts):
    data = HEADER + "\n ".join(stanzas).encode()
    got = Collector().feed(*split(data, cuts))
    assert not got.refusals and not got.closed
    assert [e.toXml() for e in got.elements] == [e.toXml() for e in domishElements(data)]
    assert [(e.uri, e.name, e.defaultUri) for e in got.elements] == \
        [(e.uri, e.name, e.defaultUri) for e in domishElements(data)]


def test_namespaces_are_right_again_after_a_refused_stanza():
    refused = ("<message xmlns='jabber:client'><x xmlns='urn:x' xmlns:p='urn:p'>"
               + "<p:a>" * 40 + "</p:a>" * 40 + "</x></message>")
    data = HEADER + refused.encode() + STANZAS[1].encode() + STANZAS[2].encode()
    got = Collector().feed(data)
    assert [r.limit for r in got.refusals] == [DEPTH]
    assert got.refusals[0].stanza.uri == "jabber:client"
    assert [e.toXml() for e in got.elements] == \
        [e.toXml() for e in domishElements(HEADER + STANZAS[1].encode() + STANZAS[2].encode())]


def test_limits_are_counted_to_the_stanzas_end():
    limits = StanzaLimits(elements=5, text_bytes=10, depth=3)
    got = Collector(limits).feed(
        HEADER,
        b"<message><a/><a/><a/><a/><a/><a/><a/></message>",
        b"<message><body>0123456789", b"0123456789</body></message>",
        b"<iq><a><b><c><d/></c></b></a></iq>",
        b"<message><body>short</body></message>")
    assert [(r.limit, r.found, r.allowed) for r in got.refusals] == [
        (ELEMENTS, 8, 5), (TEXT, 20, 10), (DEPTH, 5, 3)]
    assert [str(e.body) for e in got.elements] == ["short"]


def test_a_long_tag_costs_few_calls_into_expat():
    limits = StanzaLimits(attribute_chars=10**7)
    value = b"v" * 2_000_000
    data = HEADER + b"<message to='d' big='" + value + b"'><body>after</body></message>"
    reads = [data[i:i + 1024] for i in range(0, len(data), 1024)]
    got = Collector(limits).feed(*reads)
    assert [r.limit for r in got.refusals] == [BYTES]
    # 64 reads until expat holds 64 KiB of the tag, then each call at least
    # doubles what it holds: about 70 calls for 1,955 reads, not 1,955 re-scans.
    assert len(reads) > 1900 and got.stream.stats.feeds < 80
    got.feed(b"<message><body>next</body></message>")
    assert [str(e.body) for e in got.elements] == ["next"]


def test_a_tag_expat_would_hold_beyond_the_ceiling_closes_the_stream():
    limits = StanzaLimits(stanza_bytes=4096, attribute_chars=10**7)
    got = Collector(limits).feed(HEADER, b"<message big='")
    for _ in range(300):
        got.feed(b"x" * 1024)
    assert [c.condition for c in got.closed] == ["policy-violation"]
    assert "a tag of more than 262144 bytes" in got.closed[0].reason
    got.feed(b"'/><message><body>never</body></message>")
    assert got.elements == [] and got.stream.closed


def test_nothing_after_restricted_xml_is_read():
    got = Collector().feed(HEADER + STANZAS[0].encode() + b"<!--x-->" + STANZAS[1].encode())
    got.feed(STANZAS[2].encode())
    assert len(got.elements) == 1
    assert [(c.condition, c.reason) for c in got.closed] == [
        ("restricted-xml", "restricted XML (a comment)")]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([b"<!-- c -->", b"<?pi x?>", b"<!DOCTYPE x>"]),
       st.lists(st.integers(min_value=0, max_value=2_000), max_size=8))
def test_nothing_after_restricted_xml_is_read_whatever_the_reads(restricted, cuts):
    before, after = STANZAS[0].encode(), STANZAS[1].encode()
    data = HEADER + before + restricted + after + STANZAS[2].encode()
    if restricted.startswith(b"<!DOCTYPE"):
        data = restricted + HEADER + before + after  # a DOCTYPE can only come first
    got = Collector().feed(*split(data, cuts))
    assert [c.condition for c in got.closed] == ["restricted-xml"]
    expected = [] if restricted.startswith(b"<!DOCTYPE") else [before.decode()]
    assert [e.toXml() for e in got.elements] == \
        [e.toXml() for e in domishElements(HEADER + "".join(expected).encode())]
