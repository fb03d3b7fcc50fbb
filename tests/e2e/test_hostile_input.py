"""
Hostile stanzas end to end (issue 7, defects 1 and 2): real Prosody
re-serialising what a client sent, the real twistd process, slixmpp clients.
One client's stanza may cost that client an error, never the component
stream or another chat's messages.
"""
from __future__ import annotations

import re

from tests.e2e.service import FAST_CLIENTS
from tests.e2e.test_chat_path import (
    COMPONENT,
    SALES,
    metrics,
    nodes_toml,
    operator_rows,
    wait_operator_followed,
)
from tests.metricstext import has

CHAT1 = f"sales+1@{COMPONENT}"
LONG_NS = "urn:" + "a" * 1000


def forty_thousand_children(n: int) -> str:
    """241 KB from the client; Prosody writes each child with its own
    1,000-character xmlns on the component link: about 40 MB."""
    children = "<p:e/>" * 40_000
    return (f"<message to='{SALES}' type='chat' id='hostile-{n}'><body>hostile {n}</body>"
            f"<x xmlns:p='{LONG_NS}'>{children}</x></message>")


def twenty_four_thousand_attributes(n: int) -> str:
    """About 200 KB from the client; Prosody declares the namespace again on
    each attribute: one start tag of about 25 MB on the component link."""
    attributes = " ".join(f"p:a{i}=''" for i in range(24_000))
    return (f"<message to='{SALES}' type='chat' id='tag-{n}'><body>hostile {n}</body>"
            f"<x xmlns:p='{LONG_NS}' {attributes}/></message>")


def open_chat(service, alice, ivan):
    wait_operator_followed(service, ivan)
    alice.send_message(SALES, "Hello, I have a question")
    ivan.wait_message(CHAT1, contains="New chat #1")
    ivan.send_message(CHAT1, "Hi, how can I help?")
    alice.wait_message(SALES, contains="how can I help")
    alice.clear()
    ivan.clear()


def stream_never_dropped(service):
    log = service.log_text()
    assert log.count("connected to") == 1, service.log_tail()
    assert "lost its connection" not in log and "closed its stream" not in log, \
        service.log_tail()
    status, health = service.health()
    assert status == 200 and health["xmpp"] is True
    assert has(metrics(service), "imsupport_xmpp_connected", 1)


def deliveries(receiver, sender_address, texts, timeout=30.0):
    """How many of ``texts`` arrived (each waited for, in any order)."""
    got = 0
    for text in texts:
        try:
            receiver.wait_message(sender_address, contains=text, timeout=timeout)
            got += 1
        except AssertionError:
            timeout = 0.5  # one is missing: count the rest without waiting long
    return got


def test_forty_megabyte_stanzas_cost_only_their_sender(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    # Alice sends 31 messages at once, over a client's default burst of 30.
    service = start_imsupport(nodes_toml(ivan.bare), operators=operator_rows(ivan),
                              extra_toml=FAST_CLIENTS)
    alice, mallory = xmpp_client("alice"), xmpp_client("mallory")
    open_chat(service, alice, ivan)

    from_alice, from_ivan = [], []
    for i in range(30):
        if i % 6 == 0:
            mallory.send_raw(forty_thousand_children(i // 6))
        from_alice.append(f"alice says {i:02d}")
        alice.send_message(SALES, from_alice[-1])
        from_ivan.append(f"ivan says {i:02d}")
        ivan.send_message(CHAT1, from_ivan[-1])

    refusals = [mallory.wait_message(SALES, mtype="error", with_body=False, timeout=60)
                for _ in range(5)]
    for refused in refusals:
        assert "not-acceptable" in refused.xml
        assert "larger than the limit of 1048576 bytes" in refused.xml
    delivered = deliveries(ivan, CHAT1, from_alice) + deliveries(alice, SALES, from_ivan)
    bounced = [m for m in alice.messages() + ivan.messages() if m.type == "error"]
    assert (delivered, len(bounced)) == (60, 0), "sent 60: all delivered, none bounced"
    stream_never_dropped(service)
    sizes = [int(n) for n in re.findall(r"Refused a message from mallory\S* \((\d+) bytes\)",
                                        service.log_text())]
    assert len(sizes) == 5 and min(sizes) > 30_000_000, "Prosody re-serialised ~40 MB each"


def test_a_quarter_million_newlines_are_refused(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(nodes_toml(ivan.bare), operators=operator_rows(ivan))
    alice, nina = xmpp_client("alice"), xmpp_client("nina")
    open_chat(service, alice, ivan)

    texts = []
    for i in range(8):
        nina.send_message(SALES, "\n" * 250_000)
        texts.append(f"still here {i}")
        alice.send_message(SALES, texts[-1])
    for _ in range(8):
        refused = nina.wait_message(SALES, mtype="error", with_body=False, timeout=30)
        assert "not-acceptable" in refused.xml
        assert "The message is too large (250000 bytes; the limit is 65536 bytes)" \
            in refused.xml
    assert deliveries(ivan, CHAT1, texts) == 8
    ivan.send_message(CHAT1, "And the answer")
    alice.wait_message(SALES, contains="And the answer")
    assert not [m for m in alice.messages() + ivan.messages() if m.type == "error"]
    assert "sales+2" not in " ".join(m.from_ for m in ivan.messages()), "nina got no chat"
    refused_while_parsing = re.findall(r"Refused a message from nina\S* \(\d+ bytes\): The "
                                       r"message is too large \(250000 bytes", service.log_text())
    assert len(refused_while_parsing) == 8, "refused by the parser, never built"
    stream_never_dropped(service)


def test_a_25_megabyte_tag_costs_only_its_sender(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(nodes_toml(ivan.bare), operators=operator_rows(ivan))
    alice, mallory = xmpp_client("alice"), xmpp_client("mallory")
    open_chat(service, alice, ivan)
    texts = []
    for i in range(3):
        mallory.send_raw(twenty_four_thousand_attributes(i))
        texts.append(f"in between {i}")
        alice.send_message(SALES, texts[-1])
    for _ in range(3):
        refused = mallory.wait_message(SALES, mtype="error", with_body=False, timeout=60)
        assert "larger than the limit of 1048576 bytes" in refused.xml
    assert deliveries(ivan, CHAT1, texts) == 3
    stream_never_dropped(service)
