"""
The domain's nouns: the directory (nodes, groups, operators, FAQ) and the
durable records of a chat (the chat itself and its ordered events).

These are plain frozen dataclasses shared by every layer: the config loader
builds the directory from TOML, the store persists it, the core reads it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NODE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")  # the API's paths take these


@dataclass(frozen=True)
class Operator:
    jid: str  # bare JID, lower-case
    name: str  # shown to clients instead of the JID
    languages: tuple[str, ...] = ("en",)
    max_chats: int = 1
    schedule: str | None = None  # SPEC schedule syntax; None = always on shift
    timezone: str = "UTC"
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    name: str
    operators: tuple[str, ...] = ()  # bare JIDs
    wave: int = 1
    auto: bool = True  # False = manual-only, reached only by redirect
    escalate_after: int = 120  # seconds without acceptance before the next wave
    max_declines: int = 1  # declines per eligible operator before the next wave


@dataclass(frozen=True)
class Node:
    name: str  # local part of the node address
    title: str = ""
    languages: tuple[str, ...] = ("en",)  # first = the node's default language
    invite_timeout: int = 60
    ring: str = "sequential"  # or "parallel"
    schedule: str | None = None  # None = always open
    timezone: str = "UTC"
    exceptions: tuple[str, ...] = ()
    off_hours: str = "autoreply"  # or "offline"
    active_from: str | None = None  # ISO 8601, temporary nodes
    active_until: str | None = None
    client_grace: int = 600  # client unavailable this long -> chat closed
    idle_timeout: int = 1800  # no message this long -> chat closed
    groups: tuple[Group, ...] = ()


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Directory:
    """Everything an admin configures about who answers what."""

    nodes: tuple[Node, ...] = ()
    operators: tuple[Operator, ...] = ()
    faq: tuple[FaqEntry, ...] = ()

    def node(self, name: str) -> Node | None:
        for n in self.nodes:
            if n.name == name:
                return n
        return None

    def operator(self, jid: str) -> Operator | None:
        for o in self.operators:
            if o.jid == jid:
                return o
        return None


# Chat states (R-CHAT-1..5, R-CHAT-7); core/lifecycle.py says which follows which.
QUEUED = "queued"  # waiting for an operator, nobody asked right now
OFFERED = "offered"  # waiting, with an invitation open to one or more operators
ACTIVE = "active"  # an operator is in it
HELD = "held"  # every operator in it dropped out; kept for operator_grace
CLOSED = "closed"
ABANDONED = "abandoned"  # the client left before any operator joined
# A STATE text that is no state of the chat: an invite or redirect asked an
# operator to join (the chat stays as it was)
INVITED = "invited"

WAITING = (QUEUED, OFFERED)
SERVING = (ACTIVE, HELD)
OPEN_STATES = WAITING + SERVING


@dataclass
class ChatRecord:
    """The durable summary of one chat; the core keeps it current and saves it."""

    id: int
    node: str
    client: str  # bare JID of the client (or a web visitor's address)
    state: str = QUEUED
    languages: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()  # operators currently in the chat
    created_at: float = 0.0  # POSIX seconds
    accepted_at: float | None = None
    closed_at: float | None = None
    close_reason: str | None = None
    first_line: str = ""


# Event kinds (R-CHAT-6)
MESSAGE = "message"  # someone's text relayed (or held) in the chat
NOTICE = "notice"  # a system message the service sent to someone
COMMAND = "command"  # an operator's or client's command, never relayed
STATE = "state"  # a state change of the chat (queued, offered, active, ...)
FILE = "file"
RATING = "rating"  # the client's answer to the post-chat question (R-CLI-5)


@dataclass(frozen=True)
class ChatEvent:
    """One entry of a chat's history. ``seq`` is 1, 2, 3... within the chat."""

    chat_id: int
    seq: int
    at: float  # POSIX seconds
    kind: str
    author: str  # "client", "system", or an operator's bare JID
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileRecord:
    """A file the service keeps (R-CLI-1, R-CMD-5, R-CMD-6, SPEC 16). Its
    bytes live under ``[web] files_dir`` named by their SHA-256 (``digest``),
    never by anything a client sent; ``name`` is only shown and offered as the
    download's file name (core/files.safeName made it)."""

    id: str  # short, for ``!file ID``: 8 characters of [a-z0-9]
    token: str  # the secret part of its download URL /f/{token}/{name}
    name: str
    size: int  # bytes
    content_type: str
    digest: str  # SHA-256 of the bytes, hex
    created_at: float  # POSIX seconds
    uploader: str  # "client" is never used here: the bare JID of who uploaded it
    client: str | None = None  # the client of the chat it is in
    chat_id: int | None = None  # None: not linked into a chat (yet), or shared
    shared: bool = False  # a shared file an admin added, for every chat
    source: str = ""  # the URL it was fetched from, for a file from another server

