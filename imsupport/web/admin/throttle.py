"""
Wrong passwords slow down their sender (R-SEC-5): per address, the first
``free`` failures cost nothing; after them each failure makes the next
try wait twice as long as the one before (1 s, 2 s, 4 s ... up to
``most``). A try during the wait is refused unchecked, so guessing from one
address gets slow while the right person at another address is not locked
out. A log-in that succeeds clears its address; an address quiet for
``forget`` seconds starts afresh. At most ``capacity`` addresses are
remembered (the quietest go first), so a flood of addresses cannot grow it.
"""
from __future__ import annotations

from dataclasses import dataclass

from twisted.internet.interfaces import IReactorTime

FREE_FAILURES = 3
FIRST_WAIT = 1.0  # seconds
LONGEST_WAIT = 300.0
FORGET_AFTER = 3600.0
CAPACITY = 10_000


@dataclass
class Failures:
    count: int
    last: float  # when the latest one was


class Throttle:
    def __init__(self, clock: IReactorTime, free: int = FREE_FAILURES,
                 first: float = FIRST_WAIT, most: float = LONGEST_WAIT,
                 forget: float = FORGET_AFTER, capacity: int = CAPACITY) -> None:
        self.clock = clock
        self.free = free
        self.first = first
        self.most = most
        self.forget = forget
        self.capacity = capacity
        self.addresses: dict[str, Failures] = {}

    def delay(self, failures: int) -> float:
        """Seconds the try after ``failures`` failures waits."""
        if failures <= self.free:
            return 0.0
        return min(self.first * 2.0 ** (failures - self.free - 1), self.most)

    def wait(self, address: str) -> float:
        """Seconds before a try from ``address`` is taken (0: now)."""
        now = self.clock.seconds()
        failures = self.addresses.get(address)
        if failures is None:
            return 0.0
        if now - failures.last >= self.forget:
            del self.addresses[address]
            return 0.0
        return max(0.0, failures.last + self.delay(failures.count) - now)

    def failed(self, address: str) -> None:
        now = self.clock.seconds()
        failures = self.addresses.pop(address, None)
        if failures is None or now - failures.last >= self.forget:
            failures = Failures(0, now)
        failures.count += 1
        failures.last = now
        self.addresses[address] = failures  # last in the dict: the latest
        while len(self.addresses) > self.capacity:
            del self.addresses[next(iter(self.addresses))]

    def succeeded(self, address: str) -> None:
        self.addresses.pop(address, None)
