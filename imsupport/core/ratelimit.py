"""
Per-sender rate limits (R-SEC-3): a token bucket for messages and one for
bytes, per bare address. A flood from one sender is refused before it costs
the store or another chat anything; operators and admins have their own,
higher limits.

``take`` is pure (time passed in); ``RateLimiter`` keeps the buckets and says
when a refusal is the first of a burst, which is when the sender gets a
polite notice; up to a bucket's worth of refused messages also get an
error each, the rest of the burst is dropped. A burst of refusals lasts
until a full bucket's refill time has passed since the notice, so a flood
that goes on gets one notice, not one per refill.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable

MAX_SENDERS = 100_000  # buckets kept before full (idle) ones are dropped


@dataclass(frozen=True)
class RateRefusal:
    """A message over its sender's limit: not stored, not relayed. ``answer``
    says whether the sender gets an error for it (with ``text``)."""
    text: str
    answer: bool


@dataclass(frozen=True)
class RateLimit:
    message_burst: int  # messages a sender may send at once
    messages_per_second: float  # and then, sustained
    byte_burst: int  # body bytes at once (at least the largest allowed message)
    bytes_per_second: float


CLIENT_LIMIT = RateLimit(30, 2.0, 262_144, 32_768.0)
OPERATOR_LIMIT = RateLimit(100, 10.0, 1_048_576, 262_144.0)


@dataclass
class Bucket:
    messages: float
    bytes: float
    at: float
    refusing: bool = False  # refused since the last admitted message
    noticed_at: float | None = None  # when the sender was last told
    answered: int = 0  # refusals answered with an error since then


def fresh(limit: RateLimit, now: float) -> Bucket:
    return Bucket(float(limit.message_burst), float(limit.byte_burst), now)


def refill(bucket: Bucket, limit: RateLimit, now: float) -> None:
    elapsed = max(0.0, now - bucket.at)
    bucket.messages = min(float(limit.message_burst),
                          bucket.messages + elapsed * limit.messages_per_second)
    bucket.bytes = min(float(limit.byte_burst), bucket.bytes + elapsed * limit.bytes_per_second)
    bucket.at = now


def take(bucket: Bucket, limit: RateLimit, size: int, now: float) -> bool:
    """Whether a message of ``size`` bytes may pass now; takes its tokens if so."""
    refill(bucket, limit, now)
    if bucket.messages < 1.0 or bucket.bytes < size:
        return False
    bucket.messages -= 1.0
    bucket.bytes -= size
    return True


def refillTime(limit: RateLimit) -> float:
    """Seconds an empty bucket takes to fill up again."""
    return max(limit.message_burst / limit.messages_per_second,
               limit.byte_burst / limit.bytes_per_second)


def isFull(bucket: Bucket, limit: RateLimit, now: float) -> bool:
    refill(bucket, limit, now)
    return bucket.messages >= limit.message_burst and bucket.bytes >= limit.byte_burst


class Verdict(enum.Enum):
    ADMITTED = "admitted"
    REFUSED_FIRST = "refused_first"  # the first refusal of a burst: notify the sender
    REFUSED = "refused"  # answer it with an error
    REFUSED_QUIETLY = "refused_quietly"  # dropped: the sender was told enough this burst


class RateLimiter:
    def __init__(self, client: RateLimit, operator: RateLimit,
                 isStaff: Callable[[str], bool], max_senders: int = MAX_SENDERS) -> None:
        self.client = client
        self.operator = operator
        self.isStaff = isStaff
        self.max_senders = max_senders
        self.buckets: dict[str, Bucket] = {}
        self.refused = 0  # messages refused since start (for /metrics)

    def limitOf(self, sender: str) -> RateLimit:
        return self.operator if self.isStaff(sender) else self.client

    def admit(self, sender: str, size: int, now: float) -> Verdict:
        limit = self.limitOf(sender)
        bucket = self.buckets.get(sender)
        if bucket is None:
            if len(self.buckets) >= self.max_senders:
                self._prune(now)
            bucket = self.buckets[sender] = fresh(limit, now)
        if take(bucket, limit, size, now):
            bucket.refusing = False
            return Verdict.ADMITTED
        self.refused += 1
        bucket.refusing = True
        # One burst of refusals, one notice: a flood that keeps going gets a
        # few messages through as the bucket refills, and that is still the
        # same burst until a full bucket's worth of time has passed. Within a
        # burst, at most a bucket's worth of refusals get an error each (a
        # person who pasted too much learns which lines did not go); beyond
        # that they are dropped, so a flood is not answered stanza for
        # stanza over the one link every other chat shares.
        if bucket.noticed_at is not None and now - bucket.noticed_at < refillTime(limit):
            if bucket.answered >= limit.message_burst:
                return Verdict.REFUSED_QUIETLY
            bucket.answered += 1
            return Verdict.REFUSED
        bucket.noticed_at = now
        bucket.answered = 1
        return Verdict.REFUSED_FIRST

    def refusing(self, sender: str) -> bool:
        """Whether ``sender`` is in a refused burst (their chat states are
        dropped meanwhile too)."""
        bucket = self.buckets.get(sender)
        return bucket is not None and bucket.refusing

    def _prune(self, now: float) -> None:
        """A full bucket is the same as none: forget those."""
        for sender in [s for s, b in self.buckets.items() if isFull(b, self.limitOf(s), now)]:
            del self.buckets[sender]
