"""``/tokens`` (admin): list (names and scopes only), add (the new random
token is in that one answer, never again), revoke. Tokens are kept in the
store (hashed); at start the ``[[api_tokens]]`` of the file are written
there (the file wins for its names: a revoked file token comes back at the
next start unless it is taken out of the file)."""
from __future__ import annotations

from typing import Any, Generator, Iterable

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.interfaces import IReactorTime

from imsupport.config import ApiToken
from imsupport.store.interfaces import IStore, StoredToken
from imsupport.web.api.auth import TokenEntry, Tokens, digest, newSecret
from imsupport.web.api.errors import conflict, notFound
from imsupport.web.api.ports import JSON


def configEntries(tokens: Iterable[ApiToken]) -> list[TokenEntry]:
    """``[[api_tokens]]`` as kept: hashed, the plain token dropped."""
    return [TokenEntry(t.name, digest(t.token), tuple(t.scopes)) for t in tokens]


@inlineCallbacks
def seedTokens(store: IStore, tokens: Iterable[ApiToken],
               now: float) -> Generator[Deferred[Any], Any, list[TokenEntry]]:
    """The file's tokens written to the store, then every stored token."""
    for entry in configEntries(tokens):
        stored = yield store.tokens()
        for other in stored:  # a token moved to another name in the file
            if other.digest == entry.digest and other.name != entry.name:
                yield store.deleteToken(other.name)
        yield store.putToken(StoredToken(entry.name, entry.digest, entry.scopes, now))
    kept: list[StoredToken] = yield store.tokens()
    return [TokenEntry(t.name, t.digest, t.scopes) for t in kept]


class TokenRoutes:
    def __init__(self, tokens: Tokens, store: IStore, clock: IReactorTime) -> None:
        self.tokens = tokens
        self.store = store
        self.clock = clock

    def listTokens(self) -> JSON:
        return {"items": [{"name": e.name, "scopes": list(e.scopes)}
                          for e in sorted(self.tokens.entries.values(), key=lambda e: e.name)]}

    def addToken(self, body: dict[str, Any]) -> Deferred[JSON]:
        name = body["name"]
        if name in self.tokens.entries:
            raise conflict(f"There is a token named {name} already.")
        secret = newSecret()
        entry = TokenEntry(name, digest(secret), tuple(body["scopes"]))
        d: Deferred[None] = self.store.putToken(StoredToken(entry.name, entry.digest,
                                                            entry.scopes, self.clock.seconds()))

        def kept(_: None) -> JSON:
            self.tokens.add(entry)
            return {"name": name, "scopes": list(entry.scopes), "token": secret}
        return d.addCallback(kept)

    def revokeToken(self, name: str) -> Deferred[JSON]:
        if name not in self.tokens.entries:
            raise notFound(f"There is no token named {name}.")

        def revoked(_: bool) -> JSON:
            self.tokens.remove(name)
            return {"revoked": name}
        d: Deferred[bool] = self.store.deleteToken(name)
        return d.addCallback(revoked)
