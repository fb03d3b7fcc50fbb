"""The pure routing function (R-ROUTE-1..9), table-driven.

Every case states the whole outcome: the candidates in order, the wave,
``round_over`` and the reason of every operator left out, so a rule that
starts to leak into another shows up as a changed table row.
"""
from __future__ import annotations

import pytest

from imsupport.core import routing
from imsupport.core.model import Group, Node
from imsupport.core.routing import (
    AFK,
    AT_LIMIT,
    DECLINED_ENOUGH,
    EARLIER_WAVE,
    LATER_WAVE,
    MANUAL_ONLY,
    NO_LANGUAGE,
    OFF_SHIFT,
    OFFLINE,
    PASSED,
    SWITCHED_OFF,
    UNKNOWN,
    ChatRequest,
    OperatorSnapshot,
    languageRank,
    nextWave,
    route,
    waveEscalation,
)


def op(jid, online=True, afk=False, load=0, max_chats=1, languages=("en",), idle=0.0,
       on_shift=True, switched_off=False):
    return OperatorSnapshot(jid, online, afk, load, max_chats, tuple(languages), idle,
                            on_shift=on_shift, switched_off=switched_off)


def ops(*snapshots):
    return {s.jid: s for s in snapshots}


def req(languages=("en",), **kw):
    for name in ("passed", "off_groups", "off_operators"):
        if name in kw:
            kw[name] = frozenset(kw[name])
    return ChatRequest(tuple(languages), **kw)


# a, b, c in wave 1; d in wave 2; e only in a manual-only group.
NODE = Node("sales", groups=(
    Group("first", ("a", "b", "c"), wave=1),
    Group("second", ("d",), wave=2),
    Group("experts", ("e",), auto=False),
))
ALL = ops(op("a"), op("b"), op("c"), op("d"), op("e"))


def everyone(**changed):
    """ALL with some operators replaced: everyone(a=op("a", afk=True))."""
    return {**ALL, **changed}


def check(node, operators, request, candidates, wave, reasons, round_over=False):
    decision = route(node, operators, request)
    assert decision.candidates == candidates
    assert decision.wave == wave
    assert decision.reasons == reasons
    assert decision.round_over is round_over
    return decision


# -- who may be offered a chat at all ------------------------------------------

ELIGIBILITY = [
    pytest.param(everyone(), req(), ["a", "b", "c"], 1,
                 {"d": LATER_WAVE, "e": MANUAL_ONLY}, id="all-eligible"),
    pytest.param(everyone(a=op("a", switched_off=True)), req(), ["b", "c"], 1,
                 {"a": SWITCHED_OFF, "d": LATER_WAVE, "e": MANUAL_ONLY},
                 id="switched-off-everywhere"),
    pytest.param(everyone(), req(off_operators={"a"}), ["b", "c"], 1,
                 {"a": SWITCHED_OFF, "d": LATER_WAVE, "e": MANUAL_ONLY},
                 id="switched-off-in-this-node"),
    pytest.param(everyone(a=op("a", online=False)), req(), ["b", "c"], 1,
                 {"a": OFFLINE, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="offline"),
    pytest.param(everyone(a=op("a", on_shift=False)), req(), ["b", "c"], 1,
                 {"a": OFF_SHIFT, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="off-shift"),
    pytest.param(everyone(a=op("a", afk=True)), req(), ["b", "c"], 1,
                 {"a": AFK, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="afk"),
    pytest.param(everyone(a=op("a", load=1, max_chats=1)), req(), ["b", "c"], 1,
                 {"a": AT_LIMIT, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="at-max-chats"),
    pytest.param(everyone(a=op("a", load=3, max_chats=2)), req(), ["b", "c"], 1,
                 {"a": AT_LIMIT, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="over-max-chats"),
    # load = active chats + pending invitations: one chat and one invitation
    # make an operator with max_chats = 2 busy.
    pytest.param(everyone(a=op("a", load=1 + 1, max_chats=2)), req(), ["b", "c"], 1,
                 {"a": AT_LIMIT, "d": LATER_WAVE, "e": MANUAL_ONLY},
                 id="invitations-count-towards-max-chats"),
    pytest.param(everyone(a=op("a", load=1, max_chats=2)), req(), ["b", "c", "a"], 1,
                 {"d": LATER_WAVE, "e": MANUAL_ONLY}, id="under-max-chats-but-after-free"),
    pytest.param(everyone(a=op("a", languages=("de",))), req(), ["b", "c"], 1,
                 {"a": NO_LANGUAGE, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="no-shared-language"),
    pytest.param(everyone(a=op("a", languages=())), req(), ["b", "c"], 1,
                 {"a": NO_LANGUAGE, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="no-language-at-all"),
    pytest.param(everyone(), req(vetoes={"a": "on the phone"}), ["b", "c"], 1,
                 {"a": "on the phone", "d": LATER_WAVE, "e": MANUAL_ONLY}, id="plugin-veto"),
    pytest.param(everyone(), req(vetoes={"x": "on the phone"}), ["a", "b", "c"], 1,
                 {"d": LATER_WAVE, "e": MANUAL_ONLY}, id="veto-of-someone-else"),
    pytest.param(everyone(), req(declines={"a": 1}, passed={"a"}), ["b", "c"], 1,
                 {"a": DECLINED_ENOUGH, "d": LATER_WAVE, "e": MANUAL_ONLY},
                 id="declined-max-declines"),
    pytest.param(everyone(), req(declines={"a": 5}), ["b", "c"], 1,
                 {"a": DECLINED_ENOUGH, "d": LATER_WAVE, "e": MANUAL_ONLY},
                 id="declined-more-than-max"),
    pytest.param(everyone(), req(off_groups={"first"}), ["d"], 2,
                 {"a": SWITCHED_OFF, "b": SWITCHED_OFF, "c": SWITCHED_OFF, "e": MANUAL_ONLY},
                 id="group-switched-off"),
    pytest.param(everyone(), req(off_groups={"second"}), ["a", "b", "c"], 1,
                 {"d": SWITCHED_OFF, "e": MANUAL_ONLY}, id="later-group-switched-off"),
    pytest.param(everyone(), req(off_groups={"experts"}), ["a", "b", "c"], 1,
                 {"d": LATER_WAVE, "e": MANUAL_ONLY}, id="manual-group-switched-off"),
    pytest.param(ops(op("b"), op("c"), op("d"), op("e")), req(), ["b", "c"], 1,
                 {"a": UNKNOWN, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="unknown-operator"),
    pytest.param({}, req(), [], None,
                 {"a": UNKNOWN, "b": UNKNOWN, "c": UNKNOWN, "d": UNKNOWN, "e": MANUAL_ONLY},
                 id="nobody-known"),
    pytest.param(everyone(e=op("e", idle=-100)), req(), ["a", "b", "c"], 1,
                 {"d": LATER_WAVE, "e": MANUAL_ONLY}, id="manual-only-never-offered"),
    pytest.param(everyone(a=op("a", online=False), b=op("b", afk=True), c=op("c", load=1),
                          d=op("d", online=False)), req(), [], None,
                 {"a": OFFLINE, "b": AFK, "c": AT_LIMIT, "d": OFFLINE, "e": MANUAL_ONLY},
                 id="nobody-eligible-anywhere"),
]


@pytest.mark.parametrize("operators, request_, candidates, wave, reasons", ELIGIBILITY)
def test_eligibility(operators, request_, candidates, wave, reasons):
    check(NODE, operators, request_, candidates, wave, reasons)


# The first reason that applies is the one reported: switched off, offline,
# off shift, away, at the limit, language, a plugin's veto, declines.
PRECEDENCE = [
    pytest.param(op("a", switched_off=True, online=False), req(), SWITCHED_OFF,
                 id="switched-off-before-offline"),
    pytest.param(op("a", online=False), req(off_operators={"a"}), SWITCHED_OFF,
                 id="node-switch-before-offline"),
    pytest.param(op("a", online=False, on_shift=False, afk=True), req(), OFFLINE,
                 id="offline-before-off-shift"),
    pytest.param(op("a", on_shift=False, afk=True, load=1), req(), OFF_SHIFT,
                 id="off-shift-before-afk"),
    pytest.param(op("a", afk=True, load=1, languages=("de",)), req(), AFK,
                 id="afk-before-limit"),
    pytest.param(op("a", load=1, languages=("de",)), req(vetoes={"a": "busy"}), AT_LIMIT,
                 id="limit-before-language"),
    pytest.param(op("a", languages=("de",)), req(vetoes={"a": "busy"}), NO_LANGUAGE,
                 id="language-before-veto"),
    pytest.param(op("a"), req(vetoes={"a": "busy"}, declines={"a": 9}), "busy",
                 id="veto-before-declines"),
]


@pytest.mark.parametrize("snapshot, request_, reason", PRECEDENCE)
def test_first_reason_wins(snapshot, request_, reason):
    assert route(NODE, everyone(a=snapshot), request_).reasons["a"] == reason


# An operator in several groups: x is in an automatic and a manual-only group,
# y in two automatic groups of the same wave, one of them switched off.
MULTI = Node("multi", groups=(
    Group("desk", ("x", "y"), wave=1, max_declines=1),
    Group("phones", ("y",), wave=1, max_declines=3),
    Group("vip", ("x", "z"), auto=False, max_declines=5),
    Group("backup", ("w",), wave=2),
))
MULTI_OPS = ops(op("x"), op("y"), op("z"), op("w"))

GROUPS = [
    pytest.param(req(), ["x", "y"], 1, {"z": MANUAL_ONLY, "w": LATER_WAVE},
                 id="manual-group-does-not-hide-auto-membership"),
    pytest.param(req(off_groups={"phones"}, declines={"y": 1}), ["x"], 1,
                 {"y": DECLINED_ENOUGH, "z": MANUAL_ONLY, "w": LATER_WAVE},
                 id="switched-off-group-max-declines-does-not-count"),
    # y is in desk (1) and phones (3): the larger applies.
    pytest.param(req(declines={"y": 1}, passed={"y"}), ["x"], 1,
                 {"y": PASSED, "z": MANUAL_ONLY, "w": LATER_WAVE},
                 id="max-declines-is-the-largest-of-the-groups"),
    pytest.param(req(declines={"y": 2}, passed={"y"}), ["x"], 1,
                 {"y": PASSED, "z": MANUAL_ONLY, "w": LATER_WAVE}, id="below-the-largest"),
    pytest.param(req(declines={"y": 3}, passed={"y"}), ["x"], 1,
                 {"y": DECLINED_ENOUGH, "z": MANUAL_ONLY, "w": LATER_WAVE},
                 id="reached-the-largest"),
    # x's manual-only group allows 5 declines, but only automatic groups count.
    pytest.param(req(declines={"x": 1}, passed={"x"}), ["y"], 1,
                 {"x": DECLINED_ENOUGH, "z": MANUAL_ONLY, "w": LATER_WAVE},
                 id="manual-group-max-declines-does-not-count"),
]


@pytest.mark.parametrize("request_, candidates, wave, reasons", GROUPS)
def test_operators_in_several_groups(request_, candidates, wave, reasons):
    check(MULTI, MULTI_OPS, request_, candidates, wave, reasons)


# x is left in a switched-off group and a manual-only one: either reason is true.
@pytest.mark.parametrize("off, candidates, wave, reasons", [
    pytest.param({"desk"}, ["y"], 1, {"z": MANUAL_ONLY, "w": LATER_WAVE},
                 id="left-only-in-manual-and-off-groups"),
    pytest.param({"desk", "phones"}, ["w"], 2, {"y": SWITCHED_OFF, "z": MANUAL_ONLY},
                 id="all-automatic-groups-off"),
])
def test_switched_off_and_manual_only_groups(off, candidates, wave, reasons):
    decision = route(MULTI, MULTI_OPS, req(off_groups=off))
    assert decision.candidates == candidates and decision.wave == wave
    assert decision.reasons.pop("x") in (MANUAL_ONLY, SWITCHED_OFF)
    assert decision.reasons == reasons


# -- waves ---------------------------------------------------------------------

# x is in waves 1 and 2; waves 1, 2 and 4 (a gap at 3).
WAVES = Node("waves", groups=(
    Group("w1", ("x", "y"), wave=1, max_declines=2),
    Group("w2", ("x", "z"), wave=2),
    Group("w4", ("v",), wave=4),
))
WAVE_OPS = ops(op("x"), op("y"), op("z"), op("v"))


def waveOps(**changed):
    return {**WAVE_OPS, **changed}


WAVE_CASES = [
    pytest.param(waveOps(), req(), ["x", "y"], 1, {"z": LATER_WAVE, "v": LATER_WAVE}, False,
                 id="wave-1-first"),
    pytest.param(waveOps(x=op("x", afk=True), y=op("y", online=False)), req(), ["z"], 2,
                 {"x": AFK, "y": OFFLINE, "v": LATER_WAVE}, False,
                 id="wave-2-when-wave-1-has-nobody-eligible"),
    pytest.param(waveOps(x=op("x", afk=True), y=op("y", online=False),
                         z=op("z", load=1)), req(), ["v"], 4,
                 {"x": AFK, "y": OFFLINE, "z": AT_LIMIT}, False, id="skips-an-empty-wave"),
    # x is eligible in wave 2 too, but wave 1 still has y.
    pytest.param(waveOps(), req(declines={"y": 1}, passed={"y"}), ["x"], 1,
                 {"y": PASSED, "z": LATER_WAVE, "v": LATER_WAVE}, False,
                 id="two-wave-operator-offered-in-the-first"),
    pytest.param(waveOps(), req(declines={"x": 1}, passed={"x"}), ["y"], 1,
                 {"x": PASSED, "z": LATER_WAVE, "v": LATER_WAVE}, False,
                 id="two-wave-operator-max-declines-of-both-waves"),
    pytest.param(waveOps(), req(declines={"x": 2, "y": 2}, passed={"x", "y"}), ["z"], 2,
                 {"x": DECLINED_ENOUGH, "y": DECLINED_ENOUGH, "v": LATER_WAVE}, False,
                 id="everyone-declined-enough-next-wave"),
    # Passing (a decline below max_declines, or a timeout) does not move on:
    # the wave gets another round.
    pytest.param(waveOps(), req(passed={"x", "y"}), [], 1,
                 {"x": PASSED, "y": PASSED, "z": LATER_WAVE, "v": LATER_WAVE}, True,
                 id="round-over-stays-in-the-wave"),
    pytest.param(waveOps(), req(passed={"x", "y"}, declines={"y": 1}), [], 1,
                 {"x": PASSED, "y": PASSED, "z": LATER_WAVE, "v": LATER_WAVE}, True,
                 id="round-over-after-a-decline-below-max"),
    pytest.param(waveOps(y=op("y", online=False)), req(passed={"x"}), [], 1,
                 {"x": PASSED, "y": OFFLINE, "z": LATER_WAVE, "v": LATER_WAVE}, True,
                 id="round-over-counts-only-eligible"),
    pytest.param(waveOps(), req(passed={"x"}), ["y"], 1,
                 {"x": PASSED, "z": LATER_WAVE, "v": LATER_WAVE}, False,
                 id="passed-operator-skipped-this-round"),
    pytest.param(waveOps(), req(passed={"z"}), ["x", "y"], 1,
                 {"z": LATER_WAVE, "v": LATER_WAVE}, False,
                 id="passed-in-a-later-wave-is-just-later"),
    pytest.param(waveOps(), req(min_wave=2), ["x", "z"], 2,
                 {"y": EARLIER_WAVE, "v": LATER_WAVE}, False,
                 id="min-wave-skips-lower-waves-but-keeps-two-wave-operator"),
    pytest.param(waveOps(z=op("z", online=False)), req(min_wave=2, passed={"x"}), [], 2,
                 {"x": PASSED, "y": EARLIER_WAVE, "z": OFFLINE, "v": LATER_WAVE}, True,
                 id="min-wave-round-over"),
    pytest.param(waveOps(), req(min_wave=3), ["v"], 4,
                 {"x": EARLIER_WAVE, "y": EARLIER_WAVE, "z": EARLIER_WAVE}, False,
                 id="min-wave-in-a-gap"),
    # Escalation widens the search, it never strands a chat: with nobody
    # eligible from min_wave up, the waves below are asked after all, the
    # earliest first.
    pytest.param(waveOps(v=op("v", afk=True)), req(min_wave=3), ["x", "y"], 1,
                 {"z": LATER_WAVE, "v": AFK}, False,
                 id="escalated-to-nobody-falls-back-to-the-earliest-wave"),
    pytest.param(waveOps(v=op("v", afk=True), x=op("x", online=False), y=op("y", afk=True)),
                 req(min_wave=3), ["z"], 2, {"x": OFFLINE, "y": AFK, "v": AFK}, False,
                 id="falls-back-to-the-earliest-wave-with-someone"),
    pytest.param(waveOps(v=op("v", afk=True)), req(min_wave=3, passed={"x", "y"}), [], 1,
                 {"x": PASSED, "y": PASSED, "z": LATER_WAVE, "v": AFK}, True,
                 id="fallback-wave-round-over"),
    pytest.param(waveOps(), req(min_wave=9), ["x", "y"], 1,
                 {"z": LATER_WAVE, "v": LATER_WAVE}, False, id="min-wave-beyond-the-last"),
    pytest.param(waveOps(y=op("y", afk=True)), req(min_wave=2), ["x", "z"], 2,
                 {"y": AFK, "v": LATER_WAVE}, False,
                 id="ineligible-keeps-its-own-reason-below-min-wave"),
    pytest.param(waveOps(), req(min_wave=1), ["x", "y"], 1,
                 {"z": LATER_WAVE, "v": LATER_WAVE}, False, id="min-wave-1-is-the-default"),
]


@pytest.mark.parametrize("operators, request_, candidates, wave, reasons, round_over",
                         WAVE_CASES)
def test_waves(operators, request_, candidates, wave, reasons, round_over):
    check(WAVES, operators, request_, candidates, wave, reasons, round_over)


def test_first_wave_need_not_be_wave_1():
    node = Node("n", groups=(Group("late", ("a",), wave=3), Group("later", ("b",), wave=7)))
    check(node, ops(op("a"), op("b")), req(), ["a"], 3, {"b": LATER_WAVE})
    check(node, ops(op("a", afk=True), op("b")), req(), ["b"], 7, {"a": AFK})


def test_group_order_in_the_node_does_not_decide_the_wave():
    node = Node("n", groups=(Group("two", ("b",), wave=2), Group("one", ("a",), wave=1)))
    check(node, ops(op("a"), op("b")), req(), ["a"], 1, {"b": LATER_WAVE})


def test_node_without_groups():
    check(Node("empty"), ops(op("a")), req(), [], None, {})


def test_manual_only_node_offers_nothing():
    node = Node("n", groups=(Group("m", ("a", "b"), auto=False, wave=1),))
    check(node, ops(op("a"), op("b")), req(), [], None, {"a": MANUAL_ONLY, "b": MANUAL_ONLY})


# -- order within the wave -----------------------------------------------------

ORDER = [
    pytest.param(ops(op("a", idle=5), op("b", idle=1), op("c", idle=3)), req(),
                 ["b", "c", "a"], id="idle-longest-first"),
    pytest.param(ops(op("c"), op("a"), op("b")), req(), ["a", "b", "c"], id="jid-tie-break"),
    pytest.param(ops(op("a", idle=0, load=1, max_chats=2), op("b", idle=9)), req(),
                 ["b", "a"], id="no-chats-before-chats-even-if-idle-longer"),
    pytest.param(ops(op("a", load=2, max_chats=5), op("b", load=1, max_chats=5, idle=3),
                     op("c", load=0, idle=4)), req(),
                 ["c", "a", "b"], id="how-many-chats-does-not-matter-only-whether"),
    pytest.param(ops(op("a", languages=("ru",)), op("b", languages=("en",))), req(("ru", "en")),
                 ["a", "b"], id="first-language-first"),
    pytest.param(ops(op("a", languages=("en",), idle=0), op("b", languages=("ru",), idle=9,
                                                             load=1, max_chats=3)),
                 req(("ru", "en")), ["b", "a"], id="language-before-load-and-idle"),
    pytest.param(ops(op("a", languages=("de",)), op("b", languages=("en",)),
                     op("c", languages=("ru",))), req(("ru", "en", "de")),
                 ["c", "b", "a"], id="third-language"),
    pytest.param(ops(op("a", languages=("en", "ru"), idle=2), op("b", languages=("ru",), idle=1)),
                 req(("ru", "en")), ["b", "a"], id="best-spoken-language-counts"),
    pytest.param(ops(op("a", languages=("en-gb",), idle=2), op("b", languages=("en",), idle=1)),
                 req(("en-us",)), ["b", "a"], id="regional-codes-match-base"),
    pytest.param(ops(op("a", languages=("pt",)), op("b", languages=("de",))),
                 req(("pt-br",)), ["a"], id="regional-client-base-operator"),
    pytest.param(ops(op("a", languages=("pt-br",)), op("b", languages=("de",))),
                 req(("pt",)), ["a"], id="base-client-regional-operator"),
    pytest.param(ops(op("a", idle=3, load=1, max_chats=2, languages=("ru",)),
                     op("b", idle=2, load=1, max_chats=2, languages=("ru",)),
                     op("c", idle=1, languages=("en",)),
                     op("d", idle=1, languages=("en",)),
                     op("e", idle=0, languages=("ru",))),
                 req(("ru", "en")), ["e", "b", "a", "c", "d"], id="all-keys-together"),
]

# Everyone in one wave.
FLAT = Node("flat", groups=(Group("all", ("a", "b", "c", "d", "e")),))


@pytest.mark.parametrize("operators, request_, candidates", ORDER)
def test_order(operators, request_, candidates):
    decision = route(FLAT, operators, request_)
    assert decision.candidates == candidates
    assert decision.wave == 1


STICKY = [
    pytest.param(everyone(a=op("a", idle=1), b=op("b", idle=2), c=op("c", idle=3)),
                 req(last_operator="b"),
                 ["b", "a", "c"], 1, {"d": LATER_WAVE, "e": MANUAL_ONLY},
                 id="returning-client-same-wave"),
    pytest.param(everyone(), req(last_operator="d"), ["d", "a", "b", "c"], 1,
                 {"e": MANUAL_ONLY}, id="from-a-later-wave"),
    pytest.param(everyone(d=op("d", load=1, max_chats=2), a=op("a", languages=("ru", "en"))),
                 req(("ru", "en"), last_operator="d"), ["d", "a", "b", "c"], 1,
                 {"e": MANUAL_ONLY}, id="before-language-and-load"),
    pytest.param(everyone(), req(last_operator="a", min_wave=2), ["a", "d"], 2,
                 {"b": EARLIER_WAVE, "c": EARLIER_WAVE, "e": MANUAL_ONLY},
                 id="from-an-escalated-past-wave"),
    pytest.param(everyone(), req(last_operator="b", passed={"b"}), ["a", "c"], 1,
                 {"b": PASSED, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="not-when-passed"),
    pytest.param(everyone(), req(last_operator="d", passed={"d"}), ["a", "b", "c"], 1,
                 {"d": LATER_WAVE, "e": MANUAL_ONLY}, id="not-when-passed-in-a-later-wave"),
    pytest.param(everyone(b=op("b", afk=True)), req(last_operator="b"), ["a", "c"], 1,
                 {"b": AFK, "d": LATER_WAVE, "e": MANUAL_ONLY}, id="not-when-ineligible"),
    pytest.param(everyone(), req(last_operator="b", declines={"b": 1}), ["a", "c"], 1,
                 {"b": DECLINED_ENOUGH, "d": LATER_WAVE, "e": MANUAL_ONLY},
                 id="not-when-declined-enough"),
    pytest.param(everyone(), req(last_operator="b", vetoes={"b": "on the phone"}), ["a", "c"], 1,
                 {"b": "on the phone", "d": LATER_WAVE, "e": MANUAL_ONLY}, id="not-when-vetoed"),
    pytest.param(everyone(), req(last_operator="e"), ["a", "b", "c"], 1,
                 {"d": LATER_WAVE, "e": MANUAL_ONLY}, id="not-from-a-manual-only-group"),
    pytest.param(everyone(), req(last_operator="d", off_groups={"second"}), ["a", "b", "c"], 1,
                 {"d": SWITCHED_OFF, "e": MANUAL_ONLY}, id="not-from-a-switched-off-group"),
    pytest.param(everyone(), req(last_operator="stranger"), ["a", "b", "c"], 1,
                 {"d": LATER_WAVE, "e": MANUAL_ONLY}, id="not-in-the-node"),
    # Nobody is eligible at or above min_wave: back to wave 1, sticky first.
    pytest.param(everyone(d=op("d", afk=True), c=op("c", idle=-1)),
                 req(last_operator="a", min_wave=2), ["a", "c", "b"], 1,
                 {"d": AFK, "e": MANUAL_ONLY}, id="fallback-below-min-wave-sticky-first"),
]


@pytest.mark.parametrize("operators, request_, candidates, wave, reasons", STICKY)
def test_returning_client_operator_first(operators, request_, candidates, wave, reasons):
    check(NODE, operators, request_, candidates, wave, reasons)


def test_returning_client_operator_offered_even_when_the_wave_round_is_over():
    decision = route(NODE, everyone(c=op("c", online=False)),
                     req(last_operator="d", passed={"a", "b"}))
    # Without the passes d would be first (see "from-a-later-wave").
    assert decision.candidates == ["d"]
    assert "d" not in decision.reasons
    assert decision.round_over is False, "there is someone to ask: no pause"


# -- the pieces --------------------------------------------------------------------

@pytest.mark.parametrize("client, operator, rank", [
    pytest.param(("en",), ("en",), 0, id="same"),
    pytest.param(("ru", "en"), ("en",), 1, id="second"),
    pytest.param(("ru", "en"), ("en", "ru"), 0, id="best-of-the-operators"),
    pytest.param(("en-us",), ("en-gb",), 0, id="regional-both"),
    pytest.param(("zh-hant-tw",), ("zh",), 0, id="long-regional"),
    pytest.param(("de",), ("en",), None, id="none"),
    pytest.param((), ("en",), None, id="client-without-languages"),
])
def test_language_rank(client, operator, rank):
    assert languageRank(client, operator) == rank


ESCALATION_NODE = Node("esc", groups=(
    Group("a1", ("a",), wave=1, escalate_after=120),
    Group("b1", ("b",), wave=1, escalate_after=45),
    Group("m1", ("m",), wave=1, escalate_after=5, auto=False),
    Group("never", ("c",), wave=2, escalate_after=0),
    Group("z3", ("z",), wave=3, escalate_after=30),
    Group("manual5", ("m",), wave=5, auto=False),
))


@pytest.mark.parametrize("wave, seconds", [
    pytest.param(1, 45, id="shortest-of-the-wave-manual-ignored"),
    pytest.param(2, 0, id="zero-means-never"),
    pytest.param(3, 30, id="last-wave-still-reports-its-time"),
    pytest.param(4, 0, id="no-such-wave"),
    pytest.param(5, 0, id="manual-only-wave"),
])
def test_wave_escalation(wave, seconds):
    assert waveEscalation(ESCALATION_NODE, wave) == seconds


def test_wave_escalation_ignores_zero_next_to_a_timed_group():
    node = Node("n", groups=(Group("g", ("a",), escalate_after=0),
                             Group("h", ("b",), escalate_after=60)))
    assert waveEscalation(node, 1) == 60


@pytest.mark.parametrize("wave, following", [
    pytest.param(1, 2, id="next"),
    pytest.param(2, 3, id="then"),
    pytest.param(3, None, id="last-auto-wave-manual-later-ignored"),
    pytest.param(0, 1, id="below-the-first"),
    pytest.param(4, None, id="past-the-end"),
])
def test_next_wave(wave, following):
    assert nextWave(ESCALATION_NODE, wave) == following


def test_next_wave_skips_gaps():
    assert nextWave(WAVES, 2) == 4


def test_route_does_not_mutate_its_inputs():
    request = req(passed={"a"}, declines={"b": 1}, vetoes={"c": "x"}, last_operator="d")
    operators = everyone()
    before = (dict(request.declines), dict(request.vetoes), dict(operators))
    route(NODE, operators, request)
    assert before == (dict(request.declines), dict(request.vetoes), dict(operators))


def test_reason_texts_are_distinct():
    texts = [routing.OFFLINE, routing.AFK, routing.AT_LIMIT, routing.NO_LANGUAGE,
             routing.OFF_SHIFT, routing.SWITCHED_OFF, routing.PASSED, routing.DECLINED_ENOUGH,
             routing.MANUAL_ONLY, routing.LATER_WAVE, routing.EARLIER_WAVE, routing.UNKNOWN]
    assert len(set(texts)) == len(texts)
