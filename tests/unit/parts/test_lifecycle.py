"""The chat lifecycle's transition table (core/lifecycle.py)."""
from __future__ import annotations

import itertools

import pytest

from imsupport.core import lifecycle
from imsupport.core.lifecycle import TRANSITIONS, IllegalTransition
from imsupport.core.model import (
    ABANDONED,
    ACTIVE,
    CLOSED,
    HELD,
    OFFERED,
    OPEN_STATES,
    QUEUED,
    ChatRecord,
)

STATES = list(TRANSITIONS)
LEGAL = {(QUEUED, OFFERED), (QUEUED, ABANDONED), (QUEUED, CLOSED), (OFFERED, QUEUED),
         (OFFERED, ACTIVE), (OFFERED, ABANDONED), (OFFERED, CLOSED), (ACTIVE, HELD),
         (ACTIVE, CLOSED), (HELD, ACTIVE),
         (HELD, QUEUED), (HELD, CLOSED)}


def record(state: str, operators: tuple[str, ...] = ()) -> ChatRecord:
    return ChatRecord(id=7, node="sales", client="a@x", state=state, operators=operators)


@pytest.mark.parametrize("start, end", [p for p in itertools.product(STATES, STATES)
                                        if p[0] != p[1]])
def test_every_move_is_either_in_the_table_or_raises(start, end):
    chat = record(start)
    if (start, end) in LEGAL:
        assert lifecycle.move(chat, end) is True and chat.state == end
    else:
        with pytest.raises(IllegalTransition, match=f"chat 7: {start} -> {end}"):
            lifecycle.move(chat, end)
        assert chat.state == start, "an illegal move changes nothing"


def test_the_table_is_the_one_documented():
    assert {(a, b) for a, ends in TRANSITIONS.items() for b in ends} == LEGAL
    assert not TRANSITIONS[CLOSED] and not TRANSITIONS[ABANDONED], "the ends are ends"


def test_staying_put_is_no_move():
    chat = record(ACTIVE)
    assert lifecycle.move(chat, ACTIVE) is False and chat.state == ACTIVE


@pytest.mark.parametrize("stored, operators, restored", [
    (QUEUED, (), QUEUED), (OFFERED, (), QUEUED), (ACTIVE, ("ivan@x",), HELD),
    (HELD, ("ivan@x",), HELD), (ACTIVE, (), QUEUED), (HELD, (), QUEUED)])
def test_a_restart_takes_open_chats_up_again(stored, operators, restored):
    chat = record(stored, operators)
    lifecycle.restore(chat)
    assert chat.state == restored


@pytest.mark.parametrize("closed", [CLOSED, ABANDONED])
def test_a_closed_chat_is_not_restored(closed):
    with pytest.raises(IllegalTransition):
        lifecycle.restore(record(closed))


def test_an_active_chat_is_held_while_all_its_operators_are_gone():
    chat = record(ACTIVE, ("ivan@x", "olga@x"))
    assert not lifecycle.settleServing(chat, {"ivan@x"}) and chat.state == ACTIVE
    assert lifecycle.settleServing(chat, {"ivan@x", "olga@x"}) and chat.state == HELD
    assert lifecycle.settleServing(chat, {"olga@x"}) and chat.state == ACTIVE
    waiting = record(QUEUED)
    assert not lifecycle.settleServing(waiting, {"ivan@x"}) and waiting.state == QUEUED
    assert set(OPEN_STATES) == {QUEUED, OFFERED, ACTIVE, HELD}
