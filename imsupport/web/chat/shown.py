"""
What a web chat visitor sees of their chat's stored events (R-CLI-3): the
``chat`` SSE event's data for each event the client may see, None for the
rest. Pure: the same events give the same data on every replay.

Seen: messages by the client or an operator (not blocked ones, not a muted
operator's), notices to the client, files, and the chat's state as a
client knows it (queued, active with an operator, closed; never whom it
was offered to).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from imsupport.core.model import FILE, MESSAGE, NOTICE, STATE, ChatEvent

# stored state texts -> the state a visitor is shown: waiting, talking, over
# (an operator's drop-out, "held", is a notice to them, not a state)
STATES = {"queued": "queued", "active": "active", "reopened": "active", "joined": "active",
          "closed": "closed", "abandoned": "closed"}
CLIENT, OPERATOR, SYSTEM = "client", "operator", "system"

OperatorName = Callable[[str], "str | None"]


def parseEventId(text: str | None) -> tuple[int, int] | None:
    """(chat, seq) of an SSE id this service gave, else None."""
    if not text:
        return None
    chat, colon, seq = text.strip().partition(":")
    if not colon or not chat.isdigit() or not seq.isdigit() or len(text) > 40:
        return None
    return int(chat), int(seq)


def isoTime(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat()


def visible(event: ChatEvent) -> bool:
    data = event.data
    if event.kind == MESSAGE:
        return not data.get("blocked") and not data.get("muted")
    if event.kind == NOTICE:
        return data.get("to") == CLIENT
    if event.kind == STATE:
        return event.text in STATES
    return event.kind == FILE


def shown(event: ChatEvent, operatorName: OperatorName) -> dict[str, Any] | None:
    """The ``chat`` event's data for ``event``, or None when the client does
    not see it."""
    if not visible(event):
        return None
    author = event.author
    role = CLIENT if author == CLIENT else SYSTEM if author == SYSTEM else OPERATOR
    data = event.data
    name = operatorName(author) if role == OPERATOR else None
    return {
        "seq": event.seq, "at": isoTime(event.at), "kind": event.kind, "author": role,
        "name": name,  # an operator's display name, never their address
        "text": "" if event.kind == STATE else event.text,
        "key": data.get("key") if event.kind == NOTICE else None,
        "url": data.get("url") if event.kind == FILE else None,
        "state": STATES[event.text] if event.kind == STATE else None,
        "position": data.get("position") if event.kind == NOTICE else None,
    }


def typing(name: str | None, state: str) -> dict[str, Any]:
    return {"name": name, "state": state}


def notice(text: str, key: str | None = None) -> dict[str, Any]:
    return {"text": text, "key": key}
