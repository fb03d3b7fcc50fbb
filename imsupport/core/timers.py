"""
Named timers: a chat's (idle, client gone, a wave's escalation, the next
round, an operator's grace, an invitation's timeout) and a part's own. Set
replaces, cancel and cancelAll are safe at any time: one place for the
cancel idiom.
"""
from __future__ import annotations

from typing import Any, Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime


class Timers:
    def __init__(self, clock: IReactorTime) -> None:
        self.clock = clock
        self._calls: dict[str, IDelayedCall] = {}

    def set(self, name: str, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` in ``delay`` seconds, replacing a timer of that name."""
        self.cancel(name)
        self._calls[name] = self.clock.callLater(delay, self._fire, name, fn, args)

    def reset(self, name: str, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Push a running timer ``delay`` seconds out, or set it."""
        call = self._calls.get(name)
        if call is not None and call.active():
            call.reset(delay)
        else:
            self.set(name, delay, fn, *args)

    def active(self, name: str) -> bool:
        call = self._calls.get(name)
        return call is not None and call.active()

    def cancel(self, name: str) -> bool:
        """Stop it; whether it was still to run."""
        call = self._calls.pop(name, None)
        if call is not None and call.active():
            call.cancel()
            return True
        return False

    def cancelAll(self) -> None:
        for name in list(self._calls):
            self.cancel(name)

    def _fire(self, name: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._calls.pop(name, None)
        fn(*args)
