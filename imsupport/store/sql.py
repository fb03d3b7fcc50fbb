"""
Every SQL statement of the store, written once for SQLite and PostgreSQL.

A store operation is a *program*: a generator that yields statements and gets
each one's result back. The SQLite store runs programs synchronously on its
database thread (inside ``runInteraction``, buildbot style); the PostgreSQL
store runs the same programs asynchronously on a txpostgres cursor. Writing
each operation once keeps both stores answering the contract alike.

Placeholders are ``?``; the PostgreSQL driver turns them into ``%s``. The two
dialects already share ``INSERT ... ON CONFLICT ... DO UPDATE``; what differs
is listed in ``_DIALECT``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generator, Iterable, Sequence, TypeVar

from imsupport.core.model import OPEN_STATES, ChatEvent, ChatRecord, Directory, FileRecord
from imsupport.store import codec
from imsupport.store.codec import ChatRow, EventRow, FileRow
from imsupport.store.interfaces import StoreError

T = TypeVar("T")


@dataclass(frozen=True)
class Query:
    """Result: the list of rows."""
    sql: str
    params: Sequence[Any] = ()


@dataclass(frozen=True)
class Execute:
    """Result: the number of rows changed."""
    sql: str
    params: Sequence[Any] = ()


@dataclass(frozen=True)
class InsertMany:
    """``head`` + one ``row`` template per row + ``tail``. SQLite runs it with
    executemany; PostgreSQL sends multi-row VALUES, far fewer round trips.
    Result: None."""
    head: str
    row: str
    rows: Sequence[Sequence[Any]]
    tail: str = ""


@dataclass(frozen=True)
class Script:
    """Several statements without parameters (a schema step). Result: None."""
    sql: str


Statement = Query | Execute | InsertMany | Script
Program = Generator[Statement, Any, T]

CHAT_COLUMNS = ("id, node, client, state, languages, operators, created_at, accepted_at, "
                "closed_at, close_reason, first_line")
EVENT_COLUMNS = "chat_id, seq, at, kind, author, text, data"
FILE_COLUMNS = ("id, token, name, size, content_type, digest, created_at, uploader, client, "
                "chat_id, shared, source")
PROBE_BYTES = 4096  # what the write probe writes each time

_DIALECT: dict[str, dict[str, str | None]] = {
    "sqlite": {
        "operator_listed": "EXISTS (SELECT 1 FROM json_each(chats.operators) AS o "
                           "WHERE o.value = ?)",
        "upgrade_lock": None,
        # SQLite's lower() knows only ASCII; the store registers Python's
        # (sqlite.py) so that "Отчёт" is found as "отчёт"
        "lower": "imsupport_lower",
    },
    "postgresql": {
        "operator_listed": "chats.operators @> jsonb_build_array(?::text)",
        # two processes starting at once must not both apply a step
        "upgrade_lock": "SELECT pg_advisory_xact_lock(7351902641)",
        "lower": "lower",  # Unicode-aware under any UTF-8 LC_CTYPE but C
    },
}

# directory kind (a Directory field) -> (table, key column, loader)
DIRECTORY: dict[str, tuple[str, str, Callable[[str], Any]]] = {
    "operators": ("operators", "jid", codec.operatorFromJson),
    "nodes": ("nodes", "name", codec.nodeFromJson),
    "faq": ("faq", "id", codec.faqFromJson),
}


# -- chat writes (group commit) -------------------------------------------------

@dataclass(frozen=True)
class ChatWrite:
    """One saveChat or appendEvents call, already turned into rows."""
    chats: tuple[ChatRow, ...] = ()
    events: tuple[EventRow, ...] = ()
    outbox: tuple[Any, ...] = ()  # sqlhooks.OutboxRow: the events for integrators they report


def writeChats(writes: Sequence[ChatWrite]) -> Program[None]:
    """Chats first (the last save of a chat in the batch wins, as it would
    one call at a time), then every event, each with one statement."""
    chats = {row[0]: row for w in writes for row in w.chats}
    events = [row for w in writes for row in w.events]
    if chats:
        updates = ", ".join(f"{c} = excluded.{c}" for c in CHAT_COLUMNS.split(", ")[1:])
        yield InsertMany(f"INSERT INTO chats ({CHAT_COLUMNS}) VALUES ",
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(chats.values()),
                         f" ON CONFLICT (id) DO UPDATE SET {updates}")
    if events:
        yield InsertMany(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ",
                         "(?, ?, ?, ?, ?, ?, ?)", events)
    yield from _outbox(writes)


def _outbox(writes: Sequence[ChatWrite]) -> Program[None]:
    from imsupport.store.sqlhooks import insertOutbox
    yield from insertOutbox([row for w in writes for row in w.outbox])


def writeChatsAgain(writes: Sequence[ChatWrite]) -> Program[None]:
    """``writeChats`` for writes that may have been committed already: the
    server committed, then the answer was lost (it died, the connection
    dropped), and the write is tried again. An event whose row is there and
    equal to it is taken as stored, not stored twice; a different event at
    its (chat_id, seq) is still an error. Run only after ``writeChats``
    failed, so the normal path pays nothing for it."""
    events = [row for w in writes for row in w.events]
    yield from writeChats([ChatWrite(chats=w.chats, outbox=w.outbox) for w in writes])
    wanted: dict[int, dict[int, EventRow]] = {}
    for row in events:
        wanted.setdefault(row[0], {})[row[1]] = row
    there: set[tuple[int, int]] = set()
    for chat_id, rows in wanted.items():
        stored = yield Query(f"SELECT {EVENT_COLUMNS} FROM events WHERE chat_id = ? "
                             "AND seq BETWEEN ? AND ?", (chat_id, min(rows), max(rows)))
        for found in stored:
            mine = rows.get(int(found[1]))
            if mine is None:
                continue
            if codec.eventFromRow(found) != codec.eventFromRow(mine):
                raise StoreError(f"chat {chat_id} already has a different event {found[1]}")
            there.add((chat_id, int(found[1])))
    fresh = [row for row in events if (row[0], row[1]) not in there]
    if fresh:
        yield InsertMany(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ",
                         "(?, ?, ?, ?, ?, ?, ?)", fresh)


def probe(at: float) -> Program[None]:
    """A small write that keeps nothing new: one row, rewritten, with a few
    kilobytes so that it needs pages like a chat write does."""
    yield Execute("INSERT INTO store_probe (id, at, pad) VALUES (1, ?, ?) "
                  "ON CONFLICT (id) DO UPDATE SET at = excluded.at, pad = excluded.pad",
                  (at, bytes(PROBE_BYTES)))


# -- chat reads ---------------------------------------------------------------

def getChat(chat_id: int) -> Program[ChatRecord | None]:
    rows = yield Query(f"SELECT {CHAT_COLUMNS} FROM chats WHERE id = ?", (chat_id,))
    return codec.chatFromRow(rows[0]) if rows else None


def chatEvents(chat_id: int, after_seq: int) -> Program[list[ChatEvent]]:
    rows = yield Query(f"SELECT {EVENT_COLUMNS} FROM events WHERE chat_id = ? AND seq > ? "
                       "ORDER BY seq", (chat_id, after_seq))
    return [codec.eventFromRow(r) for r in rows]


def openChats() -> Program[list[ChatRecord]]:
    marks = ", ".join("?" for _ in OPEN_STATES)
    rows = yield Query(f"SELECT {CHAT_COLUMNS} FROM chats WHERE state IN ({marks}) "
                       "ORDER BY id", OPEN_STATES)
    return [codec.chatFromRow(r) for r in rows]


def _equal(pairs: Iterable[tuple[str, Any]], table: str = "") -> tuple[list[str], list[Any]]:
    """WHERE terms ``column = ?`` (and their parameters) for the given values."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in pairs:
        if value is not None:
            where.append(f"{table}{column} = ?")
            params.append(value)
    return where, params


def findChats(dialect: str, node: str | None = None, client: str | None = None,
              operator: str | None = None, state: str | None = None,
              since: float | None = None, until: float | None = None,
              limit: int | None = 100, before: tuple[float, int] | None = None,
              terms: Sequence[str] = (),
              termParams: Sequence[Any] = ()) -> Program[list[ChatRecord]]:
    """``since`` is inclusive and ``until`` exclusive, so consecutive periods
    never count a chat twice. ``limit`` None means no limit. ``before`` is a
    keyset cursor, (created_at, id) of the last chat of the previous page;
    ``terms`` are more WHERE terms with ``termParams`` (sqlsearch)."""
    where, params = _equal((("node", node), ("client", client), ("state", state)))
    if before is not None:
        where.append("(created_at, id) < (?, ?)")
        params += [float(before[0]), int(before[1])]
    if since is not None:
        where.append("created_at >= ?")
        params.append(since)
    if until is not None:
        where.append("created_at < ?")
        params.append(until)
    if operator is not None:
        where.append(f"({_DIALECT[dialect]['operator_listed']} OR EXISTS (SELECT 1 FROM events "
                     "WHERE events.chat_id = chats.id AND events.author = ?))")
        params += [operator, operator]
    where += terms
    params += termParams
    sql = f"SELECT {CHAT_COLUMNS} FROM chats"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    rows = yield Query(sql, params)
    return [codec.chatFromRow(r) for r in rows]


def maxChatId() -> Program[int]:
    rows = yield Query("SELECT COALESCE(MAX(id), 0) FROM chats")
    return int(rows[0][0])


# -- files (R-CLI-1, R-CMD-6, SPEC 16) ------------------------------------------

def putFile(row: FileRow) -> Program[None]:
    """Replaces the record with the same id; a token another record has
    breaks the unique constraint, which is an error."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in FILE_COLUMNS.split(", ")[1:])
    marks = ", ".join("?" for _ in row)
    yield Execute(f"INSERT INTO files ({FILE_COLUMNS}) VALUES ({marks}) "
                  f"ON CONFLICT (id) DO UPDATE SET {updates}", row)


def getFile(file_id: str) -> Program[FileRecord | None]:
    rows = yield Query(f"SELECT {FILE_COLUMNS} FROM files WHERE id = ?", (codec.fileId(file_id),))
    return codec.fileFromRow(rows[0]) if rows else None


def fileByToken(token: str) -> Program[FileRecord | None]:
    rows = yield Query(f"SELECT {FILE_COLUMNS} FROM files WHERE token = ?", (token,))
    return codec.fileFromRow(rows[0]) if rows else None


def likeWord(word: str) -> str:
    """A LIKE pattern that finds ``word`` anywhere, its own ``%``, ``_`` and
    ``\\`` taken literally (the statements say ``ESCAPE '\\'``)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def findFiles(dialect: str, words: str | None = None, client: str | None = None,
              chat_id: int | None = None, shared: bool | None = None,
              uploader: str | None = None, since: float | None = None,
              limit: int | None = 100) -> Program[list[FileRecord]]:
    """``since`` is inclusive, as in findChats. Each word is looked for in
    the name and in the first line of the file's chat, both sides lowered by
    the same function so the two dialects agree on case."""
    where, params = _equal((("client", client), ("chat_id", chat_id), ("uploader", uploader)),
                           table="files.")
    if shared is not None:
        where.append("files.shared = ?")
        params.append(bool(shared))
    if since is not None:
        where.append("files.created_at >= ?")
        params.append(since)
    sql = f"SELECT {', '.join('files.' + c for c in FILE_COLUMNS.split(', '))} FROM files"
    terms = (words or "").split()
    if terms:
        lower = _DIALECT[dialect]["lower"]
        sql += " LEFT JOIN chats ON chats.id = files.chat_id"
        for term in terms:
            where.append(f"({lower}(files.name) LIKE {lower}(?) ESCAPE '\\' OR "
                         f"{lower}(COALESCE(chats.first_line, '')) LIKE {lower}(?) ESCAPE '\\')")
            params += [likeWord(term)] * 2
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY files.created_at DESC, files.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    rows = yield Query(sql, params)
    return [codec.fileFromRow(r) for r in rows]


def fileUsage(uploader: str, since: float) -> Program[tuple[int, int]]:
    rows = yield Query("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files "
                       "WHERE uploader = ? AND created_at >= ?", (uploader, since))
    return int(rows[0][0]), int(rows[0][1])


# -- directory ----------------------------------------------------------------

def loadDirectory() -> Program[Directory]:
    """Items come back in the order they were stored (the position column),
    so a loaded Directory equals the one that was stored."""
    loaded = {}
    for kind, (table, _, load) in DIRECTORY.items():
        rows = yield Query(f"SELECT data FROM {table} ORDER BY position")
        loaded[kind] = tuple(load(r[0]) for r in rows)
    return Directory(**loaded)


def replaceDirectory(directory: Directory) -> Program[None]:
    for kind, (table, key, _) in DIRECTORY.items():
        yield Execute(f"DELETE FROM {table}")
        items = getattr(directory, kind)
        if items:
            yield InsertMany(f"INSERT INTO {table} ({key}, position, data) VALUES ", "(?, ?, ?)",
                             [(getattr(item, key), i, codec.itemToJson(item))
                              for i, item in enumerate(items)])


def putItem(kind: str, item: Any) -> Program[None]:
    """A new item goes last; a replaced one keeps its place."""
    table, key, _ = DIRECTORY[kind]
    yield Execute(f"INSERT INTO {table} ({key}, position, data) VALUES "
                  f"(?, (SELECT COALESCE(MAX(position), -1) + 1 FROM {table}), ?) "
                  f"ON CONFLICT ({key}) DO UPDATE SET data = excluded.data",
                  (getattr(item, key), codec.itemToJson(item)))


def deleteItem(kind: str, keyValue: str) -> Program[bool]:
    table, key, _ = DIRECTORY[kind]
    count: int = yield Execute(f"DELETE FROM {table} WHERE {key} = ?", (keyValue,))
    return count > 0


# -- subscribers --------------------------------------------------------------

def addSubscriber(node: str, jid: str) -> Program[None]:
    yield Execute("INSERT INTO subscribers (node, jid) VALUES (?, ?) "
                  "ON CONFLICT (node, jid) DO NOTHING", (node, jid))


def removeSubscriber(node: str, jid: str) -> Program[None]:
    yield Execute("DELETE FROM subscribers WHERE node = ? AND jid = ?", (node, jid))


def subscribers() -> Program[dict[str, set[str]]]:
    rows = yield Query("SELECT node, jid FROM subscribers")
    result: dict[str, set[str]] = {}
    for node, jid in rows:
        result.setdefault(node, set()).add(jid)
    return result


# -- schema -------------------------------------------------------------------

def schemaVersion() -> Program[int]:
    yield Script("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                 "name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)")
    rows = yield Query("SELECT COALESCE(MAX(version), 0) FROM schema_version")
    return int(rows[0][0])


def upgrade(dialect: str, steps: Sequence[Any], now: float) -> Program[list[int]]:
    """Apply the steps newer than the recorded version, in order, in the
    transaction the program runs in: a failing step leaves the database as
    it was. Returns the versions applied."""
    lock = _DIALECT[dialect]["upgrade_lock"]
    if lock:
        yield Query(lock)
    current = yield from schemaVersion()
    applied = []
    for step in steps:
        if step.version > current:
            yield Script(step.sql)
            yield Execute("INSERT INTO schema_version (version, name, applied_at) "
                          "VALUES (?, ?, ?)", (step.version, step.name, now))
            applied.append(step.version)
    return applied


# -- switches -------------------------------------------------------------------

def setSwitch(target: str, off: bool, mode: str, at: float) -> Program[None]:
    if off:
        yield Execute("INSERT INTO switches (target, mode, at) VALUES (?, ?, ?) "
                      "ON CONFLICT (target) DO UPDATE SET mode = excluded.mode, "
                      "at = excluded.at", (target, mode, at))
    else:
        yield Execute("DELETE FROM switches WHERE target = ?", (target,))


def switchedOff() -> Program[set[str]]:
    rows = yield Query("SELECT target FROM switches")
    return {target for (target,) in rows}
