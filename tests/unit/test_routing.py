"""The pure routing function: table-driven."""
from __future__ import annotations

import pytest

from imsupport.core import routing
from imsupport.core.model import Group, Node
from imsupport.core.routing import ChatRequest, OperatorSnapshot, route


def op(jid, online=True, afk=False, load=0, max_chats=1, languages=("en",), idle=0.0):
    return OperatorSnapshot(jid, online, afk, load, max_chats, tuple(languages), idle)


NODE = Node("sales", groups=(
    Group("first", ("a", "b", "c"), wave=1),
    Group("second", ("d",), wave=2),
    Group("experts", ("e",), auto=False),
))


@pytest.mark.parametrize("ops, request_, expected, reasons", [
    ({"a": op("a", idle=5), "b": op("b", idle=1)}, ChatRequest(("en",)), ["b", "a"], {}),
    ({"a": op("a", online=False), "b": op("b", afk=True), "c": op("c", load=1)},
     ChatRequest(("en",)), [], {"a": routing.OFFLINE, "b": routing.AFK, "c": routing.AT_LIMIT}),
    ({"a": op("a", languages=("ru",)), "b": op("b", languages=("en",))},
     ChatRequest(("ru", "en")), ["a", "b"], {}),
    ({"a": op("a", languages=("de",)), "d": op("d")}, ChatRequest(("en",)), ["d"],
     {"a": routing.NO_LANGUAGE}),
    ({"a": op("a"), "d": op("d")}, ChatRequest(("en",)), ["a"], {"d": routing.LATER_WAVE}),
    ({"a": op("a"), "d": op("d")}, ChatRequest(("en",), declines={"a": 1}), ["d"],
     {"a": routing.DECLINED_ENOUGH}),
    ({"a": op("a", idle=1), "b": op("b", idle=2)}, ChatRequest(("en",), last_operator="b"),
     ["b", "a"], {}),
    ({"a": op("a", load=1, max_chats=2, idle=0), "b": op("b", idle=9)},
     ChatRequest(("en",)), ["b", "a"], {}),
    ({"e": op("e")}, ChatRequest(("en",)), [], {"e": routing.MANUAL_ONLY}),
])
def test_route(ops, request_, expected, reasons):
    decision = route(NODE, ops, request_)
    assert decision.candidates == expected
    for jid, why in reasons.items():
        assert decision.reasons[jid] == why


def test_ties_are_deterministic_by_jid():
    ops = {"b": op("b"), "a": op("a"), "c": op("c")}
    assert route(NODE, ops, ChatRequest(("en",))).candidates == ["a", "b", "c"]


def test_wave_number_reported():
    assert route(NODE, {"d": op("d")}, ChatRequest(("en",))).wave == 2
    assert route(NODE, {}, ChatRequest(("en",))).wave is None


def test_regional_language_codes_match_base_language():
    ops = {"a": op("a", languages=("en-gb",))}
    assert route(NODE, ops, ChatRequest(("en-us",))).candidates == ["a"]
