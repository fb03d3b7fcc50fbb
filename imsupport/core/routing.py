"""
Finding a free operator (R-ROUTE-1..9): a pure function of a snapshot.

``route(node, operators, request)`` returns the operators to offer the chat
to, best first, and for every operator of the node left out the reason why
(kept for logs and ``!status``). No I/O, no clock: the caller passes ``now``
and everything else in, so the order is deterministic and testable.

The rules, in the order they apply:

- Only operators of the node's automatic groups are ever offered a chat;
  manual-only groups (``auto = false``) are reached by redirect only.
- An operator is eligible when switched on (service, node, group and
  operator), online, on shift, not away, under ``max_chats`` (active chats
  in every node plus pending invitations) and speaking one of the client's
  languages; an eligibility plugin's veto counts too.
- Waves: the current wave is the lowest wave at or above
  ``request.min_wave`` that has an eligible operator who has not declined
  ``max_declines`` times (when none has, the waves below ``min_wave`` are
  tried after all: escalation widens the search, it never strands a chat).
  Its operators who have not passed in this round
  (declined, or let the invitation expire) are the candidates; when all of
  them passed, the wave gets a new round (``round_over``). A later wave is
  asked only when the current one has nobody eligible left; ``min_wave``
  moves up when nobody accepted within the wave's ``escalate_after`` (the
  caller keeps that clock).
- Order within the wave: the client's previous operator in this node first
  (R-ROUTE-5; from any wave, when eligible), then by the client's language
  priority (speakers of the first language first), operators without chats
  before those with chats, then the one idle longest, then the JID.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from imsupport.core.model import Group, Node


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
    switched_off: bool = False  # everywhere (service or the operator)


@dataclass(frozen=True)
class ChatRequest:
    languages: tuple[str, ...]  # the client's, in priority order
    passed: frozenset[str] = frozenset()  # declined or timed out in this round
    declines: Mapping[str, int] = field(default_factory=dict)  # jid -> declines so far
    last_operator: str | None = None  # of the client's previous chat here
    min_wave: int | None = None  # waves below were escalated past
    vetoes: Mapping[str, str] = field(default_factory=dict)  # jid -> plugin's reason
    off_groups: frozenset[str] = frozenset()  # groups switched off in this node
    off_operators: frozenset[str] = frozenset()  # operators switched off in this node


@dataclass
class Decision:
    candidates: list[str] = field(default_factory=list)
    wave: int | None = None
    reasons: dict[str, str] = field(default_factory=dict)  # jid -> why not
    round_over: bool = False  # eligible operators exist, but all passed this round


# Reasons an operator is left out, as shown in logs and !status.
OFFLINE = "offline"
AFK = "away (AFK)"
AT_LIMIT = "at max_chats"
NO_LANGUAGE = "shares no language with the client"
OFF_SHIFT = "off shift"
SWITCHED_OFF = "switched off"
PASSED = "declined or let the invitation expire"
DECLINED_ENOUGH = "declined max_declines times"
MANUAL_ONLY = "manual-only group"
LATER_WAVE = "later wave"
EARLIER_WAVE = "earlier wave, escalated past"
UNKNOWN = "not in the directory"


def languageRank(client: tuple[str, ...], operator: tuple[str, ...]) -> int | None:
    """Index of the client's first language the operator speaks, or None."""
    spoken = {lang.split("-")[0] for lang in operator}
    for index, lang in enumerate(client):
        if lang.split("-")[0] in spoken:
            return index
    return None


def ineligibility(op: OperatorSnapshot, request: ChatRequest) -> str | None:
    """Why ``op`` may not be offered this chat now, or None if it may."""
    if op.switched_off or op.jid in request.off_operators:
        return SWITCHED_OFF
    if not op.online:
        return OFFLINE
    if not op.on_shift:
        return OFF_SHIFT
    if op.afk:
        return AFK
    if op.load >= op.max_chats:
        return AT_LIMIT
    if languageRank(request.languages, op.languages) is None:
        return NO_LANGUAGE
    veto = request.vetoes.get(op.jid)
    if veto:
        return veto
    return None


def _groupWaves(node: Node, request: ChatRequest) -> dict[str, list[Group]]:
    """Each operator's automatic, switched-on groups in this node."""
    groups: dict[str, list[Group]] = {}
    for group in node.groups:
        if group.auto and group.name not in request.off_groups:
            for jid in group.operators:
                groups.setdefault(jid, []).append(group)
    return groups


def route(node: Node, operators: Mapping[str, OperatorSnapshot],
          request: ChatRequest) -> Decision:
    decision = Decision()
    memberships = _groupWaves(node, request)
    for group in node.groups:
        if not group.auto or group.name in request.off_groups:
            why = MANUAL_ONLY if not group.auto else SWITCHED_OFF
            for jid in group.operators:
                if jid not in memberships:
                    decision.reasons[jid] = why
    # Each operator's own verdict, whatever wave they are in.
    eligible: dict[str, OperatorSnapshot] = {}
    for jid, groups in memberships.items():
        op = operators.get(jid)
        verdict: str | None = UNKNOWN if op is None else ineligibility(op, request)
        if verdict is None and op is not None:
            max_declines = max(g.max_declines for g in groups)
            if request.declines.get(jid, 0) >= max_declines:
                verdict = DECLINED_ENOUGH
        if verdict is None and op is not None:
            eligible[jid] = op
        else:
            decision.reasons[jid] = verdict or UNKNOWN
    waves = sorted({g.wave for groups in memberships.values() for g in groups})
    floor = request.min_wave if request.min_wave is not None else (waves[0] if waves else 0)
    # Escalation only ever widens the search: when the waves from min_wave up
    # have nobody eligible, the earlier ones are still asked rather than
    # leaving the chat stranded.
    order = [w for w in waves if w >= floor] + [w for w in waves if w < floor]
    for wave in order:
        members = sorted(jid for jid in eligible
                         if any(g.wave == wave for g in memberships[jid]))
        if not members:
            continue
        decision.wave = wave
        fresh = [jid for jid in members if jid not in request.passed]
        if not fresh:
            # Everyone here passed once: this wave gets another round (the
            # caller pauses first) until they decline max_declines times or
            # escalate_after moves the chat on.
            decision.round_over = True
            for jid in members:
                decision.reasons.setdefault(jid, PASSED)
        else:
            decision.candidates = sorted(fresh, key=lambda jid: _order(eligible[jid], request))
            for jid in members:
                if jid in request.passed:
                    decision.reasons.setdefault(jid, PASSED)
        _stickyFirst(decision, eligible, request)
        if decision.candidates:
            decision.round_over = False
        for jid in eligible:
            if jid in decision.candidates or jid in members:
                continue
            escalated_past = all(g.wave < wave for g in memberships[jid])
            decision.reasons.setdefault(jid, EARLIER_WAVE if escalated_past else LATER_WAVE)
        return decision
    _stickyFirst(decision, eligible, request)
    return decision


def _stickyFirst(decision: Decision, eligible: Mapping[str, OperatorSnapshot],
                 request: ChatRequest) -> None:
    """The returning client's operator goes first when eligible, from
    whichever wave (R-ROUTE-5), unless they passed on this chat already."""
    last = request.last_operator
    if last is None or last not in eligible or last in request.passed:
        return
    if last in decision.candidates:
        decision.candidates.remove(last)
    decision.candidates.insert(0, last)
    decision.reasons.pop(last, None)


def _order(op: OperatorSnapshot, request: ChatRequest) -> tuple[int, bool, float, str]:
    rank = languageRank(request.languages, op.languages)
    # every candidate speaks one of the client's languages (ineligibility)
    return (len(request.languages) if rank is None else rank, op.load > 0, op.idle_since,
            op.jid)


def waveEscalation(node: Node, wave: int) -> int:
    """Seconds without acceptance before ``wave`` escalates to the next one:
    the shortest ``escalate_after`` of its automatic groups (0 = never)."""
    times = [g.escalate_after for g in node.groups
             if g.auto and g.wave == wave and g.escalate_after > 0]
    return min(times) if times else 0


def nextWave(node: Node, wave: int) -> int | None:
    later = sorted({g.wave for g in node.groups if g.auto and g.wave > wave})
    return later[0] if later else None
