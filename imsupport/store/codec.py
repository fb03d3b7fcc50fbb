"""
How the domain's dataclasses become rows and JSON, and come back unchanged.

All three stores go through these functions, so a record that survives the
SQLite store also survives the PostgreSQL and the memory store: JSON turns
tuples into lists, and loading turns them back, so a loaded object compares
equal to the one that was stored.
"""
from __future__ import annotations

import dataclasses
import json
import math
from typing import TYPE_CHECKING, Any, Sequence, TypeVar

from imsupport.core.model import (
    ChatEvent,
    ChatRecord,
    FaqEntry,
    FileRecord,
    Group,
    Node,
    Operator,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

ChatRow = tuple[Any, ...]
EventRow = tuple[Any, ...]
FileRow = tuple[Any, ...]


def dumps(value: Any) -> str:
    """JSON text as stored. NaN and infinity are refused because PostgreSQL's
    jsonb refuses them; refusing them everywhere keeps the stores alike."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def loads(value: Any) -> Any:
    """SQLite hands back JSON as text, psycopg2 hands back jsonb parsed."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _build(cls: type[T], data: dict[str, Any]) -> T:
    """Keys the model no longer has are dropped, so an older row still loads
    after a field is removed; missing keys take the model's defaults."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _tuples(v) for k, v in data.items() if k in names})


def itemToJson(item: Operator | Node | FaqEntry) -> str:
    return dumps(dataclasses.asdict(item))


def operatorFromJson(value: Any) -> Operator:
    return _build(Operator, loads(value))


def faqFromJson(value: Any) -> FaqEntry:
    return _build(FaqEntry, loads(value))


def nodeFromJson(value: Any) -> Node:
    data = dict(loads(value))
    groups = tuple(_build(Group, g) for g in data.pop("groups", ()))
    return dataclasses.replace(_build(Node, data), groups=groups)


def chatToRow(chat: ChatRecord) -> ChatRow:
    """A snapshot taken when the write is asked for: the core keeps mutating
    its ChatRecord, and a queued write must store the state it was given."""
    return (int(chat.id), chat.node, chat.client, chat.state,
            dumps(list(chat.languages)), dumps(list(chat.operators)),
            float(chat.created_at), _optFloat(chat.accepted_at), _optFloat(chat.closed_at),
            chat.close_reason, chat.first_line)


def chatFromRow(row: Sequence[Any]) -> ChatRecord:
    (id_, node, client, state, languages, operators, created_at, accepted_at,
     closed_at, close_reason, first_line) = row
    return ChatRecord(id=int(id_), node=node, client=client, state=state,
                      languages=tuple(loads(languages)), operators=tuple(loads(operators)),
                      created_at=float(created_at), accepted_at=_optFloat(accepted_at),
                      closed_at=_optFloat(closed_at), close_reason=close_reason,
                      first_line=first_line)


def eventToRow(event: ChatEvent) -> EventRow:
    return (int(event.chat_id), int(event.seq), float(event.at), event.kind, event.author,
            event.text, dumps(event.data))


def eventFromRow(row: Sequence[Any]) -> ChatEvent:
    chat_id, seq, at, kind, author, text, data = row
    return ChatEvent(chat_id=int(chat_id), seq=int(seq), at=float(at), kind=kind,
                     author=author, text=text, data=loads(data))


def fileId(file_id: str) -> str:
    """An id as stored and looked up: ids compare without case."""
    return str(file_id).lower()


def fileToRow(record: FileRecord) -> FileRow:
    """The columns of ``sql.FILE_COLUMNS``; a value the column cannot hold
    (a size that is no number) fails here, before any database sees it."""
    created_at = float(record.created_at)
    if not math.isfinite(created_at):
        raise ValueError(f"a file's created_at must be a finite number, not {created_at}")
    return (fileId(record.id), str(record.token), str(record.name), int(record.size),
            str(record.content_type), str(record.digest), created_at,
            str(record.uploader), _optStr(record.client),
            None if record.chat_id is None else int(record.chat_id), bool(record.shared),
            str(record.source))


def fileFromRow(row: Sequence[Any]) -> FileRecord:
    (id_, token, name, size, content_type, digest, created_at, uploader, client, chat_id,
     shared, source) = row
    return FileRecord(id=id_, token=token, name=name, size=int(size),
                      content_type=content_type, digest=digest, created_at=float(created_at),
                      uploader=uploader, client=client,
                      chat_id=None if chat_id is None else int(chat_id), shared=bool(shared),
                      source=source)


def _optStr(value: Any) -> str | None:
    return None if value is None else str(value)


def _optFloat(value: Any) -> float | None:
    return None if value is None else float(value)
