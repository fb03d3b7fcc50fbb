"""Properties of ``route()`` over random nodes, operators and requests.

The checks below restate the routing rules independently of routing.py
(``Oracle``), so a change in route() that breaks a rule for some combination
the tables in test_routing.py do not list shows up here with the smallest
input hypothesis can find.
"""
from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsupport.core.model import Group, Node
from imsupport.core.routing import ChatRequest, Decision, OperatorSnapshot, route

JIDS = [f"op{i}@shop.test" for i in range(8)]
LANGUAGES = ["en", "ru", "de", "fr", "en-gb", "pt-br"]
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# Generating is what costs here, so each record is drawn as one string of
# bytes and unpacked (``Digits``): one draw per operator instead of a dozen
# keeps the file well under ten seconds, and shrinking still goes towards
# zero bytes, which read as "plain" (online, on shift, no declines...).


class Digits:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, base: int) -> int:
        byte = self.data[self.at % len(self.data)]
        self.at += 1
        return byte % base

    def subset(self, items: list[str], one_in: int = 2) -> list[str]:
        """Each item with probability about 1/one_in."""
        return [item for item in items if self.take(one_in) == one_in - 1]


def packed(size: int) -> st.SearchStrategy[Digits]:
    return st.binary(min_size=size, max_size=size).map(Digits)


def group(index: int, d: Digits) -> Group:
    return Group(
        name=f"g{index}",
        operators=tuple(jid for jid in JIDS if d.take(3) != 2),
        wave=1 + d.take(3),
        auto=d.take(4) != 3,  # some manual-only groups
        escalate_after=(120, 30, 0)[d.take(3)],
        max_declines=1 + d.take(3))


@st.composite
def nodes(draw) -> Node:
    count = draw(st.integers(1, 4))
    d = draw(packed(16 * count))
    return Node("sales", groups=tuple(group(i, d) for i in range(count)))


def snapshot(jid: str, d: Digits) -> OperatorSnapshot:
    max_chats = 1 + d.take(3)
    busy = d.take(5) == 4
    return OperatorSnapshot(
        jid=jid, online=d.take(8) != 7, afk=d.take(8) == 7,
        load=max_chats + d.take(2) if busy else d.take(max_chats), max_chats=max_chats,
        languages=tuple(lang for lang in LANGUAGES if d.take(3) != 2),
        idle_since=float(d.take(4)),  # few values: ties happen
        on_shift=d.take(8) != 7, switched_off=d.take(12) == 11)


@st.composite
def operatorMaps(draw) -> dict[str, OperatorSnapshot]:
    d = draw(packed(16 * len(JIDS)))
    return {jid: snapshot(jid, d) for jid in JIDS if d.take(10) != 9}


@st.composite
def requests(draw, node: Node) -> ChatRequest:
    d = draw(packed(64))
    declines = {}
    for jid in JIDS:
        count = d.take(10)
        if 1 <= count <= 3:
            declines[jid] = count
    last = d.take(len(JIDS) + 3)
    min_wave = d.take(8)
    return ChatRequest(
        languages=tuple(draw(st.lists(st.sampled_from(LANGUAGES), unique=True,
                                      min_size=1, max_size=3))),
        passed=frozenset(d.subset(JIDS, 3)),
        declines=declines,
        last_operator=JIDS[last] if last < len(JIDS) else None,
        min_wave=min_wave if 1 <= min_wave <= 4 else None,
        vetoes={jid: "on the phone" for jid in d.subset(JIDS, 10)},
        off_groups=frozenset(g.name for g in node.groups if d.take(6) == 5),
        off_operators=frozenset(d.subset(JIDS, 10)))


@st.composite
def scenarios(draw) -> tuple[Node, dict[str, OperatorSnapshot], ChatRequest]:
    node = draw(nodes())
    return node, draw(operatorMaps()), draw(requests(node))


class Oracle:
    """The rules of R-ROUTE-1..8, written again from the docstring."""

    def __init__(self, node: Node, operators: dict[str, OperatorSnapshot],
                 request: ChatRequest) -> None:
        self.node, self.operators, self.request = node, operators, request
        self.autoGroups = [g for g in node.groups
                           if g.auto and g.name not in request.off_groups]

    def waves(self, jid: str) -> set[int]:
        return {g.wave for g in self.autoGroups if jid in g.operators}

    def rank(self, jid: str) -> int | None:
        spoken = {lang.split("-")[0] for lang in self.operators[jid].languages}
        for index, lang in enumerate(self.request.languages):
            if lang.split("-")[0] in spoken:
                return index
        return None

    def eligible(self, jid: str) -> bool:
        """May be offered now, whatever the wave, passes aside."""
        op, request = self.operators.get(jid), self.request
        if op is None or not self.waves(jid):
            return False
        if op.switched_off or jid in request.off_operators or not op.online \
                or not op.on_shift or op.afk or op.load >= op.max_chats:
            return False
        if self.rank(jid) is None or request.vetoes.get(jid):
            return False
        allowed = max(g.max_declines for g in self.autoGroups if jid in g.operators)
        return request.declines.get(jid, 0) < allowed

    def floor(self) -> int:
        if self.request.min_wave is not None:
            return self.request.min_wave
        all_waves = {g.wave for g in self.autoGroups if g.operators}
        return min(all_waves) if all_waves else 0

    def key(self, jid: str) -> tuple:
        op = self.operators[jid]
        return (self.rank(jid), op.load > 0, op.idle_since, jid)

    def sticky(self, decision: Decision) -> str | None:
        """The returning client's operator when route() put them first."""
        last = self.request.last_operator
        if decision.candidates and decision.candidates[0] == last:
            return last
        return None


def nodeOperators(node: Node) -> set[str]:
    return {jid for g in node.groups for jid in g.operators}


@SETTINGS
@given(scenarios())
def test_never_offers_an_ineligible_operator(scenario):
    """(a) Nobody switched off, offline, off shift, away, at max_chats,
    without a shared language, vetoed, declined max_declines times or only
    in manual-only / switched-off groups is ever a candidate."""
    node, operators, request = scenario
    oracle = Oracle(node, operators, request)
    for jid in route(node, operators, request).candidates:
        op = operators[jid]
        assert not op.switched_off and jid not in request.off_operators
        assert op.online and op.on_shift and not op.afk
        assert op.load < op.max_chats
        assert oracle.rank(jid) is not None
        assert not request.vetoes.get(jid)
        assert oracle.waves(jid), "only in manual-only or switched-off groups"
        assert oracle.eligible(jid)


@SETTINGS
@given(scenarios())
def test_later_wave_waits_for_earlier_waves(scenario):
    """(b) The candidates come from one wave (decision.wave): the lowest at
    or above min_wave with an eligible operator, so a later wave is never
    offered the chat while an earlier one (>= min_wave) has an eligible
    operator who has neither declined max_declines times nor passed (that
    wave has a round, or a new round when all of them passed). With nobody
    eligible from min_wave up, the lowest wave below it with someone eligible
    (escalation widens the search, it never strands a chat). None of them
    passed this round. The one exception: the client's previous operator
    (R-ROUTE-5) may be put first from any wave."""
    node, operators, request = scenario
    oracle = Oracle(node, operators, request)
    decision = route(node, operators, request)
    sticky = oracle.sticky(decision)
    floor = oracle.floor()
    eligible = {jid for jid in nodeOperators(node) if oracle.eligible(jid)}
    waves = {w for jid in eligible for w in oracle.waves(jid)}
    live = sorted(w for w in waves if w >= floor) + sorted(w for w in waves if w < floor)
    others = [jid for jid in decision.candidates if jid != sticky]
    if decision.round_over:
        assert not decision.candidates
    if live:
        assert decision.wave == live[0]
        current = {jid for jid in eligible if decision.wave in oracle.waves(jid)}
        fresh = current - request.passed
        assert set(others) == fresh - {sticky}
        assert decision.round_over is (not fresh and sticky is None)
    else:
        assert decision.wave is None and not decision.candidates
        assert not decision.round_over
    for jid in others:
        assert decision.wave in oracle.waves(jid)
        assert jid not in request.passed
    if sticky is not None:
        assert sticky not in request.passed and oracle.eligible(sticky)


@SETTINGS
@given(scenarios(), st.integers(0, 2**32))
def test_deterministic_whatever_the_iteration_order(scenario, seed: int):
    """(c) Same input, same output; the order of the operators mapping and
    of the members within a group do not matter."""
    node, operators, request = scenario
    rnd = random.Random(seed)
    first = route(node, operators, request)
    assert route(node, operators, request) == first
    items = list(operators.items())
    rnd.shuffle(items)
    shuffled_groups = tuple(replace(g, operators=tuple(rnd.sample(g.operators,
                                                                  len(g.operators))))
                            for g in node.groups)
    again = route(replace(node, groups=shuffled_groups), dict(items), request)
    assert again == first


@SETTINGS
@given(scenarios())
def test_every_operator_is_a_candidate_or_has_a_reason(scenario):
    """(d) No duplicates; every operator of the node is either a candidate
    or has a reason, never both; nobody outside the node appears."""
    node, operators, request = scenario
    decision = route(node, operators, request)
    members = nodeOperators(node)
    candidates = set(decision.candidates)
    assert len(candidates) == len(decision.candidates)
    assert not candidates & set(decision.reasons)
    assert candidates | set(decision.reasons) == members
    assert all(decision.reasons.values())


@SETTINGS
@given(scenarios())
def test_candidates_are_sorted(scenario):
    """(e) Best first by (language rank, has chats, idle since, JID), except
    the client's previous operator who comes first whenever eligible and not
    passed, from any wave, even when the current wave's round is over."""
    node, operators, request = scenario
    oracle = Oracle(node, operators, request)
    decision = route(node, operators, request)
    sticky = oracle.sticky(decision)
    rest = decision.candidates[1:] if sticky is not None else decision.candidates
    assert rest == sorted(rest, key=oracle.key)
    last = request.last_operator
    if last in decision.candidates:
        assert decision.candidates[0] == last
    if last is not None and oracle.eligible(last) and last not in request.passed:
        assert decision.candidates[:1] == [last], "eligible previous operator comes first"
