"""
The component's connection lifecycle on simulated time (issue 7, defect 5 and
the SIGTERM log line of 15): the real ComponentConnection and Twisted's
ClientService, a fake XMPP server behind a fake endpoint, a task.Clock.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise

import pytest
from twisted.internet.task import Clock
from twisted.logger import capturedLogs, formatEvent

from imsupport.xmpp.component import HANDSHAKE_TIMEOUT, ComponentConnection
from tests.xmpp.fakeserver import ACCEPT, HOST_UNKNOWN, REFUSE_TCP, SILENT, FakeXmppServer, run

DOMAIN = "support.shop.test"
SECRET = "s3cret"
MAX_DELAY = 30.0
QUICK = 1.0  # the first retry after a loss: 0.5 s and a little jitter
TICK = 0.1   # run() advances the clock in 0.05 s steps: times are that coarse


class Lifecycle:
    def __init__(self, mode: str, secret: str = SECRET) -> None:
        self.clock = Clock()
        self.server = FakeXmppServer(self.clock, DOMAIN, SECRET, mode)
        self.ups = 0
        self.losses = 0
        self.connection = ComponentConnection(
            self.clock, DOMAIN, "127.0.0.1", 5347, secret, max_delay=MAX_DELAY,
            on_connected=self._up, on_lost=self._lost, endpoint=self.server)

    def _up(self) -> None:
        self.ups += 1

    def _lost(self) -> None:
        self.losses += 1

    def run(self, seconds: float) -> None:
        run(self.clock, seconds)


@pytest.fixture
def logs() -> Iterator[Callable[[], str]]:
    """logs(): everything logged so far in the test, one event a line."""
    with capturedLogs() as events:
        yield lambda: "\n".join(formatEvent(event) for event in events)


def started(mode: str, secret: str = SECRET) -> Lifecycle:
    life = Lifecycle(mode, secret)
    life.connection.startService()
    return life


def test_wrong_secret_waits_the_maximum_delay_between_attempts(logs):
    life = started(ACCEPT, secret="not-the-secret")
    life.run(125)
    # TCP connects every time, the handshake never succeeds: one attempt at
    # start, then one per reconnect_max_delay (today's code: about 100).
    assert len(life.server.attempts) == 5, life.server.gaps()
    assert all(gap >= MAX_DELAY - TICK for gap in life.server.gaps()), life.server.gaps()
    assert life.server.logins == 0 and life.ups == 0 and not life.connection.connected
    text = logs()
    assert text.count("not-authorized") >= 5
    assert "check [xmpp] secret and the component's name" in text
    assert "Next attempt to connect to 127.0.0.1:5347 in 30 s" in text


def test_refused_name_backs_off_from_the_first_failure(logs):
    """The server accepts TCP and closes the stream before any handshake: the
    delay grows from the first failure although every TCP connect succeeded."""
    life = started(HOST_UNKNOWN)
    life.run(120)
    gaps = life.server.gaps()
    assert gaps[0] < QUICK
    assert all(later > earlier for earlier, later in pairwise(gaps[:8])), gaps
    assert max(gaps) <= MAX_DELAY + TICK and gaps[-1] == pytest.approx(MAX_DELAY, abs=TICK), gaps
    assert 10 <= len(life.server.attempts) <= 12, gaps
    assert "host-unknown" in logs()


def test_refused_tcp_backs_off_to_the_maximum():
    life = started(REFUSE_TCP)
    life.run(120)
    gaps = life.server.gaps()
    assert gaps[0] < QUICK
    assert all(later > earlier for earlier, later in pairwise(gaps[:8])), gaps
    assert max(gaps) <= MAX_DELAY + TICK and gaps[-1] == pytest.approx(MAX_DELAY, abs=TICK), gaps
    assert 10 <= len(life.server.attempts) <= 12, gaps
    assert not life.server.connections


def test_good_server_that_drops_the_stream_is_reconnected_quickly(logs):
    life = started(REFUSE_TCP)
    life.run(25)                       # the server is down: the delay has grown
    assert life.server.gaps()[-1] > 5
    life.server.mode = ACCEPT
    life.run(MAX_DELAY + 2)            # it is back: the next attempt logs in
    assert life.server.logins == 1 and life.ups == 1 and life.connection.connected
    for round in range(1, 4):
        dropped = life.clock.seconds()
        life.server.current.drop()
        life.run(QUICK + 0.5)
        assert life.losses == round
        assert life.server.attempts[-1] - dropped < QUICK, life.server.gaps()
        assert life.server.logins == round + 1 and life.connection.connected
    text = logs()
    assert text.count("lost its connection to 127.0.0.1:5347; reconnecting") == 3


def test_a_server_that_accepts_and_closes_before_the_handshake_is_not_a_login(logs):
    """Back-off resets after a login, not after a TCP connect: after a good
    stream drops, a server that keeps refusing is retried more and more slowly."""
    life = started(ACCEPT)
    life.run(1)
    assert life.connection.connected
    life.server.mode = HOST_UNKNOWN
    life.server.current.drop()
    life.run(60)
    gaps = life.server.gaps()[1:]
    assert len(gaps) >= 6
    assert all(later > earlier for earlier, later in pairwise(gaps[:6])), gaps
    assert life.server.logins == 1 and life.losses == 1


def test_shutdown_closes_the_stream_without_reconnecting(logs):
    life = started(ACCEPT)
    life.run(1)
    assert life.connection.connected
    stopped = life.connection.stopService()
    life.run(1)
    assert stopped is not None and stopped.called
    life.run(120)
    assert len(life.server.attempts) == 1 and not life.connection.connected
    assert life.losses == 0
    text = logs()
    assert "Component support.shop.test closed its stream to 127.0.0.1:5347 for shutdown" in text
    assert "reconnecting" not in text and "lost its connection" not in text
    assert "Next attempt" not in text


def test_a_server_that_never_answers_the_handshake_is_dropped_and_retried(logs):
    """A server that accepts TCP and then says nothing must not hold the
    component forever: after HANDSHAKE_TIMEOUT it tries again, backing off."""
    life = started(SILENT)
    life.run(HANDSHAKE_TIMEOUT - 1)
    assert len(life.server.attempts) == 1 and not life.server.current.closed
    life.run(2)
    assert life.server.connections[0].closed, "given up on after the timeout"
    assert "did not complete the component handshake within 30 s" in logs()
    assert len(life.server.attempts) == 2, "and tried again"
    life.server.mode = ACCEPT
    life.run(HANDSHAKE_TIMEOUT + MAX_DELAY + 2)
    assert life.connection.connected and life.server.logins == 1
    closed = len([c for c in life.server.connections if c.closed])
    life.run(HANDSHAKE_TIMEOUT * 3)
    assert life.connection.connected, "a logged-in stream is never timed out"
    assert len([c for c in life.server.connections if c.closed]) == closed
