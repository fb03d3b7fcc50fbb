"""
New web chats per address (R-SEC-3): each visitor's question is a new
client address to the core, so the per-sender message limits cannot see a
flood of new chats; this token bucket per sending address (web/peers.py)
can. ``burst`` chats at once, then ``per_hour`` sustained; a start over it
is refused with the wait in the visitor's language. At most ``capacity``
addresses are kept; the longest idle go first, so a flood of addresses
cannot grow it.
"""
from __future__ import annotations

from dataclasses import dataclass

from twisted.internet.interfaces import IReactorTime

CAPACITY = 100_000


@dataclass
class Allowance:
    chats: float  # chats that may start now
    at: float  # when it was counted


class StartLimit:
    def __init__(self, clock: IReactorTime, burst: int, per_hour: float,
                 capacity: int = CAPACITY) -> None:
        self.clock = clock
        self.burst = burst
        self.per_second = per_hour / 3600.0
        self.capacity = capacity
        self.addresses: dict[str, Allowance] = {}

    def wait(self, key: str) -> float:
        """0 if a chat from ``key`` may start now, else the seconds until
        one may; a start that may goes is counted."""
        now = self.clock.seconds()
        allowance = self.addresses.pop(key, None)
        if allowance is None:
            allowance = Allowance(float(self.burst), now)
        allowance.chats = min(float(self.burst),
                              allowance.chats + (now - allowance.at) * self.per_second)
        allowance.at = now
        self.addresses[key] = allowance  # last in the dict: the latest
        while len(self.addresses) > self.capacity:
            del self.addresses[next(iter(self.addresses))]
        if allowance.chats >= 1.0:
            allowance.chats -= 1.0
            return 0.0
        return (1.0 - allowance.chats) / self.per_second
