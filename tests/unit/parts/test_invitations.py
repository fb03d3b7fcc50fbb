"""The invitation registry (core/invitations.py)."""
from __future__ import annotations

from twisted.internet.task import Clock

from imsupport.core.chat import Chat
from imsupport.core.invitations import OFFER, TRANSFER, Invitations
from imsupport.core.model import ChatRecord
from imsupport.core.timers import Timers


def chat(clock: Clock, number: int) -> Chat:
    return Chat(ChatRecord(number, "sales", f"c{number}@x"), Timers(clock))


def test_indexed_by_chat_and_by_operator_with_their_timeout():
    clock, expired = Clock(), []
    registry = Invitations()
    one, two = chat(clock, 1), chat(clock, 2)
    registry.open(one, "ivan", OFFER, 0.0, 60, lambda c, o: expired.append((c.id, o)))
    registry.open(one, "olga", OFFER, 0.0, 60, lambda c, o: expired.append((c.id, o)))
    registry.open(two, "ivan", TRANSFER, 0.0, 30, lambda c, o: expired.append((c.id, o)))
    assert registry.operatorsOf(1) == ["ivan", "olga"] and registry.count("ivan") == 2
    assert [i.chat_id for i in registry.ofOperator("ivan")] == [1, 2]
    assert registry.ofChat(2)[0].kind == TRANSFER and registry.any(2, TRANSFER)
    assert not registry.any(2, OFFER) and registry.has(1, "olga")
    clock.advance(30)
    assert expired == [(2, "ivan")], "the timeout calls back; the entry is the caller's to end"


def test_take_and_withdraw_end_it_and_its_timer():
    clock, expired = Clock(), []
    registry = Invitations()
    one = chat(clock, 1)
    for operator in ("ivan", "olga", "guru"):
        registry.open(one, operator, OFFER, 0.0, 60, lambda c, o: expired.append(o))
    assert registry.take(1, "ivan").operator == "ivan"
    assert registry.withdraw(1, "ivan") is None, "once"
    assert [i.operator for i in registry.withdrawAll(1)] == ["olga", "guru"]
    clock.advance(120)
    assert expired == [] and registry.count("olga") == 0 and not registry.any(1)
    assert registry.ofOperator("guru") == [] and registry.operatorsOf(1) == []
