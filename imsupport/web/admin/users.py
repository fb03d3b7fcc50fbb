"""
The web users in force (``[[web_users]]``, configweb.py): checking a
name and password, and each user's password fingerprint, which a session
remembers so that it ends when the password changes.

A check costs one argon2 verification whether or not the name exists (an
unknown name is checked against a hash of a random password), so the time
an answer takes does not tell which names exist. The verification runs
through ``run``: the runner passes a thread pool's, so the reactor is not
held up for the tens of milliseconds argon2 takes; tests run it in place.
At most ``at_once`` run at a time (each takes argon2's memory, 64 MiB by
default); more wait their turn.
"""
from __future__ import annotations

import hashlib
import secrets
from typing import Callable, Iterable, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from twisted.internet.defer import Deferred, DeferredSemaphore, maybeDeferred, succeed

from imsupport.configweb import ADMIN, MAX_PASSWORD, WebUser

T = TypeVar("T")
AT_ONCE = 2  # password checks at a time
Run = Callable[[Callable[[], T]], "Deferred[T]"]


def inPlace(work: Callable[[], T]) -> Deferred[T]:
    return maybeDeferred(work)


def fingerprint(user: WebUser) -> str:
    """Short, and not the hash itself: it stands for "this password"."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


class WebUsers:
    def __init__(self, users: Iterable[WebUser] = (), hasher: PasswordHasher | None = None,
                 run: Run[bool] = inPlace, at_once: int = AT_ONCE) -> None:
        self.hasher = hasher or PasswordHasher()
        self.run = run
        self.turns = DeferredSemaphore(at_once)
        self.users: dict[str, WebUser] = {}
        self._decoy: str | None = None
        self.load(users)

    def load(self, users: Iterable[WebUser]) -> None:
        """The users in force from now on; a session of a user whose
        password changed (or who is gone) is refused from its next request."""
        self.users = {u.name: u for u in users}

    def get(self, name: str) -> WebUser | None:
        return self.users.get(name)

    def fingerprint(self, name: str) -> str | None:
        user = self.users.get(name)
        return fingerprint(user) if user is not None else None

    def isAdmin(self, name: str) -> bool:
        user = self.users.get(name)
        return user is not None and user.role == ADMIN

    def check(self, name: str, password: str) -> Deferred[WebUser | None]:
        """The user, if ``password`` is theirs; else None."""
        user = self.users.get(name)
        if len(password) > MAX_PASSWORD:  # never a password here; not worth hashing
            return succeed(None)
        encoded = user.password_hash if user is not None else self._decoyHash()

        def verify() -> bool:
            try:
                return self.hasher.verify(encoded, password)
            except (VerificationError, InvalidHashError):
                return False

        d: Deferred[bool] = self.turns.run(self.run, verify)
        return d.addCallback(lambda ok: user if ok and user is not None else None)

    def _decoyHash(self) -> str:
        if self._decoy is None:
            self._decoy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._decoy
