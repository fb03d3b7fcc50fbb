"""
When to try the XMPP server again (R-RUN-3, issue 7 defect 5).

Twisted's ClientService counts failed attempts only until TCP connects, so a
server that accepts the connection and then refuses the XEP-0114 handshake
(wrong secret, unknown component name) was retried every second or so. This
policy counts every attempt since the last successful handshake instead:
the delay grows from the first failure, is reset only by ``loggedIn()``, and
after the server said ``not-authorized`` the next wait is the maximum.

Pure: no clock, no I/O; ClientService asks for the delay and waits itself.
"""
from __future__ import annotations

import random
from collections.abc import Callable

INITIAL_DELAY = 0.5  # seconds before the first retry
FACTOR = 1.6         # each further failure waits this much longer
JITTER = 0.2         # up to this fraction added at random (below FACTOR - 1, so
                     # every wait is longer than the one before, up to the maximum)


class Backoff:
    def __init__(self, max_delay: float, *, initial: float = INITIAL_DELAY,
                 factor: float = FACTOR, jitter: Callable[[], float] = random.random) -> None:
        self.max_delay = max_delay
        self.initial = min(initial, max_delay)
        self.factor = factor
        self.jitter = jitter
        self.failures = 0       # attempts that ended without a handshake, in a row
        self.refused = False    # the last attempt ended with not-authorized

    def loggedIn(self) -> None:
        """The handshake succeeded: the next loss is retried quickly again."""
        self.failures = 0
        self.refused = False

    def notAuthorized(self) -> None:
        """The server refused the secret or the component name: retrying soon
        cannot help, so the next wait is the maximum."""
        self.refused = True

    def nextDelay(self, _attempt: int = 0) -> float:
        """The wait before the next attempt; a ClientService ``retryPolicy``
        (its own attempt count, reset on every TCP connect, is ignored)."""
        self.failures += 1
        if self.refused:
            self.refused = False
            return self.max_delay
        try:
            delay = self.initial * self.factor ** min(self.failures - 1, 100)
        except OverflowError:
            delay = self.max_delay
        return min(delay * (1 + JITTER * self.jitter()), self.max_delay)
