"""``/chats``: the stored chats (store.findChats, store.chatEvents)."""
from __future__ import annotations

import base64
import binascii
import math
from dataclasses import asdict
from typing import Any, Generator

from twisted.internet.defer import Deferred, inlineCallbacks

from imsupport.core.model import ChatEvent, ChatRecord
from imsupport.core.transcript import transcript
from imsupport.store.interfaces import IStore
from imsupport.web.api.app import Text
from imsupport.web.api.errors import badRequest, notFound
from imsupport.web.api.ports import JSON, CoreRef, isoTime, operatorName, parseTime


def makeCursor(record: ChatRecord) -> str:
    """Opaque to callers: the (created_at, id) of the last chat of a page,
    the time as its exact repr, in URL-safe base64."""
    raw = f"{record.created_at!r}:{record.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def readCursor(cursor: str | None) -> tuple[float, int] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, chat_id = raw.split(":")
        found = (float(at), int(chat_id))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise badRequest("next: not a cursor this API gave out") from None
    if not math.isfinite(found[0]) or found[1] < 0:
        raise badRequest("next: not a cursor this API gave out")
    return found


def chatJson(record: ChatRecord) -> JSON:
    return {"id": record.id, "node": record.node, "client": record.client,
            "operators": list(record.operators), "created_at": isoTime(record.created_at),
            "accepted_at": isoTime(record.accepted_at), "closed_at": isoTime(record.closed_at),
            "close_reason": record.close_reason, "state": record.state,
            "first_line": record.first_line}


def eventJson(event: ChatEvent) -> JSON:
    out = asdict(event)
    del out["chat_id"]
    out["at"] = isoTime(event.at)
    return out


class ChatRoutes:
    def __init__(self, store: IStore, core: CoreRef) -> None:
        self.store = store
        self.core = core

    def listChats(self, limit: int, **filters: Any) -> Deferred[JSON]:
        """Newest first; one more than ``limit`` is asked for, to learn
        whether a next page exists (its cursor is the last chat shown)."""
        d: Deferred[list[ChatRecord]] = self.store.findChats(
            node=filters.get("node"), client=filters.get("client"),
            operator=filters.get("operator"), state=filters.get("state"),
            since=parseTime("from", filters.get("from")),
            until=parseTime("to", filters.get("to")), limit=limit + 1,
            q=filters.get("q"), before=readCursor(filters.get("next")))

        def page(records: list[ChatRecord]) -> JSON:
            shown = records[:limit]
            more = len(records) > limit and shown
            return {"items": [chatJson(r) for r in shown],
                    "next": makeCursor(shown[-1]) if more else None}
        return d.addCallback(page)

    @inlineCallbacks
    def _chat(self, chat_id: int) -> Generator[Deferred[Any], Any, tuple[ChatRecord,
                                                                         list[ChatEvent]]]:
        record = yield self.store.getChat(chat_id)
        if record is None:
            raise notFound(f"There is no chat {chat_id}.")
        events = yield self.store.chatEvents(chat_id)
        return record, events

    def getChat(self, id: int) -> Deferred[JSON]:
        def shown(found: tuple[ChatRecord, list[ChatEvent]]) -> JSON:
            record, events = found
            return chatJson(record) | {"events": [eventJson(e) for e in events]}
        return self._chat(id).addCallback(shown)

    def getTranscript(self, id: int) -> Deferred[Text]:
        def text(found: tuple[ChatRecord, list[ChatEvent]]) -> Text:
            return Text(transcript(found[0], found[1], operatorName(self.core())))
        return self._chat(id).addCallback(text)
