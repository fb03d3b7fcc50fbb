"""Operators who cannot answer a subscription request (go-sendxmpp, sendxmpp):
the request says why, a directed presence to the domain counts, and the
console says what is missing (issue 7, defect 10)."""
from __future__ import annotations

import pytest

from tests.unit.fakes import IVAN, PETR
from tests.xmpp.stream import DOMAIN, InMemoryComponent
from tests.xmpp.test_stream import body, msg, presence

NS_XML = "http://www.w3.org/XML/1998/namespace"


@pytest.fixture
def comp():
    return InMemoryComponent()


def status_of(element):
    return next((str(c) for c in element.elements() if c.name == "status"), None)


def test_the_subscription_request_says_why_in_the_operators_language(comp):
    comp.handshake()
    asked = {s["to"]: s for s in comp.pump() if s.getAttribute("type") == "subscribe"}
    assert IVAN in asked and PETR in asked
    assert all(s["from"] == DOMAIN for s in asked.values())
    assert "so it can offer you chats" in status_of(asked[IVAN])
    assert asked[IVAN].getAttribute((NS_XML, "lang")) == "en"
    assert "чаты" in status_of(asked[PETR])
    assert asked[PETR].getAttribute((NS_XML, "lang")) == "ru"


def test_directed_presence_to_the_domain_counts_as_presence(comp):
    comp.handshake()
    comp.pump()
    out = comp.exchange(msg(IVAN, DOMAIN, "!status"))
    texts = [body(s) for s in out]
    assert texts[0].startswith("Your state: offline")
    assert "does not see your presence" in texts[1] and DOMAIN in texts[1]
    # go-sendxmpp and friends: no subscription, just presence sent to the domain
    comp.exchange(f"<presence from='{IVAN}/sendxmpp' to='{DOMAIN}'/>")
    assert comp.core.operators[IVAN].online
    out = comp.exchange(msg(IVAN, DOMAIN, "!status"))
    assert [body(s) for s in out] == [body(out[0])] and "Your state: free" in body(out[0])
    # the server sends unavailable to whoever had directed presence when they leave
    comp.exchange(presence(f"{IVAN}/sendxmpp", DOMAIN, "unavailable"))
    assert not comp.core.operators[IVAN].online
    out = comp.exchange(msg(IVAN, DOMAIN, "!status"))
    assert "does not see your presence" in body(out[-1])
