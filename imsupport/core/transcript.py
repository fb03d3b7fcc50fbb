"""
A chat as plain text (SPEC 14, ``GET /api/v1/chats/{id}/transcript.txt``):
one line per event, UTC times, authors by the names people know them by
(operators' display names from the directory, the client as shown,
XEP-0106 unescaped), files as their links. A pure function of the chat's
record, its events and a name lookup, so it is tested without a service.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

from imsupport.core.display import showClient
from imsupport.core.model import COMMAND, FILE, NOTICE, STATE, ChatEvent, ChatRecord


def stamp(at: float) -> str:
    """``2026-12-02 14:05:09 UTC``: what a person reads in a transcript."""
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def messageMark(data: Mapping[str, Any]) -> str:
    """What a stored message line must say of itself to the staff who read
    it later (R-OPS-3, R-OPS-4): a blocked line reached nobody, a muted
    operator's line only the other operators; "" for an ordinary one."""
    if data.get("blocked"):
        return "not sent, blocked: " + ", ".join(str(k) for k in data["blocked"])
    if data.get("muted"):
        return "to the operators only"
    return ""


def saidLine(who: str, event: ChatEvent) -> str:
    """A message or file event after its time, as staff read it later:
    ``Ivan (not sent, blocked: profanity): ...``, ``Client sent a file: ...``."""
    if event.kind == FILE:
        return f"{who} sent a file: {event.text} {event.data.get('url', '')}".rstrip()
    mark = messageMark(event.data)
    return f"{who}{f' ({mark})' if mark else ''}: {event.text}"


def authorName(author: str, client: str, operatorName: Callable[[str], str | None]) -> str:
    if author == "client":
        return showClient(client)
    if author == "system":
        return "(service)"
    return operatorName(author) or author


def eventLine(event: ChatEvent, client: str,
              operatorName: Callable[[str], str | None]) -> str:
    who = authorName(event.author, client, operatorName)
    when = stamp(event.at)
    if event.kind == STATE:
        return f"[{when}] -- {event.text or event.data.get('state', '')} --"
    if event.kind == NOTICE:
        to = str(event.data.get("to", event.author))
        return f"[{when}] (service to {authorName(to, client, operatorName)}) {event.text}"
    if event.kind == COMMAND:
        return f"[{when}] {who} (command): {event.text}"
    return f"[{when}] {saidLine(who, event)}"


def transcript(record: ChatRecord, events: Sequence[ChatEvent],
               operatorName: Callable[[str], str | None]) -> str:
    """The whole chat, a header then one line per event in order."""
    head = [f"Chat {record.id} in {record.node} with {showClient(record.client)}",
            f"Started {stamp(record.created_at)}"]
    if record.accepted_at is not None:
        head.append(f"Accepted {stamp(record.accepted_at)}")
    if record.closed_at is not None:
        reason = f" ({record.close_reason})" if record.close_reason else ""
        head.append(f"Closed {stamp(record.closed_at)}{reason}")
    head.append(f"State: {record.state}")
    lines = [eventLine(e, record.client, operatorName)
             for e in sorted(events, key=lambda e: e.seq)]
    return "\n".join(head + [""] + lines) + "\n"
