"""Named timers (core/timers.py)."""
from __future__ import annotations

from twisted.internet.task import Clock

from imsupport.core.timers import Timers


def test_set_replaces_and_cancel_is_always_safe():
    clock, fired = Clock(), []
    timers = Timers(clock)
    timers.set("idle", 10, fired.append, "first")
    timers.set("idle", 5, fired.append, "second")  # replaces the first
    clock.advance(6)
    assert fired == ["second"] and not timers.active("idle")
    clock.advance(10)
    assert fired == ["second"], "the replaced one never runs"
    assert timers.cancel("idle") is False and timers.cancel("never set") is False


def test_reset_pushes_a_running_timer_out_or_sets_it():
    clock, fired = Clock(), []
    timers = Timers(clock)
    timers.reset("idle", 10, fired.append, 1)
    clock.advance(8)
    timers.reset("idle", 10, fired.append, 2)
    clock.advance(8)
    assert fired == [], "pushed out: 16 s after the first, 8 after the reset"
    clock.advance(2)
    assert fired == [1], "a reset keeps the callback it was set with"


def test_cancel_all():
    clock, fired = Clock(), []
    timers = Timers(clock)
    for name in ("a", "b", "c"):
        timers.set(name, 1, fired.append, name)
    assert timers.cancel("b") is True
    timers.cancelAll()
    clock.advance(5)
    assert fired == [] and not clock.getDelayedCalls()
