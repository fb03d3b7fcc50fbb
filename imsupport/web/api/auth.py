"""
Bearer tokens and their scopes (SPEC 14). Tokens are kept as the SHA-256 of
the token, never the token itself: they are long random secrets (``new``
makes 32 random bytes), for which one fast hash is the standard (a slow
password hash buys nothing against guessing 256 bits, and would cost every
request). Compared with ``hmac.compare_digest``.

Scopes nest: ``admin`` includes ``control``, which includes ``read``; a
route names the least scope it needs.

Each token has its own token bucket (core/ratelimit.py's): a client that
goes over it gets 429 with Retry-After.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Iterable

from twisted.internet.interfaces import IReactorTime

from imsupport.core.ratelimit import Bucket, RateLimit, fresh, take
from imsupport.web.api.errors import ApiError

LEVELS = {"read": 1, "control": 2, "admin": 3}
# 20 requests at once, then 10 a second, per token
API_RATE = RateLimit(message_burst=20, messages_per_second=10.0, byte_burst=1, bytes_per_second=1.0)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def newSecret() -> str:
    return secrets.token_urlsafe(32)


def grants(scopes: Iterable[str], needed: str) -> bool:
    return max((LEVELS.get(s, 0) for s in scopes), default=0) >= LEVELS[needed]


@dataclass(frozen=True)
class TokenEntry:
    name: str
    digest: str  # hex SHA-256 of the token
    scopes: tuple[str, ...]


class Tokens:
    """The tokens in force, by name, and their rate buckets."""

    def __init__(self, clock: IReactorTime, entries: Iterable[TokenEntry] = (),
                 rate: RateLimit = API_RATE) -> None:
        self.clock = clock
        self.rate = rate
        self.entries: dict[str, TokenEntry] = {e.name: e for e in entries}
        self.buckets: dict[str, Bucket] = {}

    def load(self, entries: Iterable[TokenEntry]) -> None:
        """The tokens in force from now on (those of the store, at start)."""
        self.entries = {e.name: e for e in entries}
        self.buckets = {n: b for n, b in self.buckets.items() if n in self.entries}

    def add(self, entry: TokenEntry) -> None:
        self.entries[entry.name] = entry

    def remove(self, name: str) -> bool:
        self.buckets.pop(name, None)
        return self.entries.pop(name, None) is not None

    def find(self, token: str) -> TokenEntry | None:
        wanted = digest(token)
        found = None
        for entry in self.entries.values():  # every entry compared: no early exit
            if hmac.compare_digest(entry.digest, wanted):
                found = entry
        return found

    def authorize(self, header: str | None, needed: str) -> TokenEntry:
        """The token of an ``Authorization: Bearer`` header, if it has the
        ``needed`` scope and its bucket has room; else the ApiError to answer."""
        challenge = {"WWW-Authenticate": 'Bearer realm="imsupport"'}
        if not header or not header.lower().startswith("bearer "):
            raise ApiError(401, "unauthorized", "An Authorization: Bearer token is needed.",
                           challenge)
        entry = self.find(header[7:].strip())
        if entry is None:
            raise ApiError(401, "unauthorized", "The token is not valid.",
                           {"WWW-Authenticate": 'Bearer realm="imsupport", error="invalid_token"'})
        if not grants(entry.scopes, needed):
            raise ApiError(403, "forbidden", f"The token lacks the {needed} scope.")
        now = self.clock.seconds()
        bucket = self.buckets.get(entry.name)
        if bucket is None:
            bucket = self.buckets[entry.name] = fresh(self.rate, now)
        if not take(bucket, self.rate, 0, now):
            wait = max(1, int((1.0 - bucket.messages) / self.rate.messages_per_second) + 1)
            raise ApiError(429, "too_many_requests",
                           f"Too many requests for token {entry.name}; retry in {wait} s.",
                           {"Retry-After": str(wait)})
        return entry
