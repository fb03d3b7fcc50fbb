"""
An operator whose client cannot answer a subscription request (go-sendxmpp,
sendxmpp) end to end: real Prosody, the real twistd process, a slixmpp
client that leaves the request unanswered (issue 7, defect 10).
"""
from __future__ import annotations

from tests.e2e.test_chat_path import COMPONENT, SALES
from tests.e2e.test_routing import group, node, rows, wait_free

CHAT1 = f"sales+1@{COMPONENT}"


def test_an_operator_who_cannot_answer_the_subscription_request(start_imsupport,
                                                                  xmpp_client):
    tess = xmpp_client("tess", connect=False)
    # Like a text-only client: the request is neither accepted nor refused.
    tess.xmpp.roster.auto_authorize = None
    tess.xmpp.roster.auto_subscribe = False
    tess.connect()
    service = start_imsupport(node(group("first", [tess])),
                              operators=rows((tess, "Tess", ["en"])))
    request = tess.wait_presence(COMPONENT, ptype="subscribe")
    assert "imsupport asks to see your presence so it can offer you chats" in request.status
    tess.send_message(COMPONENT, "!status")
    assert tess.wait_message(COMPONENT, contains="Your state:").body.startswith(
        "Your state: offline")
    hint = tess.wait_message(COMPONENT, contains="does not see your presence").body
    assert f"send your presence to {COMPONENT} directly" in hint
    # a directed presence to the domain is presence
    tess.send_presence(to=COMPONENT)
    wait_free(service, 1)
    tess.send_message(COMPONENT, "!status")
    assert "Your state: free" in tess.wait_message(COMPONENT, contains="Your state:").body
    tess.expect_no_message(COMPONENT, within=0.5)
    uma = xmpp_client("uma")
    uma.send_message(SALES, "Is anyone there?")
    assert "Is anyone there?" in tess.wait_message(CHAT1, contains="New chat #1").body
    tess.send_message(CHAT1, "Yes, Tess here")
    assert uma.wait_message(SALES, contains="Yes, Tess here")
