"""The reconnect back-off alone (issue 7, defect 5); the connection's use of
it is in tests/xmpp/test_connection.py."""
from __future__ import annotations

from itertools import pairwise

import pytest

from imsupport.xmpp.backoff import Backoff


def delays(backoff: Backoff, n: int) -> list[float]:
    return [round(backoff.nextDelay(), 3) for _ in range(n)]


def test_grows_from_the_first_failure_up_to_the_maximum():
    backoff = Backoff(30.0, jitter=lambda: 0.0)
    assert delays(backoff, 11) == [0.5, 0.8, 1.28, 2.048, 3.277, 5.243, 8.389, 13.422,
                                   21.475, 30.0, 30.0]
    assert backoff.failures == 11


def test_jitter_never_breaks_the_growth_nor_the_maximum():
    backoff = Backoff(30.0, jitter=lambda: 0.999)
    got = delays(backoff, 12)
    assert all(later > earlier for earlier, later in pairwise(got[:9])), got
    assert got[0] == pytest.approx(0.6, abs=0.001) and max(got) == 30.0


def test_only_a_login_resets_the_delay():
    backoff = Backoff(30.0, jitter=lambda: 0.0)
    delays(backoff, 6)
    backoff.loggedIn()
    assert delays(backoff, 2) == [0.5, 0.8]


def test_not_authorized_waits_the_maximum_each_time():
    backoff = Backoff(12.0, jitter=lambda: 0.0)
    for _ in range(3):
        backoff.notAuthorized()
        assert backoff.nextDelay() == 12.0
    assert backoff.nextDelay() == pytest.approx(0.5 * 1.6 ** 3)  # another kind of failure


def test_a_maximum_below_the_initial_delay_is_the_only_delay():
    backoff = Backoff(0.2, jitter=lambda: 0.5)
    assert delays(backoff, 3) == [0.2, 0.2, 0.2]


def test_many_failures_do_not_overflow():
    backoff = Backoff(60.0, jitter=lambda: 0.0)
    backoff.failures = 10_000
    assert backoff.nextDelay() == 60.0
