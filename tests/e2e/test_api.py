"""
The HTTP API end to end (issue 10: 1, 6, 8; SPEC 14): the real twistd
process, real Prosody and slixmpp clients, and plain HTTP requests with a
bearer token from the configuration file.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from tests.e2e.test_chat_path import COMPONENT, SALES
from tests.e2e.test_routing import group, node, rows, wait_free

TOKENS = """
[[api_tokens]]
name = "crm"
token = "e2e-control-token-0123456789"
scopes = ["control"]
"""
TOKEN = "e2e-control-token-0123456789"
CHAT1 = f"sales+1@{COMPONENT}"


def call(service: Any, method: str, path: str, body: Any = None,
         token: str | None = TOKEN) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"} if data is not None else {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(service.base_url + "/api/v1" + path, data=data,
                                     method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw, code, kind = response.read(), response.status, response.headers["content-type"]
    except urllib.error.HTTPError as error:
        raw, code, kind = error.read(), error.code, error.headers["content-type"]
    return code, json.loads(raw) if "json" in (kind or "") else raw.decode()


def test_a_chat_then_its_history_transcript_and_search(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(node(group("first", [ivan])),
                              operators=rows((ivan, "Ivan", ["en"])), extra_toml=TOKENS)
    wait_free(service, 1)
    alice = xmpp_client("alice")
    alice.send_message(SALES, "Where are my deliveries? Order 4711.")
    ivan.wait_message(CHAT1, contains="New chat #1")
    ivan.send_message(CHAT1, "Your parcel leaves today.")
    alice.wait_message(SALES, contains="parcel leaves today")
    ivan.send_message(CHAT1, "!close")
    alice.wait_message(SALES, contains="Ivan closed the chat")

    assert call(service, "GET", "/chats", token=None)[0] == 401
    code, listing = call(service, "GET", "/chats?q=delivery")
    assert code == 200 and [c["id"] for c in listing["items"]] == [1]
    assert listing["items"][0]["client"] == alice.bare
    assert call(service, "GET", "/chats?q=refund")[1]["items"] == []
    code, chat = call(service, "GET", "/chats/1")
    assert code == 200 and chat["state"] == "closed"
    said = [(e["kind"], e["author"], e["text"]) for e in chat["events"]]
    assert ("message", "client", "Where are my deliveries? Order 4711.") in said
    assert ("message", ivan.bare, "Your parcel leaves today.") in said
    assert [e["seq"] for e in chat["events"]] == sorted(e["seq"] for e in chat["events"])
    code, text = call(service, "GET", "/chats/1/transcript.txt")
    assert code == 200 and "Your parcel leaves today." in text and "Ivan" in text
    assert call(service, "GET", "/chats/99")[0] == 404
    # !history gives the operator a transcript link that opens with no token
    ivan.send_message(COMPONENT, f"!history {alice.bare}")
    listing = ivan.wait_message(COMPONENT, contains="Earlier chats of")
    link = next(line.strip() for line in listing.body.splitlines() if "/t/1/" in line)
    assert link.startswith(service.base_url + "/t/1/")
    with urllib.request.urlopen(link, timeout=20) as response:
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert "Your parcel leaves today." in response.read().decode()
    code, state = call(service, "GET", "/state/operators/" + urllib.parse.quote(ivan.bare))
    assert code == 200


def test_switch_a_node_off_and_on_and_its_presence_follows(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(node(group("first", [ivan])),
                              operators=rows((ivan, "Ivan", ["en"])), extra_toml=TOKENS)
    wait_free(service, 1)
    carol = xmpp_client("carol")
    carol.subscribe(SALES)
    assert carol.wait_presence(SALES, ptype="subscribed")
    assert carol.wait_presence(SALES, ptype="available", show=None)
    code, _ = call(service, "POST", "/switch",
                   {"target": {"node": "sales"}, "on": False, "mode": "hard"})
    assert code == 200
    off = carol.wait_presence(SALES)
    assert (off.type, off.show) != ("available", None), "the node no longer says available"
    carol.send_message(SALES, "anyone?")
    assert "not available now" in carol.wait_message(SALES).body
    assert call(service, "POST", "/switch", {"target": {"node": "sales"}, "on": True,
                                             "mode": "soft"})[0] == 200
    assert carol.wait_presence(SALES, ptype="available", show=None)
    code, error = call(service, "POST", "/switch", {"target": {"node": "nosuch"}, "on": True,
                                                    "mode": "soft"})
    assert code == 404 and "error" in error


def test_broadcast_to_a_group_and_reverse_contact_through_the_api(start_imsupport,
                                                                   xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(node(group("first", [ivan])),
                              operators=rows((ivan, "Ivan", ["en"])), extra_toml=TOKENS)
    wait_free(service, 1)
    code, sent = call(service, "POST", "/messages",
                      {"to": {"group": "sales/first"}, "text": "Team meeting at 15:00"})
    assert code == 200 and sent["operators"] == [ivan.bare]
    told = ivan.wait_message(COMPONENT, contains="Team meeting at 15:00")
    assert told.from_bare == COMPONENT

    dora = xmpp_client("dora")
    code, contacted = call(service, "POST", "/contact",
                           {"node": "sales", "clients": [dora.bare],
                            "text": "Your order 77 has shipped.", "operator": ivan.bare})
    assert code == 200, contacted
    message = dora.wait_message(SALES, contains="Your order 77 has shipped.")
    assert message.from_bare == SALES, "from the node address"
    chat = f"sales+{contacted['chat_id']}@{COMPONENT}"
    assert ivan.wait_message(chat, contains="You opened this chat")
    dora.send_message(SALES, "Thanks!")
    assert ivan.wait_message(chat, contains="Thanks!")
    code, _ = call(service, "POST", "/contact", {"node": "sales", "clients": [dora.bare],
                                                 "text": "again"})
    assert code == 409
    time.sleep(0.2)
    assert not [m for m in dora.messages() if m.body == "again"]
