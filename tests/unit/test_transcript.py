"""core/transcript.py: a chat as plain text."""
from __future__ import annotations

from imsupport.core.model import ChatEvent, ChatRecord
from imsupport.core.transcript import stamp, transcript

T0 = 1_764_684_309.0  # 2025-12-02 14:05:09 UTC
GATEWAY = "alice\\40matrix.org@gw.example"


def names(jid: str) -> str | None:
    return {"ivan@shop.test": "Ivan"}.get(jid)


def test_stamp_is_utc():
    assert stamp(T0) == "2025-12-02 14:05:09 UTC"


def test_lines_in_seq_order_with_names_files_and_notices():
    record = ChatRecord(id=7, node="sales", client=GATEWAY, state="closed", created_at=T0,
                        accepted_at=T0 + 5, closed_at=T0 + 65, close_reason="closed_by_operator",
                        operators=("ivan@shop.test",))
    events = [
        ChatEvent(7, 3, T0 + 10, "file", "client", "photo.png",
                  {"url": "https://s.example/f/t/photo.png"}),
        ChatEvent(7, 1, T0, "message", "client", "hi"),
        ChatEvent(7, 2, T0 + 5, "message", "ivan@shop.test", "hello"),
        ChatEvent(7, 4, T0 + 20, "notice", "system", "Chat closed", {"to": "client"}),
        ChatEvent(7, 5, T0 + 30, "state", "system", "closed"),
        ChatEvent(7, 6, T0 + 40, "command", "olga@shop.test", "!close"),
    ]
    text = transcript(record, events, names)
    lines = text.splitlines()
    assert lines[0] == "Chat 7 in sales with alice@matrix.org via gw.example"
    assert "Accepted 2025-12-02 14:05:14 UTC" in lines
    assert "Closed 2025-12-02 14:06:14 UTC (closed_by_operator)" in lines
    body = lines[lines.index("") + 1:]
    assert body == [
        "[2025-12-02 14:05:09 UTC] alice@matrix.org via gw.example: hi",
        "[2025-12-02 14:05:14 UTC] Ivan: hello",
        "[2025-12-02 14:05:19 UTC] alice@matrix.org via gw.example sent a file: "
        "photo.png https://s.example/f/t/photo.png",
        "[2025-12-02 14:05:29 UTC] (service to alice@matrix.org via gw.example) Chat closed",
        "[2025-12-02 14:05:39 UTC] -- closed --",
        "[2025-12-02 14:05:49 UTC] olga@shop.test (command): !close",
    ]
    assert text.endswith("\n")


def test_open_chat_has_no_closed_line():
    record = ChatRecord(id=1, node="sales", client="bob@example.net", created_at=T0)
    text = transcript(record, [], names)
    assert "Closed" not in text and "Accepted" not in text
    assert "State: queued" in text
