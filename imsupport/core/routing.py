"""
Finding a free operator (R-ROUTE-*): a pure function of a snapshot.

``route(node, operators, request)`` returns the operators to offer the chat
to, best first, and for everyone left out the reason why. No I/O, no clock:
the caller passes everything in, so the order is deterministic and testable.

This first version covers waves (the next wave only when the earlier one has
nobody eligible left to try), manual-only groups, load, languages, the
returning client's operator and fair ties (idle longest first).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from imsupport.core.model import Node


@dataclass(frozen=True)
class OperatorSnapshot:
    jid: str
    online: bool
    afk: bool
    load: int  # active chats across all nodes plus pending invitations
    max_chats: int
    languages: tuple[str, ...]
    idle_since: float  # when the operator last had no chat (or came online)
    on_shift: bool = True
    switched_off: bool = False


@dataclass(frozen=True)
class ChatRequest:
    languages: tuple[str, ...]  # the client's, in priority order
    tried: frozenset[str] = frozenset()  # declined or let the invitation expire
    last_operator: str | None = None  # of the client's previous chat here


@dataclass
class Decision:
    candidates: list[str] = field(default_factory=list)
    wave: int | None = None
    reasons: dict[str, str] = field(default_factory=dict)  # jid -> why not


# Reasons an operator is left out, as shown in logs and !status.
OFFLINE = "offline"
AFK = "afk"
AT_LIMIT = "at max_chats"
NO_LANGUAGE = "shares no language"
OFF_SHIFT = "off shift"
SWITCHED_OFF = "switched off"
ALREADY_TRIED = "declined or timed out"
MANUAL_ONLY = "manual-only group"
LATER_WAVE = "later wave"


def _languageRank(client: tuple[str, ...], operator: tuple[str, ...]) -> int | None:
    """Index of the client's first language the operator speaks, or None."""
    spoken = {lang.split("-")[0] for lang in operator}
    for index, lang in enumerate(client):
        if lang.split("-")[0] in spoken:
            return index
    return None


def ineligibility(op: OperatorSnapshot, request: ChatRequest) -> str | None:
    """Why ``op`` may not be offered this chat now, or None if it may."""
    if op.switched_off:
        return SWITCHED_OFF
    if not op.online:
        return OFFLINE
    if not op.on_shift:
        return OFF_SHIFT
    if op.afk:
        return AFK
    if op.load >= op.max_chats:
        return AT_LIMIT
    if _languageRank(request.languages, op.languages) is None:
        return NO_LANGUAGE
    return None


def route(node: Node, operators: Mapping[str, OperatorSnapshot],
          request: ChatRequest) -> Decision:
    decision = Decision()
    waves = sorted({g.wave for g in node.groups if g.auto})
    for group in node.groups:
        if not group.auto:
            for jid in group.operators:
                decision.reasons.setdefault(jid, MANUAL_ONLY)
    for wave in waves:
        members = sorted({jid for g in node.groups if g.auto and g.wave == wave
                          for jid in g.operators})
        eligible: list[OperatorSnapshot] = []
        for jid in members:
            op = operators.get(jid)
            why = OFFLINE if op is None else ineligibility(op, request)
            if why is None and jid in request.tried:
                why = ALREADY_TRIED
            if why is None and op is not None:
                eligible.append(op)
                decision.reasons.pop(jid, None)
            elif jid not in decision.candidates:
                decision.reasons[jid] = why or OFFLINE
        if eligible:
            decision.wave = wave
            decision.candidates = [op.jid for op in sorted(
                eligible, key=lambda op: _order(op, request))]
            for later in waves[waves.index(wave) + 1:]:
                for g in node.groups:
                    if g.auto and g.wave == later:
                        for jid in g.operators:
                            if jid not in decision.candidates:
                                decision.reasons.setdefault(jid, LATER_WAVE)
            return decision
    return decision


def _order(op: OperatorSnapshot, request: ChatRequest) -> tuple:
    sticky = 0 if op.jid == request.last_operator else 1
    rank = _languageRank(request.languages, op.languages)
    return (sticky, rank, op.load > 0, op.idle_since, op.jid)
