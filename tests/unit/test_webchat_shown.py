"""What a web visitor sees of a chat's stored events (pure)."""
from __future__ import annotations

import pytest

from imsupport.core.model import ChatEvent
from imsupport.web.chat.shown import parseEventId, shown

IVAN = "ivan@shop.test"


def event(kind, author, text="", **data):
    return ChatEvent(chat_id=7, seq=3, at=1_800_000_000.25, kind=kind, author=author, text=text,
                     data=data)


def names(jid):
    return {IVAN: "Ivan"}.get(jid)


@pytest.mark.parametrize("stored", [
    event("message", IVAN, "bad words", blocked=["profanity"]),
    event("message", IVAN, "for the team", muted=True),
    event("notice", "system", "New chat #7", to=IVAN, key="invitation"),
    event("command", "client", "!lang ru"),
    event("command", IVAN, "!mute"),
    event("state", "system", "offered", operator=IVAN),
    event("state", "system", "escalated"),
    event("state", IVAN, "redirect", target="olga"),
    event("rating", "client", "5", rating=5, comment=""),
])
def test_hidden(stored):
    assert shown(stored, names) is None


def test_an_operators_message_shows_their_name_only():
    assert shown(event("message", IVAN, "hello"), names) == {
        "seq": 3, "at": "2027-01-15T08:00:00.250000+00:00", "kind": "message",
        "author": "operator", "name": "Ivan", "text": "hello", "key": None, "url": None,
        "state": None, "position": None}
    assert shown(event("message", "gone@shop.test", "hi"), names)["name"] is None


def test_notices_files_and_states():
    notice = shown(event("notice", "system", "You are now number 2 in the queue.", to="client",
                         key="queue_position", position=2), names)
    assert (notice["author"], notice["key"], notice["position"]) == ("system", "queue_position", 2)
    sent = shown(event("file", "client", "a.png", url="https://h/f/t/a.png", file_id="x"), names)
    assert (sent["author"], sent["text"], sent["url"]) == ("client", "a.png", "https://h/f/t/a.png")
    assert shown(event("state", IVAN, "active"), names)["state"] == "active"
    assert shown(event("state", IVAN, "reopened"), names)["state"] == "active"
    assert shown(event("state", "client", "abandoned"), names)["state"] == "closed"
    closed = shown(event("state", IVAN, "closed", reason="operator"), names)
    assert (closed["state"], closed["text"], closed["name"]) == ("closed", "", "Ivan")


@pytest.mark.parametrize("text, parsed", [
    ("12:37", (12, 37)), (" 1:0 ", (1, 0)), (None, None), ("", None), ("12", None),
    ("a:b", None), ("-1:2", None), ("1:2:3", None), ("9" * 50 + ":1", None)])
def test_event_ids(text, parsed):
    assert parseEventId(text) == parsed
