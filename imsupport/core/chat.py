"""
One open chat as the core holds it in memory: its durable record plus the
timers, routing and receipt bookkeeping that only matter while it is open.
(Its invitations are in the registry, core/invitations.py.)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from imsupport.core.model import SERVING, WAITING, ChatRecord
from imsupport.core.timers import Timers

RECEIPTS_KEPT = 500  # per chat; older receipt mappings are forgotten

REDIRECT = "redirect"
INVITE = "invite"

# the chat's timers (Timers names); an invitation's is "invitation:<jid>",
# an operator's grace "held:<jid>"
IDLE = "idle"
CLIENT_GONE = "client_gone"
RETRY = "retry"  # the next round of a wave
ESCALATION = "escalation"


@dataclass
class Transfer:
    """A redirect or an invitation of another operator into an active chat
    (R-CMD-7, R-CMD-8): the candidates are asked one by one."""

    kind: str  # REDIRECT or INVITE
    by: str  # the operator who asked
    target: str  # what they asked for, as typed, for the notices
    candidates: list[str]
    note: str = ""  # the words after the target, for whoever is asked
    # what the client wrote (first line, latest lines) and how many lines between
    question: list[tuple[float, str]] = field(default_factory=list)
    skipped: int = 0


@dataclass
class Chat:
    record: ChatRecord
    timers: Timers
    seq: int = 0  # last event seq handed out
    client_lines: list[tuple[float, str]] = field(default_factory=list)  # stored ones
    passed: set[str] = field(default_factory=set)  # declined or timed out this round
    declines: dict[str, int] = field(default_factory=dict)  # operator -> declines
    last_operator: str | None = None  # of the client's previous chat here
    looking_up: bool = False  # the client's previous operator is being read
    checking: bool = False  # eligibility plugins are being asked
    wave: int | None = None  # the wave being offered now
    min_wave: int | None = None  # escalated past the waves below
    muted: set[str] = field(default_factory=set)  # operators whose words skip the client
    held: set[str] = field(default_factory=set)  # operators gone, within their grace
    transfer: Transfer | None = None
    earlier: list[ChatRecord] = field(default_factory=list)  # the client's, newest first
    # relayed message id -> (who sent the original, the original id)
    receipts: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def node(self) -> str:
        return self.record.node

    @property
    def client(self) -> str:
        return self.record.client

    @property
    def state(self) -> str:
        return self.record.state

    @property
    def queued(self) -> bool:
        """Waiting for an operator (queued, or offered to one)."""
        return self.record.state in WAITING

    @property
    def active(self) -> bool:
        """An operator is in it (or it is held for one who dropped out)."""
        return self.record.state in SERVING

    def nextSeq(self) -> int:
        self.seq += 1
        return self.seq

    def rememberReceipt(self, relayed_id: str, sender: str, original_id: str) -> None:
        self.receipts[relayed_id] = (sender, original_id)
        while len(self.receipts) > RECEIPTS_KEPT:
            del self.receipts[next(iter(self.receipts))]

    def stopOffering(self) -> None:
        """The chat left the queue: no more rounds or escalations."""
        self.timers.cancel(RETRY)
        self.timers.cancel(ESCALATION)


def parseCommand(prefix: str, text: str) -> tuple[str, list[str]] | None:
    """``"!close now"`` -> ``("close", ["now"])``; None when not a command."""
    stripped = text.strip()
    if not prefix or not stripped.startswith(prefix):
        return None
    words = stripped[len(prefix):].split()
    if not words or not words[0][:1].isalpha():
        return None
    return words[0].lower(), words[1:]


def describeChat(record: ChatRecord, displayName: Callable[[str], str],
                 link: Callable[[int], str] | None = None) -> str:
    """One line about a past chat, for !history and returning clients, and
    under it the link to its transcript when ``link`` makes them."""
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(record.created_at))
    who = ", ".join(displayName(o) for o in record.operators) or "-"
    line = f"#{record.id} {when} UTC, {record.node}, {who}, {record.state}: " \
        f"{record.first_line[:80]}"
    return line if link is None else f"{line}\n    {link(record.id)}"
