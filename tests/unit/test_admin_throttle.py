"""The slowdown after wrong passwords (web/admin/throttle.py), per address."""
from __future__ import annotations

from twisted.internet.task import Clock

from imsupport.web.admin.throttle import Throttle


def test_three_are_free_then_each_failure_doubles_the_wait():
    clock = Clock()
    throttle = Throttle(clock)
    waits = []
    for _ in range(8):
        throttle.failed("10.0.0.1")
        waits.append(throttle.wait("10.0.0.1"))
        clock.advance(waits[-1])
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16]
    assert throttle.wait("10.0.0.2") == 0, "another address is not held up"


def test_the_wait_runs_out_and_is_capped():
    clock = Clock()
    throttle = Throttle(clock, most=60)
    for _ in range(20):
        throttle.failed("a")
    assert throttle.wait("a") == 60
    clock.advance(59.5)
    assert throttle.wait("a") == 0.5
    clock.advance(0.5)
    assert throttle.wait("a") == 0


def test_success_and_quiet_clear_an_address():
    clock = Clock()
    throttle = Throttle(clock, forget=3600)
    for _ in range(5):
        throttle.failed("a")
        throttle.failed("b")
    throttle.succeeded("a")
    assert throttle.wait("a") == 0 and throttle.wait("b") > 0
    clock.advance(3600)
    assert throttle.wait("b") == 0 and "b" not in throttle.addresses
    throttle.failed("b")
    assert throttle.addresses["b"].count == 1, "an address quiet that long starts afresh"


def test_a_flood_of_addresses_is_bounded():
    throttle = Throttle(Clock(), capacity=100)
    for i in range(1000):
        throttle.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle.addresses) == 100
    assert "10.0.3.231" in throttle.addresses, "the latest are kept"
