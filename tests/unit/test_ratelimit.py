"""Per-sender rate limits (R-SEC-3, issue 7: 4): token buckets, pure, and the
core refusing a flood before it is stored, with one notice per burst."""
from __future__ import annotations

import pytest

from imsupport.core.ratelimit import Bucket, RateLimit, RateLimiter, Verdict, fresh, refill, take
from tests.unit.fakes import ALICE, BOB, IVAN, activeChat, makeCore, online

LIMIT = RateLimit(message_burst=3, messages_per_second=1.0, byte_burst=100,
                  bytes_per_second=10.0)


@pytest.mark.parametrize("sizes, admitted", [
    ([1, 1, 1], [True, True, True]),
    ([1, 1, 1, 1], [True, True, True, False]),  # the burst is 3 messages
    ([60, 60], [True, False]),  # 100 bytes at once
    ([100], [True]),
    ([101], [False]),
    ([0, 0, 0, 0], [True, True, True, False]),
])
def test_take_at_one_instant(sizes, admitted):
    bucket = fresh(LIMIT, 0.0)
    assert [take(bucket, LIMIT, size, 0.0) for size in sizes] == admitted


def test_refill_is_linear_and_capped():
    bucket = Bucket(messages=0.0, bytes=0.0, at=10.0)
    refill(bucket, LIMIT, 11.5)
    assert (bucket.messages, bucket.bytes) == (1.5, 15.0)
    refill(bucket, LIMIT, 1000.0)
    assert (bucket.messages, bucket.bytes) == (3.0, 100.0)
    refill(bucket, LIMIT, 5.0)  # a clock going back gives nothing
    assert (bucket.messages, bucket.at) == (3.0, 5.0)


def test_one_first_refusal_per_burst():
    limiter = RateLimiter(LIMIT, LIMIT, lambda jid: False)
    verdicts = [limiter.admit("a", 1, 0.0) for _ in range(8)]
    assert verdicts == [Verdict.ADMITTED] * 3 + [Verdict.REFUSED_FIRST] + \
        [Verdict.REFUSED] * 2 + [Verdict.REFUSED_QUIETLY] * 2, \
        "a bucket's worth (3) of refusals answered, the rest of the flood dropped"
    assert limiter.refusing("a") and not limiter.refusing("b")
    assert limiter.admit("b", 1, 0.0) is Verdict.ADMITTED, "senders do not share a bucket"
    assert limiter.admit("a", 1, 1.0) is Verdict.ADMITTED  # one token back after a second
    assert not limiter.refusing("a")
    assert limiter.admit("a", 1, 1.0) is Verdict.REFUSED_QUIETLY, \
        "the same flood: no second notice, no more errors"
    assert limiter.admit("a", 1, 2.5) is Verdict.ADMITTED
    assert limiter.admit("a", 1, 10.0) is Verdict.ADMITTED  # 10 s later: a full bucket again
    for _ in range(2):
        limiter.admit("a", 1, 10.0)
    assert limiter.admit("a", 1, 10.0) is Verdict.REFUSED_FIRST, "a new burst, a new notice"
    assert limiter.admit("a", 1, 10.0) is Verdict.REFUSED
    assert limiter.refused == 8


def test_staff_have_their_own_limits():
    staff = RateLimit(10, 5.0, 1000, 100.0)
    limiter = RateLimiter(LIMIT, staff, lambda jid: jid == "op")
    assert sum(limiter.admit("op", 1, 0.0) is Verdict.ADMITTED for _ in range(20)) == 10
    assert sum(limiter.admit("cl", 1, 0.0) is Verdict.ADMITTED for _ in range(20)) == 3


def test_idle_buckets_are_forgotten_when_there_are_too_many():
    limiter = RateLimiter(LIMIT, LIMIT, lambda jid: False, max_senders=3)
    for sender in ("a", "b", "c"):
        limiter.admit(sender, 1, 0.0)
    limiter.admit("d", 1, 100.0)  # a, b and c are full again by now
    assert set(limiter.buckets) == {"d"}
    for _ in range(5):
        limiter.admit("d", 1, 100.0)
    limiter.admit("e", 1, 100.0)
    assert set(limiter.buckets) == {"d", "e"}, "a bucket in use is kept"


def test_a_client_flood_is_refused_before_it_is_stored():
    core, clock, t, store = activeChat()
    admitted = [core.admitMessage(ALICE, 10, node="sales") for _ in range(1000)]
    burst = core.limits.client_rate.message_burst
    assert sum(a is None for a in admitted) == burst
    refused = [a for a in admitted if a is not None]
    assert {a.text for a in refused} == {"Not delivered: too many messages in a short time. "
                                         "Please wait a few seconds and send it again."}
    assert [a.answer for a in refused] == [True] * burst + [False] * (1000 - 2 * burst), \
        "the first burst's worth of refusals get an error each, the rest are dropped"
    notices = [b for b in t.bodies(ALICE) if "faster than we can take them" in b]
    assert len(notices) == 1, "a polite notice once per burst"
    assert core.isRefusing(ALICE) and not core.isRefusing(BOB)
    assert core.admitMessage(BOB, 10, node="sales") is None, "other clients go on"
    clock.advance(10)
    assert core.admitMessage(ALICE, 10, node="sales") is None


def test_a_client_without_a_chat_gets_the_notice_from_the_node():
    core, clock, t, store = makeCore()
    for _ in range(core.limits.client_rate.message_burst + 1):
        core.admitMessage(BOB, 10, node="sales")
    assert not core.chats
    assert "faster than we can take them" in t.last(BOB).body and t.last(BOB).sender == "sales"


def test_operators_have_higher_limits_and_their_notice_comes_from_the_chat():
    core, clock, t, store = activeChat()
    online(core, IVAN)
    results = [core.admitMessage(IVAN, 10, chat_id=1) for _ in range(300)]
    assert sum(r is None for r in results) == core.limits.operator_rate.message_burst
    assert core.limits.operator_rate.message_burst > core.limits.client_rate.message_burst
    notice = [s for s in t.to(IVAN) if s.body and "faster than" in s.body]
    assert len(notice) == 1 and notice[0].sender == "sales+1"
